/**
 * The officer's dispatches as plain data (unit-tested): reading the personal `user.<id>` events,
 * keeping the list, which dispatch the app shows, whether the phone must ring, and which buttons
 * each step offers.
 */
import type { AssignmentStatus, MyAssignment } from '@/shared/incidents/types'
import { LIVE_ASSIGNMENT_STATUSES } from '@/shared/incidents/types'
import type { LonLat } from '@/shared/types'

export const DISPATCHED_EVENT = 'incident.dispatched'
export const ASSIGNMENT_EVENT = 'incident.assignment'

export interface PersonalEvent {
  /** A new dispatch: the phone rings. */
  ring: boolean
  item: MyAssignment
}

/** A `{type: "event", topic: "user.<id>", event: "incident.*"}` frame, or null for anything else. */
export function parsePersonalEvent(frame: unknown): PersonalEvent | null {
  if (typeof frame !== 'object' || frame === null) return null
  const f = frame as { type?: unknown; topic?: unknown; event?: unknown; data?: unknown }
  if (f.type !== 'event' || typeof f.topic !== 'string' || !f.topic.startsWith('user.')) return null
  if (f.event !== DISPATCHED_EVENT && f.event !== ASSIGNMENT_EVENT) return null
  const data = f.data as Partial<MyAssignment> | null
  if (!data || typeof data !== 'object' || !data.assignment || !data.incident) return null
  if (typeof data.assignment.id !== 'number' || typeof data.incident.id !== 'number') return null
  return { ring: f.event === DISPATCHED_EVENT, item: data as MyAssignment }
}

export function isLiveAssignment(status: string): boolean {
  return (LIVE_ASSIGNMENT_STATUSES as readonly string[]).includes(status)
}

function rank(item: MyAssignment): number {
  const status = item.assignment.status
  if (status === 'dispatched') return 0
  if (isLiveAssignment(status)) return 1
  return 2
}

/** Waiting for an answer first, then those under way, then the rest; newest first in each. */
export function sortMine(list: readonly MyAssignment[]): MyAssignment[] {
  return [...list].sort(
    (a, b) =>
      rank(a) - rank(b) ||
      Date.parse(b.assignment.dispatched_at) - Date.parse(a.assignment.dispatched_at) ||
      b.assignment.id - a.assignment.id,
  )
}

/** The list with `item` in it (replacing the same assignment), sorted. */
export function upsertMine(list: readonly MyAssignment[], item: MyAssignment): MyAssignment[] {
  const rest = list.filter((i) => i.assignment.id !== item.assignment.id)
  return sortMine([...rest, item])
}

/** The dispatch to show on the home screen: the first still under way, or null. */
export function currentOf(list: readonly MyAssignment[]): MyAssignment | null {
  return sortMine(list).find((i) => isLiveAssignment(i.assignment.status) && !isOver(i)) ?? null
}

/** The incident itself ended (closed or cancelled). */
export function isOver(item: MyAssignment): boolean {
  return item.incident.status === 'closed' || item.incident.status === 'cancelled'
}

/** The phone rings while any dispatch waits for an answer. */
export function mustRing(list: readonly MyAssignment[]): boolean {
  return list.some((i) => i.assignment.status === 'dispatched' && !isOver(i))
}

export type OfficerAction = 'accept' | 'decline' | 'depart' | 'arrive' | 'handled'

/** The buttons for an assignment in this status (the server allows exactly these steps). */
export function actionsFor(status: AssignmentStatus | string): OfficerAction[] {
  switch (status) {
    case 'dispatched':
      return ['accept', 'decline']
    case 'accepted':
      return ['depart', 'arrive']
    case 'en_route':
      return ['arrive']
    case 'on_scene':
      return ['handled']
    default:
      return []
  }
}

/** Great-circle distance in metres (for deciding when to plan the route again). */
export function metresBetween(a: LonLat, b: LonLat): number {
  const rad = Math.PI / 180
  const dLat = (b[1] - a[1]) * rad
  const dLon = (b[0] - a[0]) * rad
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a[1] * rad) * Math.cos(b[1] * rad) * Math.sin(dLon / 2) ** 2
  return 2 * 6371008.8 * Math.asin(Math.min(1, Math.sqrt(h)))
}

/**
 * Plan the route again when there is none for this incident, or the officer moved more than
 * `minMoveM` since it was planned and at least `minIntervalMs` passed.
 */
export function shouldReplan(
  last: { incidentId: number; from: LonLat; at: number } | null,
  incidentId: number,
  from: LonLat,
  now: number,
  minMoveM = 150,
  minIntervalMs = 15000,
): boolean {
  if (!last || last.incidentId !== incidentId) return true
  return now - last.at >= minIntervalMs && metresBetween(last.from, from) > minMoveM
}
