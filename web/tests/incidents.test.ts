import { describe, expect, it } from 'vitest'
import {
  addAlert,
  alertAction,
  alertsFromSnapshot,
  applyAlertEvent,
  emptyIncidentFilter,
  filterQuery,
  matchesIncidentFilter,
  mergeIncident,
  reconcileAlert,
  sortIncidents,
  statusCounts,
  type IncidentFilter,
} from '@/console/incidents/book'
import { STATUS_STYLES } from '@/console/live/status'
import { incidentsGeoJSON } from '@/console/map/incidentsLayer'
import { incidentQueryString } from '@/shared/incidents/api'
import {
  formatClockDuration,
  formatEta,
  formatKm,
  placeOf,
  responseTimes,
  secondsBetween,
  sinceCreated,
} from '@/shared/incidents/format'
import {
  INCIDENT_STATUS_COLORS,
  assignmentStatusLabel,
  incidentStatusLabel,
  incidentTypeLabel,
  priorityLabel,
  timelineKindLabel,
} from '@/shared/incidents/labels'
import { Ringer, VIBRATION_PATTERN } from '@/shared/incidents/sound'
import type { Assignment, Candidate, Incident, IncidentAlertEvent } from '@/shared/incidents/types'
import { INCIDENT_STATUSES } from '@/shared/incidents/types'

const T0 = Date.parse('2026-11-20T08:00:00Z')
const iso = (seconds: number) => new Date(T0 + seconds * 1000).toISOString()

function assignment(over: Partial<Assignment> = {}): Assignment {
  return {
    id: 1,
    incident_id: 1,
    person_id: 10,
    person_name: '南岸',
    badge_no: 'P09002',
    mobile: '13900000002',
    support: false,
    status: 'dispatched',
    dispatched_by: '林晓东',
    dispatched_at: iso(30),
    accept_due_at: iso(90),
    overdue: false,
    eta_seconds: 130,
    distance_m: 1450,
    accepted_at: null,
    en_route_at: null,
    arrived_at: null,
    arrived_how: null,
    handled_at: null,
    ended_at: null,
    end_reason: '',
    ...over,
  }
}

function incident(over: Partial<Incident> = {}): Incident {
  return {
    id: 1,
    code: 'JQ2026112000001',
    source: 'camera',
    type: 'blocking',
    priority: 2,
    status: 'new',
    lon: 108.7,
    lat: 30.93,
    address: '',
    road_name: '滨江路',
    description: '三轮车堵路',
    caller_name: '',
    caller_phone: '',
    camera_id: 3,
    squadron_id: 1,
    squadron_name: '城区一中队',
    reporter_person_id: null,
    created_by: '林晓东',
    created_at: iso(0),
    dispatched_at: null,
    accepted_at: null,
    arrived_at: null,
    handled_at: null,
    closed_at: null,
    cancelled_at: null,
    outcome: '',
    durations: { receive_to_dispatch: null, dispatch_to_accept: null, dispatch_to_arrive: null, arrive_to_handled: null },
    assignments: [],
    alert: false,
    ...over,
  }
}

const candidate: Candidate = {
  person_id: 11,
  name: '北岸',
  badge_no: 'P09001',
  kind: 'police',
  post: '网格路警',
  mobile: '13900000001',
  squadron_id: 1,
  squadron_name: '城区一中队',
  status: 'patrolling',
  lon: 108.7,
  lat: 30.934,
  position_age_s: 3,
  eta_seconds: 725,
  road_m: 8060,
  straight_m: 445,
  tried: false,
}

describe('formatting', () => {
  it('shows ETAs and durations as a clock', () => {
    expect(formatEta(0)).toBe('0:00')
    expect(formatEta(59.4)).toBe('0:59')
    expect(formatEta(59.6)).toBe('1:00')
    expect(formatEta(130)).toBe('2:10')
    expect(formatClockDuration(3599)).toBe('59:59')
    expect(formatClockDuration(3600)).toBe('1:00:00')
    expect(formatClockDuration(3725)).toBe('1:02:05')
    expect(formatClockDuration(-5)).toBe('0:00')
    expect(formatEta(null)).toBe('—')
    expect(formatEta(Number.POSITIVE_INFINITY)).toBe('—')
  })

  it('shows distances in km', () => {
    expect(formatKm(445)).toBe('0.45')
    expect(formatKm(1450)).toBe('1.45')
    expect(formatKm(8060)).toBe('8.06')
    expect(formatKm(12_345)).toBe('12.3')
    expect(formatKm(null)).toBe('—')
  })

  it('measures seconds between ISO times', () => {
    expect(secondsBetween(iso(0), iso(42))).toBe(42)
    expect(secondsBetween(null, iso(42))).toBeNull()
    expect(sinceCreated(incident(), { at: iso(75) })).toBe(75)
  })

  it('names the place by address, then road, then coordinates', () => {
    expect(placeOf(incident({ address: '群益广场' }))).toBe('群益广场')
    expect(placeOf(incident())).toBe('滨江路')
    expect(placeOf(incident({ road_name: null }))).toBe('108.70000, 30.93000')
  })

  it('gives the response times, counting those under way', () => {
    const dispatched = incident({
      status: 'dispatched',
      dispatched_at: iso(30),
      durations: { receive_to_dispatch: 30, dispatch_to_accept: null, dispatch_to_arrive: null, arrive_to_handled: null },
    })
    const times = responseTimes(dispatched, T0 + 50_000)
    expect(times.map((x) => [x.key, x.seconds, x.running])).toEqual([
      ['receive_to_dispatch', 30, false],
      ['dispatch_to_accept', 20, true],
      ['dispatch_to_arrive', 20, true],
      ['arrive_to_handled', null, false],
    ])
    // A cancelled incident stops every clock.
    const cancelled = { ...dispatched, status: 'cancelled' as const }
    expect(responseTimes(cancelled, T0 + 50_000).filter((x) => x.running)).toEqual([])
  })
})

