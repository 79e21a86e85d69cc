/**
 * The 网格 page's map layers, drawn over the console map style: every unit of the squadron in
 * its grid's colour (road segments as lines with a dark casing, whole areas as filled polygons),
 * locked units dashed white with a lock icon, the selection in cyan, units a comparison found
 * changed in yellow, one label per grid, and the lasso while it is drawn. The base roads are
 * muted so that only the grid colours stand out.
 *
 * `gridLayers()` is plain data (unit-tested); the rest needs a MapLibre map.
 */
import type { ExpressionSpecification, LayerSpecification } from '@maplibre/maplibre-gl-style-spec'
import type { FeatureCollection, Feature } from 'geojson'
import type { GeoJSONSource, MapLibreMap } from '../map/maplibre'
import { LAYER, MAP_FONT_STACK, ROAD_CLASSES, emptyCollection } from '../map/style'

export const GRID_SOURCE = {
  units: 'grid-units',
  locks: 'grid-locks',
  labels: 'grid-labels',
  lasso: 'grid-lasso',
} as const

export const GRID_LAYER = {
  areaFill: 'grid-area-fill',
  areaOutline: 'grid-area-outline',
  areaMark: 'grid-area-mark',
  areaLocked: 'grid-area-locked',
  segmentCasing: 'grid-segment-casing',
  segmentMark: 'grid-segment-mark',
  segmentLine: 'grid-segment-line',
  segmentLocked: 'grid-segment-locked',
  lockIcons: 'grid-lock-icons',
  labels: 'grid-labels',
  lassoFill: 'grid-lasso-fill',
  lassoLine: 'grid-lasso-line',
} as const

/** The layers a click or hover looks at to find a unit. */
export const PICKABLE_LAYERS: readonly string[] = [GRID_LAYER.segmentLine, GRID_LAYER.segmentCasing, GRID_LAYER.areaFill]

export const GRID_COLOURS = {
  casing: '#050d1a',
  selected: '#00e5ff',
  changed: '#ffe14d',
  moved: '#ffffff',
  locked: '#ffffff',
  lasso: '#00e5ff',
} as const

export const LOCK_ICON = 'grid-lock'

const isLine: ExpressionSpecification = ['==', ['geometry-type'], 'LineString']
const isArea: ExpressionSpecification = ['in', ['geometry-type'], ['literal', ['Polygon', 'MultiPolygon']]]
const selected: ExpressionSpecification = ['==', ['get', 'selected'], true]
const changed: ExpressionSpecification = ['==', ['get', 'changed'], true]
const moved: ExpressionSpecification = ['==', ['get', 'moved'], true]
/** The mark colour of a unit: selected over just moved over changed in a comparison. */
const markColour: ExpressionSpecification = [
  'case',
  selected,
  GRID_COLOURS.selected,
  moved,
  GRID_COLOURS.moved,
  GRID_COLOURS.changed,
]
const locked: ExpressionSpecification = ['==', ['get', 'locked'], true]

function byZoom(z11: number, z14: number, z17: number): ExpressionSpecification {
  return ['interpolate', ['exponential', 1.4], ['zoom'], 11, z11, 14, z14, 17, z17]
}

