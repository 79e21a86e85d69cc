/**
 * Types of the officer app's side of the tracking contract (docs/tracking.md): device
 * self-registration, the WebSocket frames it sends and receives, and its own live state.
 */
import type { LivePerson, LiveStatus, LocalizedText } from '@/shared/types'

/** The statuses an officer sets from the app; the others are set by dispatch, SOS or the sweeper. */
export type OfficerSettableStatus = Extract<LiveStatus, 'off_duty' | 'on_duty' | 'patrolling'>

/** `Device` of `POST /api/tracking/devices/self` (and the console's device list). */
export interface TrackingDevice {
  id: number
  identifier: string
  kind: 'app' | 'traccar' | 'tracker' | (string & {})
  name: string
  person_id: number | null
  person_name?: string | null
  enabled: boolean
  last_seen_at: string | null
  created_at: string
}

/** Answer of `POST /api/tracking/devices/self`: the device and its bearer token (shown once). */
export interface DeviceRegistration {
  device: TrackingDevice
  token: string
}

/** `GET /api/tracking/me`: the signed-in officer's own live state (a `LivePerson`). */
export type OwnLiveState = Partial<LivePerson> & Pick<LivePerson, 'status'>

/** `coords` of a position message, as the browser's Geolocation API reports them. */
export interface PositionCoords {
  latitude: number
  longitude: number
  /** Metres (95 % radius); null when unknown. */
  accuracy: number | null
  /** Metres per second. */
  speed: number | null
  /** Degrees clockwise from true north. */
  heading: number | null
  /** Metres above the WGS-84 ellipsoid. */
  altitude: number | null
}

/** A position message without its `type` and `id` (what the outbox stores). */
export interface PositionPayload {
  identifier: string
  coords: PositionCoords
  /** Milliseconds since the epoch, when the fix was taken. */
  timestamp: number
  /** 0..1, or null when the browser does not tell. */
  battery: number | null
}

export interface StatusPayload {
  status: OfficerSettableStatus
}

/** What the app sends over `/ws`: `{type, id, ...payload}`. */
export type PositionFrame = { type: 'position'; id: number } & PositionPayload
export type StatusFrame = { type: 'status'; id: number } & StatusPayload
export type OutgoingFrame = PositionFrame | StatusFrame

/** `{"type":"ack","id":n}` once the server stored the message. */
export interface AckFrame {
  type: 'ack'
  id: number
}

/** `{"type":"error","id":n,code,message,details}`; `id` is missing for frames the hub could not read. */
export interface ErrorFrame {
  type: 'error'
  id?: number
  code: string
  message?: LocalizedText
  details?: unknown
}
