import { describe, expect, it } from 'vitest'
import {
  addMessage,
  applySosPosition,
  currentMembers,
  isMember,
  lastLocations,
  liveVideoUsers,
  mergeGroup,
  newlyRaised,
  personalEvent,
  sirenWanted,
  sortSos,
  upsertGroup,
  upsertSos,
} from '@/shared/command/events'
import { Siren, SIREN_EVERY_MS, type SirenDeps } from '@/shared/command/siren'
import type { Group, GroupDetail, GroupMessage, Sos } from '@/shared/command/types'
import { amapNavigationUrl, baiduNavigationUrl } from '@/shared/geo/navigation'

function sos(id: number, status: Sos['status'], raised: string, extra: Partial<Sos> = {}): Sos {
  return {
    id,
    person_id: id * 10,
    person_user_id: id * 100,
    name: `P${id}`,
    badge_no: '',
    kind: 'police',
    post: '',
    mobile: '',
    squadron_name: '',
    status,
    source: 'app',
    lon: 108,
    lat: 30,
    raised_at: raised,
    acknowledged_at: null,
    acknowledged_by: null,
    escalated_at: null,
    resolved_at: null,
    resolved_by: null,
    resolution: '',
    responders: [],
    trail: [],
    ...extra,
  }
}

describe('SOS list on the console', () => {
  const a = sos(1, 'acknowledged', '2026-11-20T10:00:00Z')
  const b = sos(2, 'active', '2026-11-20T10:05:00Z')
  const c = sos(3, 'active', '2026-11-20T10:01:00Z')

  it('waiting for acknowledgement first, the longest waiting first', () => {
    expect(sortSos([a, b, c]).map((s) => s.id)).toEqual([3, 2, 1])
  })

  it('updates replace, resolved ones leave', () => {
    let list = sortSos([a, b])
    list = upsertSos(list, { ...b, status: 'acknowledged' })
    expect(list.map((s) => [s.id, s.status])).toEqual([
      [1, 'acknowledged'],
      [2, 'acknowledged'],
    ])
    list = upsertSos(list, { ...a, status: 'resolved' })
    expect(list.map((s) => s.id)).toEqual([2])
  })

  it('the siren wails while any SOS waits for acknowledgement', () => {
    expect(sirenWanted([a])).toBe(false)
    expect(sirenWanted([a, b])).toBe(true)
    expect(sirenWanted([])).toBe(false)
  })

  it('tells which SOS are new (a reconnect snapshot shows them all at once)', () => {
    expect(newlyRaised([], [a, b]).map((s) => s.id)).toEqual([1, 2])
    expect(newlyRaised([a], [a, b]).map((s) => s.id)).toEqual([2])
    expect(newlyRaised([a], [a, { ...c, status: 'resolved' }])).toEqual([])
  })

  it('moves the officer and grows the trail', () => {
    const moved = applySosPosition([b, c], { sos_id: 2, person_id: 20, lon: 108.1, lat: 30.1, ts: '2026-11-20T10:06:00Z' })
    expect(moved[0]).toMatchObject({ lon: 108.1, lat: 30.1 })
    expect(moved[0]!.trail).toEqual([{ ts: '2026-11-20T10:06:00Z', lon: 108.1, lat: 30.1 }])
    expect(moved[1]).toBe(c)
  })
})

describe('personal events', () => {
  it('reads user.<id> events only', () => {
    expect(personalEvent({ type: 'event', topic: 'user.4', event: 'sos.alert', data: 1 })).toEqual({
      topic: 'user.4',
      event: 'sos.alert',
      data: 1,
    })
    expect(personalEvent({ type: 'event', topic: 'command', event: 'sos', data: 1 })).toBeNull()
    expect(personalEvent({ type: 'ack', id: 1 })).toBeNull()
  })
})

