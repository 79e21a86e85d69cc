/**
 * Plan lists and choices on the 网格 page: order, which plan to show, which plan to compare
 * with, the design dialog's starting values. Plain functions (unit-tested).
 */
import type { DesignMethod, DesignRequest, Evaluation, FigureKey, PlanStatus, PlanSummary } from './types'
import { FIGURES } from './types'

const STATUS_ORDER: Record<PlanStatus, number> = { active: 0, draft: 1, retired: 2 }

/** The active plan first, then drafts, then retired plans; newest version first within each. */
export function sortPlans(plans: readonly PlanSummary[]): PlanSummary[] {
  return [...plans].sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || b.version - a.version)
}

/** The plan to show: the one asked for when it is in the list, else the active one, else the newest. */
export function choosePlan(plans: readonly PlanSummary[], wanted: number | null): number | null {
  if (wanted !== null && plans.some((p) => p.id === wanted)) return wanted
  const sorted = sortPlans(plans)
  return sorted[0]?.id ?? null
}

/** The method words the page knows (`grids.method.*`); anything else reads as `other`. */
const METHODS = ['auto', 'heuristic', 'exact', 'parts', 'copy'] as const
export type MethodKey = (typeof METHODS)[number] | 'other'

export function methodKey(method: string): MethodKey {
  return (METHODS as readonly string[]).includes(method) ? (method as MethodKey) : 'other'
}

/** The balance band the plan was made with (±, as a fraction). */
export function planTolerance(plan: PlanSummary | null | undefined): number {
  const value = plan?.params.tolerance
  return typeof value === 'number' && Number.isFinite(value) ? value : 0.05
}

/** The design report stored with a designed plan (absent on copies). */
export interface DesignReport {
  method: string
  iterations: number
  elapsed_s: number
  stopped_early: boolean
  max_deviation: number | null
  notes: string[]
}

export function designReport(plan: PlanSummary | null | undefined): DesignReport | null {
  const raw = plan?.params.design
  if (typeof raw !== 'object' || raw === null) return null
  const r = raw as Record<string, unknown>
  return {
    method: typeof r.method === 'string' ? r.method : '',
    iterations: typeof r.iterations === 'number' ? r.iterations : 0,
    elapsed_s: typeof r.elapsed_s === 'number' ? r.elapsed_s : 0,
    stopped_early: r.stopped_early === true,
    max_deviation: typeof r.max_deviation === 'number' ? r.max_deviation : null,
    notes: Array.isArray(r.notes) ? r.notes.filter((n): n is string => typeof n === 'string') : [],
  }
}

/**
 * The plan to compare the shown one with: the active plan when another is shown, else the plan
 * it came from, else the next older version; null when there is no other plan.
 */
export function comparePartner(plans: readonly PlanSummary[], current: PlanSummary | null): number | null {
  if (!current) return null
  const others = plans.filter((p) => p.id !== current.id)
  if (others.length === 0) return null
  const active = others.find((p) => p.status === 'active')
  if (active) return active.id
  const parent = others.find((p) => p.id === current.parent_id)
  if (parent) return parent.id
  const older = others.filter((p) => p.version < current.version).sort((a, b) => b.version - a.version)[0]
  return (older ?? others.sort((a, b) => b.version - a.version)[0])!.id
}

/** What the design dialog edits (all fields set; weights per figure). */
export interface DesignForm {
  name: string
  k: number
  method: DesignMethod
  tolerancePercent: number
  timeLimitS: number
  townWhole: boolean
  weights: Record<FigureKey, number>
  keepLocks: boolean
}

export const DESIGN_LIMITS = {
  k: { min: 1, max: 200 },
  tolerancePercent: { min: 0, max: 50 },
  timeLimitS: { min: 0.5, max: 600 },
  weight: { min: 0, max: 1000 },
} as const

/**
 * The dialog's starting values: K and tolerance of the plan shown (or 4 grids, ±5%), the
 * squadron's stored weights, the default search time (30 s).
 */
export function designDefaults(base: PlanSummary | null, storedWeights: Record<string, number> | null): DesignForm {
  const weights = {} as Record<FigureKey, number>
  for (const f of FIGURES) weights[f] = storedWeights?.[f] ?? (f === 'vehicles' || f === 'police' ? 0 : 1)
  return {
    name: '',
    k: base?.k ?? 4,
    method: 'auto',
    tolerancePercent: Math.round(planTolerance(base) * 1000) / 10,
    timeLimitS: 30,
    townWhole: base?.params.town_whole === true,
    weights,
    keepLocks: false,
  }
}

/** The request for a form; `locksFrom` is the plan whose locked units keep their grid. */
export function designRequest(form: DesignForm, locksFrom: number | null): DesignRequest {
  const name = form.name.trim()
  return {
    k: Math.round(form.k),
    ...(name ? { name } : {}),
    weights: { ...form.weights },
    tolerance: Math.round(form.tolerancePercent * 10) / 1000,
    method: form.method,
    time_limit_s: form.timeLimitS,
    town_whole: form.townWhole,
    locks_from: form.keepLocks ? locksFrom : null,
  }
}

/** True when at least one weight is above zero (the server refuses all-zero weights). */
export function hasWeight(weights: Record<FigureKey, number>): boolean {
  return FIGURES.some((f) => (weights[f] ?? 0) > 0)
}

/** The colour of each plan status (tags, the plan list's stripe). */
export const PLAN_STATUS_COLOURS: Record<PlanStatus, string> = {
  draft: '#e3920b',
  active: '#1f9d55',
  retired: '#8a94a6',
}

/** A plan's time to the minute in the reader's zone, e.g. `2026/12/05 23:33`. */
export function formatMinute(value: string | null | undefined, locale: string): string {
  if (!value) return ''
  const date = new Date(value)
  if (Number.isNaN(date.getTime())) return value
  return new Intl.DateTimeFormat(locale, {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  }).format(date)
}

/** Violations that stop a plan from being activated (the server's `BLOCKING`). */
export const BLOCKING_VIOLATIONS: ReadonlySet<string> = new Set(['not_contiguous', 'crosses_barrier', 'empty_grid'])

/** Whether the server would activate a plan with this evaluation. */
export function activatable(evaluation: Pick<Evaluation, 'violations' | 'unassigned_units'>): boolean {
  return evaluation.unassigned_units.length === 0 && !evaluation.violations.some((v) => BLOCKING_VIOLATIONS.has(v.code))
}

/** Error codes of a refused design request, and the form field each is shown under. */
export const DESIGN_ERROR_FIELDS: Readonly<Record<string, string>> = Object.fromEntries(
  (
    [
      ['design.too_many_grids', 'k'],
      ['design.bad_grid_count', 'k'],
      ['locks_beyond_k', 'k'],
      ['design.bad_weights', 'weights'],
    ] as const
  ).map(([code, field]) => [`grids.${code}`, field]),
)
