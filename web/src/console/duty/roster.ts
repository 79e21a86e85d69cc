/**
 * The 排班 tab's weekly grid, built from the API's week (no Vue, unit-tested): columns are the
 * seven days × the squadron's shifts; rows are the plan's grids, each followed by its people —
 * the post holders of the grid (路警 first) and anyone else rostered there. Conflicts found by
 * the server are attached to the cells they concern, so that a cell can be marked and a conflict
 * in the list can light up its cells.
 */
import { runningShifts, shanghaiDay } from '@/shared/duty/dates'
import type {
  Duty,
  DutyRole,
  GridRef,
  PersonRef,
  RosterConflict,
  RosterEntry,
  RosterWeek,
  Shift,
  SquadronPosts,
} from '@/shared/duty/types'

export const DOUBLE_BOOKED = 'duty.conflict.double_booked'
export const UNCOVERED = 'duty.conflict.uncovered'
export const MEMBER_OUTSIDE_GRID = 'duty.conflict.member_outside_grid'
export const MEMBER_WITHOUT_LEAD = 'duty.conflict.member_without_lead'

export interface RosterColumn {
  /** `day|shiftId`. */
  key: string
  day: string
  shift: Shift
  /** The first shift of its day (a thicker border in front of it). */
  firstOfDay: boolean
  today: boolean
  /** The shift is running now. */
  running: boolean
  /** Every grid must have someone on (须全覆盖): an empty grid here is a conflict. */
  required: boolean
}

export interface RosterCell {
  key: string
  entries: RosterEntry[]
  /** Indexes into the week's `conflicts`. */
  conflicts: number[]
}

/** Where a person is posted in the active plan. */
export interface PostOf {
  gridId: number
  role: DutyRole
  duty: Duty | null
}

export interface RosterPersonRow {
  gridId: number
  person: PersonRef
  /** The person's post, which may be in another grid (or none). */
  post: PostOf | null
  /** Posted in this very grid. */
  postedHere: boolean
  cells: Record<string, RosterCell>
  /** The duty a new entry of this row gets by default. */
  defaultDuty: Duty | null
}

export interface RosterGridRow {
  grid: GridRef
  /** Per column: how many people are on, whether a 路警 is among them, the grid's conflicts. */
  coverage: Record<string, RosterCell & { count: number; leadOn: boolean }>
  people: RosterPersonRow[]
  conflictCount: number
}

export interface RosterTable {
  columns: RosterColumn[]
  grids: RosterGridRow[]
  /** Conflict index → the cell keys it concerns. */
  conflictCells: string[][]
}

export function columnKey(day: string, shiftId: number): string {
  return `${day}|${shiftId}`
}

export function personCellKey(gridId: number, personId: number, column: string): string {
  return `p|${gridId}|${personId}|${column}`
}

export function gridCellKey(gridId: number, column: string): string {
  return `g|${gridId}|${column}`
}

/** Every person's post in the plan, by person id. */
export function postsByPerson(posts: SquadronPosts | null): Map<number, PostOf & { person: PersonRef }> {
  const out = new Map<number, PostOf & { person: PersonRef }>()
  for (const grid of posts?.grids ?? []) {
    if (grid.lead) out.set(grid.lead.id, { gridId: grid.grid_id, role: 'lead', duty: null, person: grid.lead })
    for (const member of grid.members) {
      out.set(member.person.id, { gridId: grid.grid_id, role: 'member', duty: member.duty, person: member.person })
    }
  }
  return out
}

export function sortedShifts(shifts: readonly Shift[]): Shift[] {
  return [...shifts].sort((a, b) => a.position - b.position || a.starts.localeCompare(b.starts) || a.id - b.id)
}

export function buildColumns(days: readonly string[], shifts: readonly Shift[], now: number = Date.now()): RosterColumn[] {
  const ordered = sortedShifts(shifts)
  const today = shanghaiDay(now)
  const running = new Set(runningShifts(ordered, now).map((r) => columnKey(r.day, r.shift.id)))
  return days.flatMap((day) =>
    ordered.map((shift, index) => ({
      key: columnKey(day, shift.id),
      day,
      shift,
      firstOfDay: index === 0,
      today: day === today,
      running: running.has(columnKey(day, shift.id)),
      required: shift.coverage_required,
    })),
  )
}

function emptyCells(columns: readonly RosterColumn[], key: (column: string) => string): Record<string, RosterCell> {
  return Object.fromEntries(columns.map((c) => [c.key, { key: key(c.key), entries: [], conflicts: [] }]))
}

const ROLE_ORDER: Record<string, number> = { lead: 0, member: 1 }

