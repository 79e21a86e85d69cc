/**
 * The console map's MapLibre style, built in code. It loads nothing from the network: a plain
 * background, our own roads and areas as GeoJSON sources, and (only when configured) a raster tile
 * source underneath.
 *
 * Text: the style has no `glyphs` URL, so MapLibre GL JS (≥ 5.11) draws every label locally with
 * TinySDF from the fonts installed on the machine, treating `text-font` as a CSS font-family list.
 * That covers Chinese and Latin names alike with no glyph server and no font files of our own.
 */
import type {
  DataDrivenPropertyValueSpecification,
  ExpressionSpecification,
  FilterSpecification,
  LayerSpecification,
  SourceSpecification,
  StyleSpecification,
} from '@maplibre/maplibre-gl-style-spec'
import type { FeatureCollection } from 'geojson'
import { LIVE_STATUSES, type RasterTileSource } from '@/shared/types'
import { STATUS_STYLES, UNKNOWN_STATUS_STYLE, type StatusStyle } from '../live/status'

/** Local fonts tried in order for labels (CSS font families; MapLibre adds `sans-serif` last). */
export const MAP_FONT_STACK = [
  'Noto Sans CJK SC',
  'Microsoft YaHei',
  'PingFang SC',
  'Hiragino Sans GB',
  'Source Han Sans SC',
  'WenQuanYi Micro Hei',
  'Noto Sans',
  'Arial',
]

/** A calm dark command-center palette, matching the console's navy chrome. */
export const PALETTE = {
  background: '#0c1c34',
  casing: '#050d1a',
  label: '#e8f0ff',
  labelHalo: '#0c1c34',
  oneway: '#b9cff0',
  selected: '#00e5ff',
  route: '#39e58c',
  routeCasing: '#0a3b24',
  area: '#4fc3d9',
  areaLabel: '#8fdcea',
} as const

export type RoadClass = 'motorway' | 'trunk' | 'primary' | 'secondary' | 'tertiary' | 'minor' | 'service'

export interface RoadClassStyle {
  id: RoadClass
  /** OSM `highway` values drawn in this class; `service` also takes every value not listed anywhere. */
  highways: string[]
  color: string
  /** Line width (px) at zoom 10, 14 and 18. */
  widths: [number, number, number]
}

/** Road classes, most important first (the legend's order; drawn in reverse, so majors end on top). */
export const ROAD_CLASSES: readonly RoadClassStyle[] = [
  { id: 'motorway', highways: ['motorway', 'motorway_link'], color: '#ff9e45', widths: [1.8, 4.5, 14] },
  { id: 'trunk', highways: ['trunk', 'trunk_link'], color: '#ffc65c', widths: [1.5, 4, 12] },
  { id: 'primary', highways: ['primary', 'primary_link'], color: '#f2e48c', widths: [1.3, 3.5, 11] },
  { id: 'secondary', highways: ['secondary', 'secondary_link'], color: '#a9d4ff', widths: [1, 2.8, 9] },
  { id: 'tertiary', highways: ['tertiary', 'tertiary_link'], color: '#82acd9', widths: [0.8, 2.2, 8] },
  {
    id: 'minor',
    highways: ['unclassified', 'residential', 'living_street', 'road', 'busway'],
    color: '#5f80ad',
    widths: [0.5, 1.4, 6],
  },
  { id: 'service', highways: ['service', 'track'], color: '#46618a', widths: [0.3, 0.8, 3.5] },
]

/** The class an OSM `highway` value is drawn in. */
export function roadClassOf(highway: string | null | undefined): RoadClass {
  const found = ROAD_CLASSES.find((c) => c.id !== 'service' && c.highways.includes(highway ?? ''))
  return found ? found.id : 'service'
}

export const SOURCE = {
  basemap: 'basemap',
  roads: 'roads',
  areas: 'areas',
  /** One point per area for its name (a polygon would be labelled once per tile). */
  areaLabels: 'area-labels',
  route: 'route',
  /** Live people, clustered when zoomed out. */
  people: 'people',
  /** The replayed track: the path and its start and end points. */
  replay: 'replay',
} as const

/** Zoom above which the people layer stops clustering (every person drawn on their own). */
export const PEOPLE_CLUSTER_MAX_ZOOM = 13

