/**
 * Types of the grids API (`/api/grids`, docs/grids.md; the shapes are the backend's pydantic
 * schemas in src/patrolgrid/grids/models.py). Grid numbers run 1..k; units are keyed
 * `s:<segment key>` (a road segment) or `a:<area key>` (a whole town, township or community).
 */
import type { FeatureCollection, LineString, MultiPolygon, Polygon } from 'geojson'
import type { LocalizedText } from '@/shared/types'

export type PlanStatus = 'draft' | 'active' | 'retired'

/** The figures a unit carries, in the order the page shows them. */
export type FigureKey = 'road_km' | 'drivers' | 'vehicles' | 'accidents' | 'difficulty' | 'police'
export const FIGURES: readonly FigureKey[] = ['road_km', 'drivers', 'vehicles', 'accidents', 'difficulty', 'police']

export type DesignMethod = 'auto' | 'heuristic' | 'exact'
export const DESIGN_METHODS: readonly DesignMethod[] = ['auto', 'heuristic', 'exact']

export interface GridOut {
  /** Stable for the plan's life: what posts and rosters refer to. */
  id: number
  number: number
  name: string
  colour: string
  units: number
}

export interface PlanSummary {
  id: number
  squadron_id: number
  version: number
  name: string
  status: PlanStatus
  k: number
  /** `heuristic`, `exact`, `parts` (one grid per separate part) or `copy`. */
  method: string
  note: string
  parent_id: number | null
  network_version: number | null
  created_by: string
  created_at: string
  updated_at: string
  activated_at: string | null
  retired_at: string | null
  grids: GridOut[]
  /** What the plan was made with: weights, tolerance, barriers, town_whole, the design report. */
  params: Record<string, unknown>
}

export interface Violation {
  /** `not_contiguous`, `crosses_barrier`, `empty_grid`, `group_split`, `lock_violated`, … */
  code: string
  message: LocalizedText
  grid: number | null
  units: string[]
}

export interface GridEvaluation {
  number: number
  name: string
  colour: string
  units: number
  /** Share of the squadron's workload (all grids sum to 1). */
  workload: number
  /** Workload ÷ the mean per grid. */
  workload_ratio: number
  /** `workload_ratio - 1`. */
  deviation: number
  figures: Record<string, number>
  figure_ratios: Record<string, number>
  figure_deviations: Record<string, number>
  contiguous: boolean
  /** The grid's centre unit (its workload-weighted 1-median), when it has units. */
  centre: string | null
}

export interface EvaluationSummary {
  workload_min_ratio: number
  workload_max_ratio: number
  max_deviation: number
  figure_min_ratio: Record<string, number>
  figure_max_ratio: Record<string, number>
  cut_edges: number
  total_edges: number
  contiguous: boolean
  within_tolerance: boolean
}

export interface Evaluation {
  plan_id: number
  k: number
  tolerance: number
  weights: Record<string, number>
  grids: GridEvaluation[]
  /** Null when no unit is assigned. */
  summary: EvaluationSummary | null
  violations: Violation[]
  /** Units of the squadron the plan gives no grid (new roads after a re-import). */
  unassigned_units: string[]
  /** Units of the plan no longer in the network or territory. */
  vanished_units: string[]
  network_version: number | null
}

export interface PlanUnit {
  unit: string
  grid: number
  locked: boolean
  /** The grid the unit is locked to. */
  locked_grid: number | null
}

export interface PlanDetail {
  plan: PlanSummary
  units: PlanUnit[]
  evaluation: Evaluation
}

export interface MoveResult {
  moved: PlanUnit[]
  unchanged: number
  evaluation: Evaluation
}

export interface LockResult {
  changed: number
  evaluation: Evaluation
}

export type JobStatus = 'running' | 'done' | 'failed'

export interface JobProgress {
  method: string
  phase: string
  iteration: number
  best_objective: number | null
  best_excess: number | null
  elapsed_s: number
  /** The job was stopped (or ran out of time): the plan is the best found so far. */
  stopped_early: boolean
}

export interface DesignJob {
  id: number
  squadron_id: number
  status: JobStatus
  stop_requested: boolean
  progress: JobProgress | null
  plan_id: number | null
  error: { code: string; message: LocalizedText; details: unknown } | null
  params: Record<string, unknown>
  created_by: string
  created_at: string
  finished_at: string | null
}

/** `POST /squadrons/{id}/design`. */
export interface DesignRequest {
  k: number
  name?: string | null
  /** Null: the squadron's stored weights. */
  weights?: Partial<Record<FigureKey, number>> | null
  tolerance?: number
  method?: DesignMethod
  time_limit_s?: number
  max_rounds?: number
  seed?: number
  town_whole?: boolean
  /** Keep the locked units of this plan where they are. */
  locks_from?: number | null
}

export interface UnitMove {
  unit: string
  name: string | null
  from_grid: number | null
  to_grid: number | null
}

export interface Transfer {
  from_grid: number | null
  to_grid: number | null
  units: number
}

export interface GridComparison {
  number: number
  name_a: string | null
  name_b: string | null
  units_a: number
  units_b: number
  workload_ratio_a: number | null
  workload_ratio_b: number | null
  figure_ratios_a: Record<string, number>
  figure_ratios_b: Record<string, number>
}

export interface Comparison {
  a: PlanSummary
  b: PlanSummary
  moved: UnitMove[]
  moved_count: number
  transfers: Transfer[]
  grids: GridComparison[]
  summary_a: EvaluationSummary | null
  summary_b: EvaluationSummary | null
}

export type UnitKind = 'segment' | 'area'

/** Properties of a unit in `GET /squadrons/{id}/units?plan_id=`. */
/**
 * Where a unit's difficulty rating comes from: set by hand on the unit or on its area (a hand
 * rating always wins), derived from the incidents on its roads, or the default 1.
 */
export type DifficultySource = 'unit' | 'area' | 'incidents' | 'default'

export interface UnitProperties extends Record<FigureKey, number> {
  unit: string
  kind: UnitKind
  name: string
  area: string
  area_name: string
  /** The unit's share of the squadron's workload (stored weights). */
  workload: number
  grid: number | null
  locked: boolean
  /** The rating 1–5 the `difficulty` figure (rating × road km) was made with. */
  difficulty_rating: number
  difficulty_source: DifficultySource
  /** Incidents (not cancelled) on the unit's roads in the squadron's period. */
  incidents: number
}

export type UnitGeometry = LineString | Polygon | MultiPolygon

export interface UnitCollection extends FeatureCollection<UnitGeometry, UnitProperties> {
  squadron_id: number
  network_version: number | null
  weights: Record<string, number>
  missing_areas: string[]
}

export interface SquadronSettings {
  squadron_id: number
  weights: Record<string, number>
  police_total: number | null
  police_people: number
  accidents_from: string | null
  accidents_to: string | null
  figures: Record<string, LocalizedText>
}
