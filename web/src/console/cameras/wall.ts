/**
 * The camera wall's layout and which camera shows in which tile, kept in localStorage so a
 * console opens the wall as it was left. Plain TypeScript (no DOM besides the storage handed in),
 * unit-tested in tests/cameraWall.test.ts.
 *
 * There is one list of 16 slots; a 2×2 wall shows the first 4, 3×3 the first 9, 4×4 all 16, so
 * switching layouts never loses a choice.
 */
export type WallSize = 2 | 3 | 4

export const WALL_SIZES: readonly WallSize[] = [2, 3, 4]
export const MAX_SLOTS = 16
export const WALL_STORAGE_KEY = 'patrolgrid.cameraWall'

export interface WallState {
  size: WallSize
  /** Camera id per slot (null: empty), always MAX_SLOTS long. */
  slots: (number | null)[]
}

/** The bits of Storage the wall uses (localStorage, or a fake in tests). */
export interface WallStorage {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
}

export function slotCount(size: WallSize): number {
  return size * size
}

export function emptyWall(size: WallSize = 3): WallState {
  return { size, slots: Array.from({ length: MAX_SLOTS }, () => null) }
}

function isWallSize(value: unknown): value is WallSize {
  return value === 2 || value === 3 || value === 4
}

/** The saved wall, or null when nothing (valid) was saved. Unknown values become empty slots. */
export function loadWall(storage: WallStorage | null | undefined): WallState | null {
  let raw: string | null = null
  try {
    raw = storage?.getItem(WALL_STORAGE_KEY) ?? null
  } catch {
    return null
  }
  if (!raw) return null
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    return null
  }
  if (typeof parsed !== 'object' || parsed === null) return null
  const { size, slots } = parsed as { size?: unknown; slots?: unknown }
  if (!isWallSize(size) || !Array.isArray(slots)) return null
  const wall = emptyWall(size)
  slots.slice(0, MAX_SLOTS).forEach((id, i) => {
    wall.slots[i] = Number.isInteger(id) && (id as number) > 0 ? (id as number) : null
  })
  return wall
}

export function saveWall(storage: WallStorage | null | undefined, wall: WallState): void {
  try {
    storage?.setItem(WALL_STORAGE_KEY, JSON.stringify({ size: wall.size, slots: wall.slots }))
  } catch {
    // Storage full or unavailable: the wall still works for this page.
  }
}

/** The slots the current layout shows. */
export function visibleSlots(wall: WallState): (number | null)[] {
  return wall.slots.slice(0, slotCount(wall.size))
}

export function withSize(wall: WallState, size: WallSize): WallState {
  return { size, slots: [...wall.slots] }
}

/**
 * Puts a camera into a slot. A camera already shown in another visible slot moves there (the two
 * slots swap), so the same picture never fills two tiles. `null` empties the slot.
 */
export function assign(wall: WallState, slot: number, cameraId: number | null): WallState {
  if (slot < 0 || slot >= MAX_SLOTS) return wall
  const slots = [...wall.slots]
  if (cameraId !== null) {
    const visible = slotCount(wall.size)
    const other = slots.findIndex((id, i) => id === cameraId && i !== slot && i < visible)
    if (other >= 0) slots[other] = slots[slot] ?? null
  }
  slots[slot] = cameraId
  return { size: wall.size, slots }
}

/** Fills the empty visible slots with cameras not shown yet, in the order given. */
export function fillEmpty(wall: WallState, cameraIds: readonly number[]): WallState {
  const slots = [...wall.slots]
  const visible = slotCount(wall.size)
  const shown = new Set(slots.slice(0, visible).filter((id): id is number => id !== null))
  const queue = cameraIds.filter((id) => !shown.has(id))
  for (let i = 0; i < visible && queue.length > 0; i += 1) {
    if (slots[i] === null) slots[i] = queue.shift()!
  }
  return { size: wall.size, slots }
}

/** Empties the slots of cameras that no longer exist. */
export function prune(wall: WallState, knownIds: ReadonlySet<number>): WallState {
  if (wall.slots.every((id) => id === null || knownIds.has(id))) return wall
  return { size: wall.size, slots: wall.slots.map((id) => (id !== null && knownIds.has(id) ? id : null)) }
}

/** The wall to show when the page opens: the saved one, else the given cameras in order. */
export function initialWall(
  storage: WallStorage | null | undefined,
  cameraIds: readonly number[],
  defaultSize: WallSize = 3,
): WallState {
  return loadWall(storage) ?? fillEmpty(emptyWall(defaultSize), cameraIds)
}

/** Arrow-key movement of the selected tile in a size × size grid. */
export function moveSelection(slot: number, size: WallSize, key: string): number {
  const row = Math.floor(slot / size)
  const col = slot % size
  switch (key) {
    case 'ArrowLeft':
      return row * size + Math.max(0, col - 1)
    case 'ArrowRight':
      return row * size + Math.min(size - 1, col + 1)
    case 'ArrowUp':
      return Math.max(0, row - 1) * size + col
    case 'ArrowDown':
      return Math.min(size - 1, row + 1) * size + col
    default:
      return slot
  }
}
