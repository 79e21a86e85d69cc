/** Typed calls to the grids API (`grids:read` to read, `grids:manage` to change; docs/grids.md). */
import type { RequestOptions } from '@/shared/api'
import { api } from '@/shared/http'
import type { ItemList } from '@/shared/types'
import type {
  Comparison,
  DesignJob,
  DesignRequest,
  LockResult,
  MoveResult,
  PlanDetail,
  PlanSummary,
  SquadronSettings,
  UnitCollection,
} from './types'

export type PlanExportFormat = 'geojson' | 'xlsx'

const base = '/api/grids'

export const gridsApi = {
  plans: (squadronId: number, options?: RequestOptions) =>
    api.get<ItemList<PlanSummary>>(`${base}/plans`, { ...options, query: { squadron_id: squadronId } }),
  plan: (planId: number, options?: RequestOptions) => api.get<PlanDetail>(`${base}/plans/${planId}`, options),
  /** Every unit of the squadron as GeoJSON (WGS-84), with its grid and lock in `planId`. */
  units: (squadronId: number, planId: number | null, options?: RequestOptions) =>
    api.get<UnitCollection>(`${base}/squadrons/${squadronId}/units`, { ...options, query: { plan_id: planId } }),
  settings: (squadronId: number, options?: RequestOptions) =>
    api.get<SquadronSettings>(`${base}/squadrons/${squadronId}/settings`, options),

  /** 202: the job runs in the background; `422 grids.design.*` for a request the engine refuses. */
  design: (squadronId: number, body: DesignRequest) =>
    api.post<DesignJob>(`${base}/squadrons/${squadronId}/design`, body),
  job: (jobId: number, options?: RequestOptions) => api.get<DesignJob>(`${base}/jobs/${jobId}`, options),
  jobs: (squadronId: number, limit = 5, options?: RequestOptions) =>
    api.get<ItemList<DesignJob>>(`${base}/jobs`, { ...options, query: { squadron_id: squadronId, limit } }),
  /** Ends the search; the best plan so far is saved as a draft. */
  stopJob: (jobId: number) => api.post<DesignJob>(`${base}/jobs/${jobId}/stop`),

  /** Moves units to a grid (drafts only); the answer carries the plan's new figures. */
  move: (planId: number, units: string[], toGrid: number) =>
    api.post<MoveResult>(`${base}/plans/${planId}/moves`, { units, to_grid: toGrid }),
  lock: (planId: number, units: string[], locked: boolean) =>
    api.post<LockResult>(`${base}/plans/${planId}/locks`, { units, locked }),
  updatePlan: (planId: number, body: { name?: string; note?: string }) =>
    api.patch<PlanSummary>(`${base}/plans/${planId}`, body),
  updateGrid: (planId: number, number: number, body: { name?: string; colour?: string }) =>
    api.patch<PlanSummary>(`${base}/plans/${planId}/grids/${number}`, body),
  copy: (planId: number, name?: string) =>
    api.post<PlanSummary>(`${base}/plans/${planId}/copy`, name ? { name } : {}),
  /** `409 grids.plan_invalid` (the rules it breaks in `details`) while the plan cannot be used. */
  activate: (planId: number) => api.post<PlanSummary>(`${base}/plans/${planId}/activate`),
  retire: (planId: number) => api.post<PlanSummary>(`${base}/plans/${planId}/retire`),
  remove: (planId: number) => api.delete(`${base}/plans/${planId}`),
  compare: (a: number, b: number, options?: RequestOptions) =>
    api.get<Comparison>(`${base}/plans/compare`, { ...options, query: { a, b } }),
  /** A download link (the session cookie authorises it). */
  exportUrl: (planId: number, format: PlanExportFormat) =>
    api.url(`${base}/plans/${planId}/export`, { format }),
}
