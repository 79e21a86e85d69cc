/**
 * Undo of hand moves on a draft: each move remembers the grid every moved unit came from, and
 * undoing it moves them back (one request per grid they came from). Units the plan had given no
 * grid cannot go back to having none, so they stay where they were moved. Plain functions
 * (unit-tested).
 */
import type { Assignment } from './units'

export interface MoveRecord {
  planId: number
  toGrid: number
  /** Each unit that moved and the grid it came from. */
  from: { unit: string; grid: number }[]
}

/** How many moves can be undone. */
export const UNDO_DEPTH = 20

/**
 * The record of a move just made: the units that changed (`moved`), with their grid in the
 * assignment from before the move. Null when nothing can be undone.
 */
export function moveRecord(planId: number, before: Assignment, moved: readonly string[], toGrid: number): MoveRecord | null {
  const from: MoveRecord['from'] = []
  for (const unit of moved) {
    const grid = before.get(unit)?.grid ?? null
    if (grid !== null && grid !== toGrid) from.push({ unit, grid })
  }
  return from.length > 0 ? { planId, toGrid, from } : null
}

/** The stack with a new record on top, at most UNDO_DEPTH deep. */
export function pushRecord(stack: readonly MoveRecord[], record: MoveRecord | null): MoveRecord[] {
  if (!record) return [...stack]
  return [...stack, record].slice(-UNDO_DEPTH)
}

/** The moves that put a record's units back: one per grid they came from, in grid order. */
export function undoMoves(record: MoveRecord): { toGrid: number; units: string[] }[] {
  const byGrid = new Map<number, string[]>()
  for (const { unit, grid } of record.from) {
    const list = byGrid.get(grid) ?? []
    list.push(unit)
    byGrid.set(grid, list)
  }
  return [...byGrid.entries()].sort((a, b) => a[0] - b[0]).map(([toGrid, units]) => ({ toGrid, units }))
}
