/**
 * Reading the `grids` realtime topic (docs/grids.md): plan changes made by anyone, and the
 * progress of design jobs. Plain functions (unit-tested); the store acts on their answers.
 *
 * The page makes its own changes through the API and applies the answers at once, so the event
 * of its own change must not trigger a reload: `planEventEffect` recognises an event whose change
 * the page already shows.
 */
import type { RealtimeEvent } from '@/shared/ws'
import type { DesignJob, PlanSummary } from './types'
import type { Assignment } from './units'

export const GRIDS_TOPIC = 'grids'

/** What the page shows, as far as events are concerned. */
export interface ShownPlan {
  squadronId: number | null
  plan: Pick<PlanSummary, 'id' | 'name' | 'note' | 'status'> | null
  gridNames: ReadonlyMap<number, string>
  gridColours: ReadonlyMap<number, string>
  assignment: Assignment
}

export interface PlanEventEffect {
  /** The squadron's plan list changed. */
  reloadList: boolean
  /** The shown plan changed in a way the page does not show yet (`gone`: it was deleted). */
  plan: 'keep' | 'reload' | 'gone'
}

const KEEP: PlanEventEffect = { reloadList: false, plan: 'keep' }

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {}
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []
}

/** True when the change an event describes is already what the page shows. */
function alreadyShown(data: Record<string, unknown>, shown: ShownPlan): boolean {
  const moved = stringList(data.moved)
  if (moved.length > 0 && typeof data.to_grid === 'number') {
    return moved.every((u) => shown.assignment.get(u)?.grid === data.to_grid)
  }
  if (typeof data.locked === 'boolean') {
    const units = stringList(data.units)
    return units.every((u) => {
      const at = shown.assignment.get(u)
      return at !== undefined && (at.lockedGrid !== null) === data.locked
    })
  }
  if (typeof data.grid === 'number') {
    const nameSame = typeof data.name !== 'string' || shown.gridNames.get(data.grid) === data.name
    const colourSame = typeof data.colour !== 'string' || shown.gridColours.get(data.grid) === data.colour
    return nameSame && colourSame
  }
  const plan = shown.plan
  if (!plan) return false
  const nameSame = typeof data.name !== 'string' || plan.name === data.name
  const noteSame = typeof data.note !== 'string' || plan.note === data.note
  return nameSame && noteSame
}

/** What an event of the `grids` topic means for the page. */
export function planEventEffect(event: RealtimeEvent, shown: ShownPlan): PlanEventEffect {
  if (event.topic !== GRIDS_TOPIC || !event.event.startsWith('plan.')) return KEEP
  const data = record(event.data)
  if (shown.squadronId === null || data.squadron_id !== shown.squadronId) return KEEP
  const isShown = shown.plan !== null && data.id === shown.plan.id
  switch (event.event) {
    case 'plan.created':
      return { reloadList: true, plan: 'keep' }
    case 'plan.deleted':
      return { reloadList: true, plan: isShown ? 'gone' : 'keep' }
    case 'plan.activated': {
      // The plan it replaced becomes retired: the shown plan changes when it is either one.
      const touched = isShown || (shown.plan !== null && data.retired === shown.plan.id)
      const same = isShown && shown.plan?.status === 'active'
      return { reloadList: true, plan: touched && !same ? 'reload' : 'keep' }
    }
    case 'plan.retired':
      return { reloadList: true, plan: isShown && shown.plan?.status !== 'retired' ? 'reload' : 'keep' }
    case 'plan.updated':
      if (!isShown) return { reloadList: true, plan: 'keep' }
      return alreadyShown(data, shown) ? { reloadList: true, plan: 'keep' } : { reloadList: true, plan: 'reload' }
    default:
      return KEEP
  }
}

function isJob(value: unknown): value is DesignJob {
  const v = record(value)
  return typeof v.id === 'number' && typeof v.squadron_id === 'number' && typeof v.status === 'string'
}

/** The job state a `design.*` event carries, when it is about the job `jobId`. */
export function jobFromEvent(event: RealtimeEvent, jobId: number): DesignJob | null {
  if (event.topic !== GRIDS_TOPIC || !event.event.startsWith('design.')) return null
  return isJob(event.data) && event.data.id === jobId ? event.data : null
}

/**
 * The newer of two states of the same job: a finished job never goes back to running, and
 * progress only moves forward (a poll answer and an event may arrive in either order).
 */
export function newerJob(current: DesignJob | null, incoming: DesignJob): DesignJob {
  if (!current || current.id !== incoming.id) return incoming
  if (current.status !== 'running' && incoming.status === 'running') return current
  if (current.status === 'running' && incoming.status === 'running') {
    const a = current.progress?.elapsed_s ?? -1
    const b = incoming.progress?.elapsed_s ?? -1
    if (b < a) return { ...current, stop_requested: current.stop_requested || incoming.stop_requested }
  }
  return incoming
}

/** Share of the job's time limit used so far (0..1); 1 once it has finished. */
export function jobFraction(job: DesignJob): number {
  if (job.status !== 'running') return 1
  const limit = Number(job.params.time_limit_s)
  const elapsed = job.progress?.elapsed_s ?? 0
  if (!Number.isFinite(limit) || limit <= 0) return 0
  return Math.min(0.99, Math.max(0, elapsed / limit))
}
