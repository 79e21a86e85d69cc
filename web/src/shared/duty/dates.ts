/**
 * Calendar days and shift times as the duty domain counts them: Asia/Shanghai dates
 * (`YYYY-MM-DD`), Monday–Sunday weeks, shifts given as `HH:MM` that end the next day when their
 * end is not after their start. China keeps UTC+8 all year (no daylight saving since 1991), so a
 * fixed offset is exact; the browser's own time zone plays no part.
 */

const SHANGHAI_OFFSET_MS = 8 * 60 * 60 * 1000
const DAY_MS = 24 * 60 * 60 * 1000
const DAY_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/
const TIME_PATTERN = /^([01]\d|2[0-3]):([0-5]\d)$/

/** True for a real calendar day written `YYYY-MM-DD`. */
export function isDay(value: string): boolean {
  const match = DAY_PATTERN.exec(value)
  if (!match) return false
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])))
  return date.toISOString().slice(0, 10) === value
}

/** UTC midnight of the day (the day's number for arithmetic, not an instant). */
function dayNumber(day: string): number {
  if (!isDay(day)) throw new RangeError(`not a day: ${day}`)
  return Date.parse(`${day}T00:00:00Z`)
}

function fromDayNumber(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10)
}

/** The Asia/Shanghai calendar day of an instant. */
export function shanghaiDay(at: number | Date = Date.now()): string {
  const ms = typeof at === 'number' ? at : at.getTime()
  return fromDayNumber(ms + SHANGHAI_OFFSET_MS)
}

/** Minutes since Asia/Shanghai midnight of an instant. */
export function shanghaiMinutes(at: number | Date = Date.now()): number {
  const ms = (typeof at === 'number' ? at : at.getTime()) + SHANGHAI_OFFSET_MS
  return Math.floor((((ms % DAY_MS) + DAY_MS) % DAY_MS) / 60_000)
}

export function addDays(day: string, days: number): string {
  return fromDayNumber(dayNumber(day) + days * DAY_MS)
}

/** 0 = Monday … 6 = Sunday. */
export function weekdayIndex(day: string): number {
  return (new Date(dayNumber(day)).getUTCDay() + 6) % 7
}

/** The Monday of the week containing `day`. */
export function weekStart(day: string): string {
  return addDays(day, -weekdayIndex(day))
}

/** The seven days (Monday first) of the week containing `day`. */
export function weekDays(day: string): string[] {
  const monday = weekStart(day)
  return Array.from({ length: 7 }, (_, i) => addDays(monday, i))
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return Math.round((dayNumber(to) - dayNumber(from)) / DAY_MS)
}

/** The ISO 8601 week number of the week containing `day`. */
export function isoWeekNumber(day: string): number {
  const thursday = addDays(weekStart(day), 3)
  const januaryFirst = `${thursday.slice(0, 4)}-01-01`
  return Math.floor(daysBetween(januaryFirst, thursday) / 7) + 1
}

/** `HH:MM` as minutes after midnight; null for anything else. */
export function parseTime(value: string): number | null {
  const match = TIME_PATTERN.exec(value)
  return match ? Number(match[1]) * 60 + Number(match[2]) : null
}

export interface ShiftTimes {
  starts: string
  ends: string
}

/** True when the shift ends on the next day (its end is not after its start). */
export function crossesMidnight(shift: ShiftTimes): boolean {
  const starts = parseTime(shift.starts)
  const ends = parseTime(shift.ends)
  return starts !== null && ends !== null && ends <= starts
}

/** The shift's length in minutes (a shift from 07:00 to 07:00 lasts 24 h). */
export function shiftMinutes(shift: ShiftTimes): number {
  const starts = parseTime(shift.starts)
  const ends = parseTime(shift.ends)
  if (starts === null || ends === null) return 0
  return ends > starts ? ends - starts : ends + 24 * 60 - starts
}

/** The instants (ms) at which the shift that starts on `day` (Asia/Shanghai) begins and ends. */
export function shiftBounds(day: string, shift: ShiftTimes): { start: number; end: number } | null {
  const starts = parseTime(shift.starts)
  if (starts === null || !isDay(day)) return null
  const start = dayNumber(day) - SHANGHAI_OFFSET_MS + starts * 60_000
  return { start, end: start + shiftMinutes(shift) * 60_000 }
}

/**
 * True when the shift that starts on `day` (Asia/Shanghai) is running at `at`: a night shift
 * rostered on Monday runs from Monday evening into Tuesday morning.
 */
export function shiftRunsAt(day: string, shift: ShiftTimes, at: number | Date = Date.now()): boolean {
  const bounds = shiftBounds(day, shift)
  const ms = typeof at === 'number' ? at : at.getTime()
  return bounds !== null && ms >= bounds.start && ms < bounds.end
}

/**
 * The (day, shift) pairs running at `at`: today's shifts that have begun and, for shifts that
 * cross midnight, yesterday's that have not yet ended.
 */
export function runningShifts<S extends ShiftTimes & { id: number }>(
  shifts: readonly S[],
  at: number | Date = Date.now(),
): { day: string; shift: S }[] {
  const today = shanghaiDay(at)
  const out: { day: string; shift: S }[] = []
  for (const day of [addDays(today, -1), today]) {
    for (const shift of shifts) if (shiftRunsAt(day, shift, at)) out.push({ day, shift })
  }
  return out
}

/** `07:00–15:00`, with `次日` / `+1` marking an end on the next day. */
export function shiftWindowLabel(shift: ShiftTimes, nextDayMark: string): string {
  return `${shift.starts}–${crossesMidnight(shift) ? nextDayMark : ''}${shift.ends}`
}

/** `11-24` for a day in the compact headers. */
export function monthDay(day: string): string {
  return day.slice(5)
}
