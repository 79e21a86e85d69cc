import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ApiError } from '@/shared/api'
import { geoApi, roadsApi, type AreaCollection, type RoadSegmentCollection } from '@/shared/endpoints'
import { gcj02ToWgs84, haversineMeters, wgs84ToGcj02 } from '@/shared/geo/coords'
import type { BBox, GeoConfig, LonLat, RasterTileSource } from '@/shared/types'
import { MapData, displaySystemOf, type MapDataSink } from '@/console/map/mapData'

vi.mock('@/shared/endpoints', () => ({
  roadsApi: { segments: vi.fn(), areas: vi.fn() },
  geoApi: { config: vi.fn(), nearestSegment: vi.fn(), route: vi.fn() },
}))

const segments = vi.mocked(roadsApi.segments)
const areasCall = vi.mocked(roadsApi.areas)
const nearest = vi.mocked(geoApi.nearestSegment)
const routeCall = vi.mocked(geoApi.route)

const VIEW: BBox = [108.68, 30.92, 108.72, 30.94]

function roadsAt(...points: LonLat[]): RoadSegmentCollection {
  return {
    type: 'FeatureCollection',
    features: [
      {
        type: 'Feature',
        properties: {
          id: 7,
          road_id: 3,
          name: '滨江大道',
          highway: 'primary',
          oneway: 'no',
          maxspeed_kmh: 50,
          lanes: 4,
          length_m: 120,
        },
        geometry: { type: 'LineString', coordinates: points },
      },
    ],
  }
}

const AREAS: AreaCollection = {
  type: 'FeatureCollection',
  features: [
    {
      type: 'Feature',
      properties: { id: 1, name: '青龙街道', kind: 'subdistrict', admin_level: 8 },
      geometry: {
        type: 'Polygon',
        coordinates: [[[108.6, 30.9], [108.8, 30.9], [108.8, 31], [108.6, 31], [108.6, 30.9]]],
      },
    },
  ],
}

function sink() {
  return { setRoads: vi.fn(), setAreas: vi.fn() } satisfies MapDataSink
}

