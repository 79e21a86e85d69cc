/**
 * The console's incident list and dispatch alerts as plain data (no Vue, no network), so the
 * rules are unit-tested: which incidents a filter shows, how live events merge into a list, the
 * list's order, and which alerts stay on screen until someone acts on them.
 */
import type {
  Candidate,
  Incident,
  IncidentAlertEvent,
  IncidentQuery,
  IncidentStatus,
  IncidentType,
  Priority,
} from '@/shared/incidents/types'
import { FINISHED_STATUSES } from '@/shared/incidents/types'

export interface IncidentFilter {
  /** Any of these statuses (none: every status). */
  status: IncidentStatus[]
  type: IncidentType[]
  squadronId: number | null
  /** Only incidents not closed or cancelled. */
  active: boolean
}

export function emptyIncidentFilter(): IncidentFilter {
  return { status: [], type: [], squadronId: null, active: true }
}

export function isFinished(status: string): boolean {
  return (FINISHED_STATUSES as readonly string[]).includes(status)
}

export function matchesIncidentFilter(incident: Incident, filter: IncidentFilter): boolean {
  if (filter.active && isFinished(incident.status)) return false
  if (filter.status.length > 0 && !filter.status.includes(incident.status)) return false
  if (filter.type.length > 0 && !filter.type.includes(incident.type)) return false
  if (filter.squadronId !== null && incident.squadron_id !== filter.squadronId) return false
  return true
}

/** The REST query for a filter. */
export function filterQuery(filter: IncidentFilter, limit = 200): IncidentQuery {
  return {
    status: filter.status.length ? [...filter.status] : undefined,
    type: filter.type.length ? [...filter.type] : undefined,
    squadron_id: filter.squadronId,
    active: filter.active ? true : undefined,
    limit,
  }
}

/** 0: waits on the operator (alert, or not dispatched yet); 1: under way; 2: handled; 3: finished. */
export function attentionRank(incident: Incident): number {
  if (isFinished(incident.status)) return 3
  if (incident.alert || incident.status === 'new') return 0
  if (incident.status === 'handled') return 2
  return 1
}

/** What needs the operator first; then the most urgent; then the newest. */
export function compareIncidents(a: Incident, b: Incident): number {
  return (
    attentionRank(a) - attentionRank(b) ||
    a.priority - b.priority ||
    Date.parse(b.created_at) - Date.parse(a.created_at) ||
    b.id - a.id
  )
}

export function sortIncidents(list: readonly Incident[]): Incident[] {
  return [...list].sort(compareIncidents)
}

export interface MergeResult {
  list: Incident[]
  /** The incident was not in the list before (and now is). */
  inserted: boolean
  /** The incident left the list (it no longer matches the filter). */
  removed: boolean
}

/**
 * A live incident (an `incident` event) merged into a list shown under `filter`: replaced when it
 * is there, added when it now matches, dropped when it no longer does. The list comes back sorted.
 */
export function mergeIncident(list: readonly Incident[], incident: Incident, filter: IncidentFilter): MergeResult {
  const index = list.findIndex((i) => i.id === incident.id)
  const matches = matchesIncidentFilter(incident, filter)
  if (index < 0) {
    if (!matches) return { list: [...list], inserted: false, removed: false }
    return { list: sortIncidents([...list, incident]), inserted: true, removed: false }
  }
  const next = [...list]
  if (!matches) {
    next.splice(index, 1)
    return { list: next, inserted: false, removed: true }
  }
  next[index] = incident
  return { list: sortIncidents(next), inserted: false, removed: false }
}

/** Incidents per status, for the toolbar's counts. */
export function statusCounts(list: readonly Incident[]): Partial<Record<IncidentStatus, number>> {
  const counts: Partial<Record<IncidentStatus, number>> = {}
  for (const incident of list) counts[incident.status] = (counts[incident.status] ?? 0) + 1
  return counts
}

// ---- dispatch alerts ----------------------------------------------------------------------------

/** A dispatch that waits on the operator: nobody accepted in time, or the officer declined. */
export interface PendingAlert {
  incidentId: number
  /** `withdrawn`: the operator withdrew everyone sent (known from the incident, no event). */
  reason: 'timeout' | 'declined' | 'withdrawn'
  code: string
  type: IncidentType
  priority: Priority
  place: string
  /** The dispatch that timed out (or was declined). */
  assignmentId: number | null
  personName: string | null
  /** Who to send instead, when the server suggested someone. */
  next: Candidate | null
  /** When the console learned of it (ms). */
  since: number
}

