import { describe, expect, it } from 'vitest'
import {
  batteryLevel,
  classifyGps,
  fixFromGeolocation,
  positionPayload,
  problemOfError,
  shouldKeepFix,
  STALE_FIX_MS,
  THROTTLE,
  type Fix,
} from '@/officer/tracking/gps'

const T0 = 1_790_000_000_000

function fix(lat: number, lon: number, timestamp: number, accuracy: number | null = 5): Fix {
  return {
    coords: { latitude: lat, longitude: lon, accuracy, speed: null, heading: null, altitude: null },
    timestamp,
  }
}

/** About `m` metres north of `lat`. */
const north = (lat: number, m: number) => lat + m / 111_195

describe('throttling (at most one fix per 2 s unless moved more than 20 m)', () => {
  it('keeps the first fix', () => {
    expect(shouldKeepFix(null, fix(30, 114, T0))).toBe(true)
  })

  it('drops a fix less than 2 s later that moved 20 m or less', () => {
    const prev = fix(30, 114, T0)
    expect(shouldKeepFix(prev, fix(north(30, 5), 114, T0 + 1000))).toBe(false)
    expect(shouldKeepFix(prev, fix(north(30, 19.5), 114, T0 + 1999))).toBe(false)
  })

  it('keeps a fix 2 s or more later, even without moving', () => {
    const prev = fix(30, 114, T0)
    expect(shouldKeepFix(prev, fix(30, 114, T0 + THROTTLE.minIntervalMs))).toBe(true)
    expect(shouldKeepFix(prev, fix(30, 114, T0 + 60000))).toBe(true)
  })

  it('keeps a fix sooner than 2 s when the officer moved more than 20 m', () => {
    const prev = fix(30, 114, T0)
    expect(shouldKeepFix(prev, fix(north(30, 25), 114, T0 + 500))).toBe(true)
  })

  it('never keeps a fix that is not newer (browsers repeat cached fixes)', () => {
    const prev = fix(30, 114, T0)
    expect(shouldKeepFix(prev, fix(north(30, 500), 114, T0))).toBe(false)
    expect(shouldKeepFix(prev, fix(30, 114, T0 - 5000))).toBe(false)
  })

  it('never keeps an unusable fix', () => {
    expect(shouldKeepFix(null, fix(Number.NaN, 114, T0))).toBe(false)
    expect(shouldKeepFix(null, fix(91, 114, T0))).toBe(false)
    expect(shouldKeepFix(null, fix(30, 181, T0))).toBe(false)
  })
})

describe('GPS quality', () => {
  it('classifies by accuracy: ≤ 20 m good, ≤ 100 m fair, worse poor', () => {
    const q = (accuracy: number | null) => classifyGps({ accuracy, fixAgeMs: 1000 })
    expect(q(3)).toBe('good')
    expect(q(20)).toBe('good')
    expect(q(20.5)).toBe('fair')
    expect(q(100)).toBe('fair')
    expect(q(101)).toBe('poor')
    expect(q(2500)).toBe('poor')
    expect(q(null)).toBe('poor')
  })

  it('is none without a fix or with a stale one, denied when refused', () => {
    expect(classifyGps({ accuracy: 5, fixAgeMs: null })).toBe('none')
    expect(classifyGps({ accuracy: 5, fixAgeMs: STALE_FIX_MS + 1 })).toBe('none')
    expect(classifyGps({ accuracy: 5, fixAgeMs: STALE_FIX_MS })).toBe('good')
    expect(classifyGps({ accuracy: 5, fixAgeMs: 0, problem: 'denied' })).toBe('denied')
    expect(classifyGps({ accuracy: null, fixAgeMs: null, problem: 'denied' })).toBe('denied')
    expect(classifyGps({ accuracy: 5, fixAgeMs: 10, problem: 'unavailable' })).toBe('good')
  })

  it('maps GeolocationPositionError codes', () => {
    expect(problemOfError(1)).toBe('denied')
    expect(problemOfError(2)).toBe('unavailable')
    expect(problemOfError(3)).toBeNull()
  })
})

describe('position messages', () => {
  it('turns a browser position into a fix, NaN and missing values into null', () => {
    const f = fixFromGeolocation({
      coords: { latitude: 30.5, longitude: 114.3, accuracy: 12, altitude: null, speed: 0, heading: Number.NaN },
      timestamp: T0 + 0.4,
    })
    expect(f).toEqual({
      coords: { latitude: 30.5, longitude: 114.3, accuracy: 12, altitude: null, speed: 0, heading: null },
      timestamp: T0,
    })
  })

  it('builds the payload with the identifier and a battery level in 0..1', () => {
    const f = fix(30, 114, T0, 7)
    expect(positionPayload(f, 'dev-1', 0.42)).toEqual({
      identifier: 'dev-1',
      coords: f.coords,
      timestamp: T0,
      battery: 0.42,
    })
    expect(positionPayload(f, 'dev-1', null).battery).toBeNull()
    expect(batteryLevel(1.2)).toBe(1)
    expect(batteryLevel(-0.1)).toBe(0)
    expect(batteryLevel(Number.NaN)).toBeNull()
  })
})