/** A promise we settle by hand, for requests still in flight. */
function deferred<T>() {
  let resolve!: (value: T) => void
  let reject!: (reason: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

beforeEach(() => {
  vi.useFakeTimers()
  segments.mockReset()
  areasCall.mockReset()
  nearest.mockReset()
  routeCall.mockReset()
})

afterEach(() => {
  vi.useRealTimers()
})

describe('displaySystemOf', () => {
  const base: GeoConfig = {
    center: [108.7, 30.93],
    zoom: 13,
    bounds: null,
    network_label: null,
    tile_source: null,
  }
  const tiles = (coord_system: 'wgs84' | 'gcj02'): RasterTileSource => ({
    kind: 'raster',
    tiles: ['https://t.example/{z}/{x}/{y}.png'],
    tile_size: 256,
    attribution: '',
    max_zoom: 18,
    coord_system,
  })

  it('draws in GCJ-02 only under GCJ-02 tiles', () => {
    expect(displaySystemOf(base)).toBe('wgs84')
    expect(displaySystemOf({ ...base, tile_source: tiles('wgs84') })).toBe('wgs84')
    expect(displaySystemOf({ ...base, tile_source: tiles('gcj02') })).toBe('gcj02')
  })
})

describe('segment loading', () => {
  it('debounces view changes into one request for the padded view at a whole zoom', async () => {
    segments.mockResolvedValue(roadsAt([108.7, 30.93], [108.71, 30.93]))
    const out = sink()
    const data = new MapData('wgs84', out, { debounceMs: 200, padding: 0.25 })

    data.viewChanged([100, 20, 101, 21], 9)
    data.viewChanged(VIEW, 13.4)
    expect(segments).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(200)

    expect(segments).toHaveBeenCalledTimes(1)
    const [bbox, zoom, options] = segments.mock.calls[0]!
    expect(zoom).toBe(13)
    expect(bbox[0]).toBeCloseTo(108.67, 6)
    expect(bbox[1]).toBeCloseTo(30.915, 6)
    expect(bbox[2]).toBeCloseTo(108.73, 6)
    expect(bbox[3]).toBeCloseTo(30.945, 6)
    expect(options?.signal).toBeInstanceOf(AbortSignal)
    expect(out.setRoads).toHaveBeenCalledTimes(1)
    expect(data.loaded?.count).toBe(1)
  })

  it('does not refetch while the view stays inside what was loaded at the same zoom', async () => {
    segments.mockResolvedValue(roadsAt([108.7, 30.93], [108.71, 30.93]))
    const data = new MapData('wgs84', sink(), { debounceMs: 10 })
    data.viewChanged(VIEW, 13)
    await data.flush()
    expect(segments).toHaveBeenCalledTimes(1)

    // A small pan: still inside the padded box.
    data.viewChanged([108.685, 30.921, 108.725, 30.941], 13.2)
    await data.flush()
    expect(segments).toHaveBeenCalledTimes(1)

    // Zooming in: the server simplifies by zoom, so load again.
    data.viewChanged(VIEW, 15)
    await data.flush()
    expect(segments).toHaveBeenCalledTimes(2)

    // Panning far away.
    data.viewChanged([109, 31, 109.04, 31.02], 15)
    await data.flush()
    expect(segments).toHaveBeenCalledTimes(3)

    // After invalidate(), the same view loads again.
    data.invalidate()
    data.viewChanged([109, 31, 109.04, 31.02], 15)
    await data.flush()
    expect(segments).toHaveBeenCalledTimes(4)
  })

  it('aborts a stale request and ignores its late answer', async () => {
    const first = deferred<RoadSegmentCollection>()
    const second = deferred<RoadSegmentCollection>()
    segments.mockReturnValueOnce(first.promise).mockReturnValueOnce(second.promise)
    const out = sink()
    const loading: boolean[] = []
    const data = new MapData('wgs84', out, { onLoading: (v) => loading.push(v) })

    data.viewChanged(VIEW, 12)
    const p1 = data.flush()
    data.viewChanged([109, 31, 109.04, 31.02], 12)
    const p2 = data.flush()

    const signal1 = segments.mock.calls[0]![2]!.signal!
    expect(signal1.aborted).toBe(true)
    second.resolve(roadsAt([109.01, 31.01], [109.02, 31.01]))
    first.resolve(roadsAt([108.7, 30.93], [108.71, 30.93]))
    await Promise.all([p1, p2])

    expect(out.setRoads).toHaveBeenCalledTimes(1)
    expect(out.setRoads.mock.calls[0]![0].features[0].geometry.coordinates[0]).toEqual([109.01, 31.01])
    expect(loading).toEqual([true, true, false])
  })

  it('reports errors (not aborts) and retries the same view next time', async () => {
    const onError = vi.fn()
    const failure = new ApiError(500, 'http_500', null, null)
    segments.mockRejectedValueOnce(failure).mockResolvedValueOnce(roadsAt([108.7, 30.93], [108.71, 30.93]))
    const out = sink()
    const data = new MapData('wgs84', out, { onError })

    data.viewChanged(VIEW, 12)
    await data.flush()
    expect(onError).toHaveBeenCalledWith(failure)
    expect(data.loaded).toBeNull()

    data.viewChanged(VIEW, 12)
    await data.flush()
    expect(segments).toHaveBeenCalledTimes(2)
    expect(out.setRoads).toHaveBeenCalledTimes(1)
  })

  it('under GCJ-02 tiles asks for the WGS-84 box and hands the map shifted roads', async () => {
    const wgsLine: LonLat[] = [[108.7, 30.93], [108.71, 30.93]]
    segments.mockResolvedValue(roadsAt(...wgsLine))
    const out = sink()
    const data = new MapData('gcj02', out, { padding: 0 })
    // The map shows GCJ-02: its view box is the WGS-84 view shifted.
    const displayView: BBox = [...wgs84ToGcj02([108.68, 30.92]), ...wgs84ToGcj02([108.72, 30.94])]
    data.viewChanged(displayView, 14)
    await data.flush()

    // The display box's four corners converted back: it covers the WGS-84 view, give or take the
    // few metres by which the offset varies across it.
    const [bbox] = segments.mock.calls[0]!
    expect(haversineMeters([bbox[0], bbox[1]], [108.68, 30.92])).toBeLessThan(20)
    expect(haversineMeters([bbox[2], bbox[3]], [108.72, 30.94])).toBeLessThan(20)
    expect(bbox[0]).toBeLessThanOrEqual(108.68 + 1e-6)
    expect(bbox[3]).toBeGreaterThanOrEqual(30.94 - 1e-6)

    const shown = out.setRoads.mock.calls[0]![0] as RoadSegmentCollection
    expect(shown.features[0]!.geometry.coordinates[0]).toEqual(wgs84ToGcj02(wgsLine[0]!))
    expect(shown.features[0]!.properties.name).toBe('滨江大道')
  })

  it('stops after dispose: a pending view change never loads', async () => {
    const data = new MapData('wgs84', sink(), { debounceMs: 50 })
    data.viewChanged(VIEW, 12)
    data.dispose()
    await vi.advanceTimersByTimeAsync(100)
    expect(segments).not.toHaveBeenCalled()
  })
})

describe('areas', () => {
  it('hands the map the areas and one label point each, shifted when needed', async () => {
    areasCall.mockResolvedValue(AREAS)
    const out = sink()
    await new MapData('gcj02', out).loadAreas()
    const [areas, labels] = out.setAreas.mock.calls[0]!
    expect(areas.features[0].geometry.coordinates[0][0]).toEqual(wgs84ToGcj02([108.6, 30.9]))
    expect(labels.features).toHaveLength(1)
    expect(labels.features[0].properties.name).toBe('青龙街道')
    expect(labels.features[0].geometry.type).toBe('Point')
  })
})

describe('clicks and routes', () => {
  it('describes a click: both datums and the nearest road', async () => {
    nearest.mockResolvedValue({
      segment_id: 7,
      road_id: 3,
      name: '滨江大道',
      highway: 'primary',
      distance_m: 12.5,
      point: [108.7001, 30.9301],
      fraction: 0.4,
    })
    const data = new MapData('wgs84', sink())
    const info = await data.describeClick([108.7, 30.93])
    expect(nearest.mock.calls[0]![0]).toEqual([108.7, 30.93])
    expect(info.wgs84).toEqual([108.7, 30.93])
    expect(info.gcj02).toEqual(wgs84ToGcj02([108.7, 30.93]))
    expect(info.nearest?.name).toBe('滨江大道')
    expect(info.snappedDisplay).toEqual([108.7001, 30.9301])
  })

  it('under GCJ-02 tiles converts the click back to WGS-84 before asking', async () => {
    nearest.mockResolvedValue({
      segment_id: 7,
      road_id: 3,
      name: null,
      highway: 'residential',
      distance_m: 3,
      point: [108.7, 30.93],
      fraction: 0,
    })
    const data = new MapData('gcj02', sink())
    const display = wgs84ToGcj02([108.7, 30.93])
    const info = await data.describeClick(display)
    const asked = nearest.mock.calls[0]![0]
    expect(haversineMeters(asked, [108.7, 30.93])).toBeLessThan(0.01)
    expect(info.gcj02).toEqual(wgs84ToGcj02(gcj02ToWgs84(display)))
    expect(haversineMeters(info.snappedDisplay!, display)).toBeLessThan(0.01)
  })

  it('turns "no road nearby" into nearest: null and rethrows other errors', async () => {
    const data = new MapData('wgs84', sink())
    nearest.mockRejectedValueOnce(
      new ApiError(404, 'geo.no_segment_nearby', { zh: '附近没有道路', en: 'No road nearby' }, null),
    )
    const info = await data.describeClick([24.94, 60.17])
    expect(info.nearest).toBeNull()
    expect(info.gcj02).toEqual([24.94, 60.17])

    const boom = new ApiError(500, 'http_500', null, null)
    nearest.mockRejectedValueOnce(boom)
    await expect(data.describeClick([24.94, 60.17])).rejects.toBe(boom)
  })

  it('routes between display points in WGS-84 and returns the line for display', async () => {
    routeCall.mockResolvedValue({
      seconds: 300,
      meters: 2500,
      geometry: { type: 'LineString', coordinates: [[108.7, 30.93], [108.72, 30.94]] },
      segment_ids: [1, 2],
    })
    const data = new MapData('gcj02', sink())
    const from = wgs84ToGcj02([108.7, 30.93])
    const to = wgs84ToGcj02([108.72, 30.94])
    const info = await data.route(from, to)
    const [askedFrom, askedTo] = routeCall.mock.calls[0]!
    expect(haversineMeters(askedFrom, [108.7, 30.93])).toBeLessThan(0.01)
    expect(haversineMeters(askedTo, [108.72, 30.94])).toBeLessThan(0.01)
    expect(info.result.meters).toBe(2500)
    expect(info.displayGeometry.coordinates[1]).toEqual(to)
  })
})
