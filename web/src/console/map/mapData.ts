/**
 * The map page's data logic, kept free of MapLibre so it can be tested: which datum the map is
 * drawn in, loading areas and road segments for the current view (debounced, stale requests
 * aborted, no refetch while the view stays inside what was loaded), nearest road and route.
 *
 * "Display" coordinates are what the map shows: WGS-84, or GCJ-02 when the configured tiles are
 * Amap-style. The API always speaks WGS-84; conversions happen here and only here.
 */
import type { FeatureCollection, GeoJSON, LineString, Point } from 'geojson'
import { ApiError } from '@/shared/api'
import { geoApi, roadsApi, type AreaCollection, type RoadSegmentCollection } from '@/shared/endpoints'
import { gcj02ToWgs84, wgs84ToGcj02 } from '@/shared/geo/coords'
import {
  bboxContains,
  clampBBox,
  mapBBox,
  mapPositions,
  padBBox,
  polygonLabelPoints,
} from '@/shared/geo/geojson'
import type {
  AreaProperties,
  BBox,
  CoordSystem,
  GeoConfig,
  LonLat,
  NearestSegment,
  RouteResult,
} from '@/shared/types'

export const NO_SEGMENT_NEARBY = 'geo.no_segment_nearby'

/** Converts between WGS-84 (the API) and what the map displays. */
export interface DisplayProjection {
  readonly system: CoordSystem
  toDisplay(p: LonLat): LonLat
  toWgs84(p: LonLat): LonLat
  /** GeoJSON from the API (WGS-84), ready for the map. */
  geojsonToDisplay<T extends GeoJSON>(value: T): T
  bboxToDisplay(b: BBox): BBox
  bboxToWgs84(b: BBox): BBox
}

const identity = (p: LonLat): LonLat => [p[0], p[1]]

export function displayProjection(system: CoordSystem): DisplayProjection {
  if (system === 'gcj02') {
    return {
      system,
      toDisplay: wgs84ToGcj02,
      toWgs84: gcj02ToWgs84,
      geojsonToDisplay: (value) => mapPositions(value, wgs84ToGcj02),
      bboxToDisplay: (b) => mapBBox(b, wgs84ToGcj02),
      bboxToWgs84: (b) => mapBBox(b, gcj02ToWgs84),
    }
  }
  return {
    system,
    toDisplay: identity,
    toWgs84: identity,
    geojsonToDisplay: (value) => value,
    bboxToDisplay: (b) => [...b] as BBox,
    bboxToWgs84: (b) => [...b] as BBox,
  }
}

/** The datum the map must be drawn in for this configuration. */
export function displaySystemOf(config: GeoConfig): CoordSystem {
  return config.tile_source?.coord_system === 'gcj02' ? 'gcj02' : 'wgs84'
}

/** Where the loaded data goes (the map's GeoJSON sources). */
export interface MapDataSink {
  setRoads(roads: RoadSegmentCollection): void
  /** The areas and one label point per area, both in display coordinates. */
  setAreas(areas: AreaCollection, labels: FeatureCollection<Point, AreaProperties>): void
}

export interface MapDataOptions {
  /** Wait this long after the last view change before loading (ms). */
  debounceMs?: number
  /** Load this fraction more than the view on every side, so small pans need no refetch. */
  padding?: number
  /** A load failed (not called for aborted loads). */
  onError?: (error: unknown) => void
  /** A segment load started (true) or settled (false). */
  onLoading?: (loading: boolean) => void
}

export interface LoadedView {
  bbox: BBox
  zoom: number
  count: number
}

/** Rounds outward to 6 decimals (~0.1 m), so query strings stay short and stable. */
function roundBBoxOutward(b: BBox): BBox {
  const f = 1e6
  return [Math.floor(b[0] * f) / f, Math.floor(b[1] * f) / f, Math.ceil(b[2] * f) / f, Math.ceil(b[3] * f) / f]
}

function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError'
}

/** What a click on the map tells: where it was in both datums and the nearest road. */
export interface ClickInfo {
  wgs84: LonLat
  gcj02: LonLat
  nearest: NearestSegment | null
  /** The nearest point on the road, in display coordinates (for the marker). */
  snappedDisplay: LonLat | null
}

export interface RouteInfo {
  result: RouteResult
  /** The route line in display coordinates. */
  displayGeometry: LineString
}

