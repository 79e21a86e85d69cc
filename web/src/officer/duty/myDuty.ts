/**
 * The officer app's 我的勤务 card logic (no Vue; unit-tested): the week ahead day by day, the
 * shift on now and the next one.
 */
import { addDays, shanghaiDay, shiftBounds } from '@/shared/duty/dates'
import type { MyShift } from '@/shared/duty/types'

export interface ShiftDay {
  day: string
  today: boolean
  shifts: MyShift[]
}

/** Today and the next six days (Asia/Shanghai), each with its shifts in time order. */
export function shiftDays(shifts: readonly MyShift[], now: number = Date.now()): ShiftDay[] {
  const today = shanghaiDay(now)
  return Array.from({ length: 7 }, (_, i) => {
    const day = addDays(today, i)
    const own = shifts
      .filter((s) => s.day === day)
      .sort((a, b) => a.shift.starts.localeCompare(b.shift.starts) || a.shift.position - b.shift.position)
    return { day, today: i === 0, shifts: own }
  })
}

/** The shift running now (the server's `on_now`), else null. */
export function currentShift(shifts: readonly MyShift[]): MyShift | null {
  return shifts.find((s) => s.on_now) ?? null
}

/** The first shift that has not begun yet at `now`. */
export function nextShift(shifts: readonly MyShift[], now: number = Date.now()): MyShift | null {
  let best: { shift: MyShift; start: number } | null = null
  for (const s of shifts) {
    const bounds = shiftBounds(s.day, s.shift)
    if (!bounds || bounds.start <= now) continue
    if (!best || bounds.start < best.start) best = { shift: s, start: bounds.start }
  }
  return best?.shift ?? null
}

/** Minutes until the shift starts (0 when it has begun). */
export function minutesUntil(s: MyShift, now: number = Date.now()): number {
  const bounds = shiftBounds(s.day, s.shift)
  return bounds ? Math.max(0, Math.ceil((bounds.start - now) / 60_000)) : 0
}
