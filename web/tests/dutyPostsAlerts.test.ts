import { describe, expect, it } from 'vitest'
import { alertFromEvent, alertPlace, applyAlert, isFreshAlarm, alertMinutes, needsAttention, sortAlerts } from '@/console/duty/alerts'
import {
  copySources,
  defaultCopySource,
  candidates,
  dutyCounts,
  lacksLead,
  postsSummary,
  roleForKind,
  sortedGrids,
  suggestedDuty,
} from '@/console/duty/posts'
import { currentShift, minutesUntil, nextShift, shiftDays } from '@/officer/duty/myDuty'
import { telHref } from '@/shared/duty/labels'
import type { DutyAlert, GridPosts, MyShift, PersonRef, Shift, SquadronPosts } from '@/shared/duty/types'

const china = (local: string) => Date.parse(`${local}+08:00`)

function person(id: number, name: string, kind: PersonRef['kind'], post = ''): PersonRef {
  return { id, name, badge_no: `X${id}`, kind, post, mobile: `1390000${String(id).padStart(4, '0')}` }
}

describe('who may hold which post', () => {
  it('police are 路警, auxiliaries and public-welfare staff 路员', () => {
    expect(roleForKind('police')).toBe('lead')
    expect(roleForKind('auxiliary')).toBe('member')
    expect(roleForKind('public_welfare')).toBe('member')
  })

  it('suggests the duty that the job title names', () => {
    expect(suggestedDuty({ post: '夜巡' })).toBe('night')
    expect(suggestedDuty({ post: '高峰岗' })).toBe('peak')
    expect(suggestedDuty({ post: '纠违' })).toBe('correct')
    expect(suggestedDuty({ post: '文明劝导' })).toBe('correct')
    expect(suggestedDuty({ post: '路口协勤岗' })).toBe('post')
    expect(suggestedDuty({ post: '巡逻' })).toBe('patrol')
    expect(suggestedDuty({ post: '' })).toBe('patrol')
  })

  it('splits the unposted by role, sorted, with search on name, badge, mobile and title', () => {
    const unposted = [person(3, '赵六', 'auxiliary', '巡逻'), person(1, '王五', 'police'), person(2, '李四', 'public_welfare', '文明劝导')]
    const all = candidates(unposted)
    expect(all.leads.map((p) => p.name)).toEqual(['王五'])
    expect(all.members.map((p) => p.id).sort()).toEqual([2, 3])
    expect(candidates(unposted, 'x3').members.map((p) => p.name)).toEqual(['赵六'])
    expect(candidates(unposted, '劝导').members.map((p) => p.name)).toEqual(['李四'])
    expect(candidates(unposted, '13900000001').leads.map((p) => p.name)).toEqual(['王五'])
    expect(candidates(unposted, '没有这个人')).toEqual({ leads: [], members: [] })
  })
})

describe('posts summary', () => {
  const grid = (id: number, lead: PersonRef | null, duties: GridPosts['members'][number]['duty'][], flags: string[] = []): GridPosts => ({
    grid_id: id,
    number: id,
    name: `网格${id}`,
    colour: '#123456',
    lead,
    lead_post_id: lead ? id * 10 : null,
    members: duties.map((duty, i) => ({ post_id: id * 100 + i, person: person(id * 100 + i, `员${i}`, 'auxiliary'), duty })),
    flags: flags.map((code) => ({ code, message: { zh: code, en: code } })),
  })
  const posts: SquadronPosts = {
    plan: { id: 1, name: 'p', status: 'active', version: 2 },
    grids: [grid(2, null, ['patrol'], ['duty.flag.no_lead']), grid(1, person(9, '王', 'police'), ['correct', 'patrol', 'patrol', 'night'])],
    unposted: [person(50, '甲', 'police'), person(51, '乙', 'auxiliary')],
    flags: [],
  }

  it('counts grids without a 路警, members and the unposted', () => {
    expect(postsSummary(posts)).toEqual({ grids: 2, withoutLead: 1, leads: 1, members: 5, unposted: 2, unpostedPolice: 1 })
    expect(lacksLead(posts.grids[0]!)).toBe(true)
    expect(lacksLead(posts.grids[1]!)).toBe(false)
  })

  it("counts a grid's duties in their order (the article's 4 patrol, 6 correct)", () => {
    expect(dutyCounts(posts.grids[1]!)).toEqual([
      { duty: 'patrol', count: 2 },
      { duty: 'correct', count: 1 },
      { duty: 'night', count: 1 },
    ])
  })

  it('orders grids by number and members by duty', () => {
    const sorted = sortedGrids(posts)
    expect(sorted.map((g) => g.number)).toEqual([1, 2])
    expect(sorted[0]!.members.map((m) => m.duty)).toEqual(['patrol', 'patrol', 'correct', 'night'])
  })
})

