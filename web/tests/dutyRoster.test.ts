import { describe, expect, it } from 'vitest'
import {
  DOUBLE_BOOKED,
  MEMBER_OUTSIDE_GRID,
  MEMBER_WITHOUT_LEAD,
  UNCOVERED,
  buildColumns,
  buildRosterTable,
  columnKey,
  conflictCounts,
  gridCellKey,
  highlightedCells,
  personCellKey,
  postsByPerson,
  sortConflicts,
} from '@/console/duty/roster'
import type { PersonRef, RosterConflict, RosterEntry, RosterWeek, Shift, SquadronPosts } from '@/shared/duty/types'

const china = (local: string) => Date.parse(`${local}+08:00`)

function person(id: number, name: string, kind: PersonRef['kind'] = 'auxiliary'): PersonRef {
  return { id, name, badge_no: `B${id}`, kind, post: '', mobile: '' }
}

const EARLY: Shift = { id: 1, name: '早班', starts: '07:00', ends: '15:00', colour: '#f59e0b', position: 1, overnight: false, coverage_required: true }
// Worked by the 夜巡 patrols, not by every grid: an empty grid at night is no conflict.
const NIGHT: Shift = { id: 3, name: '夜班', starts: '23:00', ends: '07:00', colour: '#6366f1', position: 3, overnight: true, coverage_required: false }
const MIDDLE: Shift = { id: 2, name: '中班', starts: '15:00', ends: '23:00', colour: '#3b82f6', position: 2, overnight: false, coverage_required: true }

const LEAD_A = person(1, '王警官', 'police')
const MEMBER_A = person(2, '李路员')
const LEAD_B = person(3, '赵警官', 'police')
const MEMBER_B = person(4, '陈路员')

const POSTS: SquadronPosts = {
  plan: { id: 9, name: '方案', status: 'active', version: 1 },
  grids: [
    { grid_id: 10, number: 1, name: '城东', colour: '#e11d48', lead: LEAD_A, lead_post_id: 100, members: [{ post_id: 101, person: MEMBER_A, duty: 'patrol' }], flags: [] },
    { grid_id: 20, number: 2, name: '城西', colour: '#2563eb', lead: LEAD_B, lead_post_id: 200, members: [{ post_id: 201, person: MEMBER_B, duty: 'night' }], flags: [] },
  ],
  unposted: [],
  flags: [],
}

const DAYS = ['2026-11-23', '2026-11-24', '2026-11-25', '2026-11-26', '2026-11-27', '2026-11-28', '2026-11-29']

function entry(id: number, gridId: number, who: PersonRef, day: string, shiftId: number): RosterEntry {
  return {
    id,
    grid_id: gridId,
    person: who,
    day,
    shift_id: shiftId,
    duty: who.kind === 'police' ? null : 'patrol',
    role: who.kind === 'police' ? 'lead' : 'member',
  }
}

function conflict(code: string, day: string, shiftId: number, gridId: number | null, personIds: number[], entryIds: number[]): RosterConflict {
  return { code, message: { zh: code, en: code }, day, shift_id: shiftId, grid_id: gridId, person_ids: personIds, entry_ids: entryIds }
}

function week(entries: RosterEntry[], conflicts: RosterConflict[] = []): RosterWeek {
  return {
    week_start: DAYS[0]!,
    days: DAYS,
    plan: { id: 9, name: '方案' },
    shifts: [NIGHT, EARLY, MIDDLE],
    grids: [
      { grid_id: 20, number: 2, name: '城西', colour: '#2563eb', plan_id: 9 },
      { grid_id: 10, number: 1, name: '城东', colour: '#e11d48', plan_id: 9 },
    ],
    entries,
    conflicts,
  }
}

describe('roster columns', () => {
  it('are the seven days × the shifts in their order, today and the running shift marked', () => {
    const columns = buildColumns(DAYS, [NIGHT, EARLY, MIDDLE], china('2026-11-25T16:00:00'))
    expect(columns).toHaveLength(21)
    expect(columns.slice(0, 3).map((c) => c.shift.name)).toEqual(['早班', '中班', '夜班'])
    expect(columns.filter((c) => c.firstOfDay)).toHaveLength(7)
    expect(columns.filter((c) => c.today).map((c) => c.key)).toEqual([
      columnKey('2026-11-25', 1),
      columnKey('2026-11-25', 2),
      columnKey('2026-11-25', 3),
    ])
    expect(columns.filter((c) => c.running).map((c) => c.key)).toEqual([columnKey('2026-11-25', 2)])
  })

  it('say which shifts must cover every grid (须全覆盖)', () => {
    const columns = buildColumns(DAYS.slice(0, 1), [NIGHT, EARLY, MIDDLE])
    expect(columns.map((c) => [c.shift.name, c.required])).toEqual([
      ['早班', true],
      ['中班', true],
      ['夜班', false],
    ])
  })

  it("marks Monday's night shift as running early on Tuesday", () => {
    const columns = buildColumns(DAYS, [EARLY, NIGHT], china('2026-11-24T02:00:00'))
    expect(columns.filter((c) => c.running).map((c) => c.key)).toEqual([columnKey('2026-11-23', 3)])
  })
})

