/**
 * Live statuses on the console: their colours (map symbols, list tags, counts) and order.
 * One place, so the map and the list always agree.
 */
import { LIVE_STATUSES, type LivePerson, type LiveStatus } from '@/shared/types'

export interface StatusStyle {
  /** Fill of the map symbol and the tag's dot. */
  color: string
  /** Outline of the map symbol. */
  stroke: string
  /** Drawn as a ring with a dark centre (offline: we do not know where they are now). */
  hollow: boolean
}

export const STATUS_STYLES: Readonly<Record<LiveStatus, StatusStyle>> = {
  off_duty: { color: '#8c96a8', stroke: '#dfe5ee', hollow: false },
  on_duty: { color: '#3b8cff', stroke: '#ffffff', hollow: false },
  patrolling: { color: '#2fcf7a', stroke: '#ffffff', hollow: false },
  en_route: { color: '#ff9a1f', stroke: '#ffffff', hollow: false },
  on_scene: { color: '#a86bff', stroke: '#ffffff', hollow: false },
  sos: { color: '#ff3040', stroke: '#ffffff', hollow: false },
  offline: { color: '#1b2638', stroke: '#7d889b', hollow: true },
}

/** For a status this UI does not know yet. */
export const UNKNOWN_STATUS_STYLE: StatusStyle = { color: '#5c6b82', stroke: '#dfe5ee', hollow: false }

export function isLiveStatus(value: unknown): value is LiveStatus {
  return typeof value === 'string' && (LIVE_STATUSES as readonly string[]).includes(value)
}

export function statusStyle(status: LivePerson['status'] | null | undefined): StatusStyle {
  return isLiveStatus(status) ? STATUS_STYLES[status] : UNKNOWN_STATUS_STYLE
}

/** Sort rank: SOS first, then the busiest statuses; unknown statuses last. */
export function statusRank(status: LivePerson['status']): number {
  const i = (LIVE_STATUSES as readonly string[]).indexOf(status)
  return i < 0 ? LIVE_STATUSES.length : i
}
