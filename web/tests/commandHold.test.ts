import { describe, expect, it } from 'vitest'
import { HoldTrigger, type HoldDeps } from '@/officer/command/hold'
import { shouldReplanRoute, type PlannedRoute } from '@/officer/command/route'

/** A clock and one interval the test advances by hand. */
function fakeDeps(): HoldDeps & { advance(ms: number): void; running: boolean } {
  let now = 0
  let fn: (() => void) | null = null
  let every = 0
  let last = 0
  return {
    now: () => now,
    setInterval: (f, ms) => {
      fn = f
      every = ms
      last = now
      return 1
    },
    clearInterval: () => {
      fn = null
    },
    advance(ms: number) {
      const end = now + ms
      while (fn && last + every <= end) {
        last += every
        now = last
        fn()
      }
      now = end
    },
    get running() {
      return fn !== null
    },
  }
}

describe('press and hold to trigger (SOS button)', () => {
  function setup(durationMs = 2000) {
    const deps = fakeDeps()
    const events: string[] = []
    const progress: number[] = []
    const hold = new HoldTrigger(
      {
        durationMs,
        tickMs: 100,
        onProgress: (p) => progress.push(p),
        onTrigger: () => events.push('trigger'),
        onCancel: () => events.push('cancel'),
      },
      deps,
    )
    return { deps, events, progress, hold }
  }

  it('fires once after the full 2 s, with progress counting up', () => {
    const { deps, events, progress, hold } = setup()
    hold.press()
    expect(hold.state).toBe('holding')
    deps.advance(1000)
    expect(events).toEqual([])
    expect(hold.progress).toBeCloseTo(0.5, 5)
    deps.advance(1000)
    expect(events).toEqual(['trigger'])
    expect(hold.state).toBe('triggered')
    expect(progress.at(-1)).toBe(1)
    expect(deps.running).toBe(false)
    deps.advance(5000)
    expect(events).toEqual(['trigger']) // no second trigger while still held
    hold.release()
    expect(hold.state).toBe('idle')
  })

  it('releasing early cancels and resets the ring', () => {
    const { deps, events, hold } = setup()
    hold.press()
    deps.advance(1900)
    hold.release()
    expect(events).toEqual(['cancel'])
    expect(hold.progress).toBe(0)
    expect(hold.state).toBe('idle')
    deps.advance(1000)
    expect(events).toEqual(['cancel'])
  })

  it('a second press while holding does not restart the countdown', () => {
    const { deps, events, hold } = setup()
    hold.press()
    deps.advance(1500)
    hold.press()
    deps.advance(500)
    expect(events).toEqual(['trigger'])
  })

  it('can be held again after a trigger', () => {
    const { deps, events, hold } = setup(500)
    hold.press()
    deps.advance(500)
    hold.release()
    hold.press()
    deps.advance(500)
    expect(events).toEqual(['trigger', 'trigger'])
  })
})

describe('route to a colleague in SOS: when to plan again', () => {
  const start: PlannedRoute = { sosId: 1, from: [108.4, 30.9], to: [108.41, 30.91], at: 0 }
  // About 111 m per 0.001° of latitude.
  const north = (p: [number, number], metres: number): [number, number] => [p[0], p[1] + metres / 111_195]

  it('plans at once for the first time and for another SOS', () => {
    expect(shouldReplanRoute(null, 1, start.from, start.to, 0)).toBe(true)
    expect(shouldReplanRoute(start, 2, start.from, start.to, 1)).toBe(true)
  })

  it('not while nobody moved, however long', () => {
    expect(shouldReplanRoute(start, 1, start.from, start.to, 60_000)).toBe(false)
  })

  it('on a 50 m move of either side, but not more often than every 3 s', () => {
    expect(shouldReplanRoute(start, 1, north(start.from, 60), start.to, 2000)).toBe(false)
    expect(shouldReplanRoute(start, 1, north(start.from, 60), start.to, 3000)).toBe(true)
    expect(shouldReplanRoute(start, 1, start.from, north(start.to, 60), 3000)).toBe(true)
    expect(shouldReplanRoute(start, 1, north(start.from, 30), start.to, 3000)).toBe(false)
  })

  it('every 10 s while either drifts a little', () => {
    expect(shouldReplanRoute(start, 1, north(start.from, 20), start.to, 9000)).toBe(false)
    expect(shouldReplanRoute(start, 1, north(start.from, 20), start.to, 10_000)).toBe(true)
    expect(shouldReplanRoute(start, 1, north(start.from, 3), start.to, 20_000)).toBe(false)
  })
})