export const LAYER = {
  background: 'background',
  basemap: 'basemap',
  areasOutline: 'areas-outline',
  roadsCasing: 'roads-casing',
  roadClass: (id: RoadClass) => `roads-${id}`,
  roadsSelected: 'roads-selected',
  routeCasing: 'route-casing',
  routeLine: 'route-line',
  roadsOneway: 'roads-oneway',
  roadsLabel: 'roads-label',
  areasLabel: 'areas-label',
  replayPathCasing: 'replay-path-casing',
  replayPath: 'replay-path',
  replayEnds: 'replay-ends',
  peopleClusters: 'people-clusters',
  peopleClusterCount: 'people-cluster-count',
  peopleSosPulse: 'people-sos-pulse',
  peopleSelected: 'people-selected',
  peoplePoints: 'people-points',
  peopleLabel: 'people-label',
  /** The selected person's and SOS names: always drawn, others make way. */
  peopleLabelPriority: 'people-label-priority',
} as const

export type LayerGroup = 'roads' | 'labels' | 'areas' | 'people'
export type LayerToggles = Record<LayerGroup, boolean>

export const DEFAULT_TOGGLES: LayerToggles = { roads: true, labels: true, areas: true, people: true }

/** Which toggle groups each switchable layer belongs to (a layer shows when all of them are on). */
export const LAYER_GROUPS: Readonly<Record<string, readonly LayerGroup[]>> = {
  [LAYER.roadsCasing]: ['roads'],
  ...Object.fromEntries(ROAD_CLASSES.map((c) => [LAYER.roadClass(c.id), ['roads']])),
  [LAYER.roadsSelected]: ['roads'],
  [LAYER.roadsOneway]: ['roads'],
  [LAYER.roadsLabel]: ['roads', 'labels'],
  [LAYER.areasOutline]: ['areas'],
  [LAYER.areasLabel]: ['areas', 'labels'],
  [LAYER.peopleClusters]: ['people'],
  [LAYER.peopleClusterCount]: ['people'],
  [LAYER.peopleSosPulse]: ['people'],
  [LAYER.peopleSelected]: ['people'],
  [LAYER.peoplePoints]: ['people'],
  [LAYER.peopleLabel]: ['people', 'labels'],
  [LAYER.peopleLabelPriority]: ['people'],
}

/** `visible` or `none` for a layer under the given toggles (layers in no group always show). */
export function layerVisibility(layerId: string, toggles: LayerToggles): 'visible' | 'none' {
  const groups = LAYER_GROUPS[layerId] ?? []
  return groups.every((g) => toggles[g]) ? 'visible' : 'none'
}

/** A FeatureCollection with no features, for sources filled in later. */
export function emptyCollection(): FeatureCollection {
  return { type: 'FeatureCollection', features: [] }
}

const highway: ExpressionSpecification = ['get', 'highway']

/** `match` on the highway value, giving each class's value (service is the fallback). */
function byClass(value: (c: RoadClassStyle) => number | string): ExpressionSpecification {
  const arms: (string[] | number | string)[] = []
  for (const c of ROAD_CLASSES) {
    if (c.id === 'service') continue
    arms.push(c.highways, value(c))
  }
  const service = ROAD_CLASSES.find((c) => c.id === 'service')!
  return ['match', highway, ...arms, value(service)] as ExpressionSpecification
}

function widthByZoom(widths: [number, number, number], extra = 0): ExpressionSpecification {
  const [z10, z14, z18] = widths
  return ['interpolate', ['exponential', 1.5], ['zoom'], 10, z10 + extra, 14, z14 + extra, 18, z18 + extra]
}

function classFilter(c: RoadClassStyle): FilterSpecification {
  if (c.id !== 'service') return ['in', highway, ['literal', c.highways]]
  const listed = ROAD_CLASSES.filter((x) => x.id !== 'service').flatMap((x) => x.highways)
  return ['!', ['in', highway, ['literal', listed]]]
}