export function gridLayers(): LayerSpecification[] {
  return [
    {
      id: GRID_LAYER.areaFill,
      type: 'fill',
      source: GRID_SOURCE.units,
      filter: isArea,
      paint: {
        'fill-color': ['get', 'colour'],
        'fill-opacity': ['case', selected, 0.65, moved, 0.6, changed, 0.55, 0.42],
      },
    },
    {
      id: GRID_LAYER.areaOutline,
      type: 'line',
      source: GRID_SOURCE.units,
      filter: isArea,
      layout: { 'line-join': 'round' },
      paint: { 'line-color': ['get', 'colour'], 'line-width': 2.5, 'line-opacity': 0.95 },
    },
    {
      // Changed (yellow) or selected (cyan) areas get a wide outline.
      id: GRID_LAYER.areaMark,
      type: 'line',
      source: GRID_SOURCE.units,
      filter: ['all', isArea, ['any', selected, moved, changed]],
      layout: { 'line-join': 'round' },
      paint: {
        'line-color': markColour,
        'line-width': 4,
      },
    },
    {
      id: GRID_LAYER.areaLocked,
      type: 'line',
      source: GRID_SOURCE.units,
      filter: ['all', isArea, locked],
      paint: { 'line-color': GRID_COLOURS.locked, 'line-width': 1.6, 'line-dasharray': [2, 2] },
    },
    {
      id: GRID_LAYER.segmentCasing,
      type: 'line',
      source: GRID_SOURCE.units,
      filter: isLine,
      layout: { 'line-join': 'round', 'line-cap': 'round' },
      paint: { 'line-color': GRID_COLOURS.casing, 'line-width': byZoom(4.5, 8.5, 15), 'line-opacity': 0.9 },
    },
    {
      id: GRID_LAYER.segmentMark,
      type: 'line',
      source: GRID_SOURCE.units,
      filter: ['all', isLine, ['any', selected, moved, changed]],
      layout: { 'line-join': 'round', 'line-cap': 'round' },
      paint: {
        'line-color': markColour,
        // Selected and just-moved units get a wide halo, a comparison's changes a narrower one.
        'line-width': [
          'interpolate',
          ['exponential', 1.4],
          ['zoom'],
          11,
          ['case', ['any', selected, moved], 9, 6],
          14,
          ['case', ['any', selected, moved], 15, 10],
          17,
          ['case', ['any', selected, moved], 24, 17],
        ],
        'line-opacity': ['case', selected, 0.85, moved, 0.75, 0.5],
        'line-blur': 1,
      },
    },
    {
      id: GRID_LAYER.segmentLine,
      type: 'line',
      source: GRID_SOURCE.units,
      filter: isLine,
      layout: { 'line-join': 'round', 'line-cap': 'round' },
      paint: { 'line-color': ['get', 'colour'], 'line-width': byZoom(2.6, 5, 10) },
    },
    {
      id: GRID_LAYER.segmentLocked,
      type: 'line',
      source: GRID_SOURCE.units,
      filter: ['all', isLine, locked],
      paint: {
        'line-color': GRID_COLOURS.locked,
        'line-width': byZoom(1, 1.8, 3.5),
        'line-dasharray': [1.2, 1.6],
      },
    },
    {
      id: GRID_LAYER.lockIcons,
      type: 'symbol',
      source: GRID_SOURCE.locks,
      layout: {
        'icon-image': LOCK_ICON,
        'icon-size': ['interpolate', ['linear'], ['zoom'], 12, 0.7, 16, 1],
        'icon-allow-overlap': true,
        'icon-ignore-placement': true,
      },
      // Whole areas show their lock at any zoom; road segments, too many to mark from afar,
      // only close up (the dashed line marks them before that).
      paint: { 'icon-opacity': ['step', ['zoom'], ['case', ['==', ['get', 'kind'], 'area'], 1, 0], 15, 1] },
    },
    {
      id: GRID_LAYER.labels,
      type: 'symbol',
      source: GRID_SOURCE.labels,
      layout: {
        'text-field': ['get', 'label'],
        'text-font': MAP_FONT_STACK,
        'text-size': ['interpolate', ['linear'], ['zoom'], 11, 13, 15, 16],
        'text-line-height': 1.25,
        'text-letter-spacing': 0.04,
        'text-padding': 4,
        'text-allow-overlap': true,
        'symbol-sort-key': ['get', 'grid'],
        // Above the grid's centre unit, so a small town stays visible under its grid's name.
        'text-anchor': 'bottom',
        'text-offset': [0, -0.6],
      },
      paint: {
        'text-color': ['get', 'colour'],
        'text-halo-color': '#06101f',
        'text-halo-width': 2.4,
      },
    },
    {
      id: GRID_LAYER.lassoFill,
      type: 'fill',
      source: GRID_SOURCE.lasso,
      paint: { 'fill-color': GRID_COLOURS.lasso, 'fill-opacity': 0.12 },
    },
    {
      id: GRID_LAYER.lassoLine,
      type: 'line',
      source: GRID_SOURCE.lasso,
      paint: { 'line-color': GRID_COLOURS.lasso, 'line-width': 2, 'line-dasharray': [2, 1] },
    },
  ]
}

const ICON_SIZE = 18
const RATIO = 2

/** A small padlock on a dark disc, drawn on a canvas (no sprite to load). */
function drawLock(): ImageData | null {
  if (typeof document === 'undefined') return null
  const canvas = document.createElement('canvas')
  canvas.width = ICON_SIZE * RATIO
  canvas.height = ICON_SIZE * RATIO
  const ctx = canvas.getContext('2d')
  if (!ctx) return null
  ctx.scale(RATIO, RATIO)
  const c = ICON_SIZE / 2
  ctx.beginPath()
  ctx.arc(c, c, c - 0.5, 0, Math.PI * 2)
  ctx.fillStyle = 'rgba(6, 16, 31, 0.92)'
  ctx.fill()
  ctx.lineWidth = 1
  ctx.strokeStyle = '#ffffff'
  ctx.stroke()
  // Shackle, then body.
  ctx.beginPath()
  ctx.arc(c, c - 1.5, 3, Math.PI, 0)
  ctx.lineWidth = 1.6
  ctx.stroke()
  ctx.fillStyle = '#ffffff'
  ctx.beginPath()
  ctx.roundRect(c - 4.5, c - 1.5, 9, 7, 1.5)
  ctx.fill()
  return ctx.getImageData(0, 0, canvas.width, canvas.height)
}

/** The base roads in one quiet colour, so the grid colours are the only bright lines. */
export function muteBaseRoads(map: MapLibreMap): void {
  for (const c of ROAD_CLASSES) {
    const id = LAYER.roadClass(c.id)
    if (!map.getLayer(id)) continue
    map.setPaintProperty(id, 'line-color', '#33486b')
    map.setPaintProperty(id, 'line-opacity', 0.75)
  }
  if (map.getLayer(LAYER.roadsLabel)) map.setPaintProperty(LAYER.roadsLabel, 'text-color', '#9fb3d3')
}

/** Adds the grid sources and layers on top of the style. */
export function addGridLayers(map: MapLibreMap): void {
  if (!map.hasImage(LOCK_ICON)) {
    const image = drawLock()
    if (image) map.addImage(LOCK_ICON, image, { pixelRatio: RATIO })
  }
  for (const id of Object.values(GRID_SOURCE)) map.addSource(id, { type: 'geojson', data: emptyCollection() })
  for (const layer of gridLayers()) map.addLayer(layer)
  muteBaseRoads(map)
}

export function setGridSource(map: MapLibreMap, id: string, data: FeatureCollection | Feature | null): void {
  map.getSource<GeoJSONSource>(id)?.setData(data ?? emptyCollection())
}
