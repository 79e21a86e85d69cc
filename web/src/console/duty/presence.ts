/**
 * 见警率 / 管事率 display logic (no Vue, no MapLibre; unit-tested): the colour ramp that paints
 * the coverage map, its bars and legend, percentages, and the squadron's totals.
 */
import type { ExpressionSpecification } from '@maplibre/maplibre-gl-style-spec'
import type { GridPresence, PresenceRow } from '@/shared/duty/types'

/** Presence 0 (nobody came by) … 1 (someone near in every slot): red → amber → green. */
export const PRESENCE_RAMP: readonly (readonly [number, string])[] = [
  [0, '#d7263d'],
  [0.25, '#f46d43'],
  [0.5, '#fdbf3f'],
  [0.75, '#9ccc4f'],
  [1, '#1e9e5a'],
]

/** A road the shift has no slots for (nothing to measure). */
export const NO_DATA_COLOUR = '#6b7a90'

function parseHex(hex: string): [number, number, number] {
  const value = Number.parseInt(hex.slice(1), 16)
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255]
}

function toHex(rgb: readonly number[]): string {
  return `#${rgb.map((c) => Math.round(c).toString(16).padStart(2, '0')).join('')}`
}

/** The ramp's colour at `value` (clamped to 0..1), linearly between its stops. */
export function rampColour(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return NO_DATA_COLOUR
  const v = Math.min(1, Math.max(0, value))
  for (let i = 1; i < PRESENCE_RAMP.length; i += 1) {
    const [hiAt, hiColour] = PRESENCE_RAMP[i]!
    if (v > hiAt) continue
    const [loAt, loColour] = PRESENCE_RAMP[i - 1]!
    const f = hiAt === loAt ? 0 : (v - loAt) / (hiAt - loAt)
    const lo = parseHex(loColour)
    const hi = parseHex(hiColour)
    return toHex(lo.map((c, k) => c + (hi[k]! - c) * f))
  }
  return PRESENCE_RAMP[PRESENCE_RAMP.length - 1]![1]
}

/**
 * The MapLibre `line-color` of a coverage feature: the ramp on its `presence`, grey when the
 * road had no slots to cover.
 */
export function presenceColourExpression(): ExpressionSpecification {
  const stops = PRESENCE_RAMP.flatMap(([at, colour]) => [at, colour])
  return [
    'case',
    ['<=', ['coalesce', ['get', 'slots'], 0], 0],
    NO_DATA_COLOUR,
    ['interpolate', ['linear'], ['coalesce', ['get', 'presence'], 0], ...stops],
  ] as ExpressionSpecification
}

/** The legend's CSS gradient (left = 0 %, right = 100 %). */
export function legendGradient(): string {
  return `linear-gradient(to right, ${PRESENCE_RAMP.map(([at, colour]) => `${colour} ${at * 100}%`).join(', ')})`
}

/** `73.4%`; `—` when there is nothing to measure. */
export function formatRate(rate: number | null | undefined, digits = 1): string {
  if (rate === null || rate === undefined || Number.isNaN(rate)) return '—'
  return `${(Math.min(1, Math.max(0, rate)) * 100).toFixed(digits)}%`
}

/** A bar's width in percent (0..100). */
export function barWidth(rate: number | null | undefined): number {
  if (rate === null || rate === undefined || Number.isNaN(rate)) return 0
  return Math.round(Math.min(1, Math.max(0, rate)) * 1000) / 10
}

export interface PresenceTotals {
  cells: number
  covered: number
  presenceRate: number | null
  events: number
  handled: number
  handlingRate: number | null
}

/** The squadron's 见警率 (all grids' covered cells / cells) and 管事率 (handled / events). */
export function presenceTotals(grids: readonly Pick<GridPresence, 'cells' | 'covered' | 'events' | 'handled'>[]): PresenceTotals {
  let cells = 0
  let covered = 0
  let events = 0
  let handled = 0
  for (const g of grids) {
    cells += g.cells
    covered += g.covered
    events += g.events
    handled += g.handled
  }
  return {
    cells,
    covered,
    presenceRate: cells > 0 ? covered / cells : null,
    events,
    handled,
    handlingRate: events > 0 ? handled / events : null,
  }
}

/** Table rows in reading order: by day, then grid, then 路警 before 路员, then name. */
export function sortPresenceRows(rows: readonly PresenceRow[]): PresenceRow[] {
  const roleRank = (r: PresenceRow) => (r.role === 'lead' ? 0 : r.role === 'member' ? 1 : r.person ? 2 : -1)
  return [...rows].sort(
    (a, b) =>
      a.day.localeCompare(b.day) ||
      a.grid_name.localeCompare(b.grid_name, 'zh-CN') ||
      a.grid_id - b.grid_id ||
      roleRank(a) - roleRank(b) ||
      (a.person?.name ?? '').localeCompare(b.person?.name ?? '', 'zh-CN'),
  )
}

/** `2 h 05 min` style duration in minutes, compact for table cells: `2:05`. */
export function formatMinutes(minutes: number | null | undefined): string {
  if (minutes === null || minutes === undefined || !Number.isFinite(minutes)) return '—'
  const whole = Math.max(0, Math.round(minutes))
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`
}