describe('roster rows', () => {
  it('lists grids by number, each with its post holders (路警 first) even when not rostered', () => {
    const table = buildRosterTable(week([]), POSTS, china('2026-11-25T10:00:00'))
    expect(table.grids.map((g) => g.grid.name)).toEqual(['城东', '城西'])
    expect(table.grids[0]!.people.map((r) => [r.person.name, r.post?.role, r.postedHere])).toEqual([
      ['王警官', 'lead', true],
      ['李路员', 'member', true],
    ])
    expect(table.grids[1]!.people[1]!.defaultDuty).toBe('night')
    expect(table.grids[0]!.people[0]!.defaultDuty).toBeNull()
  })

  it('puts entries into their cells and counts coverage with the 路警 marked', () => {
    const table = buildRosterTable(
      week([entry(1, 10, LEAD_A, '2026-11-23', 1), entry(2, 10, MEMBER_A, '2026-11-23', 1), entry(3, 10, MEMBER_A, '2026-11-24', 2)]),
      POSTS,
    )
    const east = table.grids[0]!
    const monEarly = columnKey('2026-11-23', 1)
    expect(east.coverage[monEarly]).toMatchObject({ count: 2, leadOn: true })
    expect(east.coverage[columnKey('2026-11-24', 2)]).toMatchObject({ count: 1, leadOn: false })
    expect(east.coverage[columnKey('2026-11-25', 1)]).toMatchObject({ count: 0, leadOn: false })
    expect(east.people[1]!.cells[monEarly]!.entries.map((e) => e.id)).toEqual([2])
  })

  it('gives someone rostered outside their post a row of their own in that grid', () => {
    const table = buildRosterTable(week([entry(7, 20, MEMBER_A, '2026-11-23', 1)]), POSTS)
    const west = table.grids[1]!
    const outsider = west.people.find((r) => r.person.id === MEMBER_A.id)!
    expect(outsider.postedHere).toBe(false)
    expect(outsider.post).toEqual({ gridId: 10, role: 'member', duty: 'patrol' })
    // After the grid's own people.
    expect(west.people.map((r) => r.person.id)).toEqual([LEAD_B.id, MEMBER_B.id, MEMBER_A.id])
    expect(outsider.defaultDuty).toBe('patrol')
  })

  it('ignores entries outside the week or of grids not shown', () => {
    const table = buildRosterTable(week([entry(8, 99, MEMBER_A, '2026-11-23', 1), entry(9, 10, MEMBER_A, '2026-11-30', 1)]), POSTS)
    expect(table.grids.flatMap((g) => Object.values(g.coverage)).every((c) => c.count === 0)).toBe(true)
  })
})

describe('conflict highlighting', () => {
  const entries = [
    entry(1, 10, MEMBER_A, '2026-11-23', 1),
    entry(2, 20, MEMBER_A, '2026-11-23', 1),
    entry(3, 20, MEMBER_B, '2026-11-24', 1),
  ]
  const conflicts = [
    conflict(UNCOVERED, '2026-11-23', 2, 10, [], []),
    conflict(DOUBLE_BOOKED, '2026-11-23', 1, null, [MEMBER_A.id], [1, 2]),
    conflict(MEMBER_OUTSIDE_GRID, '2026-11-23', 1, 20, [MEMBER_A.id], [2]),
    conflict(MEMBER_WITHOUT_LEAD, '2026-11-24', 1, 20, [MEMBER_B.id], [3]),
  ]
  const table = buildRosterTable(week(entries, conflicts), POSTS)
  const monEarly = columnKey('2026-11-23', 1)

  it('marks the cells of one person in two places, in both grids', () => {
    expect(table.conflictCells[1]!.sort()).toEqual(
      [personCellKey(10, MEMBER_A.id, monEarly), personCellKey(20, MEMBER_A.id, monEarly)].sort(),
    )
    const east = table.grids[0]!.people.find((r) => r.person.id === MEMBER_A.id)!
    expect(east.cells[monEarly]!.conflicts).toEqual([1])
    const west = table.grids[1]!.people.find((r) => r.person.id === MEMBER_A.id)!
    expect(west.cells[monEarly]!.conflicts).toEqual([1, 2])
  })

  it("marks an uncovered grid's coverage cell", () => {
    const key = columnKey('2026-11-23', 2)
    expect(table.conflictCells[0]).toEqual([gridCellKey(10, key)])
    expect(table.grids[0]!.coverage[key]!.conflicts).toEqual([0])
  })

  it('counts conflicts per grid', () => {
    expect(table.grids[0]!.conflictCount).toBe(2) // uncovered + double-booked
    expect(table.grids[1]!.conflictCount).toBe(3) // double-booked, outside, without lead
  })

  it('lights up the cells of the chosen conflicts', () => {
    expect([...highlightedCells(table, [3])]).toEqual([personCellKey(20, MEMBER_B.id, columnKey('2026-11-24', 1))])
    expect(highlightedCells(table, [0, 1]).size).toBe(3)
    expect(highlightedCells(table, []).size).toBe(0)
  })

  it('falls back to the people named when a conflict lists no entries', () => {
    const only = buildRosterTable(week(entries, [conflict(DOUBLE_BOOKED, '2026-11-23', 1, null, [MEMBER_A.id], [])]), POSTS)
    expect(only.conflictCells[0]).toHaveLength(2)
  })

  it('sorts the most serious first and counts by code', () => {
    expect(sortConflicts(conflicts).map((c) => c.conflict.code)).toEqual([
      DOUBLE_BOOKED,
      UNCOVERED,
      MEMBER_WITHOUT_LEAD,
      MEMBER_OUTSIDE_GRID,
    ])
    expect(conflictCounts(conflicts)).toEqual({
      [UNCOVERED]: 1,
      [DOUBLE_BOOKED]: 1,
      [MEMBER_OUTSIDE_GRID]: 1,
      [MEMBER_WITHOUT_LEAD]: 1,
    })
  })
})

describe('posts by person', () => {
  it('knows where everyone is posted', () => {
    const map = postsByPerson(POSTS)
    expect(map.get(LEAD_B.id)).toMatchObject({ gridId: 20, role: 'lead', duty: null })
    expect(map.get(MEMBER_B.id)).toMatchObject({ gridId: 20, role: 'member', duty: 'night' })
    expect(postsByPerson(null).size).toBe(0)
  })
})