describe('labels and colours', () => {
  it('has Chinese labels for every status, type and priority', () => {
    expect(INCIDENT_STATUSES.map(incidentStatusLabel)).toEqual([
      '待派',
      '已派',
      '已接',
      '出警',
      '到场',
      '处置完毕',
      '结案',
      '已撤销',
    ])
    expect(assignmentStatusLabel('declined')).toBe('已拒绝')
    expect(assignmentStatusLabel('withdrawn')).toBe('已撤回')
    expect(incidentTypeLabel('illegal_parking')).toBe('违停')
    expect(priorityLabel(1)).toBe('紧急')
    expect(priorityLabel(3)).toBe('一般')
    expect(timelineKindLabel('timeout')).toBe('超时未接警')
    expect(incidentStatusLabel('something_new')).toBe('something_new')
  })

  it('colours 出警 and 到场 like the people on the live map', () => {
    expect(INCIDENT_STATUS_COLORS.en_route).toBe(STATUS_STYLES.en_route.color)
    expect(INCIDENT_STATUS_COLORS.on_scene).toBe(STATUS_STYLES.on_scene.color)
  })
})

describe('the list', () => {
  const open: IncidentFilter = emptyIncidentFilter()

  it('filters by status, type, squadron and open only', () => {
    expect(matchesIncidentFilter(incident(), open)).toBe(true)
    expect(matchesIncidentFilter(incident({ status: 'closed' }), open)).toBe(false)
    expect(matchesIncidentFilter(incident({ status: 'closed' }), { ...open, active: false })).toBe(true)
    expect(matchesIncidentFilter(incident(), { ...open, status: ['dispatched'] })).toBe(false)
    expect(matchesIncidentFilter(incident(), { ...open, type: ['blocking', 'accident'] })).toBe(true)
    expect(matchesIncidentFilter(incident(), { ...open, squadronId: 2 })).toBe(false)
  })

  it('turns a filter into the API query', () => {
    const query = filterQuery({ ...open, status: ['new', 'dispatched'], squadronId: 4 })
    expect(incidentQueryString(query)).toBe('?status=new&status=dispatched&squadron_id=4&active=true&limit=200')
    expect(incidentQueryString(filterQuery({ ...open, active: false }))).toBe('?limit=200')
  })

  it('puts what waits on the operator first, then urgency, then the newest', () => {
    const list = sortIncidents([
      incident({ id: 1, status: 'en_route', priority: 1, created_at: iso(0) }),
      incident({ id: 2, status: 'new', priority: 3, created_at: iso(10) }),
      incident({ id: 3, status: 'dispatched', alert: true, priority: 2, created_at: iso(5) }),
      incident({ id: 4, status: 'new', priority: 3, created_at: iso(20) }),
      incident({ id: 5, status: 'handled', priority: 1, created_at: iso(30) }),
    ])
    expect(list.map((i) => i.id)).toEqual([3, 4, 2, 1, 5])
  })

  it('merges live incidents: added, replaced, and dropped once closed', () => {
    let result = mergeIncident([], incident({ id: 1 }), open)
    expect(result).toMatchObject({ inserted: true, removed: false })
    result = mergeIncident(result.list, incident({ id: 2, priority: 1 }), open)
    expect(result.list.map((i) => i.id)).toEqual([2, 1])
    result = mergeIncident(result.list, incident({ id: 1, status: 'dispatched' }), open)
    expect(result).toMatchObject({ inserted: false, removed: false })
    expect(result.list.find((i) => i.id === 1)?.status).toBe('dispatched')
    result = mergeIncident(result.list, incident({ id: 2, status: 'closed' }), open)
    expect(result).toMatchObject({ inserted: false, removed: true })
    expect(result.list.map((i) => i.id)).toEqual([1])
    // Not shown and not matching: nothing changes.
    expect(mergeIncident(result.list, incident({ id: 9, status: 'cancelled' }), open)).toMatchObject({
      inserted: false,
      removed: false,
    })
    expect(statusCounts(result.list)).toEqual({ dispatched: 1 })
  })
})

