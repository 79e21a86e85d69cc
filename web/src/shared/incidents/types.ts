/**
 * Types of the incidents API (警情 and dispatch, `src/patrolgrid/incidents/models.py`).
 * Coordinates are WGS-84; times are ISO 8601 strings; durations are seconds.
 */
import type { PersonKind } from '../types'

export type IncidentSource = 'camera' | 'hotline' | 'officer' | 'transfer_110' | 'citizen'
export const INCIDENT_SOURCES: readonly IncidentSource[] = ['camera', 'hotline', 'transfer_110', 'citizen', 'officer']

export type IncidentType = 'congestion' | 'accident' | 'illegal_parking' | 'blocking' | 'assistance' | 'other'
export const INCIDENT_TYPES: readonly IncidentType[] = [
  'accident',
  'congestion',
  'blocking',
  'illegal_parking',
  'assistance',
  'other',
]

/** 1 紧急 urgent, 2 较急 high, 3 一般 normal. */
export type Priority = 1 | 2 | 3
export const PRIORITIES: readonly Priority[] = [1, 2, 3]

export type IncidentStatus =
  | 'new'
  | 'dispatched'
  | 'accepted'
  | 'en_route'
  | 'on_scene'
  | 'handled'
  | 'closed'
  | 'cancelled'

/** In the order an incident goes through them. */
export const INCIDENT_STATUSES: readonly IncidentStatus[] = [
  'new',
  'dispatched',
  'accepted',
  'en_route',
  'on_scene',
  'handled',
  'closed',
  'cancelled',
]

/** Closed or cancelled: nothing more happens to it. */
export const FINISHED_STATUSES: readonly IncidentStatus[] = ['closed', 'cancelled']

export type AssignmentStatus =
  | 'dispatched'
  | 'accepted'
  | 'en_route'
  | 'on_scene'
  | 'handled'
  | 'declined'
  | 'withdrawn'

/** An assignment still under way (the person is on it). */
export const LIVE_ASSIGNMENT_STATUSES: readonly AssignmentStatus[] = ['dispatched', 'accepted', 'en_route', 'on_scene']

/** One person sent to one incident, with that person's own progress. */
export interface Assignment {
  id: number
  incident_id: number
  person_id: number
  person_name: string
  badge_no: string
  mobile: string
  /** 增援: sent in addition to the first. */
  support: boolean
  status: AssignmentStatus
  dispatched_by: string
  dispatched_at: string
  accept_due_at: string
  /** Not accepted in time: the console offers the next officer. */
  overdue: boolean
  /** Road ETA and distance when dispatched. */
  eta_seconds: number | null
  distance_m: number | null
  accepted_at: string | null
  en_route_at: string | null
  arrived_at: string | null
  arrived_how: 'auto' | 'button' | null
  handled_at: string | null
  ended_at: string | null
  end_reason: string
}

/** Seconds between the steps; null until both ends have happened. */
export interface Durations {
  receive_to_dispatch: number | null
  dispatch_to_accept: number | null
  dispatch_to_arrive: number | null
  arrive_to_handled: number | null
}

export const DURATION_KEYS: readonly (keyof Durations)[] = [
  'receive_to_dispatch',
  'dispatch_to_accept',
  'dispatch_to_arrive',
  'arrive_to_handled',
]

/** An incident as lists and the `incidents` topic's snapshot carry it. */
export interface Incident {
  id: number
  code: string
  source: IncidentSource
  type: IncidentType
  priority: Priority
  status: IncidentStatus
  lon: number
  lat: number
  address: string
  road_name: string | null
  description: string
  caller_name: string
  caller_phone: string
  camera_id: number | null
  squadron_id: number | null
  squadron_name: string | null
  reporter_person_id: number | null
  created_by: string
  created_at: string
  dispatched_at: string | null
  accepted_at: string | null
  arrived_at: string | null
  handled_at: string | null
  closed_at: string | null
  cancelled_at: string | null
  /** The handling note, or the reason it was cancelled. */
  outcome: string
  durations: Durations
  assignments: Assignment[]
  /** An assignment is overdue for acceptance, or everyone sent declined or was withdrawn. */
  alert: boolean
}

export type TimelineKind =
  | 'created'
  | 'updated'
  | 'dispatched'
  | 'support'
  | 'accepted'
  | 'declined'
  | 'en_route'
  | 'arrived'
  | 'handled'
  | 'withdrawn'
  | 'timeout'
  | 'note'
  | 'photo'
  | 'cancelled'
  | 'closed'

export interface TimelineEntry {
  id: number
  at: string
  kind: TimelineKind | (string & {})
  /** Who took the step (a user's name, or 系统 for the timeout sweeper). */
  actor: string
  person_id: number | null
  person_name: string | null
  text: string
  data: Record<string, unknown> | null
}

export interface IncidentPhoto {
  id: number
  stage: 'report' | 'handling' | (string & {})
  url: string
  uploaded_by: string
  created_at: string
}

export interface NavigationLinks {
  amap: string
  baidu: string
}

/** `GET /api/incidents/{id}`, and the `incident` event's data. */
export interface IncidentDetail extends Incident {
  timeline: TimelineEntry[]
  photos: IncidentPhoto[]
  navigation: NavigationLinks
}

/** An available person ranked for an incident by road travel time. */
export interface Candidate {
  person_id: number
  name: string
  badge_no: string
  kind: PersonKind | (string & {})
  post: string
  mobile: string
  squadron_id: number
  squadron_name: string
  status: string
  lon: number
  lat: number
  position_age_s: number
  /** null: cannot reach the incident by road. */
  eta_seconds: number | null
  road_m: number | null
  straight_m: number
  /** Already sent to this incident and declined, withdrawn or overdue. */
  tried: boolean
}

export interface Recommendation {
  incident_id: number
  computed_ms: number
  /** False when no road network is loaded (ranked by straight line instead). */
  routed: boolean
  items: Candidate[]
}

export type AlertReason = 'new' | 'timeout' | 'declined'

/** Critical event `alert` on topic `incidents`. */
export interface IncidentAlertEvent {
  reason: AlertReason
  incident_id: number
  code: string
  type: IncidentType
  priority: Priority
  place: string
  assignment_id: number | null
  person_name?: string | null
  /** The best person to send instead (timeouts only). */
  next?: Candidate
}

/** What an officer's app shows for one dispatch (`GET /api/incidents/mine`, `user.<id>` events). */
export interface MyAssignment {
  assignment: Assignment
  incident: IncidentDetail
}

export interface IncidentCreate {
  source: IncidentSource
  type: IncidentType
  priority: Priority
  lon?: number | null
  lat?: number | null
  camera_id?: number | null
  address?: string
  description?: string
  caller_name?: string
  caller_phone?: string
  squadron_id?: number | null
}

export interface OfficerReport {
  type: IncidentType
  priority: Priority
  lon?: number | null
  lat?: number | null
  description: string
  /** 自行处置: the reporter takes it on at once (sent, accepted and on scene). */
  handle_myself: boolean
}

export interface IncidentQuery {
  status?: IncidentStatus[]
  type?: IncidentType[]
  squadron_id?: number | null
  active?: boolean | null
  limit?: number
  offset?: number
}

/** A road found by name (`GET /api/roads/search`). */
export interface RoadMatch {
  id: number
  name: string
  highway: string
  center: [number, number]
}

/** The parts of a camera (`/api/cameras`) that incidents use. */
export interface CameraRef {
  id: number
  code: string
  name: string
  lon: number
  lat: number
  squadron_id: number | null
  squadron_name: string | null
  enabled: boolean
}
