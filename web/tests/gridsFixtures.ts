/** Small grid plans for the grids tests: two or three grids of a few road segments and an area. */
import type {
  Evaluation,
  GridEvaluation,
  PlanSummary,
  UnitCollection,
  UnitProperties,
} from '@/console/grids/types'

export function plan(overrides: Partial<PlanSummary> = {}): PlanSummary {
  return {
    id: 1,
    squadron_id: 7,
    version: 1,
    name: '方案一',
    status: 'draft',
    k: 2,
    method: 'heuristic',
    note: '',
    parent_id: null,
    network_version: 3,
    created_by: 'commander',
    created_at: '2026-12-01T02:00:00Z',
    updated_at: '2026-12-01T02:00:00Z',
    activated_at: null,
    retired_at: null,
    grids: [
      { id: 11, number: 1, name: '网格1', colour: '#e6194b', units: 2 },
      { id: 12, number: 2, name: '网格2', colour: '#000075', units: 2 },
    ],
    params: { tolerance: 0.05, weights: { road_km: 1, drivers: 1 } },
    ...overrides,
  }
}

export function gridEvaluation(number: number, overrides: Partial<GridEvaluation> = {}): GridEvaluation {
  return {
    number,
    name: `网格${number}`,
    colour: number === 1 ? '#e6194b' : '#000075',
    units: 2,
    workload: 0.5,
    workload_ratio: 1,
    deviation: 0,
    figures: { road_km: 1.5, drivers: 300, vehicles: 240 },
    figure_ratios: { road_km: 1, drivers: 1, vehicles: 1 },
    figure_deviations: { road_km: 0, drivers: 0, vehicles: 0 },
    contiguous: true,
    centre: null,
    ...overrides,
  }
}

export function evaluation(overrides: Partial<Evaluation> = {}): Evaluation {
  return {
    plan_id: 1,
    k: 2,
    tolerance: 0.05,
    weights: { road_km: 1, drivers: 1, vehicles: 0 },
    grids: [gridEvaluation(1), gridEvaluation(2)],
    summary: {
      workload_min_ratio: 1,
      workload_max_ratio: 1,
      max_deviation: 0,
      figure_min_ratio: {},
      figure_max_ratio: {},
      cut_edges: 1,
      total_edges: 4,
      contiguous: true,
      within_tolerance: true,
    },
    violations: [],
    unassigned_units: [],
    vanished_units: [],
    network_version: 3,
    ...overrides,
  }
}

function props(unit: string, kind: 'segment' | 'area', name: string): UnitProperties {
  return {
    unit,
    kind,
    name,
    area: 'demo:area-a',
    area_name: '青龙街道',
    workload: 0.25,
    grid: null,
    locked: false,
    road_km: 0.5,
    drivers: 100,
    vehicles: 80,
    accidents: 1,
    difficulty: 0.5,
    police: 0.2,
    difficulty_rating: 1,
    difficulty_source: 'default',
    incidents: 0,
  }
}

/**
 * Four units on a line of x = 0..4 (y = 0) and one square area at x 10..12: `s:a` [0,1],
 * `s:b` [1,2], `s:c` [2,3], `s:d` [3,4], `a:town` around (11, 1).
 */
export function units(): UnitCollection {
  const segment = (key: string, x: number) => ({
    type: 'Feature' as const,
    properties: props(key, 'segment', `路${key}`),
    geometry: { type: 'LineString' as const, coordinates: [[x, 0], [x + 1, 0]] },
  })
  return {
    type: 'FeatureCollection',
    squadron_id: 7,
    network_version: 3,
    weights: { road_km: 1 },
    missing_areas: [],
    features: [
      segment('s:a', 0),
      segment('s:b', 1),
      segment('s:c', 2),
      segment('s:d', 3),
      {
        type: 'Feature',
        properties: props('a:town', 'area', '红狮镇'),
        geometry: {
          type: 'Polygon',
          coordinates: [
            [
              [10, 0],
              [12, 0],
              [12, 2],
              [10, 2],
              [10, 0],
            ],
          ],
        },
      },
    ],
  }
}
