/**
 * Small GeoJSON helpers: transform every position (e.g. WGS-84 → GCJ-02 for Amap-style tiles),
 * bounding boxes. Plain functions on plain objects; the input is never modified.
 */
import type {
  Feature,
  FeatureCollection,
  GeoJSON,
  GeoJsonProperties,
  Geometry,
  MultiPolygon,
  Point,
  Polygon,
  Position,
} from 'geojson'
import type { BBox } from '../types'
import { wgs84ToGcj02, type Position2 } from './coords'

export type PositionTransform = (p: Position2) => Position2

function mapPosition(p: Position, fn: PositionTransform): Position {
  const [x, y] = fn([p[0]!, p[1]!])
  // Keep any altitude the source had.
  return p.length > 2 ? [x, y, ...p.slice(2)] : [x, y]
}

function mapGeometry<G extends Geometry>(geometry: G, fn: PositionTransform): G {
  switch (geometry.type) {
    case 'Point':
      return { ...geometry, coordinates: mapPosition(geometry.coordinates, fn) }
    case 'MultiPoint':
    case 'LineString':
      return { ...geometry, coordinates: geometry.coordinates.map((p) => mapPosition(p, fn)) }
    case 'MultiLineString':
    case 'Polygon':
      return {
        ...geometry,
        coordinates: geometry.coordinates.map((ring) => ring.map((p) => mapPosition(p, fn))),
      }
    case 'MultiPolygon':
      return {
        ...geometry,
        coordinates: geometry.coordinates.map((poly) =>
          poly.map((ring) => ring.map((p) => mapPosition(p, fn))),
        ),
      }
    case 'GeometryCollection':
      return { ...geometry, geometries: geometry.geometries.map((g) => mapGeometry(g, fn)) }
    default:
      return geometry
  }
}

/**
 * A copy of `value` with every position passed through `fn`. A `bbox` member is dropped (it would
 * no longer be true); properties are shared with the input, not copied.
 */
export function mapPositions<T extends GeoJSON>(value: T, fn: PositionTransform): T {
  if (value.type === 'FeatureCollection') {
    const { bbox: _bbox, ...rest } = value as FeatureCollection
    return { ...rest, features: rest.features.map((f) => mapPositions(f, fn)) } as T
  }
  if (value.type === 'Feature') {
    const { bbox: _bbox, ...rest } = value as Feature
    return { ...rest, geometry: rest.geometry && mapGeometry(rest.geometry, fn) } as T
  }
  const { bbox: _bbox, ...geometry } = value as Geometry
  return mapGeometry(geometry as Geometry, fn) as T
}

/** WGS-84 GeoJSON shifted to GCJ-02 (points outside China are unchanged). */
export function toGcj02<T extends GeoJSON>(value: T): T {
  return mapPositions(value, wgs84ToGcj02)
}

function visitPositions(value: GeoJSON, visit: (p: Position) => void): void {
  switch (value.type) {
    case 'FeatureCollection':
      value.features.forEach((f) => visitPositions(f, visit))
      return
    case 'Feature':
      if (value.geometry) visitPositions(value.geometry, visit)
      return
    case 'GeometryCollection':
      value.geometries.forEach((g) => visitPositions(g, visit))
      return
    case 'Point':
      visit(value.coordinates)
      return
    case 'MultiPoint':
    case 'LineString':
      value.coordinates.forEach(visit)
      return
    case 'MultiLineString':
    case 'Polygon':
      value.coordinates.forEach((ring) => ring.forEach(visit))
      return
    case 'MultiPolygon':
      value.coordinates.forEach((poly) => poly.forEach((ring) => ring.forEach(visit)))
      return
  }
}

/** The bounding box of every position in `value`, or null when it has none. */
export function bboxOf(value: GeoJSON): BBox | null {
  let minX = Infinity
  let minY = Infinity
  let maxX = -Infinity
  let maxY = -Infinity
  visitPositions(value, (p) => {
    const x = p[0]!
    const y = p[1]!
    if (x < minX) minX = x
    if (y < minY) minY = y
    if (x > maxX) maxX = x
    if (y > maxY) maxY = y
  })
  return minX <= maxX ? [minX, minY, maxX, maxY] : null
}

/** `bbox` limited to valid longitudes and latitudes (a map view can extend past ±180°). */
export function clampBBox(bbox: BBox): BBox {
  return [Math.max(-180, bbox[0]), Math.max(-90, bbox[1]), Math.min(180, bbox[2]), Math.min(90, bbox[3])]
}

/** `bbox` grown by `fraction` of its size on every side, clamped to valid lon/lat. */
export function padBBox(bbox: BBox, fraction: number): BBox {
  const dx = (bbox[2] - bbox[0]) * fraction
  const dy = (bbox[3] - bbox[1]) * fraction
  return clampBBox([bbox[0] - dx, bbox[1] - dy, bbox[2] + dx, bbox[3] + dy])
}

