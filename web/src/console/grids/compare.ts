/**
 * Two plans side by side (`GET /plans/compare`): the units whose grid differs (highlighted on the
 * map), the transfers between grids and each grid's balance in both plans. Plain functions
 * (unit-tested).
 */
import type { Comparison, EvaluationSummary, FigureKey } from './types'

/** Units whose grid differs between the two plans (present in one plan only counts too). */
export function changedUnits(comparison: Comparison | null): Set<string> {
  return new Set(comparison?.moved.map((m) => m.unit) ?? [])
}

export interface CompareRow {
  number: number
  nameA: string | null
  nameB: string | null
  unitsA: number
  unitsB: number
  ratioA: number | null
  ratioB: number | null
  /** Distance of the workload from the mean, before and after: |ratio − 1|. */
  deviationA: number | null
  deviationB: number | null
  /** Closer to the mean in plan B (true), further (false), or the same/unknown (null). */
  better: boolean | null
  figuresA: Partial<Record<FigureKey, number>>
  figuresB: Partial<Record<FigureKey, number>>
}

const EPS = 1e-6

export function compareRows(comparison: Comparison): CompareRow[] {
  return comparison.grids.map((g) => {
    const deviationA = g.workload_ratio_a === null ? null : Math.abs(g.workload_ratio_a - 1)
    const deviationB = g.workload_ratio_b === null ? null : Math.abs(g.workload_ratio_b - 1)
    let better: boolean | null = null
    if (deviationA !== null && deviationB !== null && Math.abs(deviationA - deviationB) > EPS) {
      better = deviationB < deviationA
    }
    return {
      number: g.number,
      nameA: g.name_a,
      nameB: g.name_b,
      unitsA: g.units_a,
      unitsB: g.units_b,
      ratioA: g.workload_ratio_a,
      ratioB: g.workload_ratio_b,
      deviationA,
      deviationB,
      better,
      figuresA: g.figure_ratios_a,
      figuresB: g.figure_ratios_b,
    }
  })
}

export interface SummaryDelta {
  key: 'max_deviation' | 'workload_min_ratio' | 'workload_max_ratio' | 'cut_edges'
  a: number | null
  b: number | null
  /** Whether plan B is better on this measure (null: equal or unknown). */
  better: boolean | null
}

/** The plan-wide measures of both plans, each with which way is better. */
export function summaryDeltas(a: EvaluationSummary | null, b: EvaluationSummary | null): SummaryDelta[] {
  const lowerIsBetter = (x: number | null, y: number | null) =>
    x === null || y === null || Math.abs(x - y) <= EPS ? null : y < x
  const closerToOne = (x: number | null, y: number | null) =>
    x === null || y === null || Math.abs(Math.abs(x - 1) - Math.abs(y - 1)) <= EPS ? null : Math.abs(y - 1) < Math.abs(x - 1)
  const pick = (s: EvaluationSummary | null, k: SummaryDelta['key']) => (s ? s[k] : null)
  return [
    { key: 'max_deviation', a: pick(a, 'max_deviation'), b: pick(b, 'max_deviation'), better: lowerIsBetter(pick(a, 'max_deviation'), pick(b, 'max_deviation')) },
    { key: 'workload_min_ratio', a: pick(a, 'workload_min_ratio'), b: pick(b, 'workload_min_ratio'), better: closerToOne(pick(a, 'workload_min_ratio'), pick(b, 'workload_min_ratio')) },
    { key: 'workload_max_ratio', a: pick(a, 'workload_max_ratio'), b: pick(b, 'workload_max_ratio'), better: closerToOne(pick(a, 'workload_max_ratio'), pick(b, 'workload_max_ratio')) },
    { key: 'cut_edges', a: pick(a, 'cut_edges'), b: pick(b, 'cut_edges'), better: lowerIsBetter(pick(a, 'cut_edges'), pick(b, 'cut_edges')) },
  ]
}
