/**
 * Duty and status rules of the officer app (docs/tracking.md, "Status"), and the connection
 * indicator. Pure functions, unit-tested.
 */
import type { LiveStatus } from '@/shared/types'
import type { OfficerSettableStatus } from './types'

/** The status buttons shown while on duty (start/end duty are separate buttons). */
export const DUTY_STATUSES: readonly Exclude<OfficerSettableStatus, 'off_duty'>[] = ['on_duty', 'patrolling']

export const SETTABLE_STATUSES: readonly OfficerSettableStatus[] = ['off_duty', 'on_duty', 'patrolling']

export function isSettableStatus(value: unknown): value is OfficerSettableStatus {
  return typeof value === 'string' && (SETTABLE_STATUSES as readonly string[]).includes(value)
}

/**
 * On duty: every status except `off_duty` (`offline` is "on duty, but no reports", so the app keeps
 * reporting to bring the officer back). GPS runs exactly while on duty. Unknown (null) is off duty.
 */
export function isOnDuty(status: LiveStatus | (string & {}) | null | undefined): boolean {
  return typeof status === 'string' && status !== '' && status !== 'off_duty'
}

export interface DutyButtons {
  start: boolean
  end: boolean
  on_duty: boolean
  patrolling: boolean
}

/**
 * Which buttons are enabled. `busy`: a change is being sent; `blocked`: this account cannot report
 * (not linked to a person).
 */
export function dutyButtons(
  status: LiveStatus | (string & {}) | null,
  options: { busy?: boolean; blocked?: boolean } = {},
): DutyButtons {
  if (options.busy || options.blocked) {
    return { start: false, end: false, on_duty: false, patrolling: false }
  }
  const onDuty = isOnDuty(status)
  return {
    start: !onDuty,
    end: onDuty,
    on_duty: onDuty && status !== 'on_duty',
    patrolling: onDuty && status !== 'patrolling',
  }
}

/** Status colour family for the big status badge. */
export type StatusTone = 'off' | 'duty' | 'patrol' | 'busy' | 'alarm' | 'warn'

export function statusTone(status: string | null | undefined): StatusTone {
  switch (status) {
    case 'on_duty':
      return 'duty'
    case 'patrolling':
      return 'patrol'
    case 'en_route':
    case 'on_scene':
      return 'busy'
    case 'sos':
      return 'alarm'
    case 'offline':
      return 'warn'
    default:
      return 'off'
  }
}

// ---- connection indicator ---------------------------------------------------------------------

/**
 * `online`: the WebSocket is open; `offline`: the browser has no network (or the app is not
 * connecting at all); `reconnecting`: the network is there but the socket is not (yet) open.
 */
export type ConnectionState = 'online' | 'reconnecting' | 'offline'

export function connectionState(input: {
  connected: boolean
  /** The client is trying to stay connected. */
  running: boolean
  /** `navigator.onLine`. */
  browserOnline: boolean
}): ConnectionState {
  if (input.connected) return 'online'
  if (!input.running || !input.browserOnline) return 'offline'
  return 'reconnecting'
}
