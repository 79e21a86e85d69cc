import { describe, expect, it, vi } from 'vitest'
import {
  MAX_INTERPOLATION_GAP_MS,
  ReplayClock,
  buildTimeline,
  defaultReplayRange,
  positionAt,
  timelineGeoJSON,
} from '@/console/live/replay'
import { trackingApi } from '@/shared/endpoints'
import type { TrackPoint } from '@/shared/types'

const T0 = Date.parse('2026-11-26T08:00:00Z')
const iso = (ms: number) => new Date(ms).toISOString()

function pt(seconds: number, lon: number, lat: number, speed: number | null = null): TrackPoint {
  return { ts: iso(T0 + seconds * 1000), lon, lat, speed_kmh: speed, heading: null, accuracy_m: 5 }
}

// East along a parallel, then a 10-minute gap, then north.
const POINTS = [pt(0, 108.7, 30.9, 36), pt(10, 108.701, 30.9, 36), pt(20, 108.702, 30.9, 0), pt(620, 108.702, 30.901, 20)]

describe('buildTimeline', () => {
  it('keeps valid points in time order with distances along the path', () => {
    const tl = buildTimeline([...POINTS, pt(20, 1, 1), { ...pt(30, 0, 0), ts: 'bad' }])!
    expect(tl.points).toHaveLength(4)
    expect(tl.start).toBe(T0)
    expect(tl.end).toBe(T0 + 620_000)
    expect(tl.distances[1]).toBeCloseTo(95.5, 0) // 0.001° of longitude at 30.9° N
    expect(tl.length).toBeCloseTo(95.5 * 2 + 111.2, 0)
  })

  it('is null without points', () => {
    expect(buildTimeline([])).toBeNull()
  })
})

describe('positionAt', () => {
  const tl = buildTimeline(POINTS)!

  it('is exact at the fixes and interpolated between them', () => {
    expect(positionAt(tl, T0)).toMatchObject({ lon: 108.7, lat: 30.9, index: 0, progress: 0 })
    const mid = positionAt(tl, T0 + 5000)
    expect(mid.lon).toBeCloseTo(108.7005, 9)
    expect(mid.lat).toBeCloseTo(30.9, 9)
    expect(mid.index).toBe(0)
    expect(mid.speed_kmh).toBeCloseTo(36)
    expect(mid.heading).toBeCloseTo(90, 0)
    const later = positionAt(tl, T0 + 17500)
    expect(later.lon).toBeCloseTo(108.70175, 9)
    expect(later.speed_kmh).toBeCloseTo(9) // 36 → 0 km/h, three quarters of the way
  })

  it('clamps to the track', () => {
    expect(positionAt(tl, T0 - 60_000)).toMatchObject({ lon: 108.7, t: T0 })
    expect(positionAt(tl, T0 + 3_600_000)).toMatchObject({ lon: 108.702, lat: 30.901, t: tl.end, progress: 1, index: 3 })
  })

  it('waits at the last fix through a long gap instead of gliding across it', () => {
    expect(620_000 - 20_000).toBeGreaterThan(MAX_INTERPOLATION_GAP_MS)
    const inGap = positionAt(tl, T0 + 300_000)
    expect(inGap).toMatchObject({ lon: 108.702, lat: 30.9, index: 2, inGap: true })
    expect(inGap.speed_kmh).toBeNull()
  })

  it('computes speed from the fixes when the points have none', () => {
    const bare = buildTimeline([pt(0, 108.7, 30.9), pt(10, 108.701, 30.9)])!
    expect(positionAt(bare, T0 + 5000).speed_kmh).toBeCloseTo(34.4, 0) // 95.5 m in 10 s
  })

  it('covers the path by distance', () => {
    const p = positionAt(tl, T0 + 10_000)
    expect(p.progress).toBeCloseTo(95.5 / tl.length, 3)
  })
})

describe('ReplayClock', () => {
  it('plays at the chosen speed, pauses, seeks and stops at the end', () => {
    let wall = 0
    const clock = new ReplayClock(T0, T0 + 600_000, () => wall)
    expect(clock.t).toBe(T0)
    clock.setSpeed(10)
    clock.play()
    wall = 1000
    expect(clock.tick()).toBe(T0 + 10_000)
    clock.setSpeed(60)
    wall = 2000
    expect(clock.tick()).toBe(T0 + 70_000)
    clock.pause()
    wall = 9000
    expect(clock.tick()).toBe(T0 + 70_000)
    clock.seek(T0 + 590_000)
    clock.play()
    wall = 10_000
    expect(clock.tick()).toBe(T0 + 600_000)
    expect(clock.playing).toBe(false)
    // Play again from the end restarts.
    clock.play()
    expect(clock.t).toBe(T0)
    clock.seek(T0 - 5)
    expect(clock.t).toBe(T0)
  })
})

describe('replay helpers', () => {
  it('defaults to the last two hours', () => {
    const [start, end] = defaultReplayRange(T0)
    expect(end.getTime() - start.getTime()).toBe(2 * 3600 * 1000)
    expect(end.getTime()).toBe(T0)
  })

  it('draws the path with its start and end', () => {
    const fc = timelineGeoJSON(buildTimeline(POINTS)!)
    expect(fc.features.map((f) => f.properties?.role)).toEqual(['path', 'start', 'end'])
    expect(fc.features[0]!.geometry).toMatchObject({ type: 'LineString' })
    expect((fc.features[0]!.geometry as { coordinates: unknown[] }).coordinates).toHaveLength(4)
    const single = timelineGeoJSON(buildTimeline([POINTS[0]!])!)
    expect(single.features.map((f) => f.properties?.role)).toEqual(['start', 'end'])
  })

  it('builds GPX and GeoJSON download links for the same range', () => {
    const start = new Date('2026-11-26T08:00:00Z')
    const end = new Date('2026-11-26T10:00:00Z')
    const gpx = trackingApi.trackExportUrl(17, 'gpx', start, end)
    const geojson = trackingApi.trackExportUrl(17, 'geojson', start, end)
    expect(gpx).toBe('/api/tracking/people/17/track.gpx?start=2026-11-26T08%3A00%3A00.000Z&end=2026-11-26T10%3A00%3A00.000Z')
    const url = new URL(geojson, 'http://x')
    expect(url.pathname).toBe('/api/tracking/people/17/track.geojson')
    expect(url.searchParams.get('start')).toBe('2026-11-26T08:00:00.000Z')
    expect(url.searchParams.get('end')).toBe('2026-11-26T10:00:00.000Z')
  })

  it('asks for the track of the range', async () => {
    const fetchImpl = vi.spyOn(globalThis, 'fetch').mockResolvedValue(
      new Response(JSON.stringify({ person_id: 17, points: [] }), { headers: { 'content-type': 'application/json' } }),
    )
    await trackingApi.track(17, new Date('2026-11-26T08:00:00Z'), new Date('2026-11-26T10:00:00Z'))
    expect(String(fetchImpl.mock.calls[0]![0])).toBe(
      '/api/tracking/people/17/track?start=2026-11-26T08%3A00%3A00.000Z&end=2026-11-26T10%3A00%3A00.000Z',
    )
  })
})