describe('dispatch alerts', () => {
  const timeout: IncidentAlertEvent = {
    reason: 'timeout',
    incident_id: 1,
    code: 'JQ2026112000001',
    type: 'blocking',
    priority: 2,
    place: '滨江路',
    assignment_id: 1,
    person_name: '北岸',
    next: candidate,
  }
  const overdue = incident({ status: 'dispatched', alert: true, assignments: [assignment({ overdue: true, person_name: '北岸' })] })

  it('keeps a timeout with its suggestion until the late dispatch is dealt with', () => {
    let alerts = applyAlertEvent([], timeout, overdue, 1000)
    expect(alerts).toHaveLength(1)
    expect(alerts[0]).toMatchObject({ reason: 'timeout', assignmentId: 1, personName: '北岸', next: { person_id: 11 } })
    expect(alertAction(alerts[0]!)).toBe('reassign')
    // Still overdue on the next change: it stays, suggestion kept.
    alerts = reconcileAlert(alerts, overdue, 2000)
    expect(alerts[0]?.next?.person_id).toBe(11)
    // Reassigned: the new dispatch is not late, the old one withdrawn.
    const reassigned = incident({
      status: 'dispatched',
      alert: false,
      assignments: [assignment({ status: 'withdrawn' }), assignment({ id: 2, person_id: 11 })],
    })
    expect(reconcileAlert(alerts, reassigned, 3000)).toEqual([])
  })

  it('drops a decline when someone else is still on the way', () => {
    const declined: IncidentAlertEvent = { ...timeout, reason: 'declined', assignment_id: 2, next: undefined }
    const stillCovered = incident({
      status: 'accepted',
      alert: false,
      assignments: [assignment({ status: 'accepted' }), assignment({ id: 2, status: 'declined', support: true })],
    })
    expect(applyAlertEvent([], declined, stillCovered, 1000)).toEqual([])
    const nobodyLeft = incident({ status: 'new', alert: true, assignments: [assignment({ status: 'declined' })] })
    const alerts = applyAlertEvent([], declined, nobodyLeft, 1000)
    expect(alerts).toHaveLength(1)
    expect(alertAction(alerts[0]!)).toBe('open')
  })

  it('ignores new-incident alerts (they only chime)', () => {
    expect(addAlert([], { ...timeout, reason: 'new', assignment_id: null }, 0)).toEqual([])
  })

  it('raises alerts from a snapshot for a console that connected late', () => {
    const withdrawn = incident({ id: 2, status: 'new', alert: true, assignments: [assignment({ id: 5, incident_id: 2, status: 'withdrawn' })] })
    const alerts = alertsFromSnapshot(
      [{ ...applyAlertEvent([], timeout, overdue, 0)[0]!, incidentId: 99 }],
      [overdue, withdrawn, incident({ id: 3 })],
      5000,
    )
    expect(alerts.map((a) => [a.incidentId, a.reason, a.assignmentId])).toEqual([
      [2, 'withdrawn', 5],
      [1, 'timeout', 1],
    ])
  })
})

describe('map layer data', () => {
  it('makes one feature per incident with its pin and label', () => {
    const collection = incidentsGeoJSON([incident({ alert: true })], (p) => [p[0] + 1, p[1]], (type) => `T:${type}`)
    expect(collection.features).toHaveLength(1)
    const feature = collection.features[0]!
    expect(feature.geometry.coordinates).toEqual([109.7, 30.93])
    expect(feature.properties).toMatchObject({
      id: 1,
      status: 'new',
      priority: 2,
      alert: true,
      icon: 'incident-new-2',
      label: 'T:blocking\nJQ2026112000001',
    })
  })
})

describe('the officer phone ring', () => {
  it('rings and vibrates every cycle until stopped', () => {
    const calls: string[] = []
    let tick: (() => void) | null = null
    const ringer = new Ringer({
      ring: () => calls.push('ring'),
      vibrate: (pattern) => calls.push(`vibrate:${pattern.length}`),
      setInterval: (fn) => {
        tick = fn
        return 1
      },
      clearInterval: () => {
        tick = null
      },
    })
    ringer.start()
    ringer.start() // no second timer
    expect(ringer.ringing).toBe(true)
    tick!()
    expect(calls).toEqual(['ring', `vibrate:${VIBRATION_PATTERN.length}`, 'ring', `vibrate:${VIBRATION_PATTERN.length}`])
    ringer.stop()
    expect(ringer.ringing).toBe(false)
    expect(tick).toBeNull()
    expect(calls.at(-1)).toBe('vibrate:0')
  })
})
