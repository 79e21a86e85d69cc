/**
 * The officer map's style, built in code: a light background for daylight use on a phone, our own
 * roads (GeoJSON from `/api/roads/segments`), road names, and the officer's own position with its
 * accuracy circle. No glyphs URL (MapLibre draws labels locally with the installed fonts, as on
 * the console map), no sprite; a raster tile source only when the server configures one.
 */
import type {
  ExpressionSpecification,
  LayerSpecification,
  SourceSpecification,
  StyleSpecification,
} from '@maplibre/maplibre-gl-style-spec'
import type { Feature, FeatureCollection, Point, Polygon } from 'geojson'
import type { LonLat, RasterTileSource } from '@/shared/types'

/** Local fonts for labels (CSS font families). */
export const OFFICER_MAP_FONTS = [
  'Noto Sans CJK SC',
  'Microsoft YaHei',
  'PingFang SC',
  'Hiragino Sans GB',
  'Source Han Sans SC',
  'WenQuanYi Micro Hei',
  'Noto Sans',
  'Arial',
]

export const OFFICER_SOURCE = {
  basemap: 'basemap',
  roads: 'roads',
  me: 'me',
  meAccuracy: 'me-accuracy',
  /** The incident the officer is sent to, and the route there. */
  scene: 'scene',
  route: 'route',
} as const
export const OFFICER_LAYER = {
  background: 'background',
  basemap: 'basemap',
  roadsCasing: 'roads-casing',
  roads: 'roads',
  roadsLabel: 'roads-label',
  accuracyFill: 'me-accuracy-fill',
  accuracyLine: 'me-accuracy-line',
  me: 'me',
  routeCasing: 'route-casing',
  route: 'route',
  sceneHalo: 'scene-halo',
  scene: 'scene',
} as const

const MAJOR = ['motorway', 'motorway_link', 'trunk', 'trunk_link', 'primary', 'primary_link']
const MEDIUM = ['secondary', 'secondary_link', 'tertiary', 'tertiary_link']

/** Road fill colour by OSM `highway`. */
const roadColor: ExpressionSpecification = [
  'match',
  ['get', 'highway'],
  ['motorway', 'motorway_link'],
  '#f59e42',
  ['trunk', 'trunk_link', 'primary', 'primary_link'],
  '#ffd36b',
  MEDIUM,
  '#ffffff',
  '#ffffff',
]

/** Line width (px) by class and zoom. */
function roadWidth(scale: number): ExpressionSpecification {
  const byClass = (major: number, medium: number, minor: number): ExpressionSpecification => [
    'match',
    ['get', 'highway'],
    MAJOR,
    major * scale,
    MEDIUM,
    medium * scale,
    minor * scale,
  ]
  return [
    'interpolate',
    ['linear'],
    ['zoom'],
    11,
    byClass(1.6, 1, 0.5),
    15,
    byClass(6, 4.5, 2.5),
    18,
    byClass(16, 12, 8),
  ]
}

export function emptyCollection(): FeatureCollection {
  return { type: 'FeatureCollection', features: [] }
}

