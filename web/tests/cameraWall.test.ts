import { describe, expect, it } from 'vitest'
import {
  MAX_SLOTS,
  WALL_STORAGE_KEY,
  assign,
  emptyWall,
  fillEmpty,
  initialWall,
  loadWall,
  moveSelection,
  prune,
  saveWall,
  slotCount,
  visibleSlots,
  withSize,
  type WallStorage,
} from '@/console/cameras/wall'

class MemoryStorage implements WallStorage {
  data = new Map<string, string>()
  getItem(key: string): string | null {
    return this.data.get(key) ?? null
  }
  setItem(key: string, value: string): void {
    this.data.set(key, value)
  }
}

describe('camera wall layout', () => {
  it('shows 4, 9 or 16 of the same 16 slots', () => {
    expect(slotCount(2)).toBe(4)
    expect(slotCount(3)).toBe(9)
    expect(slotCount(4)).toBe(16)
    const wall = fillEmpty(emptyWall(4), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(visibleSlots(wall)).toHaveLength(16)
    expect(visibleSlots(withSize(wall, 2))).toEqual([1, 2, 3, 4])
    // Going back to 4×4 loses nothing.
    expect(withSize(withSize(wall, 2), 4).slots).toEqual(wall.slots)
  })

  it('fills empty visible slots with cameras not shown yet, in order', () => {
    let wall = assign(emptyWall(2), 1, 7)
    wall = fillEmpty(wall, [5, 7, 8, 9])
    expect(visibleSlots(wall)).toEqual([5, 7, 8, 9])
    expect(fillEmpty(wall, [10]).slots).toEqual(wall.slots) // nothing empty
    expect(visibleSlots(fillEmpty(emptyWall(3), [1, 2]))).toEqual([1, 2, null, null, null, null, null, null, null])
  })

  it('swaps tiles when a camera shown elsewhere is chosen, and empties a slot with null', () => {
    let wall = fillEmpty(emptyWall(2), [1, 2, 3, 4])
    wall = assign(wall, 0, 3)
    expect(visibleSlots(wall)).toEqual([3, 2, 1, 4])
    wall = assign(wall, 1, null)
    expect(visibleSlots(wall)).toEqual([3, null, 1, 4])
    wall = assign(wall, 1, 9)
    expect(visibleSlots(wall)).toEqual([3, 9, 1, 4])
    // Out of range slots change nothing.
    expect(assign(wall, 99, 5)).toBe(wall)
    // A camera in a hidden slot (beyond the layout) is not swapped out of it.
    const big = assign(emptyWall(4), 12, 42)
    const small = assign(withSize(big, 2), 0, 42)
    expect(small.slots[0]).toBe(42)
    expect(small.slots[12]).toBe(42)
  })

  it('forgets cameras that were deleted', () => {
    const wall = fillEmpty(emptyWall(2), [1, 2, 3, 4])
    expect(visibleSlots(prune(wall, new Set([1, 3])))).toEqual([1, null, 3, null])
    expect(prune(wall, new Set([1, 2, 3, 4]))).toBe(wall)
  })

  it('is saved and loaded, and survives bad or missing storage', () => {
    const storage = new MemoryStorage()
    expect(loadWall(storage)).toBeNull()
    const wall = assign(fillEmpty(emptyWall(4), [1, 2]), 15, 99)
    saveWall(storage, wall)
    expect(loadWall(storage)).toEqual(wall)
    storage.setItem(WALL_STORAGE_KEY, '{"size": 5, "slots": []}')
    expect(loadWall(storage)).toBeNull()
    storage.setItem(WALL_STORAGE_KEY, 'not json')
    expect(loadWall(storage)).toBeNull()
    storage.setItem(WALL_STORAGE_KEY, JSON.stringify({ size: 2, slots: [3, 'x', -1, 2.5, 8, ...Array(30).fill(1)] }))
    const loaded = loadWall(storage)!
    expect(loaded.slots).toHaveLength(MAX_SLOTS)
    expect(loaded.slots.slice(0, 5)).toEqual([3, null, null, null, 8])
    const broken: WallStorage = {
      getItem: () => {
        throw new Error('denied')
      },
      setItem: () => {
        throw new Error('full')
      },
    }
    expect(loadWall(broken)).toBeNull()
    expect(() => saveWall(broken, wall)).not.toThrow()
    expect(loadWall(null)).toBeNull()
  })

  it('opens as saved, else with the cameras given in a 3×3', () => {
    const storage = new MemoryStorage()
    const first = initialWall(storage, [4, 5, 6])
    expect(first.size).toBe(3)
    expect(visibleSlots(first).slice(0, 4)).toEqual([4, 5, 6, null])
    saveWall(storage, withSize(first, 2))
    expect(initialWall(storage, [1]).size).toBe(2)
  })

  it('moves the selection with the arrow keys inside the grid', () => {
    expect(moveSelection(0, 3, 'ArrowRight')).toBe(1)
    expect(moveSelection(2, 3, 'ArrowRight')).toBe(2)
    expect(moveSelection(4, 3, 'ArrowUp')).toBe(1)
    expect(moveSelection(7, 3, 'ArrowDown')).toBe(7)
    expect(moveSelection(3, 2, 'ArrowLeft')).toBe(2)
    expect(moveSelection(5, 4, 'x')).toBe(5)
  })
})
