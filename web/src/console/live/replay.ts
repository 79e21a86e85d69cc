/**
 * Track replay without MapLibre: a person's recorded points as a timeline, the position at any
 * moment (interpolated between fixes), and a play/pause clock with a speed factor.
 */
import type { Feature, FeatureCollection, LineString, Point } from 'geojson'
import { haversineMeters } from '@/shared/geo/coords'
import type { LonLat, TrackPoint } from '@/shared/types'
import { toMillis } from './tracker'

/** Between two fixes further apart than this the marker waits at the first (no data, no motion). */
export const MAX_INTERPOLATION_GAP_MS = 5 * 60 * 1000

export const REPLAY_SPEEDS = [1, 10, 60] as const
export type ReplaySpeed = (typeof REPLAY_SPEEDS)[number]

/** The replay's default range: the last two hours. */
export function defaultReplayRange(now: number = Date.now()): [Date, Date] {
  return [new Date(now - 2 * 3600 * 1000), new Date(now)]
}

export interface Timeline {
  points: TrackPoint[]
  /** Epoch ms of each point. */
  times: number[]
  /** Metres along the path up to each point. */
  distances: number[]
  start: number
  end: number
  /** Path length in metres. */
  length: number
}

/** A timeline from the API's points (in time order; invalid points and repeated times dropped). */
export function buildTimeline(points: readonly TrackPoint[]): Timeline | null {
  const kept: TrackPoint[] = []
  const times: number[] = []
  for (const point of points) {
    const ms = toMillis(point.ts)
    if (ms === null || !Number.isFinite(point.lon) || !Number.isFinite(point.lat)) continue
    const last = times[times.length - 1]
    if (last !== undefined && ms <= last) continue
    kept.push(point)
    times.push(ms)
  }
  if (kept.length === 0) return null
  const distances = [0]
  for (let i = 1; i < kept.length; i += 1) {
    const a = kept[i - 1]!
    const b = kept[i]!
    distances.push(distances[i - 1]! + haversineMeters([a.lon, a.lat], [b.lon, b.lat]))
  }
  return {
    points: kept,
    times,
    distances,
    start: times[0]!,
    end: times[times.length - 1]!,
    length: distances[distances.length - 1]!,
  }
}

export interface ReplayPosition {
  lon: number
  lat: number
  /** The moment shown (clamped to the track). */
  t: number
  /** Index of the last fix at or before `t`. */
  index: number
  speed_kmh: number | null
  /** Degrees clockwise from north, or null when unknown. */
  heading: number | null
  /** Share of the path's length covered at `t`, 0..1. */
  progress: number
  /** True while waiting in a gap longer than `MAX_INTERPOLATION_GAP_MS`. */
  inGap: boolean
}

/** Index of the last time ≤ t (0 when t is before the first). */
function indexAt(times: readonly number[], t: number): number {
  let lo = 0
  let hi = times.length - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (times[mid]! <= t) lo = mid
    else hi = mid - 1
  }
  return lo
}

function bearing(a: LonLat, b: LonLat): number {
  const toRad = Math.PI / 180
  const y = Math.sin((b[0] - a[0]) * toRad) * Math.cos(b[1] * toRad)
  const x =
    Math.cos(a[1] * toRad) * Math.sin(b[1] * toRad) -
    Math.sin(a[1] * toRad) * Math.cos(b[1] * toRad) * Math.cos((b[0] - a[0]) * toRad)
  return ((Math.atan2(y, x) * 180) / Math.PI + 360) % 360
}

/** Where the person was at `t` (epoch ms): linear between the fixes around it. */
export function positionAt(timeline: Timeline, t: number): ReplayPosition {
  const { points, times, distances, length } = timeline
  const clamped = Math.min(timeline.end, Math.max(timeline.start, t))
  const i = indexAt(times, clamped)
  const a = points[i]!
  const progressOf = (meters: number) => (length > 0 ? meters / length : 1)
  if (i === points.length - 1) {
    return {
      lon: a.lon,
      lat: a.lat,
      t: clamped,
      index: i,
      speed_kmh: a.speed_kmh,
      heading: a.heading,
      progress: progressOf(distances[i]!),
      inGap: false,
    }
  }
  const b = points[i + 1]!
  const span = times[i + 1]! - times[i]!
  const segment = distances[i + 1]! - distances[i]!
  if (span > MAX_INTERPOLATION_GAP_MS) {
    return {
      lon: a.lon,
      lat: a.lat,
      t: clamped,
      index: i,
      speed_kmh: clamped === times[i] ? a.speed_kmh : null,
      heading: a.heading,
      progress: progressOf(distances[i]!),
      inGap: clamped > times[i]!,
    }
  }
  const f = (clamped - times[i]!) / span
  let speed: number | null
  if (a.speed_kmh !== null && b.speed_kmh !== null) speed = a.speed_kmh + (b.speed_kmh - a.speed_kmh) * f
  else speed = (segment / (span / 1000)) * 3.6
  const moved = segment > 0.5
  return {
    lon: a.lon + (b.lon - a.lon) * f,
    lat: a.lat + (b.lat - a.lat) * f,
    t: clamped,
    index: i,
    speed_kmh: speed,
    heading: moved ? bearing([a.lon, a.lat], [b.lon, b.lat]) : a.heading,
    progress: progressOf(distances[i]! + segment * f),
    inGap: false,
  }
}

/** The path as GeoJSON (WGS-84; the map page projects it for display). */
export function timelineGeoJSON(timeline: Timeline): FeatureCollection<LineString | Point> {
  const coords = timeline.points.map((p) => [p.lon, p.lat])
  const first = timeline.points[0]!
  const last = timeline.points[timeline.points.length - 1]!
  const features: Feature<LineString | Point>[] = []
  if (coords.length > 1) {
    features.push({ type: 'Feature', properties: { role: 'path' }, geometry: { type: 'LineString', coordinates: coords } })
  }
  features.push(
    { type: 'Feature', properties: { role: 'start' }, geometry: { type: 'Point', coordinates: [first.lon, first.lat] } },
    { type: 'Feature', properties: { role: 'end' }, geometry: { type: 'Point', coordinates: [last.lon, last.lat] } },
  )
  return { type: 'FeatureCollection', features }
}

/**
 * Play/pause over [start, end] at a speed factor (1 = real time). The page calls `tick()` every
 * animation frame; the clock itself holds no timers.
 */
export class ReplayClock {
  t: number
  playing = false
  speed: number = 1

  private anchorWall = 0
  private anchorT = 0

  constructor(
    readonly start: number,
    readonly end: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.t = start
  }

  play(): void {
    if (this.t >= this.end) this.t = this.start
    this.playing = true
    this.anchor()
  }

  pause(): void {
    this.tick()
    this.playing = false
  }

  toggle(): void {
    if (this.playing) this.pause()
    else this.play()
  }

  seek(t: number): void {
    this.t = Math.min(this.end, Math.max(this.start, t))
    this.anchor()
  }

  setSpeed(speed: number): void {
    this.tick()
    this.speed = speed
    this.anchor()
  }

  /** Advances to the present moment; stops at the end. Returns the current time. */
  tick(): number {
    if (!this.playing) return this.t
    const t = this.anchorT + (this.now() - this.anchorWall) * this.speed
    if (t >= this.end) {
      this.t = this.end
      this.playing = false
    } else {
      this.t = t
    }
    return this.t
  }

  private anchor(): void {
    this.anchorWall = this.now()
    this.anchorT = this.t
  }
}