/** True when `inner` lies entirely inside `outer`. */
export function bboxContains(outer: BBox, inner: BBox): boolean {
  return inner[0] >= outer[0] && inner[1] >= outer[1] && inner[2] <= outer[2] && inner[3] <= outer[3]
}

/** A bbox's four corners through `fn`, as the bbox that contains them all. */
export function mapBBox(bbox: BBox, fn: PositionTransform): BBox {
  const corners: Position2[] = [
    fn([bbox[0], bbox[1]]),
    fn([bbox[0], bbox[3]]),
    fn([bbox[2], bbox[1]]),
    fn([bbox[2], bbox[3]]),
  ]
  const xs = corners.map((c) => c[0])
  const ys = corners.map((c) => c[1])
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)]
}

type Ring = Position[]

/** Twice the signed area and the area-weighted centroid of a closed ring (shoelace formula). */
function ringCentroid(ring: Ring): { area2: number; x: number; y: number } {
  let area2 = 0
  let cx = 0
  let cy = 0
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
    const [x0, y0] = [ring[j]![0]!, ring[j]![1]!]
    const [x1, y1] = [ring[i]![0]!, ring[i]![1]!]
    const cross = x0 * y1 - x1 * y0
    area2 += cross
    cx += (x0 + x1) * cross
    cy += (y0 + y1) * cross
  }
  if (area2 === 0) return { area2: 0, x: ring[0]?.[0] ?? 0, y: ring[0]?.[1] ?? 0 }
  return { area2, x: cx / (3 * area2), y: cy / (3 * area2) }
}

/** Even-odd point-in-polygon test over all rings (outer ring and holes). */
function insidePolygon(x: number, y: number, rings: Ring[]): boolean {
  let inside = false
  for (const ring of rings) {
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
      const xi = ring[i]![0]!
      const yi = ring[i]![1]!
      const xj = ring[j]![0]!
      const yj = ring[j]![1]!
      if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside
    }
  }
  return inside
}

/**
 * A point inside a polygon for its label: the centroid when it falls inside, otherwise the middle
 * of the widest stretch of the horizontal line through the centroid that lies inside (so C- and
 * U-shaped areas get their label on the area, not beside it).
 */
export function polygonLabelPoint(rings: Ring[]): Position2 | null {
  const outer = rings[0]
  if (!outer || outer.length < 3) return null
  const c = ringCentroid(outer)
  if (insidePolygon(c.x, c.y, rings)) return [c.x, c.y]
  const xs: number[] = []
  for (const ring of rings) {
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
      const yi = ring[i]![1]!
      const yj = ring[j]![1]!
      if (yi > c.y !== yj > c.y) {
        const xi = ring[i]![0]!
        const xj = ring[j]![0]!
        xs.push(xi + ((c.y - yi) * (xj - xi)) / (yj - yi))
      }
    }
  }
  xs.sort((a, b) => a - b)
  let best: Position2 | null = null
  let widest = -1
  for (let k = 0; k + 1 < xs.length; k += 2) {
    const width = xs[k + 1]! - xs[k]!
    if (width > widest) {
      widest = width
      best = [(xs[k]! + xs[k + 1]!) / 2, c.y]
    }
  }
  return best ?? [outer[0]![0]!, outer[0]![1]!]
}

/**
 * One label point per (Multi)Polygon feature, with the feature's properties. A MultiPolygon is
 * labelled on its largest part. MapLibre would otherwise label every tile's piece of a polygon.
 */
export function polygonLabelPoints<P extends GeoJsonProperties>(
  collection: FeatureCollection<Polygon | MultiPolygon, P>,
): FeatureCollection<Point, P> {
  const features: Feature<Point, P>[] = []
  for (const feature of collection.features) {
    const geometry = feature.geometry
    if (!geometry) continue
    let rings: Ring[] | undefined
    if (geometry.type === 'Polygon') {
      rings = geometry.coordinates
    } else if (geometry.type === 'MultiPolygon') {
      let largest = -1
      for (const poly of geometry.coordinates) {
        const outer = poly[0]
        const area = outer ? Math.abs(ringCentroid(outer).area2) : 0
        if (area > largest) {
          largest = area
          rings = poly
        }
      }
    }
    const point = rings ? polygonLabelPoint(rings) : null
    if (!point) continue
    features.push({
      type: 'Feature',
      ...(feature.id !== undefined ? { id: feature.id } : {}),
      properties: feature.properties,
      geometry: { type: 'Point', coordinates: point },
    })
  }
  return { type: 'FeatureCollection', features }
}