/**
 * The alerts after an `alert` event. A `new` incident is not a pending alert (it only chimes);
 * a later alert for the same incident replaces the earlier one.
 */
export function addAlert(alerts: readonly PendingAlert[], event: IncidentAlertEvent, now: number): PendingAlert[] {
  if (event.reason !== 'timeout' && event.reason !== 'declined') return [...alerts]
  const previous = alerts.find((a) => a.incidentId === event.incident_id)
  const alert: PendingAlert = {
    incidentId: event.incident_id,
    reason: event.reason,
    code: event.code,
    type: event.type,
    priority: event.priority,
    place: event.place,
    assignmentId: event.assignment_id ?? null,
    personName: event.person_name ?? previous?.personName ?? null,
    next: event.next ?? null,
    since: previous?.since ?? now,
  }
  return [alert, ...alerts.filter((a) => a.incidentId !== event.incident_id)]
}

function placeText(incident: Incident): string {
  return incident.address || incident.road_name || ''
}

/**
 * The alerts after the incident changed. An alert stays until the incident no longer needs the
 * operator (someone accepted, was sent instead, or it was closed or cancelled); an incident that
 * needs the operator but has no alert yet (the console connected after the event) gets one from
 * its own state, with no suggestion.
 */
export function reconcileAlert(alerts: readonly PendingAlert[], incident: Incident, now: number): PendingAlert[] {
  const existing = alerts.find((a) => a.incidentId === incident.id)
  const needed = incident.alert && !isFinished(incident.status)
  if (!needed) return existing ? alerts.filter((a) => a.incidentId !== incident.id) : [...alerts]
  const overdue = incident.assignments.find((a) => a.overdue)
  const declined = [...incident.assignments].reverse().find((a) => a.status === 'declined' || a.status === 'withdrawn')
  const reason: PendingAlert['reason'] = overdue ? 'timeout' : declined?.status === 'withdrawn' ? 'withdrawn' : 'declined'
  const about = overdue ?? declined ?? null
  if (existing) {
    // Keep the server's suggestion; refresh what the incident says now.
    const updated: PendingAlert = {
      ...existing,
      code: incident.code,
      type: incident.type,
      priority: incident.priority,
      place: placeText(incident),
      // The server's reason stands (its event names what happened), unless the late dispatch
      // itself has ended since.
      reason: existing.reason === 'timeout' && !overdue ? reason : existing.reason,
      assignmentId: about?.id ?? existing.assignmentId,
      personName: about?.person_name ?? existing.personName,
    }
    return alerts.map((a) => (a.incidentId === incident.id ? updated : a))
  }
  return [
    {
      incidentId: incident.id,
      reason,
      code: incident.code,
      type: incident.type,
      priority: incident.priority,
      place: placeText(incident),
      assignmentId: about?.id ?? null,
      personName: about?.person_name ?? null,
      next: null,
      since: now,
    },
    ...alerts,
  ]
}

/** After a snapshot of every open incident: alerts for those that need them, no others. */
export function alertsFromSnapshot(alerts: readonly PendingAlert[], incidents: readonly Incident[], now: number): PendingAlert[] {
  const open = new Set(incidents.map((i) => i.id))
  let next = alerts.filter((a) => open.has(a.incidentId))
  for (const incident of incidents) next = reconcileAlert(next, incident, now)
  return next
}

/** Whether the alert's suggestion can be acted on with one click, and how. */
export function alertAction(alert: PendingAlert): 'reassign' | 'dispatch' | 'open' {
  if (!alert.next) return 'open'
  return alert.reason === 'timeout' && alert.assignmentId !== null ? 'reassign' : 'dispatch'
}

/**
 * An `alert` event, checked against what the console already knows of the incident (its
 * `incident` event is published just before): a declined support officer while someone else is
 * still on the way leaves nothing for the operator to do, so no alert stays.
 */
export function applyAlertEvent(
  alerts: readonly PendingAlert[],
  event: IncidentAlertEvent,
  known: Incident | undefined,
  now: number,
): PendingAlert[] {
  const added = addAlert(alerts, event, now)
  return known && known.id === event.incident_id ? reconcileAlert(added, known, now) : added
}