describe('alone alerts', () => {
  const alert = (id: number, startedAt: string, extra: Partial<DutyAlert> = {}): DutyAlert => ({
    id,
    person: person(id, `员${id}`, 'auxiliary'),
    grid_id: 1,
    grid_name: '城东',
    squadron_id: 4,
    squadron_name: '城区一中队',
    started_at: startedAt,
    ended_at: null,
    open: true,
    nearest_lead_m: 820,
    acknowledged_by: null,
    acknowledged_at: null,
    ...extra,
  })

  it('keeps open alerts newest first and drops ended ones', () => {
    let open = applyAlert([], alert(1, '2026-11-24T01:00:00Z'))
    open = applyAlert(open, alert(2, '2026-11-24T02:00:00Z'))
    expect(open.map((a) => a.id)).toEqual([2, 1])
    open = applyAlert(open, alert(1, '2026-11-24T01:00:00Z', { acknowledged_at: '2026-11-24T01:05:00Z', acknowledged_by: 'commander' }))
    expect(open.find((a) => a.id === 1)?.acknowledged_by).toBe('commander')
    open = applyAlert(open, alert(2, '2026-11-24T02:00:00Z', { ended_at: '2026-11-24T02:20:00Z', open: false }))
    expect(open.map((a) => a.id)).toEqual([1])
    const same = applyAlert(open, alert(7, '2026-11-24T02:00:00Z', { ended_at: '2026-11-24T02:20:00Z' }))
    expect(same).toBe(open)
  })

  it('chimes only for an alert that newly needs attention', () => {
    const a = alert(1, '2026-11-24T01:00:00Z')
    expect(isFreshAlarm([], a)).toBe(true)
    expect(isFreshAlarm([a], a)).toBe(false)
    const acked = { ...a, acknowledged_at: '2026-11-24T01:01:00Z' }
    expect(needsAttention(acked)).toBe(false)
    expect(isFreshAlarm([], acked)).toBe(false)
  })

  it('reads the event payload and refuses anything else', () => {
    const event = { ...alert(3, '2026-11-24T03:00:00Z'), state: 'opened' }
    expect(alertFromEvent(event)).toMatchObject({ id: 3, open: true, grid_name: '城东', squadron_id: 4, squadron_name: '城区一中队' })
    expect(alertFromEvent({ ...event, ended_at: '2026-11-24T03:30:00Z', state: 'closed' })?.open).toBe(false)
    expect(alertFromEvent(null)).toBeNull()
    expect(alertFromEvent({ id: 3 })).toBeNull()
    expect(alertFromEvent({ id: 3, started_at: 'x', person: null })).toBeNull()
  })

  it('says whose grid it is from the alert itself (grid names repeat across squadrons)', () => {
    expect(alertPlace(alert(1, '2026-11-24T01:00:00Z'))).toBe('城区一中队 · 城东')
    expect(alertPlace({ squadron_name: '城区一中队', grid_name: '' })).toBe('城区一中队')
    expect(alertPlace(alertFromEvent({ id: 5, started_at: '2026-11-24T01:00:00Z', person: person(5, '员5', 'auxiliary') })!)).toBe('')
  })

  it('counts whole minutes alone and sorts lists newest first', () => {
    expect(alertMinutes({ started_at: '2026-11-24T01:00:00Z' }, Date.parse('2026-11-24T01:12:59Z'))).toBe(12)
    expect(alertMinutes({ started_at: '2026-11-24T01:00:00Z' }, Date.parse('2026-11-24T00:59:00Z'))).toBe(0)
    expect(sortAlerts([alert(1, '2026-11-24T01:00:00Z'), alert(2, '2026-11-24T05:00:00Z')]).map((a) => a.id)).toEqual([2, 1])
  })
})

