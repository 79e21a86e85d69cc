import type { FeatureCollection, LineString, MultiPolygon, Polygon } from 'geojson'
import { describe, expect, it } from 'vitest'
import { wgs84ToGcj02 } from '@/shared/geo/coords'
import {
  bboxContains,
  bboxOf,
  mapBBox,
  padBBox,
  polygonLabelPoint,
  polygonLabelPoints,
  toGcj02,
} from '@/shared/geo/geojson'

const roads: FeatureCollection<LineString> = {
  type: 'FeatureCollection',
  bbox: [108.69, 30.92, 108.71, 30.94],
  features: [
    {
      type: 'Feature',
      properties: { id: 1, name: '滨江大道' },
      geometry: {
        type: 'LineString',
        coordinates: [
          [108.69, 30.92],
          [108.7, 30.93, 175],
          [108.71, 30.94],
        ],
      },
    },
    {
      type: 'Feature',
      properties: { id: 2, name: 'Mannerheimintie' },
      geometry: { type: 'LineString', coordinates: [[24.94, 60.17], [24.95, 60.18]] },
    },
  ],
}

describe('toGcj02', () => {
  it('shifts every position of a FeatureCollection and keeps properties and altitude', () => {
    const shifted = toGcj02(roads)
    const first = shifted.features[0]!
    expect(first.properties).toEqual({ id: 1, name: '滨江大道' })
    first.geometry.coordinates.forEach((p, i) => {
      const original = roads.features[0]!.geometry.coordinates[i]!
      const expected = wgs84ToGcj02([original[0]!, original[1]!])
      expect(p[0]).toBeCloseTo(expected[0], 12)
      expect(p[1]).toBeCloseTo(expected[1], 12)
    })
    expect(first.geometry.coordinates[1]![2]).toBe(175)
    // ~500 m at Yunyang: visibly moved.
    expect(first.geometry.coordinates[0]![0] - 108.69).toBeGreaterThan(0.003)
    // Outside China: unchanged.
    expect(shifted.features[1]!.geometry.coordinates).toEqual([[24.94, 60.17], [24.95, 60.18]])
    // The stale bbox is dropped; the input is untouched.
    expect(shifted.bbox).toBeUndefined()
    expect(roads.features[0]!.geometry.coordinates[0]).toEqual([108.69, 30.92])
  })

  it('shifts polygons, multipolygons and bare geometries', () => {
    const poly: Polygon = { type: 'Polygon', coordinates: [[[108, 30], [109, 30], [109, 31], [108, 30]]] }
    const multi: MultiPolygon = { type: 'MultiPolygon', coordinates: [poly.coordinates] }
    const a = toGcj02(poly)
    const b = toGcj02(multi)
    expect(a.coordinates[0]![1]).toEqual(wgs84ToGcj02([109, 30]))
    expect(b.coordinates[0]![0]![1]).toEqual(wgs84ToGcj02([109, 30]))
  })
})

describe('bounding boxes', () => {
  it('bboxOf covers every position; null for nothing', () => {
    expect(bboxOf(roads)).toEqual([24.94, 30.92, 108.71, 60.18])
    expect(bboxOf({ type: 'FeatureCollection', features: [] })).toBeNull()
  })

  it('pads, clamps, contains and transforms', () => {
    expect(padBBox([10, 10, 20, 20], 0.1)).toEqual([9, 9, 21, 21])
    expect(padBBox([-179, -89, 179, 89], 0.5)).toEqual([-180, -90, 180, 90])
    expect(bboxContains([0, 0, 10, 10], [1, 1, 9, 9])).toBe(true)
    expect(bboxContains([0, 0, 10, 10], [1, 1, 11, 9])).toBe(false)
    expect(mapBBox([1, 2, 3, 4], ([x, y]) => [x * 2, -y])).toEqual([2, -4, 6, -2])
  })
})

describe('polygon label points', () => {
  it('uses the centroid of a convex area', () => {
    const square = [[[0, 0], [4, 0], [4, 4], [0, 4], [0, 0]]]
    expect(polygonLabelPoint(square)).toEqual([2, 2])
  })

  it('stays inside a U-shaped area whose centroid is outside', () => {
    // A "U": the centroid falls in the notch.
    const u = [[[0, 0], [6, 0], [6, 6], [4, 6], [4, 2], [2, 2], [2, 6], [0, 6], [0, 0]]]
    const p = polygonLabelPoint(u)!
    const inNotch = p[0] > 2 && p[0] < 4 && p[1] > 2
    expect(inNotch).toBe(false)
    expect(p[0] >= 0 && p[0] <= 6 && p[1] >= 0 && p[1] <= 6).toBe(true)
  })

  it('gives one point per feature, on the largest part of a multipolygon', () => {
    const areas: FeatureCollection<Polygon | MultiPolygon, { name: string }> = {
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          properties: { name: '双江街道' },
          geometry: {
            type: 'MultiPolygon',
            coordinates: [
              [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]],
              [[[10, 10], [20, 10], [20, 20], [10, 20], [10, 10]]],
            ],
          },
        },
        {
          type: 'Feature',
          properties: { name: 'Kluuvi' },
          geometry: { type: 'Polygon', coordinates: [[[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]] },
        },
      ],
    }
    const labels = polygonLabelPoints(areas)
    expect(labels.features.map((f) => f.properties.name)).toEqual(['双江街道', 'Kluuvi'])
    expect(labels.features[0]!.geometry.coordinates).toEqual([15, 15])
    expect(labels.features[1]!.geometry.coordinates).toEqual([1, 1])
  })
})
