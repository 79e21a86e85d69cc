import { validateStyleMin } from '@maplibre/maplibre-gl-style-spec'
import { describe, expect, it } from 'vitest'
import { haversineMeters } from '@/shared/geo/coords'
import { buildOfficerStyle, circlePolygon, OFFICER_LAYER, OFFICER_SOURCE } from '@/officer/map/style'
import type { RasterTileSource } from '@/shared/types'

const TILES: RasterTileSource = {
  kind: 'raster',
  tiles: ['https://tile.example.org/{z}/{x}/{y}.png'],
  tile_size: 256,
  attribution: '© example',
  max_zoom: 19,
  coord_system: 'gcj02',
}

describe('officer map style', () => {
  it('is a valid style with no glyphs, sprite or URLs of its own', () => {
    const style = buildOfficerStyle(null)
    expect(validateStyleMin(style)).toEqual([])
    expect(style.glyphs).toBeUndefined()
    expect(style.sprite).toBeUndefined()
    expect(JSON.stringify(style)).not.toMatch(/https?:/)
    const ids = style.layers.map((l) => l.id)
    // Own position on top of everything, roads under it.
    expect(ids.at(-1)).toBe(OFFICER_LAYER.me)
    expect(ids.indexOf(OFFICER_LAYER.roads)).toBeLessThan(ids.indexOf(OFFICER_LAYER.accuracyFill))
    expect(Object.keys(style.sources)).toEqual(
      expect.arrayContaining([OFFICER_SOURCE.roads, OFFICER_SOURCE.me, OFFICER_SOURCE.meAccuracy]),
    )
  })

  it('puts a configured tile source under the roads', () => {
    const style = buildOfficerStyle(TILES)
    expect(validateStyleMin(style)).toEqual([])
    const ids = style.layers.map((l) => l.id)
    expect(ids.indexOf(OFFICER_LAYER.basemap)).toBe(1)
    expect(style.sources[OFFICER_SOURCE.basemap]).toMatchObject({ type: 'raster', tiles: TILES.tiles })
  })
})

describe('accuracy circle', () => {
  it('is a closed ring at the given radius', () => {
    const center: [number, number] = [108.7, 30.98]
    const circle = circlePolygon(center, 50, 32)
    const ring = circle.geometry.coordinates[0]!
    expect(ring).toHaveLength(33)
    expect(ring[0]).toEqual(ring[32])
    for (const p of ring) {
      expect(haversineMeters(center, p as [number, number])).toBeCloseTo(50, 0)
    }
  })
})