/** The casing is a little wider than the road: 1 px at low zoom, 2.5 px when zoomed in. */
function casingWidth(): ExpressionSpecification {
  return [
    'interpolate',
    ['exponential', 1.5],
    ['zoom'],
    10,
    byClass((c) => c.widths[0] + 1),
    14,
    byClass((c) => c.widths[1] + 1.5),
    18,
    byClass((c) => c.widths[2] + 2.5),
  ]
}

/** Label placement priority: major roads are placed first (lower sort key). */
const labelSortKey: DataDrivenPropertyValueSpecification<number> = byClass((c) => ROAD_CLASSES.indexOf(c))

const hasName: FilterSpecification = ['>', ['length', ['to-string', ['get', 'name']]], 0]

export interface MapStyleOptions {
  /** The optional raster background; null for our plain background only. */
  tileSource: RasterTileSource | null
  /** Attribution for the road data, shown in the attribution control. */
  networkAttribution?: string | null
  toggles?: LayerToggles
}

/** The full style. Sources start empty; the page fills them with `setData`. */
export function buildMapStyle(options: MapStyleOptions): StyleSpecification {
  const toggles = options.toggles ?? DEFAULT_TOGGLES
  const vis = (id: string) => ({ visibility: layerVisibility(id, toggles) })
  const tiles = options.tileSource

  const sources: Record<string, SourceSpecification> = {}
  if (tiles && tiles.tiles.length > 0) {
    sources[SOURCE.basemap] = {
      type: 'raster',
      tiles: [...tiles.tiles],
      tileSize: tiles.tile_size,
      maxzoom: tiles.max_zoom,
      ...(tiles.attribution ? { attribution: tiles.attribution } : {}),
    }
  }
  sources[SOURCE.areas] = { type: 'geojson', data: emptyCollection() }
  sources[SOURCE.areaLabels] = { type: 'geojson', data: emptyCollection() }
  sources[SOURCE.roads] = {
    type: 'geojson',
    data: emptyCollection(),
    ...(options.networkAttribution ? { attribution: options.networkAttribution } : {}),
  }
  sources[SOURCE.route] = { type: 'geojson', data: emptyCollection() }
  sources[SOURCE.replay] = { type: 'geojson', data: emptyCollection(), lineMetrics: true }
  sources[SOURCE.people] = {
    type: 'geojson',
    data: emptyCollection(),
    cluster: true,
    clusterRadius: 44,
    clusterMaxZoom: PEOPLE_CLUSTER_MAX_ZOOM,
    // An SOS must never hide inside a cluster: count them so the cluster turns red.
    clusterProperties: { sos: ['+', ['case', ['==', ['get', 'status'], 'sos'], 1, 0]] },
  }

  const layers: LayerSpecification[] = [
    { id: LAYER.background, type: 'background', paint: { 'background-color': PALETTE.background } },
  ]
  if (sources[SOURCE.basemap]) {
    layers.push({ id: LAYER.basemap, type: 'raster', source: SOURCE.basemap })
  }

  layers.push({
    id: LAYER.areasOutline,
    type: 'line',
    source: SOURCE.areas,
    layout: { ...vis(LAYER.areasOutline), 'line-join': 'round' },
    paint: {
      'line-color': PALETTE.area,
      'line-opacity': ['match', ['get', 'kind'], 'county', 0.9, ['town', 'township', 'subdistrict'], 0.75, 0.55],
      'line-width': ['match', ['get', 'kind'], 'county', 2.2, ['town', 'township', 'subdistrict'], 1.5, 1],
      'line-dasharray': [4, 2.5],
    },
  })

  layers.push({
    id: LAYER.roadsCasing,
    type: 'line',
    source: SOURCE.roads,
    layout: { ...vis(LAYER.roadsCasing), 'line-join': 'round', 'line-cap': 'round' },
    paint: { 'line-color': PALETTE.casing, 'line-width': casingWidth(), 'line-opacity': 0.85 },
  })

  // Minor classes first so the major ones are drawn over them at junctions.
  for (const c of [...ROAD_CLASSES].reverse()) {
    const id = LAYER.roadClass(c.id)
    layers.push({
      id,
      type: 'line',
      source: SOURCE.roads,
      filter: classFilter(c),
      layout: { ...vis(id), 'line-join': 'round', 'line-cap': 'round' },
      paint: { 'line-color': c.color, 'line-width': widthByZoom(c.widths) },
    })
  }

  layers.push({
    id: LAYER.roadsSelected,
    type: 'line',
    source: SOURCE.roads,
    filter: ['==', ['get', 'id'], -1],
    layout: { ...vis(LAYER.roadsSelected), 'line-join': 'round', 'line-cap': 'round' },
    paint: {
      'line-color': PALETTE.selected,
      'line-width': ['interpolate', ['exponential', 1.5], ['zoom'], 10, 3, 14, 6, 18, 16],
      'line-opacity': 0.9,
    },
  })

  layers.push(
    {
      id: LAYER.routeCasing,
      type: 'line',
      source: SOURCE.route,
      layout: { 'line-join': 'round', 'line-cap': 'round' },
      paint: {
        'line-color': PALETTE.routeCasing,
        'line-width': ['interpolate', ['exponential', 1.5], ['zoom'], 10, 6, 14, 10, 18, 20],
      },
    },
    {
      id: LAYER.routeLine,
      type: 'line',
      source: SOURCE.route,
      layout: { 'line-join': 'round', 'line-cap': 'round' },
      paint: {
        'line-color': PALETTE.route,
        'line-width': ['interpolate', ['exponential', 1.5], ['zoom'], 10, 3.5, 14, 6, 18, 14],
      },
    },
  )

  layers.push({
    id: LAYER.roadsOneway,
    type: 'symbol',
    source: SOURCE.roads,
    minzoom: 15,
    filter: ['in', ['get', 'oneway'], ['literal', ['forward', 'backward']]],
    layout: {
      ...vis(LAYER.roadsOneway),
      'symbol-placement': 'line',
      'symbol-spacing': 110,
      // Arrows must follow the line's own direction, never be flipped to read upright.
      'text-keep-upright': false,
      'text-field': ['match', ['get', 'oneway'], 'backward', '←', '→'],
      'text-font': MAP_FONT_STACK,
      'text-size': 17,
      'text-padding': 1,
    },
    paint: { 'text-color': PALETTE.oneway, 'text-opacity': 0.8 },
  })

  layers.push({
    id: LAYER.roadsLabel,
    type: 'symbol',
    source: SOURCE.roads,
    minzoom: 10,
    filter: hasName,
    layout: {
      ...vis(LAYER.roadsLabel),
      'symbol-placement': 'line',
      'symbol-spacing': 320,
      'symbol-sort-key': labelSortKey,
      'text-field': ['to-string', ['get', 'name']],
      'text-font': MAP_FONT_STACK,
      'text-size': ['interpolate', ['linear'], ['zoom'], 10, 11, 14, 13, 18, 16],
      'text-max-angle': 35,
      'text-letter-spacing': 0.04,
      'text-padding': 4,
    },
    paint: {
      'text-color': PALETTE.label,
      'text-halo-color': PALETTE.labelHalo,
      'text-halo-width': 1.6,
      'text-halo-blur': 0.3,
    },
  })

  layers.push({
    id: LAYER.areasLabel,
    type: 'symbol',
    source: SOURCE.areaLabels,
    filter: hasName,
    layout: {
      ...vis(LAYER.areasLabel),
      'text-field': ['to-string', ['get', 'name']],
      'text-font': MAP_FONT_STACK,
      'text-size': ['match', ['get', 'kind'], 'county', 17, ['town', 'township', 'subdistrict'], 14, 12],
      'text-letter-spacing': 0.12,
      'text-padding': 6,
      // Below the area's centre, where the people of a town cluster when zoomed out.
      'text-anchor': 'top',
      'text-offset': [0, 1.4],
    },
    paint: {
      'text-color': PALETTE.areaLabel,
      'text-halo-color': PALETTE.labelHalo,
      'text-halo-width': 1.8,
    },
  })

  layers.push(...replayLayers(), ...peopleLayers(vis))

  return {
    version: 8,
    name: 'patrolgrid console map',
    // No `glyphs` and no `sprite`: nothing is fetched; labels are drawn from local fonts.
    sources,
    layers,
  }
}

