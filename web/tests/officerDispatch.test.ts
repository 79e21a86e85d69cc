import { describe, expect, it } from 'vitest'
import {
  actionsFor,
  currentOf,
  metresBetween,
  mustRing,
  parsePersonalEvent,
  shouldReplan,
  sortMine,
  upsertMine,
} from '@/officer/incidents/dispatch'
import type { AssignmentStatus, IncidentStatus, MyAssignment } from '@/shared/incidents/types'

const T0 = Date.parse('2026-11-20T08:00:00Z')

function mine(id: number, status: AssignmentStatus, minutesAgo = 0, incidentStatus: IncidentStatus = 'dispatched'): MyAssignment {
  const at = new Date(T0 - minutesAgo * 60_000).toISOString()
  return {
    assignment: { id, status, dispatched_at: at } as MyAssignment['assignment'],
    incident: { id: 100 + id, status: incidentStatus, lon: 108.7, lat: 30.93 } as MyAssignment['incident'],
  }
}

describe('personal events', () => {
  it('reads dispatches and assignment updates from the own topic', () => {
    const item = mine(1, 'dispatched')
    expect(parsePersonalEvent({ type: 'event', topic: 'user.7', event: 'incident.dispatched', data: item })).toEqual({
      ring: true,
      item,
    })
    expect(parsePersonalEvent({ type: 'event', topic: 'user.7', event: 'incident.assignment', data: item })?.ring).toBe(false)
  })

  it('ignores everything else', () => {
    const item = mine(1, 'dispatched')
    expect(parsePersonalEvent({ type: 'ack', id: 3 })).toBeNull()
    expect(parsePersonalEvent({ type: 'event', topic: 'tracking', event: 'incident.dispatched', data: item })).toBeNull()
    expect(parsePersonalEvent({ type: 'event', topic: 'user.7', event: 'person.updated', data: item })).toBeNull()
    expect(parsePersonalEvent({ type: 'event', topic: 'user.7', event: 'incident.assignment', data: { assignment: {} } })).toBeNull()
    expect(parsePersonalEvent(null)).toBeNull()
  })
})

describe('the list of own dispatches', () => {
  it('shows what waits for an answer first, then what is under way, newest first', () => {
    const list = sortMine([mine(1, 'handled', 1), mine(2, 'accepted', 5), mine(3, 'dispatched', 9), mine(4, 'on_scene', 2)])
    expect(list.map((i) => i.assignment.id)).toEqual([3, 4, 2, 1])
  })

  it('replaces an assignment by its id', () => {
    let list = upsertMine([], mine(1, 'dispatched'))
    list = upsertMine(list, mine(1, 'accepted'))
    expect(list).toHaveLength(1)
    expect(list[0]?.assignment.status).toBe('accepted')
  })

  it('picks the dispatch under way, never a finished one', () => {
    expect(currentOf([mine(1, 'handled'), mine(2, 'en_route')])?.assignment.id).toBe(2)
    expect(currentOf([mine(1, 'handled'), mine(2, 'withdrawn')])).toBeNull()
    expect(currentOf([mine(3, 'accepted', 0, 'cancelled')])).toBeNull()
  })

  it('rings while a dispatch waits for an answer', () => {
    expect(mustRing([mine(1, 'dispatched')])).toBe(true)
    expect(mustRing([mine(1, 'accepted'), mine(2, 'declined')])).toBe(false)
    expect(mustRing([mine(1, 'dispatched', 0, 'cancelled')])).toBe(false)
  })

  it('offers the steps the server allows', () => {
    expect(actionsFor('dispatched')).toEqual(['accept', 'decline'])
    expect(actionsFor('accepted')).toEqual(['depart', 'arrive'])
    expect(actionsFor('en_route')).toEqual(['arrive'])
    expect(actionsFor('on_scene')).toEqual(['handled'])
    expect(actionsFor('handled')).toEqual([])
    expect(actionsFor('withdrawn')).toEqual([])
  })
})

describe('route planning', () => {
  it('plans again after moving far enough, not on every fix', () => {
    const here: [number, number] = [108.7, 30.93]
    const near: [number, number] = [108.7005, 30.93]
    const far: [number, number] = [108.705, 30.93]
    expect(metresBetween(here, far)).toBeGreaterThan(400)
    expect(shouldReplan(null, 1, here, T0)).toBe(true)
    const last = { incidentId: 1, from: here, at: T0 }
    expect(shouldReplan(last, 2, here, T0)).toBe(true)
    expect(shouldReplan(last, 1, near, T0 + 60_000)).toBe(false)
    expect(shouldReplan(last, 1, far, T0 + 5_000)).toBe(false)
    expect(shouldReplan(last, 1, far, T0 + 20_000)).toBe(true)
  })
})
