/** Types of the patrolgrid REST API (see docs in the backend's OpenAPI at /openapi.json). */

export type Role =
  | 'admin'
  | 'commander'
  | 'operator'
  | 'officer'
  | 'auxiliary'
  | 'legal'
  | 'supervisor'
  | 'leader'

export const ROLES: readonly Role[] = [
  'admin',
  'commander',
  'operator',
  'officer',
  'auxiliary',
  'legal',
  'supervisor',
  'leader',
]

export type Permission =
  | 'people:read'
  | 'people:write'
  | 'users:manage'
  | 'audit:read'
  | 'settings:read'
  | 'settings:write'
  // Later issues add more; the server is the authority.
  | (string & {})

export interface User {
  id: number
  username: string
  display_name: string
  role: Role
  permissions: Permission[]
  person_id: number | null
}

export interface Brigade {
  id: number
  name: string
  code: string
}

export interface Squadron {
  id: number
  name: string
  code: string
  person_count: number
}

export type PersonKind = 'police' | 'auxiliary' | 'public_welfare'

export const PERSON_KINDS: readonly PersonKind[] = ['police', 'auxiliary', 'public_welfare']

export interface Person {
  id: number
  name: string
  badge_no: string
  kind: PersonKind
  post: string
  mobile: string
  squadron_id: number
  squadron_name: string
  active: boolean
  created_at: string
  updated_at: string
}

export interface PersonCreate {
  name: string
  badge_no: string
  kind: PersonKind
  post: string
  mobile: string
  squadron_id: number
}

export type PersonPatch = Partial<PersonCreate & { active: boolean }>

export interface Page<T> {
  items: T[]
  total: number
}

export interface ItemList<T> {
  items: T[]
}

export interface AdminUser {
  id: number
  username: string
  display_name: string
  role: Role
  active: boolean
  locked_until: string | null
  failed_logins: number
  person_id?: number | null
  created_at: string
}

export interface AdminUserCreate {
  username: string
  display_name: string
  role: Role
  password: string
}

export interface AdminUserPatch {
  display_name?: string
  role?: Role
  active?: boolean
  password?: string
  unlock?: true
}

export interface AuditEntry {
  id: number
  at: string
  actor_id: number | null
  actor_name: string | null
  action: string
  entity_type: string
  entity_id: number | string | null
  before: Record<string, unknown> | null
  after: Record<string, unknown> | null
  ip: string | null
}

export interface SystemInfo {
  version: string
  database: 'sqlite' | 'postgresql'
  bus: 'memory' | 'redis'
  locale: string
  started_at: string
}

/** A message in both UI languages, as sent by the server. */
export interface LocalizedText {
  zh: string
  en: string
}

/** The error envelope of every 4xx/5xx response. */
export interface ErrorEnvelope {
  code: string
  message: LocalizedText
  details?: unknown
}

export interface ValidationErrorItem {
  loc: (string | number)[]
  code: string
  message: LocalizedText
}

export interface ImportErrorItem {
  line: number
  column: string | null
  code: string
  message: LocalizedText
}