// ---- Live people and track replay, drawn above everything else.

export const PEOPLE_PALETTE = {
  cluster: '#16325e',
  clusterStroke: '#7fb2ff',
  clusterText: '#ffffff',
  sosClusterStroke: '#ffd0d4',
  selected: '#00e5ff',
  label: '#ffffff',
  replayPath: '#00e5ff',
  replayPathRest: 'rgba(0, 229, 255, 0.35)',
  replayCasing: '#03141f',
  replayStart: '#2fcf7a',
  replayEnd: '#ff6b6b',
} as const

/** `match` on the status property, giving each status's value. */
function byStatus(value: (s: StatusStyle) => string | number): ExpressionSpecification {
  const arms: (string | number)[] = []
  for (const status of LIVE_STATUSES) arms.push(status, value(STATUS_STYLES[status]))
  return ['match', ['get', 'status'], ...arms, value(UNKNOWN_STATUS_STYLE)] as unknown as ExpressionSpecification
}

const isCluster: ExpressionSpecification = ['has', 'point_count']
const notCluster: ExpressionSpecification = ['!', ['has', 'point_count']]
const isSos: ExpressionSpecification = ['==', ['get', 'status'], 'sos']

/** Filter of the selection ring for a person (or nobody). */
export function selectedPersonFilter(personId: number | null): FilterSpecification {
  return ['all', notCluster, ['==', ['get', 'person_id'], personId ?? -1]]
}