export class MapData {
  readonly projection: DisplayProjection
  private readonly sink: MapDataSink
  private readonly debounceMs: number
  private readonly padding: number
  private readonly onError?: (error: unknown) => void
  private readonly onLoading?: (loading: boolean) => void

  private pending: { bbox: BBox; zoom: number } | null = null
  private timer: ReturnType<typeof setTimeout> | null = null
  private controller: AbortController | null = null
  private clickController: AbortController | null = null
  private disposed = false
  /** The last successful segment load, in WGS-84 (the padded box that was asked for). */
  loaded: LoadedView | null = null

  constructor(system: CoordSystem, sink: MapDataSink, options: MapDataOptions = {}) {
    this.projection = displayProjection(system)
    this.sink = sink
    this.debounceMs = options.debounceMs ?? 250
    this.padding = options.padding ?? 0.25
    this.onError = options.onError
    this.onLoading = options.onLoading
  }

  /** Loads the administrative areas once. */
  async loadAreas(): Promise<AreaCollection> {
    const areas = await roadsApi.areas()
    const display = this.projection.geojsonToDisplay(areas)
    if (!this.disposed) this.sink.setAreas(display, polygonLabelPoints(display))
    return display
  }

  /**
   * The view changed (display bbox and zoom, e.g. on `moveend`): load its segments after the
   * debounce, unless what is loaded already covers it at the same zoom.
   */
  viewChanged(displayBBox: BBox, zoom: number): void {
    if (this.disposed) return
    this.pending = { bbox: displayBBox, zoom }
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.timer = null
      void this.flush()
    }, this.debounceMs)
  }

  /** Loads the pending view now (skipping the debounce); resolves when that load settles. */
  async flush(): Promise<void> {
    if (this.timer !== null) {
      clearTimeout(this.timer)
      this.timer = null
    }
    const view = this.pending
    this.pending = null
    if (!view || this.disposed) return

    const zoom = Math.max(0, Math.round(view.zoom))
    const wanted = clampBBox(this.projection.bboxToWgs84(view.bbox))
    if (this.loaded && this.loaded.zoom === zoom && bboxContains(this.loaded.bbox, wanted)) return
    const bbox = roundBBoxOutward(padBBox(wanted, this.padding))

    this.controller?.abort()
    const controller = new AbortController()
    this.controller = controller
    this.onLoading?.(true)
    try {
      const roads = await roadsApi.segments(bbox, zoom, { signal: controller.signal })
      if (controller.signal.aborted || this.disposed) return
      this.sink.setRoads(this.projection.geojsonToDisplay(roads))
      this.loaded = { bbox, zoom, count: roads.features.length }
    } catch (error) {
      if (isAbort(error) || controller.signal.aborted || this.disposed) return
      this.onError?.(error)
    } finally {
      if (this.controller === controller) {
        this.controller = null
        this.onLoading?.(false)
      }
    }
  }

  /** Forgets what is loaded, so the next view change loads again (e.g. after a network change). */
  invalidate(): void {
    this.loaded = null
  }

  /**
   * The nearest road to a clicked point (display coordinates). A point with no road nearby gives
   * `nearest: null`; other errors are thrown. A newer click cancels an older one still loading.
   */
  async describeClick(display: LonLat): Promise<ClickInfo> {
    const wgs84 = this.projection.toWgs84(display)
    const gcj02 = wgs84ToGcj02(wgs84)
    this.clickController?.abort()
    const controller = new AbortController()
    this.clickController = controller
    try {
      const nearest = await geoApi.nearestSegment(wgs84, { signal: controller.signal })
      return { wgs84, gcj02, nearest, snappedDisplay: this.projection.toDisplay(nearest.point) }
    } catch (error) {
      if (error instanceof ApiError && error.code === NO_SEGMENT_NEARBY) {
        return { wgs84, gcj02, nearest: null, snappedDisplay: null }
      }
      throw error
    } finally {
      if (this.clickController === controller) this.clickController = null
    }
  }

  /** The fastest route between two display points; throws `geo.no_route` as an ApiError. */
  async route(fromDisplay: LonLat, toDisplay: LonLat): Promise<RouteInfo> {
    const result = await geoApi.route(this.projection.toWgs84(fromDisplay), this.projection.toWgs84(toDisplay))
    return { result, displayGeometry: this.projection.geojsonToDisplay(result.geometry) }
  }

  dispose(): void {
    this.disposed = true
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
    this.controller?.abort()
    this.clickController?.abort()
  }
}
