import { validateStyleMin } from '@maplibre/maplibre-gl-style-spec'
import { describe, expect, it } from 'vitest'
import {
  DEFAULT_TOGGLES,
  LAYER,
  LAYER_GROUPS,
  MAP_FONT_STACK,
  ROAD_CLASSES,
  SOURCE,
  buildMapStyle,
  layerVisibility,
  roadClassOf,
} from '@/console/map/style'
import type { RasterTileSource } from '@/shared/types'

const OSM_TILES: RasterTileSource = {
  kind: 'raster',
  tiles: ['https://tile.example.org/{z}/{x}/{y}.png'],
  tile_size: 256,
  attribution: '© OpenStreetMap contributors',
  max_zoom: 19,
  coord_system: 'wgs84',
}

/** Every string anywhere in a JSON value. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value]
  if (Array.isArray(value)) return value.flatMap(strings)
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings)
  return []
}

const looksRemote = (s: string) => /^(https?:|wss?:)?\/\//i.test(s) || /\b(https?|mapbox|pmtiles):/i.test(s)

describe('buildMapStyle', () => {
  it('is a valid MapLibre style, with and without a tile source', () => {
    expect(validateStyleMin(buildMapStyle({ tileSource: null }))).toEqual([])
    expect(validateStyleMin(buildMapStyle({ tileSource: OSM_TILES, networkAttribution: '© OSM' }))).toEqual([])
  })

  it('loads nothing from the network without a tile source: no glyphs, no sprite, no URLs', () => {
    const style = buildMapStyle({ tileSource: null })
    expect(style.glyphs).toBeUndefined()
    expect(style.sprite).toBeUndefined()
    expect(strings(style).filter(looksRemote)).toEqual([])
    expect(Object.values(style.sources).map((s) => s.type)).toEqual(['geojson', 'geojson', 'geojson', 'geojson', 'geojson', 'geojson'])
  })

  it('adds the configured tile source, and only its URLs, under the roads', () => {
    const style = buildMapStyle({ tileSource: OSM_TILES })
    expect(strings(style).filter(looksRemote)).toEqual(OSM_TILES.tiles)
    expect(style.sources[SOURCE.basemap]).toMatchObject({
      type: 'raster',
      tiles: OSM_TILES.tiles,
      tileSize: 256,
      maxzoom: 19,
      attribution: OSM_TILES.attribution,
    })
    const ids = style.layers.map((l) => l.id)
    expect(ids.indexOf(LAYER.basemap)).toBe(1) // right above the background
    expect(ids.indexOf(LAYER.basemap)).toBeLessThan(ids.indexOf(LAYER.roadClass('service')))
  })

  it('has a line layer for each highway class, majors drawn last', () => {
    const style = buildMapStyle({ tileSource: null })
    const ids = style.layers.map((l) => l.id)
    for (const c of ROAD_CLASSES) {
      const layer = style.layers.find((l) => l.id === LAYER.roadClass(c.id))
      expect(layer, c.id).toMatchObject({ type: 'line', source: SOURCE.roads })
      expect(layer && 'paint' in layer && layer.paint).toMatchObject({ 'line-color': c.color })
    }
    expect(ids.indexOf(LAYER.roadClass('motorway'))).toBeGreaterThan(ids.indexOf(LAYER.roadClass('primary')))
    expect(ids.indexOf(LAYER.roadClass('primary'))).toBeGreaterThan(ids.indexOf(LAYER.roadClass('service')))
    expect(ids.indexOf(LAYER.roadsCasing)).toBeLessThan(ids.indexOf(LAYER.roadClass('service')))
    // Labels go on top of every line.
    expect(ids.indexOf(LAYER.roadsLabel)).toBeGreaterThan(ids.indexOf(LAYER.routeLine))
  })

  it('labels roads with their name along the line, in local fonts', () => {
    const style = buildMapStyle({ tileSource: null })
    const label = style.layers.find((l) => l.id === LAYER.roadsLabel)
    expect(label?.type).toBe('symbol')
    const layout = label && 'layout' in label ? (label.layout as Record<string, unknown>) : {}
    expect(JSON.stringify(layout['text-field'])).toContain('["get","name"]')
    expect(layout['symbol-placement']).toBe('line')
    expect(layout['text-font']).toEqual(MAP_FONT_STACK)

    const areas = style.layers.find((l) => l.id === LAYER.areasLabel)
    expect(areas && 'source' in areas && areas.source).toBe(SOURCE.areaLabels)
    const outline = style.layers.find((l) => l.id === LAYER.areasOutline)
    expect(outline && 'paint' in outline && outline.paint).toHaveProperty('line-dasharray')
  })

  it('maps OSM highway values to classes, unknown ones to service', () => {
    expect(roadClassOf('motorway_link')).toBe('motorway')
    expect(roadClassOf('primary')).toBe('primary')
    expect(roadClassOf('residential')).toBe('minor')
    expect(roadClassOf('service')).toBe('service')
    expect(roadClassOf('bridleway')).toBe('service')
    expect(roadClassOf(null)).toBe('service')
  })
})

describe('layer toggles', () => {
  it('hide the layers of a switched-off group', () => {
    expect(layerVisibility(LAYER.roadsLabel, DEFAULT_TOGGLES)).toBe('visible')
    expect(layerVisibility(LAYER.roadsLabel, { roads: true, labels: false, areas: true, people: true })).toBe('none')
    expect(layerVisibility(LAYER.areasLabel, { roads: true, labels: true, areas: false, people: true })).toBe('none')
    expect(layerVisibility(LAYER.roadClass('primary'), { roads: false, labels: true, areas: true, people: true })).toBe('none')
    expect(layerVisibility(LAYER.background, { roads: false, labels: false, areas: false, people: true })).toBe('visible')
    expect(layerVisibility(LAYER.routeLine, { roads: false, labels: false, areas: false, people: true })).toBe('visible')
  })

  it('are applied when the style is built', () => {
    const style = buildMapStyle({ tileSource: null, toggles: { roads: true, labels: false, areas: true, people: true } })
    const visibility = (id: string) => {
      const layer = style.layers.find((l) => l.id === id)
      return layer && 'layout' in layer ? (layer.layout as Record<string, unknown>).visibility : undefined
    }
    expect(visibility(LAYER.roadsLabel)).toBe('none')
    expect(visibility(LAYER.areasLabel)).toBe('none')
    expect(visibility(LAYER.roadClass('primary'))).toBe('visible')
    // Every toggled layer exists in the style.
    const ids = new Set(style.layers.map((l) => l.id))
    for (const id of Object.keys(LAYER_GROUPS)) expect(ids.has(id), id).toBe(true)
  })
})
