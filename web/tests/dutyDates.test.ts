import { describe, expect, it } from 'vitest'
import {
  addDays,
  crossesMidnight,
  daysBetween,
  isDay,
  isoWeekNumber,
  parseTime,
  runningShifts,
  shanghaiDay,
  shanghaiMinutes,
  shiftBounds,
  shiftMinutes,
  shiftRunsAt,
  shiftWindowLabel,
  weekDays,
  weekStart,
  weekdayIndex,
} from '@/shared/duty/dates'

/** An instant given as Asia/Shanghai wall-clock time. */
const china = (local: string) => Date.parse(`${local}+08:00`)

const EARLY = { id: 1, starts: '07:00', ends: '15:00' }
const MIDDLE = { id: 2, starts: '15:00', ends: '23:00' }
const NIGHT = { id: 3, starts: '23:00', ends: '07:00' }

describe('Asia/Shanghai days', () => {
  it('takes the day in China, not in the browser or in UTC', () => {
    // 16:30 UTC is 00:30 the next morning in China.
    expect(shanghaiDay(Date.parse('2026-11-29T16:30:00Z'))).toBe('2026-11-30')
    expect(shanghaiDay(Date.parse('2026-11-29T15:59:59Z'))).toBe('2026-11-29')
    expect(shanghaiMinutes(Date.parse('2026-11-29T16:30:00Z'))).toBe(30)
  })

  it('checks days strictly', () => {
    expect(isDay('2026-02-28')).toBe(true)
    expect(isDay('2026-02-29')).toBe(false)
    expect(isDay('2028-02-29')).toBe(true)
    expect(isDay('2026-1-5')).toBe(false)
    expect(isDay('')).toBe(false)
    expect(() => addDays('nonsense', 1)).toThrow(RangeError)
  })

  it('adds days across months and years', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01')
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28')
    expect(daysBetween('2026-11-24', '2026-12-01')).toBe(7)
    expect(daysBetween('2026-12-01', '2026-11-24')).toBe(-7)
  })
})

describe('week navigation', () => {
  it('weeks run Monday to Sunday', () => {
    expect(weekdayIndex('2026-11-23')).toBe(0) // a Monday
    expect(weekdayIndex('2026-11-29')).toBe(6) // a Sunday
    expect(weekStart('2026-11-29')).toBe('2026-11-23')
    expect(weekStart('2026-11-23')).toBe('2026-11-23')
    expect(weekDays('2026-11-26')).toEqual([
      '2026-11-23',
      '2026-11-24',
      '2026-11-25',
      '2026-11-26',
      '2026-11-27',
      '2026-11-28',
      '2026-11-29',
    ])
  })

  it('steps a week back and forth across a year end', () => {
    const week = weekStart('2026-12-31')
    expect(week).toBe('2026-12-28')
    expect(weekStart(addDays(week, 7))).toBe('2027-01-04')
    expect(weekStart(addDays(week, -7))).toBe('2026-12-21')
  })

  it('numbers weeks the ISO way', () => {
    expect(isoWeekNumber('2026-01-01')).toBe(1)
    expect(isoWeekNumber('2024-12-30')).toBe(1) // belongs to 2025's first week
    expect(isoWeekNumber('2027-01-01')).toBe(53) // 2026 has 53 weeks
    expect(isoWeekNumber('2026-11-26')).toBe(48)
  })

  it('this week in China is the week of the Chinese day', () => {
    // Sunday 23:30 UTC is already Monday in China: a new week.
    const now = Date.parse('2026-11-29T16:30:00Z')
    expect(weekStart(shanghaiDay(now))).toBe('2026-11-30')
  })
})

describe('shift times', () => {
  it('parses HH:MM only', () => {
    expect(parseTime('07:05')).toBe(425)
    expect(parseTime('23:59')).toBe(1439)
    expect(parseTime('24:00')).toBeNull()
    expect(parseTime('7:00')).toBeNull()
  })

  it('a shift ending at or before its start ends the next day', () => {
    expect(crossesMidnight(NIGHT)).toBe(true)
    expect(crossesMidnight(EARLY)).toBe(false)
    expect(crossesMidnight({ starts: '07:00', ends: '07:00' })).toBe(true)
    expect(shiftMinutes(NIGHT)).toBe(8 * 60)
    expect(shiftMinutes({ starts: '07:00', ends: '07:00' })).toBe(24 * 60)
    expect(shiftWindowLabel(NIGHT, '次日')).toBe('23:00–次日07:00')
    expect(shiftWindowLabel(EARLY, '次日')).toBe('07:00–15:00')
  })

  it('places a shift in time in China', () => {
    const bounds = shiftBounds('2026-11-23', NIGHT)!
    expect(new Date(bounds.start).toISOString()).toBe('2026-11-23T15:00:00.000Z')
    expect(new Date(bounds.end).toISOString()).toBe('2026-11-23T23:00:00.000Z')
  })

  it("knows which shift runs now, including last night's", () => {
    expect(shiftRunsAt('2026-11-23', EARLY, china('2026-11-23T07:00:00'))).toBe(true)
    expect(shiftRunsAt('2026-11-23', EARLY, china('2026-11-23T15:00:00'))).toBe(false)
    // Tuesday 03:00: Monday's night shift is running.
    const at = china('2026-11-24T03:00:00')
    expect(shiftRunsAt('2026-11-23', NIGHT, at)).toBe(true)
    expect(shiftRunsAt('2026-11-24', NIGHT, at)).toBe(false)
    expect(runningShifts([EARLY, MIDDLE, NIGHT], at)).toEqual([{ day: '2026-11-23', shift: NIGHT }])
    expect(runningShifts([EARLY, MIDDLE, NIGHT], china('2026-11-24T16:00:00'))).toEqual([
      { day: '2026-11-24', shift: MIDDLE },
    ])
  })
})