/** The week as rows and columns, with conflicts attached to their cells. */
export function buildRosterTable(
  week: RosterWeek,
  posts: SquadronPosts | null,
  now: number = Date.now(),
): RosterTable {
  const columns = buildColumns(week.days, week.shifts, now)
  const postOf = postsByPerson(posts)
  const columnKeys = new Set(columns.map((c) => c.key))

  const rows = new Map<number, RosterGridRow>()
  const peopleRows = new Map<string, RosterPersonRow>()
  const personRow = (gridId: number, person: PersonRef): RosterPersonRow => {
    const id = `${gridId}|${person.id}`
    let row = peopleRows.get(id)
    if (!row) {
      const post = postOf.get(person.id) ?? null
      const postedHere = post?.gridId === gridId
      row = {
        gridId,
        person,
        post: post ? { gridId: post.gridId, role: post.role, duty: post.duty } : null,
        postedHere,
        cells: emptyCells(columns, (column) => personCellKey(gridId, person.id, column)),
        defaultDuty: post?.role === 'lead' ? null : (post?.duty ?? 'patrol'),
      }
      peopleRows.set(id, row)
      rows.get(gridId)?.people.push(row)
    }
    return row
  }

  for (const grid of [...week.grids].sort((a, b) => a.number - b.number)) {
    const coverage = Object.fromEntries(
      columns.map((c) => [
        c.key,
        { key: gridCellKey(grid.grid_id, c.key), entries: [], conflicts: [], count: 0, leadOn: false },
      ]),
    )
    rows.set(grid.grid_id, { grid, coverage, people: [], conflictCount: 0 })
  }
  // Post holders first (so that they have a row even when not rostered), then the entries.
  for (const [, post] of postOf) if (rows.has(post.gridId)) personRow(post.gridId, post.person)

  const entryCell = new Map<number, { row: RosterPersonRow; column: string }>()
  for (const entry of week.entries) {
    const column = columnKey(entry.day, entry.shift_id)
    const gridRow = rows.get(entry.grid_id)
    if (!gridRow || !columnKeys.has(column)) continue
    const row = personRow(entry.grid_id, entry.person)
    row.cells[column]!.entries.push(entry)
    const cov = gridRow.coverage[column]!
    cov.entries.push(entry)
    cov.count += 1
    if (entry.role === 'lead') cov.leadOn = true
    entryCell.set(entry.id, { row, column })
  }

  for (const gridRow of rows.values()) {
    gridRow.people.sort(
      (a, b) =>
        Number(!a.postedHere) - Number(!b.postedHere) ||
        (ROLE_ORDER[a.post?.role ?? ''] ?? 2) - (ROLE_ORDER[b.post?.role ?? ''] ?? 2) ||
        a.person.name.localeCompare(b.person.name, 'zh-CN') ||
        a.person.id - b.person.id,
    )
  }

  const conflictCells = week.conflicts.map((conflict, index) => {
    const keys = new Set<string>()
    const grids = new Set<number>()
    const mark = (cell: RosterCell, gridId: number) => {
      if (!cell.conflicts.includes(index)) cell.conflicts.push(index)
      keys.add(cell.key)
      grids.add(gridId)
    }
    for (const entryId of conflict.entry_ids) {
      const at = entryCell.get(entryId)
      if (at) mark(at.row.cells[at.column]!, at.row.gridId)
    }
    const column = columnKey(conflict.day, conflict.shift_id)
    if (conflict.entry_ids.length === 0 && conflict.person_ids.length > 0) {
      // Only people named: mark their cells of that shift, wherever they are rostered.
      for (const row of peopleRows.values()) {
        const cell = row.cells[column]
        if (cell && cell.entries.length > 0 && conflict.person_ids.includes(row.person.id)) mark(cell, row.gridId)
      }
    }
    if (conflict.grid_id !== null && (conflict.code === UNCOVERED || keys.size === 0)) {
      const cell = rows.get(conflict.grid_id)?.coverage[column]
      if (cell) mark(cell, conflict.grid_id)
    }
    for (const gridId of grids) {
      const gridRow = rows.get(gridId)
      if (gridRow) gridRow.conflictCount += 1
    }
    return [...keys]
  })

  return { columns, grids: [...rows.values()], conflictCells }
}

/** How many conflicts of each code the week has. */
export function conflictCounts(conflicts: readonly RosterConflict[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const c of conflicts) out[c.code] = (out[c.code] ?? 0) + 1
  return out
}

/** The most serious first: one person in two places, then a grid nobody covers, then the rest. */
export function sortConflicts(conflicts: readonly RosterConflict[]): { conflict: RosterConflict; index: number }[] {
  const rank: Record<string, number> = {
    [DOUBLE_BOOKED]: 0,
    [UNCOVERED]: 1,
    [MEMBER_WITHOUT_LEAD]: 2,
    [MEMBER_OUTSIDE_GRID]: 3,
  }
  return conflicts
    .map((conflict, index) => ({ conflict, index }))
    .sort(
      (a, b) =>
        (rank[a.conflict.code] ?? 9) - (rank[b.conflict.code] ?? 9) ||
        a.conflict.day.localeCompare(b.conflict.day) ||
        a.conflict.shift_id - b.conflict.shift_id ||
        a.index - b.index,
    )
}

/** The cell keys to light up for the conflicts in `indexes`. */
export function highlightedCells(table: RosterTable, indexes: Iterable<number>): Set<string> {
  const out = new Set<string>()
  for (const index of indexes) for (const key of table.conflictCells[index] ?? []) out.add(key)
  return out
}
