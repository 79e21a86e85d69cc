/**
 * Formatting for incidents, the same in the console and the officer app: ETAs and durations as a
 * clock (`m:ss`, `h:mm:ss`), distances in km, and the four response times of an incident.
 */
import type { Durations, Incident, TimelineEntry } from './types'
import { DURATION_KEYS } from './types'

const DASH = '—'

/** Seconds as `m:ss` (`h:mm:ss` from an hour on); `—` for unknown. Negative values read as 0. */
export function formatClockDuration(seconds: number | null | undefined): string {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return DASH
  const total = Math.max(0, Math.round(seconds))
  const h = Math.floor(total / 3600)
  const m = Math.floor((total % 3600) / 60)
  const s = total % 60
  const ss = String(s).padStart(2, '0')
  if (h > 0) return `${h}:${String(m).padStart(2, '0')}:${ss}`
  return `${m}:${ss}`
}

/** An ETA: `m:ss`, or `—` when the place cannot be reached by road. */
export const formatEta = formatClockDuration

/** Metres as kilometres with 2 decimals (1 from 10 km on), without the unit; `—` for unknown. */
export function formatKm(meters: number | null | undefined): string {
  if (typeof meters !== 'number' || !Number.isFinite(meters)) return DASH
  const km = Math.max(0, meters) / 1000
  return km.toFixed(km < 10 ? 2 : 1)
}

/** Milliseconds since the epoch for an ISO time, or null. */
export function toMs(value: string | null | undefined): number | null {
  if (!value) return null
  const ms = Date.parse(value)
  return Number.isNaN(ms) ? null : ms
}

/** Seconds from `start` to `end` (ISO times); null when either is missing. */
export function secondsBetween(start: string | null | undefined, end: string | null | undefined): number | null {
  const a = toMs(start)
  const b = toMs(end)
  return a === null || b === null ? null : (b - a) / 1000
}

/** `HH:MM:SS` in the reader's time zone, with `MM-DD ` in front when not on `now`'s day. */
export function formatTimeOfDay(value: string | null | undefined, now: number = Date.now()): string {
  const ms = toMs(value)
  if (ms === null) return ''
  const date = new Date(ms)
  const two = (n: number) => String(n).padStart(2, '0')
  const time = `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`
  if (new Date(now).toDateString() === date.toDateString()) return time
  return `${two(date.getMonth() + 1)}-${two(date.getDate())} ${time}`
}

export interface DurationItem {
  key: keyof Durations
  seconds: number | null
  /** Still running: the first step happened, the second not yet (seconds counts up to now). */
  running: boolean
}

/**
 * The four response times of an incident (接警→派警, 派警→接警, 派警→到场, 到场→处置): the
 * server's when both ends happened, else the time so far while the incident is open.
 */
export function responseTimes(incident: Incident, now: number = Date.now()): DurationItem[] {
  const finished = incident.status === 'closed' || incident.status === 'cancelled'
  const starts: Record<keyof Durations, string | null> = {
    receive_to_dispatch: incident.created_at,
    dispatch_to_accept: incident.dispatched_at,
    dispatch_to_arrive: incident.dispatched_at,
    arrive_to_handled: incident.arrived_at,
  }
  return DURATION_KEYS.map((key) => {
    const done = incident.durations[key]
    if (done !== null && done !== undefined) return { key, seconds: done, running: false }
    const start = toMs(starts[key])
    if (start === null || finished) return { key, seconds: null, running: false }
    return { key, seconds: Math.max(0, (now - start) / 1000), running: true }
  })
}

/** Seconds from the incident's creation to a timeline entry (`+m:ss` on the timeline). */
export function sinceCreated(incident: Pick<Incident, 'created_at'>, entry: Pick<TimelineEntry, 'at'>): number | null {
  return secondsBetween(incident.created_at, entry.at)
}

/** The place in words: the address, else the road, else the coordinates. */
export function placeOf(incident: Pick<Incident, 'address' | 'road_name' | 'lon' | 'lat'>): string {
  const address = incident.address?.trim()
  if (address) return address
  if (incident.road_name) return incident.road_name
  return `${incident.lon.toFixed(5)}, ${incident.lat.toFixed(5)}`
}
