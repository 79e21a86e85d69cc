/**
 * When to plan the route to a colleague in SOS again (unit-tested): both of you move, so the
 * route is planned afresh when either moved 50 m (at most every 3 s), and every 10 s while
 * either is moving at all; a different colleague plans at once.
 */
import { haversineMeters } from '@/shared/geo/coords'
import type { LonLat } from '@/shared/types'

export interface PlannedRoute {
  sosId: number
  from: LonLat
  to: LonLat
  at: number
}

export interface ReplanRules {
  /** A move this large plans again (once `minGapMs` passed). */
  bigMoveM: number
  minGapMs: number
  /** Every this often while anyone moved more than `driftM`. */
  everyMs: number
  driftM: number
}

export const REPLAN_RULES: ReplanRules = { bigMoveM: 50, minGapMs: 3000, everyMs: 10000, driftM: 5 }

export function shouldReplanRoute(
  last: PlannedRoute | null,
  sosId: number,
  from: LonLat,
  to: LonLat,
  now: number,
  rules: ReplanRules = REPLAN_RULES,
): boolean {
  if (!last || last.sosId !== sosId) return true
  const gap = now - last.at
  const moved = Math.max(haversineMeters(last.from, from), haversineMeters(last.to, to))
  if (moved >= rules.bigMoveM && gap >= rules.minGapMs) return true
  return gap >= rules.everyMs && moved > rules.driftM
}
