/**
 * Numbers of a grid plan as the page shows them: workload shares and ratios, each figure's
 * deviation from its mean per grid, and whether a number lies outside the plan's tolerance.
 * Plain functions (unit-tested); the words come from the `grids` messages.
 */
import { FIGURES, type Evaluation, type FigureKey } from './types'

/** How a deviation reads against the plan's tolerance. */
export type Level = 'ok' | 'warn' | 'bad'

/** Deviations within a rounding error of the band count as inside it (the engine's own slack). */
const SLACK = 1e-9
const MINUS = '\u2212'
const DASH = '—'

/**
 * The workload deviation of a grid: inside the band, or outside it (a rule of the plan: the
 * design keeps every grid within mean × (1 ± tolerance)).
 */
export function workloadLevel(deviation: number, tolerance: number): Level {
  return Math.abs(deviation) <= tolerance + SLACK ? 'ok' : 'bad'
}

/**
 * A single figure's deviation. The figures pull against each other (dense streets: many drivers,
 * few road km), so only the weighted sum is held to the band; a figure outside it is worth a look,
 * not an error.
 */
export function figureLevel(deviation: number, tolerance: number): Level {
  return Math.abs(deviation) <= tolerance + SLACK ? 'ok' : 'warn'
}

/**
 * The message key for a count: `<key>One` for exactly one (English says "1 unit"), else `<key>`.
 * Every counted message of the page has both keys.
 */
export function countKey(key: string, n: number): string {
  return n === 1 ? `${key}One` : key
}

function finite(value: number | null | undefined): value is number {
  return typeof value === 'number' && Number.isFinite(value)
}

/** `+3.2%`, `−2.4%`, `0.0%` (a true minus sign, so columns line up). */
export function formatSignedPercent(value: number | null | undefined, digits = 1): string {
  if (!finite(value)) return DASH
  const rounded = Number((value * 100).toFixed(digits))
  if (rounded === 0) return `${(0).toFixed(digits)}%`
  const sign = rounded > 0 ? '+' : MINUS
  return `${sign}${Math.abs(rounded).toFixed(digits)}%`
}

/** A share as a percentage: `24.4%`. */
export function formatPercent(value: number | null | undefined, digits = 1): string {
  if (!finite(value)) return DASH
  return `${(value * 100).toFixed(digits)}%`
}

/** A ratio to the mean: `0.976`. */
export function formatRatio(value: number | null | undefined): string {
  if (!finite(value)) return DASH
  return value.toFixed(3)
}

/** A figure's total in its own unit: km with 1–2 decimals, people and accidents as counts. */
export function formatFigure(figure: FigureKey, value: number | null | undefined, locale = 'zh-CN'): string {
  if (!finite(value)) return DASH
  switch (figure) {
    case 'road_km':
      return value.toFixed(value < 10 ? 2 : 1)
    case 'difficulty':
    case 'police':
      return value.toFixed(1)
    default:
      return Math.round(value).toLocaleString(locale === 'en' ? 'en-US' : 'zh-CN')
  }
}

/** The figures an evaluation carries, in the page's order; figures that weigh in first. */
export function shownFigures(evaluation: Evaluation | null): FigureKey[] {
  if (!evaluation) return []
  const carried = new Set<string>()
  for (const grid of evaluation.grids) for (const key of Object.keys(grid.figure_ratios)) carried.add(key)
  const list = FIGURES.filter((f) => carried.has(f))
  const weighted = (f: FigureKey) => (evaluation.weights[f] ?? 0) > 0
  return [...list.filter(weighted), ...list.filter((f) => !weighted(f))]
}

/** Whether a figure counts in the workload of this plan. */
export function isWeighted(evaluation: Evaluation | null, figure: FigureKey): boolean {
  return (evaluation?.weights[figure] ?? 0) > 0
}

/** The weights as shares of their sum (the engine scales them to sum to 1), for display. */
export function weightShares(weights: Record<string, number>): Partial<Record<FigureKey, number>> {
  const total = FIGURES.reduce((sum, f) => sum + Math.max(0, weights[f] ?? 0), 0)
  const out: Partial<Record<FigureKey, number>> = {}
  if (total <= 0) return out
  for (const f of FIGURES) {
    const w = Math.max(0, weights[f] ?? 0)
    if (w > 0) out[f] = w / total
  }
  return out
}