/** Names that must show (the selected person, anyone in SOS) and, separately, all the others. */
export function peopleLabelFilters(personId: number | null): { priority: FilterSpecification; rest: FilterSpecification } {
  const selected: ExpressionSpecification = ['==', ['get', 'person_id'], personId ?? -1]
  return {
    priority: ['all', notCluster, ['any', isSos, selected]],
    rest: ['all', notCluster, ['!', ['any', isSos, selected]]],
  }
}

/** The replay path drawn bright up to `progress` (0..1 of its length), dim after it. */
export function replayGradient(progress: number): ExpressionSpecification {
  const p = Math.min(1, Math.max(0, progress))
  if (p >= 1) return ['step', ['line-progress'], PEOPLE_PALETTE.replayPath, 1, PEOPLE_PALETTE.replayPath]
  return ['step', ['line-progress'], PEOPLE_PALETTE.replayPath, p, PEOPLE_PALETTE.replayPathRest]
}

function peopleLayers(vis: (id: string) => { visibility: 'visible' | 'none' }): LayerSpecification[] {
  const radius: ExpressionSpecification = ['interpolate', ['linear'], ['zoom'], 9, 5, 14, 7, 18, 9]
  return [
    {
      id: LAYER.peopleClusters,
      type: 'circle',
      source: SOURCE.people,
      filter: isCluster,
      layout: vis(LAYER.peopleClusters),
      paint: {
        'circle-color': ['case', ['>', ['get', 'sos'], 0], STATUS_STYLES.sos.color, PEOPLE_PALETTE.cluster],
        'circle-radius': ['step', ['get', 'point_count'], 13, 10, 16, 50, 20, 200, 24],
        'circle-stroke-color': [
          'case',
          ['>', ['get', 'sos'], 0],
          PEOPLE_PALETTE.sosClusterStroke,
          PEOPLE_PALETTE.clusterStroke,
        ],
        'circle-stroke-width': 2,
        'circle-opacity': 0.92,
      },
    },
    {
      id: LAYER.peopleClusterCount,
      type: 'symbol',
      source: SOURCE.people,
      filter: isCluster,
      layout: {
        ...vis(LAYER.peopleClusterCount),
        'text-field': ['to-string', ['get', 'point_count_abbreviated']],
        'text-font': MAP_FONT_STACK,
        'text-size': 12,
        'text-allow-overlap': true,
        'text-ignore-placement': true,
      },
      paint: { 'text-color': PEOPLE_PALETTE.clusterText },
    },
    {
      // Animated by the page (radius and opacity) while someone is in SOS.
      id: LAYER.peopleSosPulse,
      type: 'circle',
      source: SOURCE.people,
      filter: ['all', notCluster, isSos],
      layout: vis(LAYER.peopleSosPulse),
      paint: {
        'circle-color': STATUS_STYLES.sos.color,
        'circle-radius': 16,
        'circle-opacity': 0.3,
        'circle-blur': 0.2,
      },
    },
    {
      id: LAYER.peopleSelected,
      type: 'circle',
      source: SOURCE.people,
      filter: selectedPersonFilter(null),
      layout: vis(LAYER.peopleSelected),
      paint: {
        'circle-color': 'rgba(0, 229, 255, 0.15)',
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 9, 11, 14, 13, 18, 15],
        'circle-stroke-color': PEOPLE_PALETTE.selected,
        'circle-stroke-width': 2.5,
      },
    },
    {
      id: LAYER.peoplePoints,
      type: 'circle',
      source: SOURCE.people,
      filter: notCluster,
      layout: {
        ...vis(LAYER.peoplePoints),
        // SOS on top of everyone else.
        'circle-sort-key': ['case', isSos, 1, 0],
      },
      paint: {
        'circle-color': byStatus((s) => s.color),
        'circle-radius': radius,
        'circle-stroke-color': byStatus((s) => s.stroke),
        'circle-stroke-width': ['case', isSos, 2.5, ['==', ['get', 'status'], 'offline'], 2, 1.5],
      },
    },
    {
      id: LAYER.peopleLabel,
      type: 'symbol',
      source: SOURCE.people,
      filter: peopleLabelFilters(null).rest,
      layout: {
        ...vis(LAYER.peopleLabel),
        'text-field': ['to-string', ['get', 'name']],
        'text-font': MAP_FONT_STACK,
        'text-size': ['interpolate', ['linear'], ['zoom'], 10, 11, 16, 13],
        'text-anchor': 'top',
        'text-offset': [0, 0.85],
        'text-padding': 2,
        'symbol-sort-key': ['case', isSos, 0, 1],
      },
      paint: {
        'text-color': PEOPLE_PALETTE.label,
        'text-halo-color': PALETTE.labelHalo,
        'text-halo-width': 1.6,
        'text-halo-blur': 0.3,
      },
    },
    {
      id: LAYER.peopleLabelPriority,
      type: 'symbol',
      source: SOURCE.people,
      filter: peopleLabelFilters(null).priority,
      layout: {
        ...vis(LAYER.peopleLabelPriority),
        'text-field': ['to-string', ['get', 'name']],
        'text-font': MAP_FONT_STACK,
        'text-size': ['interpolate', ['linear'], ['zoom'], 10, 12, 16, 14],
        'text-anchor': 'top',
        'text-offset': [0, 0.95],
        'text-allow-overlap': true,
        'symbol-sort-key': ['case', isSos, 0, 1],
      },
      paint: {
        'text-color': ['case', isSos, '#ffd0d4', PEOPLE_PALETTE.selected],
        'text-halo-color': PALETTE.labelHalo,
        'text-halo-width': 2,
      },
    },
  ]
}

