/**
 * The command domain as the API sends it (docs/command.md): officer SOS (求助) with its
 * responders, and command groups (指挥集群) with members, chat and video sessions. Times are
 * ISO 8601 strings, coordinates WGS-84.
 */

export type SosStatus = 'active' | 'acknowledged' | 'resolved'

export interface SosResponder {
  person_id: number
  name: string
  mobile: string
  /** `grid` (posted to the same grid), `group` (same squadron on duty), `nearby` (within the travel time by road), `self`. */
  reason: string
  eta_seconds: number | null
  notified_at: string
  /** 我已出发: when the responder said they are on their way. */
  answered_at: string | null
}

export interface SosTrailPoint {
  ts: string
  lon: number
  lat: number
}

export interface Sos {
  id: number
  person_id: number
  /** The account the consoles call for the live video. */
  person_user_id: number | null
  name: string
  badge_no: string
  kind: string
  post: string
  mobile: string
  squadron_name: string
  status: SosStatus
  /** `app` (the SOS button) or `device` (a tracker's `alarm=sos`). */
  source: string
  lon: number | null
  lat: number | null
  raised_at: string
  acknowledged_at: string | null
  acknowledged_by: string | null
  escalated_at: string | null
  resolved_at: string | null
  resolved_by: string | null
  resolution: string
  responders: SosResponder[]
  trail: SosTrailPoint[]
}

/** `sos.position` on the personal topic: the colleague in danger moved. */
export interface SosPosition {
  sos_id: number
  person_id: number
  lon: number
  lat: number
  ts: string | number | null
}

export type GroupOrigin = 'incident' | 'sos' | 'area'

export interface GroupMember {
  id: number
  user_id: number
  person_id: number | null
  name: string
  role: 'commander' | 'member' | (string & {})
  joined_at: string
  left_at: string | null
}

export type GroupMessageKind = 'text' | 'photo' | 'location' | 'system'

export interface GroupMessage {
  id: number
  group_id: number
  sender_user_id: number | null
  sender_name: string
  kind: GroupMessageKind | (string & {})
  text: string
  lon: number | null
  lat: number | null
  photo_url: string | null
  created_at: string
}

/** A current member's latest position (`GET /api/command/groups/{id}/positions`). */
export interface MemberPosition {
  user_id: number
  person_id: number
  name: string
  status: string
  lon: number | null
  lat: number | null
  ts: string | null
}

export interface VideoSession {
  id: number
  room: string
  user_id: number
  name: string
  started_at: string
  ended_at: string | null
}

export interface Group {
  id: number
  name: string
  origin: GroupOrigin
  incident_id: number | null
  sos_id: number | null
  open: boolean
  created_by: string
  created_at: string
  closed_at: string | null
  closed_by: string | null
  /** Everyone who was ever in it; `left_at` tells who left. */
  members: GroupMember[]
  /** Present on the console topic's `group` events and in the detail. */
  videos?: VideoSession[]
}

export interface GroupDetail extends Group {
  messages: GroupMessage[]
  videos: VideoSession[]
}

export interface GroupCreate {
  origin: GroupOrigin
  name?: string
  incident_id?: number
  sos_id?: number
  /** A closed ring of [lon, lat] (at least 3 points). */
  area?: [number, number][]
  person_ids?: number[]
}

export interface RtcConfig {
  ice_servers: RTCIceServer[]
}

/** `video` events: someone's camera went live or off in a room. */
export interface VideoEvent {
  room: string
  user_id: number
  name: string
  state: 'started' | 'stopped'
  session_id?: number | null
}

/** `rtc` events: a signalling message relayed from another account in the room. */
export interface RtcEvent {
  room: string
  from: number
  from_name: string
  signal: unknown
}
