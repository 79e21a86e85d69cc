/**
 * Auxiliary-alone alerts (路员单独巡逻) kept from the API list and the `duty` topic's
 * `duty.alone` events (no Vue; unit-tested).
 */
import type { DutyAlert } from '@/shared/duty/types'

export const ALONE_EVENT = 'duty.alone'

/** Still open and nobody has acknowledged it: shown in the console-wide banner. */
export function needsAttention(alert: DutyAlert): boolean {
  return alert.ended_at === null && alert.acknowledged_at === null
}

function newestFirst(a: DutyAlert, b: DutyAlert): number {
  return b.started_at.localeCompare(a.started_at) || b.id - a.id
}

/**
 * The open alerts after an event about `alert`: added or replaced while open, removed once it
 * ended. Returns the same array when nothing changed.
 */
export function applyAlert(open: readonly DutyAlert[], alert: DutyAlert): DutyAlert[] {
  const rest = open.filter((a) => a.id !== alert.id)
  if (alert.ended_at !== null) return rest.length === open.length ? (open as DutyAlert[]) : rest
  return [...rest, alert].sort(newestFirst)
}

/** The API's list in display order (newest first). */
export function sortAlerts(alerts: readonly DutyAlert[]): DutyAlert[] {
  return [...alerts].sort(newestFirst)
}

/** True when the event opens an alert the console did not know as needing attention. */
export function isFreshAlarm(before: readonly DutyAlert[], alert: DutyAlert): boolean {
  if (!needsAttention(alert)) return false
  const known = before.find((a) => a.id === alert.id)
  return !known || !needsAttention(known)
}

/** Reads a `duty.alone` event's payload (the alert, with the `state` it reached). */
export function alertFromEvent(data: unknown): DutyAlert | null {
  if (typeof data !== 'object' || data === null) return null
  const a = data as Partial<DutyAlert>
  if (typeof a.id !== 'number' || typeof a.started_at !== 'string') return null
  if (typeof a.person !== 'object' || a.person === null || typeof a.person.id !== 'number') return null
  return {
    grid_id: 0,
    grid_name: '',
    squadron_id: 0,
    squadron_name: '',
    ended_at: null,
    nearest_lead_m: null,
    acknowledged_by: null,
    acknowledged_at: null,
    ...a,
    open: (a.ended_at ?? null) === null,
  } as DutyAlert
}

/** Where the 路员 was alone: "squadron · grid" (grid names repeat across squadrons). */
export function alertPlace(alert: Pick<DutyAlert, 'squadron_name' | 'grid_name'>): string {
  return [alert.squadron_name, alert.grid_name].filter(Boolean).join(' · ')
}

/** Whole minutes from the alert's opening to `now` (never negative). */
export function alertMinutes(alert: Pick<DutyAlert, 'started_at'>, now: number): number {
  const started = Date.parse(alert.started_at)
  if (Number.isNaN(started)) return 0
  return Math.max(0, Math.floor((now - started) / 60_000))
}