function replayLayers(): LayerSpecification[] {
  const isPath: FilterSpecification = ['==', ['geometry-type'], 'LineString']
  return [
    {
      id: LAYER.replayPathCasing,
      type: 'line',
      source: SOURCE.replay,
      filter: isPath,
      layout: { 'line-join': 'round', 'line-cap': 'round' },
      paint: {
        'line-color': PEOPLE_PALETTE.replayCasing,
        'line-width': ['interpolate', ['linear'], ['zoom'], 10, 5, 16, 9],
        'line-opacity': 0.8,
      },
    },
    {
      id: LAYER.replayPath,
      type: 'line',
      source: SOURCE.replay,
      filter: isPath,
      layout: { 'line-join': 'round', 'line-cap': 'round' },
      paint: {
        'line-width': ['interpolate', ['linear'], ['zoom'], 10, 2.5, 16, 5],
        'line-gradient': replayGradient(0),
      },
    },
    {
      id: LAYER.replayEnds,
      type: 'circle',
      source: SOURCE.replay,
      filter: ['==', ['geometry-type'], 'Point'],
      paint: {
        'circle-color': ['match', ['get', 'role'], 'start', PEOPLE_PALETTE.replayStart, PEOPLE_PALETTE.replayEnd],
        'circle-radius': 5,
        'circle-stroke-color': '#ffffff',
        'circle-stroke-width': 1.5,
      },
    },
  ]
}
