/**
 * A plan's units on the map, without MapLibre (unit-tested): which grid each unit is in (kept
 * in step with moves and locks made on the page), the features drawn for them, one label point
 * per grid, and which units a lasso encloses.
 *
 * Coordinates are whatever the unit collection is in (the page passes it in display
 * coordinates); the lasso test works on any plane, the page uses screen pixels.
 */
import type { Feature, FeatureCollection, LineString, Point, Position } from 'geojson'
import { polygonLabelPoints } from '@/shared/geo/geojson'
import type { LonLat } from '@/shared/types'
import type { DifficultySource, Evaluation, PlanUnit, UnitCollection, UnitGeometry, UnitKind } from './types'

/** Where a unit is in the plan shown. */
export interface Placement {
  /** Null: the plan gives the unit no grid (a road added since the plan was made). */
  grid: number | null
  /** The grid the unit is locked to, or null. */
  lockedGrid: number | null
}

export type Assignment = ReadonlyMap<string, Placement>

/** The plan's units as the map needs them: every unit of the squadron, placed or not. */
export function assignmentOf(units: readonly PlanUnit[]): Map<string, Placement> {
  return new Map(units.map((u) => [u.unit, { grid: u.grid, lockedGrid: u.locked_grid }]))
}

/** The assignment after a move answered by the server (`moved` lists the units that changed). */
export function applyMoved(assignment: Assignment, moved: readonly PlanUnit[]): Map<string, Placement> {
  const next = new Map(assignment)
  for (const u of moved) next.set(u.unit, { grid: u.grid, lockedGrid: u.locked_grid })
  return next
}

/** The assignment after units were locked (to the grid each is in) or unlocked. */
export function applyLocks(assignment: Assignment, keys: readonly string[], locked: boolean): Map<string, Placement> {
  const next = new Map(assignment)
  for (const key of keys) {
    const at = next.get(key)
    if (!at || at.grid === null) continue
    next.set(key, { grid: at.grid, lockedGrid: locked ? at.grid : null })
  }
  return next
}

export function gridOf(assignment: Assignment, key: string): number | null {
  return assignment.get(key)?.grid ?? null
}

// ---- geometry ---------------------------------------------------------------------------------

function lineMidpoint(coords: Position[]): LonLat | null {
  if (coords.length === 0) return null
  if (coords.length === 1) return [coords[0]![0]!, coords[0]![1]!]
  const lengths: number[] = []
  let total = 0
  for (let i = 1; i < coords.length; i += 1) {
    const d = Math.hypot(coords[i]![0]! - coords[i - 1]![0]!, coords[i]![1]! - coords[i - 1]![1]!)
    lengths.push(d)
    total += d
  }
  let remaining = total / 2
  for (let i = 1; i < coords.length; i += 1) {
    const d = lengths[i - 1]!
    if (remaining <= d && d > 0) {
      const f = remaining / d
      const a = coords[i - 1]!
      const b = coords[i]!
      return [a[0]! + (b[0]! - a[0]!) * f, a[1]! + (b[1]! - a[1]!) * f]
    }
    remaining -= d
  }
  const last = coords[coords.length - 1]!
  return [last[0]!, last[1]!]
}

/** A point for the unit: half-way along a road segment; inside an area, where its label goes. */
export function representativePoint(geometry: UnitGeometry | null): LonLat | null {
  if (!geometry) return null
  if (geometry.type === 'LineString') return lineMidpoint(geometry.coordinates)
  const labels = polygonLabelPoints({
    type: 'FeatureCollection',
    features: [{ type: 'Feature', properties: {}, geometry }],
  })
  const c = labels.features[0]?.geometry.coordinates
  return c ? [c[0]!, c[1]!] : null
}

export interface UnitInfo {
  key: string
  name: string
  areaName: string
  kind: UnitKind
  workload: number
  /** The difficulty rating 1–5, where it comes from, and the incidents on the unit. */
  difficultyRating: number
  difficultySource: DifficultySource
  incidents: number
  point: LonLat | null
}

/** Each unit's name, kind and representative point, computed once per unit collection. */
export function unitIndex(collection: UnitCollection): Map<string, UnitInfo> {
  const index = new Map<string, UnitInfo>()
  for (const f of collection.features) {
    const p = f.properties
    index.set(p.unit, {
      key: p.unit,
      name: p.name,
      areaName: p.area_name,
      kind: p.kind,
      workload: p.workload,
      difficultyRating: p.difficulty_rating,
      difficultySource: p.difficulty_source,
      incidents: p.incidents,
      point: representativePoint(f.geometry),
    })
  }
  return index
}

