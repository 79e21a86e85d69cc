/** Types of the camera API (`/api/cameras`, docs/cameras.md). Positions are WGS-84. */

export type StreamKind = 'hls' | 'mjpeg' | 'mp4' | 'whep'

export const STREAM_KINDS: readonly StreamKind[] = ['hls', 'mjpeg', 'mp4', 'whep']

export interface Camera {
  id: number
  code: string
  name: string
  lon: number
  lat: number
  /** Degrees clockwise from north the camera looks at, or null when unknown. */
  heading: number | null
  /** An http(s) URL, a path under `/media/`, or '' (no stream configured). */
  stream_url: string
  stream_kind: StreamKind
  squadron_id: number | null
  squadron_name: string | null
  note: string
  enabled: boolean
  created_at: string
  updated_at: string
}

export interface CameraCreate {
  code: string
  name: string
  lon: number
  lat: number
  heading: number | null
  stream_url: string
  stream_kind: StreamKind
  squadron_id: number | null
  note: string
  enabled: boolean
}

export type CameraPatch = Partial<CameraCreate>

/** The coordinate system of an imported file's positions (stored as WGS-84). */
export type ImportCoords = 'wgs84' | 'gcj02' | 'bd09'

/** What a tile shows: the picture, waiting for it, or nothing (error, no stream, switched off). */
export type PlayerStatus = 'loading' | 'playing' | 'nosignal' | 'disabled'