describe('groups', () => {
  const group: Group = {
    id: 5,
    name: 'G',
    origin: 'incident',
    incident_id: 1,
    sos_id: null,
    open: true,
    created_by: 'x',
    created_at: '2026-11-20T10:00:00Z',
    closed_at: null,
    closed_by: null,
    members: [
      { id: 1, user_id: 2, person_id: null, name: '指挥长', role: 'commander', joined_at: '', left_at: null },
      { id: 2, user_id: 4, person_id: 40, name: '张三', role: 'member', joined_at: '', left_at: '2026-11-20T10:10:00Z' },
      { id: 3, user_id: 5, person_id: 50, name: '李四', role: 'member', joined_at: '', left_at: null },
    ],
    videos: [
      { id: 1, room: 'group:5', user_id: 5, name: '李四', started_at: '', ended_at: null },
      { id: 2, room: 'group:5', user_id: 2, name: '指挥长', started_at: '', ended_at: '2026-11-20T10:12:00Z' },
    ],
  }
  const message = (id: number, extra: Partial<GroupMessage> = {}): GroupMessage => ({
    id,
    group_id: 5,
    sender_user_id: 5,
    sender_name: '李四',
    kind: 'text',
    text: 't',
    lon: null,
    lat: null,
    photo_url: null,
    created_at: `2026-11-20T10:0${id}:00Z`,
    ...extra,
  })

  it('current members, membership and live cameras', () => {
    expect(currentMembers(group).map((m) => m.user_id)).toEqual([2, 5])
    expect(isMember(group, 4)).toBe(false)
    expect(isMember(group, 5)).toBe(true)
    expect(liveVideoUsers(group)).toEqual([5])
  })

  it('closed groups leave the open list unless kept', () => {
    const closed = { ...group, open: false }
    expect(upsertGroup([group], closed)).toEqual([])
    expect(upsertGroup([group], closed, true)).toEqual([closed])
  })

  it('chat messages go in once, in order; summaries keep them', () => {
    let detail: GroupDetail = { ...group, messages: [message(2)], videos: [] }
    detail = addMessage(detail, message(1))
    detail = addMessage(detail, message(2))
    detail = addMessage(detail, { ...message(9), group_id: 6 })
    expect(detail.messages.map((m) => m.id)).toEqual([1, 2])
    const merged = mergeGroup(detail, { ...group, open: false })
    expect(merged.open).toBe(false)
    expect(merged.messages).toHaveLength(2)
    expect(merged.videos).toHaveLength(2)
  })

  it('last shared location of each member', () => {
    const list = [
      message(1, { kind: 'location', lon: 1, lat: 2 }),
      message(2, { kind: 'location', lon: 3, lat: 4 }),
      message(3, { kind: 'location', lon: 5, lat: 6, sender_user_id: 2, sender_name: '指挥长' }),
      message(4),
    ]
    expect(lastLocations(list).map((p) => [p.user_id, p.lon, p.lat])).toEqual([
      [5, 3, 4],
      [2, 5, 6],
    ])
  })
})

describe('siren', () => {
  function fake(): SirenDeps & { fire(): void; plays: number; vibrations: number[][]; active: boolean } {
    let fn: (() => void) | null = null
    const deps = {
      plays: 0,
      vibrations: [] as number[][],
      active: false,
      play: () => void (deps.plays += 1),
      vibrate: (p: number[]) => void deps.vibrations.push(p),
      setInterval: (f: () => void, ms: number) => {
        expect(ms).toBe(SIREN_EVERY_MS)
        fn = f
        deps.active = true
        return 1
      },
      clearInterval: () => {
        fn = null
        deps.active = false
      },
      fire: () => fn?.(),
    }
    return deps
  }

  it('wails at once and on every cycle until stopped, with vibration', () => {
    const deps = fake()
    const siren = new Siren(deps)
    siren.set(true)
    siren.set(true)
    deps.fire()
    expect(deps.plays).toBe(2)
    expect(siren.running).toBe(true)
    siren.set(false)
    expect(deps.active).toBe(false)
    expect(deps.vibrations.at(-1)).toEqual([])
    deps.fire()
    expect(deps.plays).toBe(2)
  })

  it('the console does not vibrate', () => {
    const deps = fake()
    const siren = new Siren(deps, { vibrate: false })
    siren.start()
    siren.stop()
    expect(deps.vibrations).toEqual([])
  })
})

describe('navigation links for any point (same as the server: geo/coords.py)', () => {
  it('Amap with an origin', () => {
    expect(amapNavigationUrl([108.69, 30.94], '张三 (求助)', [108.7, 30.95])).toBe(
      'https://uri.amap.com/navigation?from=108.704397,30.947595,%E6%88%91%E7%9A%84%E4%BD%8D%E7%BD%AE&to=108.694373,30.937572,%E5%BC%A0%E4%B8%89%20%28%E6%B1%82%E5%8A%A9%29&mode=car&policy=0&src=patrolgrid&callnative=1',
    )
  })

  it('Baidu with an origin, and its marker page without one', () => {
    expect(baiduNavigationUrl([108.69, 30.94], '张三|x', [108.7, 30.95])).toBe(
      'https://api.map.baidu.com/direction?origin=latlng:30.953815,108.710822|name:%E6%88%91%E7%9A%84%E4%BD%8D%E7%BD%AE&destination=latlng:30.943641,108.700834|name:%E5%BC%A0%E4%B8%89%20x&mode=driving&coord_type=bd09ll&output=html&src=webapp.patrolgrid.patrolgrid',
    )
    expect(baiduNavigationUrl([108.69, 30.94], '张三')).toBe(
      'https://api.map.baidu.com/marker?location=30.943641,108.700834&title=%E5%BC%A0%E4%B8%89&content=%E5%BC%A0%E4%B8%89&coord_type=bd09ll&output=html&src=webapp.patrolgrid.patrolgrid',
    )
  })
})
