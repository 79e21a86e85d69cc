import { describe, expect, it } from 'vitest'
import {
  comparePeople,
  emptyFilter,
  filterPeople,
  hasPosition,
  isFilterActive,
  matchesScope,
  matchesSearch,
  squadronsOf,
  statusCounts,
} from '@/console/live/filter'
import { batteryPercent, formatAccuracy, formatAgo, formatSpeed } from '@/console/live/format'
import { statusStyle, STATUS_STYLES } from '@/console/live/status'
import { i18n } from '@/shared/i18n'
import { LIVE_STATUSES, type LivePerson } from '@/shared/types'

const t = (key: string, params?: Record<string, unknown>) => i18n.global.t(key, params ?? {})

function person(id: number, extra: Partial<LivePerson>): LivePerson {
  return {
    person_id: id,
    name: '',
    badge_no: '',
    kind: 'police',
    post: '',
    mobile: '',
    squadron_id: 1,
    squadron_name: '城区中队',
    status: 'on_duty',
    lon: 108.7,
    lat: 30.9,
    ts: null,
    speed_kmh: null,
    heading: null,
    accuracy_m: null,
    battery: null,
    device_id: null,
    ...extra,
  }
}

const PEOPLE = [
  person(1, { name: '张伟', badge_no: 'JW1001', status: 'patrolling' }),
  person(2, { name: '李娜', badge_no: 'FJ2002', kind: 'auxiliary', status: 'on_duty' }),
  person(3, { name: '王强', badge_no: 'JW1003', squadron_id: 2, squadron_name: '高速中队', status: 'offline' }),
  person(4, { name: '赵敏', badge_no: 'GY3004', kind: 'public_welfare', status: 'sos', lon: null, lat: null }),
  person(5, { name: 'Anna Virtanen', badge_no: 'HEL-5', squadron_id: 2, squadron_name: '高速中队', status: 'patrolling' }),
]

describe('search', () => {
  it('matches name or badge, case-insensitively, every term', () => {
    expect(matchesSearch(PEOPLE[0]!, '张')).toBe(true)
    expect(matchesSearch(PEOPLE[0]!, 'jw10')).toBe(true)
    expect(matchesSearch(PEOPLE[0]!, '李')).toBe(false)
    expect(matchesSearch(PEOPLE[4]!, 'anna VIRT')).toBe(true)
    expect(matchesSearch(PEOPLE[4]!, 'anna hel')).toBe(true)
    expect(matchesSearch(PEOPLE[4]!, 'anna bob')).toBe(false)
    expect(matchesSearch(PEOPLE[1]!, '   ')).toBe(true)
  })
})

describe('filters', () => {
  it('by status, squadron and kind, combined', () => {
    const ids = (f: Partial<ReturnType<typeof emptyFilter>>) =>
      filterPeople(PEOPLE, { ...emptyFilter(), ...f }).map((p) => p.person_id).sort()
    expect(ids({})).toEqual([1, 2, 3, 4, 5])
    expect(ids({ statuses: ['patrolling'] })).toEqual([1, 5])
    expect(ids({ statuses: ['patrolling', 'sos'] })).toEqual([1, 4, 5])
    expect(ids({ squadronIds: [2] })).toEqual([3, 5])
    expect(ids({ kinds: ['auxiliary', 'public_welfare'] })).toEqual([2, 4])
    expect(ids({ squadronIds: [2], statuses: ['patrolling'] })).toEqual([5])
    expect(ids({ squadronIds: [1], query: 'jw' })).toEqual([1])
    expect(ids({ kinds: ['police'], statuses: ['sos'] })).toEqual([])
  })

  it('knows when any filter is on', () => {
    expect(isFilterActive(emptyFilter())).toBe(false)
    expect(isFilterActive({ ...emptyFilter(), query: '  ' })).toBe(false)
    expect(isFilterActive({ ...emptyFilter(), query: '张' })).toBe(true)
    expect(isFilterActive({ ...emptyFilter(), kinds: ['police'] })).toBe(true)
  })

  it('sorts SOS first, then by name', () => {
    const sorted = [...PEOPLE].sort(comparePeople).map((p) => p.person_id)
    expect(sorted[0]).toBe(4)
    expect(sorted).toHaveLength(5)
    expect(filterPeople(PEOPLE, emptyFilter())[0]!.person_id).toBe(4)
  })

  it('counts statuses within the squadron/kind/search scope, SOS first', () => {
    expect([...statusCounts(PEOPLE)]).toEqual([
      ['sos', 1],
      ['patrolling', 2],
      ['on_duty', 1],
      ['offline', 1],
    ])
    const scope = { ...emptyFilter(), squadronIds: [2], statuses: ['offline' as const] }
    expect([...statusCounts(PEOPLE.filter((p) => matchesScope(p, scope)))]).toEqual([
      ['patrolling', 1],
      ['offline', 1],
    ])
  })

  it('lists the squadrons present, by name', () => {
    expect(squadronsOf(PEOPLE)).toEqual([
      { id: 1, name: '城区中队' },
      { id: 2, name: '高速中队' },
    ])
  })

  it('tells who has a position', () => {
    expect(PEOPLE.filter(hasPosition).map((p) => p.person_id)).toEqual([1, 2, 3, 5])
  })
})

describe('live formatting', () => {
  const now = Date.parse('2026-11-26T10:00:00Z')

  it('says how long ago', () => {
    expect(formatAgo('2026-11-26T09:59:58Z', now, t)).toBe('刚刚')
    expect(formatAgo('2026-11-26T09:59:48Z', now, t)).toBe('12 秒前')
    expect(formatAgo('2026-11-26T09:57:00Z', now, t)).toBe('3 分钟前')
    expect(formatAgo('2026-11-26T07:00:00Z', now, t)).toBe('3 小时前')
    expect(formatAgo('2026-11-21T10:00:00Z', now, t)).toBe('5 天前')
    expect(formatAgo('2026-11-26T10:00:03Z', now, t)).toBe('刚刚')
    expect(formatAgo(null, now, t)).toBe('从未上报')
    i18n.global.locale.value = 'en'
    expect(formatAgo('2026-11-26T09:59:48Z', now, t)).toBe('12 s ago')
    i18n.global.locale.value = 'zh-CN'
  })

  it('reads battery as 0..1 or percent', () => {
    expect(batteryPercent(0.83)).toBe(83)
    expect(batteryPercent(1)).toBe(100)
    expect(batteryPercent(64)).toBe(64)
    expect(batteryPercent(null)).toBeNull()
    expect(batteryPercent(-1)).toBeNull()
  })

  it('formats speed and accuracy', () => {
    expect(formatSpeed(36.4, t)).toBe('36 km/h')
    expect(formatSpeed(3.24, t)).toBe('3.2 km/h')
    expect(formatSpeed(null, t)).toBe('—')
    expect(formatSpeed(0, t)).toBe('0 km/h')
    expect(formatAccuracy(12.4, t)).toBe('12 米')
  })

  it('has a colour for every status and a fallback', () => {
    for (const s of LIVE_STATUSES) expect(statusStyle(s)).toBe(STATUS_STYLES[s])
    expect(statusStyle('mystery').color).toMatch(/^#/)
    expect(STATUS_STYLES.offline.hollow).toBe(true)
  })
})
