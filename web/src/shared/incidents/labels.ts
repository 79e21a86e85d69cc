/**
 * Incident statuses, types, priorities and sources in words and colours: one place, so the list,
 * the detail, the map layer and the officer app always agree. The colours of 出警 and 到场 are
 * the people's 出警中/处置中 colours on the live map (checked by a test).
 */
import { i18n } from '../i18n'
import type { AssignmentStatus, IncidentStatus, Priority } from './types'

function label(prefix: string, value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return ''
  const key = `${prefix}.${value}`
  return i18n.global.te(key) ? i18n.global.t(key) : String(value)
}

export const incidentStatusLabel = (status: string | null | undefined) => label('incidents.status', status)
export const assignmentStatusLabel = (status: string | null | undefined) =>
  label('incidents.assignmentStatus', status)
export const incidentTypeLabel = (type: string | null | undefined) => label('incidents.type', type)
export const incidentSourceLabel = (source: string | null | undefined) => label('incidents.source', source)
export const priorityLabel = (priority: number | null | undefined) =>
  priority === null || priority === undefined ? '' : label('incidents.priority', `p${priority}`)
export const timelineKindLabel = (kind: string | null | undefined) => label('incidents.timeline.kind', kind)

/** Status colours (list tags, map icons, the officer app). */
export const INCIDENT_STATUS_COLORS: Readonly<Record<IncidentStatus, string>> = {
  new: '#f25c54',
  dispatched: '#3b8cff',
  accepted: '#1fb8cd',
  en_route: '#ff9a1f',
  on_scene: '#a86bff',
  handled: '#2fcf7a',
  closed: '#8c96a8',
  cancelled: '#5c6b82',
}

export const ASSIGNMENT_STATUS_COLORS: Readonly<Record<AssignmentStatus, string>> = {
  dispatched: INCIDENT_STATUS_COLORS.dispatched,
  accepted: INCIDENT_STATUS_COLORS.accepted,
  en_route: INCIDENT_STATUS_COLORS.en_route,
  on_scene: INCIDENT_STATUS_COLORS.on_scene,
  handled: INCIDENT_STATUS_COLORS.handled,
  declined: '#e0434b',
  withdrawn: '#8c96a8',
}

/** 紧急 red, 较急 orange, 一般 steel blue. */
export const PRIORITY_COLORS: Readonly<Record<Priority, string>> = {
  1: '#ff3040',
  2: '#ff9a1f',
  3: '#7fa8d9',
}

const UNKNOWN = '#5c6b82'

export function incidentStatusColor(status: string | null | undefined): string {
  return INCIDENT_STATUS_COLORS[status as IncidentStatus] ?? UNKNOWN
}

export function assignmentStatusColor(status: string | null | undefined): string {
  return ASSIGNMENT_STATUS_COLORS[status as AssignmentStatus] ?? UNKNOWN
}

export function priorityColor(priority: number | null | undefined): string {
  return PRIORITY_COLORS[priority as Priority] ?? UNKNOWN
}