export function buildOfficerStyle(tiles: RasterTileSource | null): StyleSpecification {
  const sources: Record<string, SourceSpecification> = {
    [OFFICER_SOURCE.roads]: { type: 'geojson', data: emptyCollection() },
    [OFFICER_SOURCE.meAccuracy]: { type: 'geojson', data: emptyCollection() },
    [OFFICER_SOURCE.me]: { type: 'geojson', data: emptyCollection() },
    [OFFICER_SOURCE.route]: { type: 'geojson', data: emptyCollection() },
    [OFFICER_SOURCE.scene]: { type: 'geojson', data: emptyCollection() },
  }
  const layers: LayerSpecification[] = [
    { id: OFFICER_LAYER.background, type: 'background', paint: { 'background-color': '#e8edf3' } },
  ]
  if (tiles) {
    sources[OFFICER_SOURCE.basemap] = {
      type: 'raster',
      tiles: tiles.tiles,
      tileSize: tiles.tile_size,
      maxzoom: tiles.max_zoom,
      attribution: tiles.attribution,
    }
    layers.push({ id: OFFICER_LAYER.basemap, type: 'raster', source: OFFICER_SOURCE.basemap })
  }
  layers.push(
    {
      id: OFFICER_LAYER.roadsCasing,
      type: 'line',
      source: OFFICER_SOURCE.roads,
      layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: { 'line-color': '#aab6c6', 'line-width': roadWidth(1.35) },
    },
    {
      id: OFFICER_LAYER.roads,
      type: 'line',
      source: OFFICER_SOURCE.roads,
      layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: { 'line-color': roadColor, 'line-width': roadWidth(1) },
    },
    {
      id: OFFICER_LAYER.roadsLabel,
      type: 'symbol',
      source: OFFICER_SOURCE.roads,
      minzoom: 13,
      filter: ['has', 'name'],
      layout: {
        'symbol-placement': 'line',
        'text-field': ['get', 'name'],
        'text-font': OFFICER_MAP_FONTS,
        'text-size': ['interpolate', ['linear'], ['zoom'], 13, 11, 18, 15],
        'text-max-angle': 35,
      },
      paint: { 'text-color': '#2b3a4f', 'text-halo-color': '#ffffff', 'text-halo-width': 1.6 },
    },
    {
      id: OFFICER_LAYER.routeCasing,
      type: 'line',
      source: OFFICER_SOURCE.route,
      layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: { 'line-color': '#0b3d91', 'line-width': ['interpolate', ['linear'], ['zoom'], 11, 6, 16, 11, 18, 16] },
    },
    {
      id: OFFICER_LAYER.route,
      type: 'line',
      source: OFFICER_SOURCE.route,
      layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: { 'line-color': '#2f9bff', 'line-width': ['interpolate', ['linear'], ['zoom'], 11, 3.5, 16, 7, 18, 11] },
    },
    {
      id: OFFICER_LAYER.sceneHalo,
      type: 'circle',
      source: OFFICER_SOURCE.scene,
      paint: { 'circle-radius': 22, 'circle-color': '#ff3040', 'circle-opacity': 0.2 },
    },
    {
      id: OFFICER_LAYER.scene,
      type: 'circle',
      source: OFFICER_SOURCE.scene,
      paint: {
        'circle-radius': 10,
        'circle-color': '#ff3040',
        'circle-stroke-color': '#ffffff',
        'circle-stroke-width': 3,
      },
    },
    {
      id: OFFICER_LAYER.accuracyFill,
      type: 'fill',
      source: OFFICER_SOURCE.meAccuracy,
      paint: { 'fill-color': '#2f7bff', 'fill-opacity': 0.14 },
    },
    {
      id: OFFICER_LAYER.accuracyLine,
      type: 'line',
      source: OFFICER_SOURCE.meAccuracy,
      paint: { 'line-color': '#2f7bff', 'line-opacity': 0.5, 'line-width': 1 },
    },
    {
      id: OFFICER_LAYER.me,
      type: 'circle',
      source: OFFICER_SOURCE.me,
      paint: {
        'circle-radius': 8,
        'circle-color': '#1f6fff',
        'circle-stroke-color': '#ffffff',
        'circle-stroke-width': 3,
      },
    },
  )
  return { version: 8, name: 'patrolgrid officer', sources, layers }
}

const EARTH_RADIUS_M = 6371008.8

/**
 * A circle of `radiusM` metres around `center` as a polygon with `steps` vertices (good enough
 * for an accuracy circle of up to a few kilometres).
 */
export function circlePolygon(center: LonLat, radiusM: number, steps = 48): Feature<Polygon> {
  const [lon, lat] = center
  const latRad = (lat * Math.PI) / 180
  const dLat = (radiusM / EARTH_RADIUS_M) * (180 / Math.PI)
  const dLon = dLat / Math.max(1e-6, Math.cos(latRad))
  const ring: [number, number][] = []
  for (let i = 0; i < steps; i += 1) {
    const a = (i / steps) * 2 * Math.PI
    ring.push([lon + dLon * Math.cos(a), lat + dLat * Math.sin(a)])
  }
  ring.push(ring[0]!)
  return { type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [ring] } }
}

export function pointFeature(center: LonLat): Feature<Point> {
  return { type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [...center] } }
}
