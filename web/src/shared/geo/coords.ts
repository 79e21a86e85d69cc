/**
 * Chinese map datums: WGS-84 (GPS, what we store), GCJ-02 (the 国测局 offset used by Amap, Tencent
 * and Google China) and BD-09 (Baidu: GCJ-02 plus a further rotation/offset).
 *
 * The forward WGS-84 → GCJ-02 transform is the public "Mars coordinates" polynomial on the
 * Krasovsky ellipsoid; it has no closed-form inverse, so GCJ-02 → WGS-84 is solved by fixed-point
 * iteration (well under a millimetre). Points outside mainland China's bounding box are not
 * shifted, in either direction. See docs: reference/DOMAIN.md §4.
 *
 * Every function takes and returns `[lon, lat]` in degrees, like GeoJSON.
 */

export type Position2 = [number, number]

/** Krasovsky 1940 semi-major axis (m) and first eccentricity squared. */
const KRASOVSKY_A = 6378245.0
const KRASOVSKY_EE = 0.00669342162296594323

/** Baidu's constant: π · 3000 / 180. */
const BD_X_PI = (Math.PI * 3000.0) / 180.0
const BD_LON_OFFSET = 0.0065
const BD_LAT_OFFSET = 0.006

/** Iterative inverses stop when the forward transform reproduces the input to this (degrees). */
const INVERSE_TOLERANCE_DEG = 1e-12
const INVERSE_MAX_ITERATIONS = 30

/**
 * True when the point is outside the box where GCJ-02 applies (lon 72.004–137.8347,
 * lat 0.8293–55.8271). Such points are the same in every datum here.
 */
export function outOfChina(lon: number, lat: number): boolean {
  return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271
}

function shiftLat(x: number, y: number): number {
  let v = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x))
  v += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0
  v += ((20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin((y / 3.0) * Math.PI)) * 2.0) / 3.0
  v += ((160.0 * Math.sin((y / 12.0) * Math.PI) + 320.0 * Math.sin((y * Math.PI) / 30.0)) * 2.0) / 3.0
  return v
}

function shiftLon(x: number, y: number): number {
  let v = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x))
  v += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0
  v += ((20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin((x / 3.0) * Math.PI)) * 2.0) / 3.0
  v += ((150.0 * Math.sin((x / 12.0) * Math.PI) + 300.0 * Math.sin((x / 30.0) * Math.PI)) * 2.0) / 3.0
  return v
}

/** The GCJ-02 offset `[dLon, dLat]` (degrees) at a WGS-84 point inside China. */
function gcjDelta(lon: number, lat: number): Position2 {
  const rawLat = shiftLat(lon - 105.0, lat - 35.0)
  const rawLon = shiftLon(lon - 105.0, lat - 35.0)
  const radLat = (lat / 180.0) * Math.PI
  const sinLat = Math.sin(radLat)
  const magic = 1 - KRASOVSKY_EE * sinLat * sinLat
  const sqrtMagic = Math.sqrt(magic)
  const dLat = (rawLat * 180.0) / (((KRASOVSKY_A * (1 - KRASOVSKY_EE)) / (magic * sqrtMagic)) * Math.PI)
  const dLon = (rawLon * 180.0) / ((KRASOVSKY_A / sqrtMagic) * Math.cos(radLat) * Math.PI)
  return [dLon, dLat]
}

export function wgs84ToGcj02([lon, lat]: Position2): Position2 {
  if (outOfChina(lon, lat)) return [lon, lat]
  const [dLon, dLat] = gcjDelta(lon, lat)
  return [lon + dLon, lat + dLat]
}

/**
 * Solves `forward(x) = target` for x by fixed-point iteration, starting at the target. Works for
 * transforms that are a small, smooth offset from the identity (both GCJ-02 and BD-09 are).
 */
function invert(forward: (p: Position2) => Position2, target: Position2): Position2 {
  let lon = target[0]
  let lat = target[1]
  for (let i = 0; i < INVERSE_MAX_ITERATIONS; i += 1) {
    const [fLon, fLat] = forward([lon, lat])
    const errLon = fLon - target[0]
    const errLat = fLat - target[1]
    lon -= errLon
    lat -= errLat
    if (Math.abs(errLon) < INVERSE_TOLERANCE_DEG && Math.abs(errLat) < INVERSE_TOLERANCE_DEG) break
  }
  return [lon, lat]
}

/** GCJ-02 → WGS-84, iterated to sub-millimetre accuracy. */
export function gcj02ToWgs84(p: Position2): Position2 {
  if (outOfChina(p[0], p[1])) return [p[0], p[1]]
  return invert(wgs84ToGcj02, p)
}

export function gcj02ToBd09([lon, lat]: Position2): Position2 {
  if (outOfChina(lon, lat)) return [lon, lat]
  const z = Math.sqrt(lon * lon + lat * lat) + 0.00002 * Math.sin(lat * BD_X_PI)
  const theta = Math.atan2(lat, lon) + 0.000003 * Math.cos(lon * BD_X_PI)
  return [z * Math.cos(theta) + BD_LON_OFFSET, z * Math.sin(theta) + BD_LAT_OFFSET]
}

/** BD-09 → GCJ-02, iterated (Baidu's one-step inverse is off by up to a few metres). */
export function bd09ToGcj02(p: Position2): Position2 {
  if (outOfChina(p[0], p[1])) return [p[0], p[1]]
  return invert(gcj02ToBd09, p)
}

export function wgs84ToBd09(p: Position2): Position2 {
  return gcj02ToBd09(wgs84ToGcj02(p))
}

export function bd09ToWgs84(p: Position2): Position2 {
  return gcj02ToWgs84(bd09ToGcj02(p))
}

const EARTH_RADIUS_M = 6371008.8

/** Great-circle distance in metres between two `[lon, lat]` points. */
export function haversineMeters(a: Position2, b: Position2): number {
  const toRad = Math.PI / 180
  const dLat = (b[1] - a[1]) * toRad
  const dLon = (b[0] - a[0]) * toRad
  const h =
    Math.sin(dLat / 2) ** 2 + Math.cos(a[1] * toRad) * Math.cos(b[1] * toRad) * Math.sin(dLon / 2) ** 2
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)))
}
