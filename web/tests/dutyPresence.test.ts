import { describe, expect, it } from 'vitest'
import { expression, latest } from '@maplibre/maplibre-gl-style-spec'
import {
  NO_DATA_COLOUR,
  PRESENCE_RAMP,
  barWidth,
  formatMinutes,
  formatRate,
  legendGradient,
  presenceColourExpression,
  presenceTotals,
  rampColour,
  sortPresenceRows,
} from '@/console/duty/presence'
import type { PresenceRow } from '@/shared/duty/types'

describe('presence colour ramp', () => {
  it('gives each stop its own colour and blends between them', () => {
    for (const [at, colour] of PRESENCE_RAMP) expect(rampColour(at)).toBe(colour)
    // Half way between #d7263d (0) and #f46d43 (0.25).
    expect(rampColour(0.125)).toBe('#e64a40')
  })

  it('clamps out-of-range values and greys out what cannot be measured', () => {
    expect(rampColour(-1)).toBe(PRESENCE_RAMP[0]![1])
    expect(rampColour(3)).toBe(PRESENCE_RAMP[PRESENCE_RAMP.length - 1]![1])
    expect(rampColour(null)).toBe(NO_DATA_COLOUR)
    expect(rampColour(Number.NaN)).toBe(NO_DATA_COLOUR)
  })

  it('is a valid MapLibre expression that colours like the bars', () => {
    const lineColour = (latest as unknown as { paint_line: Record<string, unknown> }).paint_line['line-color']
    const compiled = expression.createExpression(presenceColourExpression(), 'paint.line-color', lineColour as never)
    expect(compiled.result === 'success' ? [] : compiled.value).toEqual([])
    if (compiled.result !== 'success') return
    const colourOf = (properties: Record<string, unknown>) => {
      const c = compiled.value.evaluate({ zoom: 14 }, { type: 2, properties } as never) as { r: number; g: number; b: number }
      return `#${[c.r, c.g, c.b].map((v) => Math.round(v * 255).toString(16).padStart(2, '0')).join('')}`
    }
    expect(colourOf({ presence: 1, slots: 48 })).toBe(rampColour(1))
    expect(colourOf({ presence: 0, slots: 48 })).toBe(rampColour(0))
    expect(colourOf({ presence: 0.5, slots: 48 })).toBe(rampColour(0.5))
    expect(colourOf({ presence: 0, slots: 0 })).toBe(NO_DATA_COLOUR)
  })

  it('draws the legend with the same stops', () => {
    expect(legendGradient()).toBe(
      'linear-gradient(to right, #d7263d 0%, #f46d43 25%, #fdbf3f 50%, #9ccc4f 75%, #1e9e5a 100%)',
    )
  })
})

describe('rates and bars', () => {
  it('formats rates as percentages, a dash when there is nothing to measure', () => {
    expect(formatRate(0.625)).toBe('62.5%')
    expect(formatRate(1)).toBe('100.0%')
    expect(formatRate(0.3333, 0)).toBe('33%')
    expect(formatRate(null)).toBe('—')
    expect(barWidth(0.4567)).toBe(45.7)
    expect(barWidth(null)).toBe(0)
    expect(barWidth(2)).toBe(100)
  })

  it('totals the squadron over its grids, not as a mean of rates', () => {
    const totals = presenceTotals([
      { cells: 100, covered: 90, events: 0, handled: 0 },
      { cells: 300, covered: 30, events: 4, handled: 3 },
    ])
    expect(totals.presenceRate).toBeCloseTo(0.3)
    expect(totals.handlingRate).toBeCloseTo(0.75)
    expect(presenceTotals([]).presenceRate).toBeNull()
    expect(presenceTotals([{ cells: 10, covered: 1, events: 0, handled: 0 }]).handlingRate).toBeNull()
  })

  it('formats minutes on duty as h:mm', () => {
    expect(formatMinutes(125)).toBe('2:05')
    expect(formatMinutes(0)).toBe('0:00')
    expect(formatMinutes(null)).toBe('—')
  })
})

describe('presence table order', () => {
  const row = (day: string, grid: string, gridId: number, name: string | null, role: PresenceRow['role']): PresenceRow => ({
    day,
    shift_id: 1,
    shift_name: '早班',
    grid_id: gridId,
    grid_name: grid,
    person: name ? { id: name.length, name, badge_no: '', kind: 'police', post: '', mobile: '' } : null,
    role,
    cells: 10,
    covered: 5,
    presence_rate: 0.5,
    events: 0,
    handled: 0,
    handling_rate: null,
    minutes_on_duty: 60,
  })

  it('goes by day, grid, then the grid row, the 路警 and the 路员', () => {
    const sorted = sortPresenceRows([
      row('2026-11-24', 'A', 1, '乙', 'member'),
      row('2026-11-23', 'B', 2, null, null),
      row('2026-11-23', 'A', 1, '甲', 'member'),
      row('2026-11-23', 'A', 1, '丙', 'lead'),
      row('2026-11-23', 'A', 1, null, null),
    ])
    expect(sorted.map((r) => `${r.day} ${r.grid_name} ${r.person?.name ?? '-'}`)).toEqual([
      '2026-11-23 A -',
      '2026-11-23 A 丙',
      '2026-11-23 A 甲',
      '2026-11-23 B -',
      '2026-11-24 A 乙',
    ])
  })
})
