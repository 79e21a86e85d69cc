/** Types of the patrolgrid REST API (see docs in the backend's OpenAPI at /openapi.json). */
import type { LineString } from 'geojson'

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
  | 'map:read'
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

// ---- Geo: map configuration, road network, nearest road, routing. All coordinates are WGS-84
// `[lon, lat]` as the API sends them; the map shifts them for display where the tiles need it.

/** `[lon, lat]` in degrees. */
export type LonLat = [number, number]

/** `[minLon, minLat, maxLon, maxLat]` in degrees. */
export type BBox = [number, number, number, number]

export type CoordSystem = 'wgs84' | 'gcj02'

/** An optional raster background under our own roads (none by default: the map works offline). */
export interface RasterTileSource {
  kind: 'raster'
  /** XYZ URL templates (`{z}/{x}/{y}`). */
  tiles: string[]
  tile_size: number
  attribution: string
  max_zoom: number
  /** The datum the tiles are drawn in; `gcj02` for Amap-style tiles. */
  coord_system: CoordSystem
}

export interface GeoConfig {
  center: LonLat
  zoom: number
  bounds: BBox | null
  /** Set when the network is generated demo data, not real geography; shown on the map. */
  network_label: LocalizedText | null
  tile_source: RasterTileSource | null
  /** Attribution of the road data (e.g. "© OpenStreetMap contributors"), when the server sends one. */
  network_attribution?: string | null
}

export type Oneway = 'no' | 'forward' | 'backward'

export interface RoadSegmentProperties {
  id: number
  road_id: number
  name: string | null
  /** OSM `highway` value: motorway, trunk, primary, …, residential, service. */
  highway: string
  oneway: Oneway
  maxspeed_kmh: number | null
  lanes: number | null
  length_m: number
}

export type AreaKind = 'county' | 'town' | 'township' | 'subdistrict' | 'community' | 'other'

export interface AreaProperties {
  id: number
  name: string
  kind: AreaKind
  admin_level: number | null
}

export interface NearestSegment {
  segment_id: number
  road_id: number
  name: string | null
  highway: string
  distance_m: number
  /** The nearest point on the segment. */
  point: LonLat
  /** Where that point lies along the segment, 0..1. */
  fraction: number
}

export interface RouteResult {
  seconds: number
  meters: number
  geometry: LineString
  segment_ids: number[]
}

// ---- Live tracking for the console (docs/tracking.md): live state, alarms, track history.
// Coordinates are WGS-84; times are ISO 8601 strings.

export type LiveStatus =
  | 'off_duty'
  | 'on_duty'
  | 'patrolling'
  | 'en_route'
  | 'on_scene'
  | 'sos'
  | 'offline'

/** Every status, in the order the console lists them. */
export const LIVE_STATUSES: readonly LiveStatus[] = [
  'sos',
  'on_scene',
  'en_route',
  'patrolling',
  'on_duty',
  'offline',
  'off_duty',
]

/** One person's live state (`GET /api/tracking/people`, the `tracking` topic's snapshot). */
export interface LivePerson {
  person_id: number
  name: string
  badge_no: string
  kind: PersonKind
  post: string
  mobile: string
  squadron_id: number
  squadron_name: string
  /** A `LiveStatus`; kept open for statuses a later server may add. */
  status: LiveStatus | (string & {})
  /** `lon` … `battery` are null for someone who never reported. */
  lon: number | null
  lat: number | null
  ts: string | null
  speed_kmh: number | null
  heading: number | null
  accuracy_m: number | null
  /** Battery level: 0..1 as the app reports it (a value above 1 is read as percent). */
  battery: number | null
  device_id: number | null
}

/** Event `position` on topic `tracking` (at most one per person per second). */
export interface LivePositionEvent {
  person_id: number
  lon: number
  lat: number
  ts: string
  speed_kmh: number | null
  heading: number | null
  accuracy_m: number | null
  battery: number | null
  status?: LivePerson['status']
}

/** Event `status` on topic `tracking`. */
export interface LiveStatusEvent {
  person_id: number
  status: LivePerson['status']
  previous: LivePerson['status'] | null
  at: string
}

/** An alarm (event `alarm` on topic `tracking`, `GET /api/tracking/alarms`). */
export interface TrackingAlarm {
  id: number
  person_id: number
  kind: 'sos' | (string & {})
  lon: number | null
  lat: number | null
  ts: string
  received_at?: string
  /** Set once someone acknowledged it (then it is no longer active). */
  acknowledged_at?: string | null
  acknowledged_by?: string | null
  person_name?: string | null
}

export interface TrackPoint {
  ts: string
  lon: number
  lat: number
  speed_kmh: number | null
  heading: number | null
  accuracy_m: number | null
}

/** `GET /api/tracking/people/{id}/track` */
export interface Track {
  person_id: number
  points: TrackPoint[]
}

// ---- Tracking devices (docs/tracking.md "Devices", permission `devices:manage`).

/** `app`: the officer app (路警助手/警务通); `traccar`: Traccar Client on a phone; `tracker`: a GPS tracker. */
export type DeviceKind = 'app' | 'traccar' | 'tracker'

export const DEVICE_KINDS: readonly DeviceKind[] = ['app', 'traccar', 'tracker']

/** A device that reports positions for one person (`GET /api/tracking/devices`). */
export interface Device {
  id: number
  /** What the device sends as `id` (Traccar Client's "device identifier"); unique. */
  identifier: string
  /** A `DeviceKind`; kept open for kinds a later server may add. */
  kind: DeviceKind | (string & {})
  name: string
  person_id: number
  person_name: string
  person_badge: string
  squadron_name: string
  /** A disabled device's reports are refused (`tracking.unknown_device`). */
  enabled: boolean
  last_seen_at: string | null
  created_at: string
}

export interface DeviceCreate {
  identifier: string
  kind: DeviceKind
  name: string
  person_id: number
  enabled: boolean
}

/** The identifier and kind cannot be changed; delete the device and add it again. */
export interface DevicePatch {
  name?: string
  person_id?: number
  enabled?: boolean
}
