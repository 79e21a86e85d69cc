import { describe, expect, it } from 'vitest'
import {
  bd09ToGcj02,
  bd09ToWgs84,
  gcj02ToBd09,
  gcj02ToWgs84,
  haversineMeters,
  outOfChina,
  wgs84ToBd09,
  wgs84ToGcj02,
  type Position2,
} from '@/shared/geo/coords'

// reference/DOMAIN.md §4 (eviltransform's test vector), given there as (lat, lon).
const VECTOR_WGS: Position2 = [121.5272106, 31.1774276]
const VECTOR_GCJ: Position2 = [121.531541859215, 31.17530398364597]

const YUNYANG: Position2 = [108.6973, 30.9306]
const HELSINKI: Position2 = [24.9384, 60.1699]

/** A grid of points across mainland China's box (some fall in the sea; the transform still applies). */
function samplePoints(): Position2[] {
  const out: Position2[] = []
  for (let lon = 74; lon <= 134; lon += 6.37) {
    for (let lat = 4; lat <= 53; lat += 4.91) out.push([lon, lat])
  }
  return out
}

describe('WGS-84 → GCJ-02', () => {
  it('matches the reference test vector to 1e-6°', () => {
    const [lon, lat] = wgs84ToGcj02(VECTOR_WGS)
    expect(Math.abs(lon - VECTOR_GCJ[0])).toBeLessThan(1e-6)
    expect(Math.abs(lat - VECTOR_GCJ[1])).toBeLessThan(1e-6)
  })

  it('shifts Yunyang by about 500 m and BD-09 by about 1.1 km', () => {
    const gcj = haversineMeters(YUNYANG, wgs84ToGcj02(YUNYANG))
    const bd = haversineMeters(YUNYANG, wgs84ToBd09(YUNYANG))
    expect(gcj).toBeGreaterThan(450)
    expect(gcj).toBeLessThan(550)
    expect(bd).toBeGreaterThan(1000)
    expect(bd).toBeLessThan(1250)
  })

  it('passes points outside China through unchanged, in every direction', () => {
    expect(outOfChina(...HELSINKI)).toBe(true)
    expect(outOfChina(...YUNYANG)).toBe(false)
    for (const fn of [wgs84ToGcj02, gcj02ToWgs84, gcj02ToBd09, bd09ToGcj02, wgs84ToBd09, bd09ToWgs84]) {
      expect(fn(HELSINKI)).toEqual(HELSINKI)
      expect(fn([-122.4194, 37.7749])).toEqual([-122.4194, 37.7749])
    }
  })

  it('does not modify its input', () => {
    const p: Position2 = [...YUNYANG]
    wgs84ToGcj02(p)
    gcj02ToWgs84(p)
    expect(p).toEqual(YUNYANG)
  })
})

describe('inverse transforms', () => {
  it('GCJ-02 → WGS-84 recovers the test vector', () => {
    const back = gcj02ToWgs84(VECTOR_GCJ)
    expect(haversineMeters(back, VECTOR_WGS)).toBeLessThan(0.01)
  })

  it('round-trips WGS-84 → GCJ-02 → WGS-84 within 0.01 m across China', () => {
    let worst = 0
    for (const p of samplePoints()) {
      worst = Math.max(worst, haversineMeters(p, gcj02ToWgs84(wgs84ToGcj02(p))))
    }
    expect(worst).toBeLessThan(0.01)
  })

  it('round-trips GCJ-02 → BD-09 → GCJ-02 and WGS-84 → BD-09 → WGS-84 within 0.01 m', () => {
    let worst = 0
    for (const p of samplePoints()) {
      worst = Math.max(worst, haversineMeters(p, bd09ToGcj02(gcj02ToBd09(p))))
      worst = Math.max(worst, haversineMeters(p, bd09ToWgs84(wgs84ToBd09(p))))
    }
    expect(worst).toBeLessThan(0.01)
  })

  it('BD-09 applies the documented offset on top of GCJ-02', () => {
    const gcj = wgs84ToGcj02(YUNYANG)
    const bd = wgs84ToBd09(YUNYANG)
    // Baidu's constant shift is +0.0065 lon / +0.006 lat plus a small rotation term.
    expect(bd[0] - gcj[0]).toBeGreaterThan(0.005)
    expect(bd[0] - gcj[0]).toBeLessThan(0.008)
    expect(bd[1] - gcj[1]).toBeGreaterThan(0.005)
    expect(bd[1] - gcj[1]).toBeLessThan(0.008)
  })
})

describe('haversineMeters', () => {
  it('measures one degree of latitude as about 111.2 km', () => {
    expect(haversineMeters([108, 30], [108, 31])).toBeCloseTo(111195, -1)
    expect(haversineMeters(YUNYANG, YUNYANG)).toBe(0)
  })
})