describe("the officer app's week", () => {
  const shift = (id: number, name: string, starts: string, ends: string): Shift => ({
    id,
    name,
    starts,
    ends,
    colour: '#000000',
    position: id,
    overnight: ends <= starts,
    coverage_required: ends > starts,
  })
  const EARLY = shift(1, '早班', '07:00', '15:00')
  const NIGHT = shift(3, '夜班', '23:00', '07:00')
  const mine = (day: string, s: Shift, onNow = false): MyShift => ({ day, shift: s, duty: 'patrol', grid_id: 1, on_now: onNow })

  it('lists today and the next six days (China dates), rest days included', () => {
    const now = china('2026-11-24T08:00:00')
    const days = shiftDays([mine('2026-11-26', NIGHT), mine('2026-11-24', EARLY, true), mine('2026-11-26', EARLY)], now)
    expect(days.map((d) => d.day)).toEqual([
      '2026-11-24',
      '2026-11-25',
      '2026-11-26',
      '2026-11-27',
      '2026-11-28',
      '2026-11-29',
      '2026-11-30',
    ])
    expect(days[0]!.today).toBe(true)
    expect(days[1]!.shifts).toEqual([])
    expect(days[2]!.shifts.map((s) => s.shift.name)).toEqual(['早班', '夜班'])
  })

  it('finds the shift on now and the next one to begin', () => {
    const shifts = [mine('2026-11-23', NIGHT, true), mine('2026-11-24', EARLY), mine('2026-11-25', EARLY)]
    const now = china('2026-11-24T03:00:00')
    expect(currentShift(shifts)?.day).toBe('2026-11-23')
    expect(nextShift(shifts, now)?.day).toBe('2026-11-24')
    expect(minutesUntil(shifts[1]!, now)).toBe(240)
    expect(nextShift([mine('2026-11-23', NIGHT, true)], now)).toBeNull()
  })

  it('dials the digits only', () => {
    expect(telHref('139 0000-0001')).toBe('tel:13900000001')
    expect(telHref('+86 139')).toBe('tel:+86139')
  })
})

describe('carrying posts over from another plan', () => {
  const plan = (id: number, version: number, status: string, activated_at: string | null) => ({
    id,
    version,
    name: `v${version}`,
    status,
    activated_at,
    created_at: '2026-12-01T00:00:00Z',
  })

  it('offers every other plan, newest first', () => {
    const plans = [plan(1, 1, 'retired', '2026-11-01T00:00:00Z'), plan(3, 3, 'draft', null), plan(2, 2, 'active', '2026-12-01T00:00:00Z')]
    expect(copySources(plans, 3).map((p) => p.id)).toEqual([2, 1])
  })

  it('a draft takes the active plan first', () => {
    const plans = [plan(1, 1, 'retired', '2026-11-01T00:00:00Z'), plan(2, 2, 'active', '2026-12-01T00:00:00Z'), plan(3, 3, 'draft', null)]
    expect(defaultCopySource(plans, 3)?.id).toBe(2)
  })

  it('a plan just activated takes the plan it replaced, not a newer unused draft', () => {
    const plans = [
      plan(1, 1, 'retired', '2026-11-01T00:00:00Z'),
      plan(2, 2, 'retired', '2026-12-01T00:00:00Z'),
      plan(3, 3, 'active', '2026-12-05T00:00:00Z'),
      plan(4, 4, 'draft', null),
    ]
    expect(defaultCopySource(plans, 3)?.id).toBe(2)
  })

  it('nothing to offer when the plan is the only one', () => {
    expect(defaultCopySource([plan(1, 1, 'active', '2026-12-01T00:00:00Z')], 1)).toBeNull()
  })
})