// ---- colours ----------------------------------------------------------------------------------

/** Drawn for units the plan gives no grid. */
export const UNASSIGNED_COLOUR = '#8a94a6'

function parseHex(hex: string): [number, number, number] | null {
  const m = /^#?([0-9a-f]{6})$/i.exec(hex.trim())
  if (!m) return null
  const n = parseInt(m[1]!, 16)
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255]
}

function toHex(rgb: [number, number, number]): string {
  return `#${rgb.map((c) => Math.round(Math.min(255, Math.max(0, c))).toString(16).padStart(2, '0')).join('')}`
}

/** Relative luminance (WCAG) of an sRGB colour, 0 (black) to 1 (white). */
export function luminance(hex: string): number {
  const rgb = parseHex(hex)
  if (!rgb) return 0
  const [r, g, b] = rgb.map((c) => {
    const s = c / 255
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4
  }) as [number, number, number]
  return 0.2126 * r + 0.7152 * g + 0.0722 * b
}

/** The least luminance a grid colour is drawn with, so it stands out on the dark-navy map. */
const MIN_LUMINANCE = 0.16

/**
 * A grid's colour as drawn on the console's dark map and in the legend and table beside it:
 * the stored colour, mixed with white just enough when it is too dark to read on navy (the
 * palette's navy and maroon would vanish otherwise). Unparseable colours draw grey.
 */
export function displayColour(hex: string): string {
  const rgb = parseHex(hex)
  if (!rgb) return UNASSIGNED_COLOUR
  if (luminance(hex) >= MIN_LUMINANCE) return toHex(rgb)
  let lo = 0
  let hi = 1
  for (let i = 0; i < 20; i += 1) {
    const mid = (lo + hi) / 2
    const mixed = toHex(rgb.map((c) => c + (255 - c) * mid) as [number, number, number])
    if (luminance(mixed) >= MIN_LUMINANCE) hi = mid
    else lo = mid
  }
  return toHex(rgb.map((c) => c + (255 - c) * hi) as [number, number, number])
}

/** A grid's label colour: its drawn colour lightened, so the text reads on navy at any hue. */
export function labelColour(hex: string): string {
  const rgb = parseHex(displayColour(hex))
  if (!rgb) return '#ffffff'
  return toHex(rgb.map((c) => c + (255 - c) * 0.45) as [number, number, number])
}

/** Grid number → drawn colour. */
export function gridColours(grids: readonly { number: number; colour: string }[]): Map<number, string> {
  return new Map(grids.map((g) => [g.number, displayColour(g.colour)]))
}

// ---- features ---------------------------------------------------------------------------------

export interface UnitFeatureProps {
  unit: string
  kind: UnitKind
  name: string
  grid: number
  colour: string
  locked: boolean
  /** In the page's selection. */
  selected: boolean
  /** Marked by a comparison (its grid differs between the two plans). */
  changed: boolean
  /** Moved by the last hand move on this page. */
  moved: boolean
}

export interface UnitMarks {
  selected?: ReadonlySet<string>
  changed?: ReadonlySet<string>
  moved?: ReadonlySet<string>
}

/** The units as drawn: each with its grid's colour (grey without one), lock and marks. */
export function unitFeatures(
  collection: UnitCollection,
  assignment: Assignment,
  colours: ReadonlyMap<number, string>,
  marks: UnitMarks = {},
): FeatureCollection<UnitGeometry, UnitFeatureProps> {
  const features: Feature<UnitGeometry, UnitFeatureProps>[] = []
  for (const f of collection.features) {
    if (!f.geometry) continue
    const key = f.properties.unit
    const at = assignment.get(key)
    const grid = at?.grid ?? null
    features.push({
      type: 'Feature',
      geometry: f.geometry,
      properties: {
        unit: key,
        kind: f.properties.kind,
        name: f.properties.name,
        grid: grid ?? 0,
        colour: grid === null ? UNASSIGNED_COLOUR : (colours.get(grid) ?? UNASSIGNED_COLOUR),
        locked: (at?.lockedGrid ?? null) !== null,
        selected: marks.selected?.has(key) ?? false,
        changed: marks.changed?.has(key) ?? false,
        moved: marks.moved?.has(key) ?? false,
      },
    })
  }
  return { type: 'FeatureCollection', features }
}

