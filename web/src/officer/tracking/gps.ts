/**
 * GPS fixes in the officer app: which fixes to keep (throttling), how good the signal is, and how
 * a browser `GeolocationPosition` becomes a position message payload. Pure functions, unit-tested.
 */
import { haversineMeters } from '@/shared/geo/coords'
import type { PositionCoords, PositionPayload } from './types'

/** One fix as the app keeps it. */
export interface Fix {
  coords: PositionCoords
  /** Milliseconds since the epoch. */
  timestamp: number
}

/**
 * Throttling: keep a fix when it is the first, when at least `minIntervalMs` (2 s) passed since the
 * last kept fix, or when the officer moved more than `minDistanceM` (20 m) from it. Fixes that are
 * not newer than the last kept one (browsers repeat cached fixes) are never kept.
 */
export const THROTTLE = { minIntervalMs: 2000, minDistanceM: 20 } as const

export function shouldKeepFix(
  previous: Fix | null,
  next: Fix,
  options: { minIntervalMs: number; minDistanceM: number } = THROTTLE,
): boolean {
  if (!isUsableFix(next)) return false
  if (!previous) return true
  if (next.timestamp <= previous.timestamp) return false
  if (next.timestamp - previous.timestamp >= options.minIntervalMs) return true
  return distanceMeters(previous, next) > options.minDistanceM
}

export function distanceMeters(a: Fix, b: Fix): number {
  return haversineMeters(
    [a.coords.longitude, a.coords.latitude],
    [b.coords.longitude, b.coords.latitude],
  )
}

/** Finite coordinates in range and a finite timestamp (the server rejects anything else). */
export function isUsableFix(fix: Fix): boolean {
  const { latitude, longitude } = fix.coords
  return (
    Number.isFinite(latitude) &&
    Number.isFinite(longitude) &&
    Math.abs(latitude) <= 90 &&
    Math.abs(longitude) <= 180 &&
    Number.isFinite(fix.timestamp)
  )
}

/** A finite number, else null (browsers report NaN heading when standing still). */
function finiteOrNull(value: number | null | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null
}

/** The parts of a browser `GeolocationPosition` the app uses (so tests can build one). */
export interface GeolocationPositionLike {
  coords: {
    latitude: number
    longitude: number
    accuracy: number
    altitude: number | null
    speed: number | null
    heading: number | null
  }
  timestamp: number
}

export function fixFromGeolocation(position: GeolocationPositionLike): Fix {
  const c = position.coords
  return {
    coords: {
      latitude: c.latitude,
      longitude: c.longitude,
      accuracy: finiteOrNull(c.accuracy),
      speed: finiteOrNull(c.speed),
      heading: finiteOrNull(c.heading),
      altitude: finiteOrNull(c.altitude),
    },
    timestamp: Math.round(position.timestamp),
  }
}

/** Battery level clamped to 0..1, or null when unknown. */
export function batteryLevel(level: number | null | undefined): number | null {
  const value = finiteOrNull(level)
  return value === null ? null : Math.min(1, Math.max(0, value))
}

export function positionPayload(fix: Fix, identifier: string, battery: number | null): PositionPayload {
  return { identifier, coords: { ...fix.coords }, timestamp: fix.timestamp, battery: batteryLevel(battery) }
}

// ---- GPS quality indicator -------------------------------------------------------------------

/**
 * `good`: accuracy ≤ 20 m; `fair`: ≤ 100 m; `poor`: worse, or unknown accuracy; `none`: no fix
 * yet, the last fix is older than `STALE_FIX_MS`, the device has no position, or GPS is off
 * (off duty); `denied`: the user refused location access.
 */
export type GpsQuality = 'good' | 'fair' | 'poor' | 'none' | 'denied'

export const GPS_GOOD_M = 20
export const GPS_FAIR_M = 100
/** A fix older than this no longer counts for the indicator. */
export const STALE_FIX_MS = 60000

export type GpsProblem = 'denied' | 'unavailable' | 'unsupported' | null

export function classifyGps(input: {
  accuracy: number | null | undefined
  /** Age of the last fix in ms, or null when there is none. */
  fixAgeMs: number | null
  problem?: GpsProblem
}): GpsQuality {
  if (input.problem === 'denied') return 'denied'
  if (input.fixAgeMs === null || input.fixAgeMs > STALE_FIX_MS) return 'none'
  const accuracy = finiteOrNull(input.accuracy)
  if (accuracy === null) return 'poor'
  if (accuracy <= GPS_GOOD_M) return 'good'
  if (accuracy <= GPS_FAIR_M) return 'fair'
  return 'poor'
}

/** The `GeolocationPositionError` code as a problem (1 denied, 2 unavailable, 3 timeout). */
export function problemOfError(code: number): GpsProblem {
  if (code === 1) return 'denied'
  if (code === 2) return 'unavailable'
  return null // a timeout: the watch keeps trying
}
