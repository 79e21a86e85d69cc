/**
 * Types of the duty API (勤务: posts, shifts, rosters, presence; docs/duty.md). 路警 is the role
 * `lead`, 路员 the role `member`.
 */
import type { FeatureCollection, LineString, MultiLineString } from 'geojson'
import type { LocalizedText, PersonKind } from '../types'

export type DutyRole = 'lead' | 'member'

/** A 路员's duty: 巡逻, 纠违, 岗位, 高峰岗, 夜巡 (a 路警 has none). */
export type Duty = 'patrol' | 'correct' | 'post' | 'peak' | 'night'
export const DUTIES: readonly Duty[] = ['patrol', 'correct', 'post', 'peak', 'night']

export interface PersonRef {
  id: number
  name: string
  badge_no: string
  kind: PersonKind
  post: string
  mobile: string
}

/** A flag or conflict as the server words it (`duty.flag.no_lead`, …). */
export interface DutyFlag {
  code: string
  message: LocalizedText
}

export interface PlanRef {
  id: number
  name: string
  status?: string
  version?: number
}

export interface GridRef {
  grid_id: number
  number: number
  name: string
  colour: string
}

export interface MemberPost {
  post_id: number
  person: PersonRef
  duty: Duty | null
}

export interface GridPosts extends GridRef {
  lead: PersonRef | null
  lead_post_id: number | null
  members: MemberPost[]
  flags: DutyFlag[]
}

export interface SquadronPosts {
  plan: PlanRef
  grids: GridPosts[]
  unposted: PersonRef[]
  flags: DutyFlag[]
}

export interface PostCreate {
  grid_id: number
  person_id: number
  role: DutyRole
  duty?: Duty | null
}

export interface PostOut {
  id: number
  plan_id: number
  grid_id: number
  person: PersonRef
  role: DutyRole
  duty: Duty | null
}

/** Someone `copy-from` could not place in the new plan, and why (`code`, `message`). */
export interface CopySkipped {
  person: PersonRef
  from_grid_id: number
  role: DutyRole
  code: string
  message: LocalizedText
}

/** What `POST /plans/{id}/posts/copy-from/{other}` carried over. */
export interface CopyResult {
  plan_id: number
  from_plan_id: number
  copied: PostOut[]
  skipped: CopySkipped[]
}

export interface Shift {
  id: number
  name: string
  /** `HH:MM`; a shift whose end is not after its start ends the next day. */
  starts: string
  ends: string
  colour: string
  position: number
  /** Ends on the next day. */
  overnight: boolean
  /**
   * 须全覆盖: every grid must have someone on in this shift, else the roster flags the grid
   * uncovered. False for a night worked by the 夜巡 patrols rather than by every grid.
   */
  coverage_required: boolean
}

export interface ShiftInput {
  name: string
  starts: string
  ends: string
  colour: string
  position?: number
  coverage_required?: boolean
}

export interface RosterEntry {
  id: number
  grid_id: number
  person: PersonRef
  /** `YYYY-MM-DD` (Asia/Shanghai). */
  day: string
  shift_id: number
  duty: Duty | null
  role: DutyRole | null
}

export type ConflictCode =
  | 'duty.conflict.double_booked'
  | 'duty.conflict.uncovered'
  | 'duty.conflict.member_outside_grid'
  | 'duty.conflict.member_without_lead'
  | (string & {})

export interface RosterConflict {
  code: ConflictCode
  message: LocalizedText
  day: string
  shift_id: number
  grid_id: number | null
  person_ids: number[]
  entry_ids: number[]
}

export interface WeekGrid extends GridRef {
  /** The active plan's, or an older plan's that still has entries this week. */
  plan_id: number
}

export interface RosterWeek {
  week_start: string
  days: string[]
  plan: PlanRef | null
  shifts: Shift[]
  grids: WeekGrid[]
  entries: RosterEntry[]
  conflicts: RosterConflict[]
}

export interface RosterEntryCreate {
  grid_id: number
  person_id: number
  day: string
  shift_id: number
  duty?: Duty | null
}

export interface PresencePerson {
  person: PersonRef
  role: DutyRole
  duty: Duty | null
  /** False: counted as the grid's post holder (the grid had no roster that day). */
  rostered: boolean
  points: number
  minutes_on_duty: number
  covered: number
  presence_rate: number | null
  handled: number
}

export interface GridPresence extends GridRef {
  segments: number
  slots: number
  cells: number
  covered: number
  /** 见警率, 0..1; null while no slot of the shift has begun. */
  presence_rate: number | null
  events: number
  handled: number
  /** 管事率, 0..1; null when the grid had no events. */
  handling_rate: number | null
  people: PresencePerson[]
}

export interface SquadronPresence {
  day: string
  shift: Shift
  plan: PlanRef
  window_start: string
  window_end: string
  slot_minutes: number
  radius_m: number
  /** Slots begun by now (all of them once the shift is over). */
  slots: number
  grids: GridPresence[]
}

export interface CoverageProperties {
  key: string
  name: string | null
  /** Share of the shift's slots in which someone on duty was near, 0..1. */
  presence: number
  slots: number
  covered: number
}

export type CoverageCollection = FeatureCollection<LineString | MultiLineString, CoverageProperties>

export interface PresenceRow {
  day: string
  shift_id: number
  shift_name: string
  grid_id: number
  grid_name: string
  /** null: the grid's own row. */
  person: PersonRef | null
  role: DutyRole | null
  cells: number
  covered: number
  presence_rate: number | null
  events: number
  handled: number
  handling_rate: number | null
  /** For the grid's row: the sum over its people. */
  minutes_on_duty: number
}

export interface PresenceTable {
  start: string
  end: string
  plan: PlanRef
  slot_minutes: number
  radius_m: number
  rows: PresenceRow[]
}

export interface DutyAlert {
  id: number
  person: PersonRef
  grid_id: number
  grid_name: string
  /** The squadron whose grid it is (grid names repeat across squadrons). */
  squadron_id: number
  squadron_name: string
  started_at: string
  ended_at: string | null
  open: boolean
  /** Metres to the grid's nearest police officer when it opened; null: none had a position. */
  nearest_lead_m: number | null
  acknowledged_by: string | null
  acknowledged_at: string | null
}


export interface MyShift {
  day: string
  shift: Shift
  duty: Duty | null
  grid_id: number
  on_now: boolean
}

export interface MyGrid extends GridRef {
  plan_id: number
}

export interface MyDuty {
  person: PersonRef
  squadron: { id: number; name: string }
  grid: MyGrid | null
  role: DutyRole | null
  duty: Duty | null
  lead: PersonRef | null
  members: { person: PersonRef; duty: Duty | null }[]
  shifts: MyShift[]
  on_duty_now: boolean
}

export interface PersonDuty {
  person_id: number
  grid: MyGrid | null
  role: DutyRole | null
  duty: Duty | null
  shift_now: { shift: Shift; duty: Duty | null; grid_id: number } | null
}