/** A point on every locked unit (where the lock icon is drawn). */
export function lockPoints(
  index: ReadonlyMap<string, UnitInfo>,
  assignment: Assignment,
): FeatureCollection<Point, { unit: string; kind: UnitKind }> {
  const features: Feature<Point, { unit: string; kind: UnitKind }>[] = []
  for (const [key, at] of assignment) {
    if (at.lockedGrid === null) continue
    const info = index.get(key)
    if (!info?.point) continue
    features.push({
      type: 'Feature',
      properties: { unit: key, kind: info.kind },
      geometry: { type: 'Point', coordinates: [...info.point] },
    })
  }
  return { type: 'FeatureCollection', features }
}

export interface GridLabelProps {
  grid: number
  label: string
  colour: string
}

/**
 * One label point per grid: on its centre unit (the evaluation's workload-weighted 1-median),
 * else at the mean of its units' points. Grids with no unit get no label.
 */
export function gridLabelPoints(
  index: ReadonlyMap<string, UnitInfo>,
  assignment: Assignment,
  evaluation: Evaluation,
  label: (grid: Evaluation['grids'][number]) => string,
): FeatureCollection<Point, GridLabelProps> {
  const sums = new Map<number, { x: number; y: number; n: number }>()
  for (const [key, at] of assignment) {
    if (at.grid === null) continue
    const p = index.get(key)?.point
    if (!p) continue
    const s = sums.get(at.grid) ?? { x: 0, y: 0, n: 0 }
    s.x += p[0]
    s.y += p[1]
    s.n += 1
    sums.set(at.grid, s)
  }
  const features: Feature<Point, GridLabelProps>[] = []
  for (const grid of evaluation.grids) {
    const centre = grid.centre ? index.get(grid.centre)?.point : null
    const inGrid = grid.centre ? gridOf(assignment, grid.centre) === grid.number : false
    const s = sums.get(grid.number)
    const point: LonLat | null = centre && inGrid ? centre : s && s.n > 0 ? [s.x / s.n, s.y / s.n] : null
    if (!point) continue
    features.push({
      type: 'Feature',
      properties: { grid: grid.number, label: label(grid), colour: labelColour(grid.colour) },
      geometry: { type: 'Point', coordinates: [...point] },
    })
  }
  return { type: 'FeatureCollection', features }
}

// ---- lasso ------------------------------------------------------------------------------------

/** Even-odd point-in-polygon for a closed or open ring of [x, y]. */
export function pointInRing(x: number, y: number, ring: readonly (readonly [number, number])[]): boolean {
  let inside = false
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
    const [xi, yi] = ring[i]!
    const [xj, yj] = ring[j]!
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside
  }
  return inside
}

/** The units whose point lies inside the lasso (both in the same plane, e.g. screen pixels). */
export function unitsInRing(
  points: Iterable<[string, readonly [number, number]]>,
  ring: readonly (readonly [number, number])[],
): string[] {
  if (ring.length < 3) return []
  let minX = Infinity
  let minY = Infinity
  let maxX = -Infinity
  let maxY = -Infinity
  for (const [x, y] of ring) {
    minX = Math.min(minX, x)
    maxX = Math.max(maxX, x)
    minY = Math.min(minY, y)
    maxY = Math.max(maxY, y)
  }
  const out: string[] = []
  for (const [key, [x, y]] of points) {
    if (x < minX || x > maxX || y < minY || y > maxY) continue
    if (pointInRing(x, y, ring)) out.push(key)
  }
  return out
}

/**
 * Adds a pointer position to a lasso path unless it is within `minStep` of the last point (a
 * drag fires many tiny moves; the ring stays small and the test fast).
 */
export function extendLasso(path: [number, number][], point: [number, number], minStep = 4): [number, number][] {
  const last = path[path.length - 1]
  if (last && Math.hypot(point[0] - last[0], point[1] - last[1]) < minStep) return path
  return [...path, point]
}

/** A lasso path (display coordinates) drawn on the map while dragging: an outline, filled once closed. */
export function lassoFeature(path: readonly LonLat[]): Feature<LineString> | null {
  if (path.length < 2) return null
  return { type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: [...path.map((p) => [...p]), [...path[0]!]] } }
}

/** The bounding box of some units' points, for fitting the map to them. */
export function pointsBBox(index: ReadonlyMap<string, UnitInfo>, keys: Iterable<string>): [number, number, number, number] | null {
  let minX = Infinity
  let minY = Infinity
  let maxX = -Infinity
  let maxY = -Infinity
  for (const key of keys) {
    const p = index.get(key)?.point
    if (!p) continue
    minX = Math.min(minX, p[0])
    maxX = Math.max(maxX, p[0])
    minY = Math.min(minY, p[1])
    maxY = Math.max(maxY, p[1])
  }
  return minX <= maxX ? [minX, minY, maxX, maxY] : null
}
