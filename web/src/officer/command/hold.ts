/**
 * Press and hold to trigger (the SOS button): the action fires only after the finger stayed down
 * for `durationMs` (2 s), with progress reported for the countdown ring; lifting the finger, or
 * the pointer leaving the button, before that cancels. Timers and the clock are injected, so the
 * rules are unit-tested.
 */

export interface HoldDeps {
  now: () => number
  setInterval: (fn: () => void, ms: number) => unknown
  clearInterval: (handle: unknown) => void
}

export interface HoldOptions {
  durationMs?: number
  /** How often progress is reported while held. */
  tickMs?: number
  onProgress?: (progress: number, remainingMs: number) => void
  onTrigger: () => void
  onCancel?: () => void
}

export type HoldState = 'idle' | 'holding' | 'triggered'

export const HOLD_MS = 2000

export function browserHoldDeps(): HoldDeps {
  return {
    now: () => performance.now(),
    setInterval: (fn, ms) => globalThis.setInterval(fn, ms),
    clearInterval: (h) => globalThis.clearInterval(h as ReturnType<typeof setInterval>),
  }
}

export class HoldTrigger {
  state: HoldState = 'idle'
  progress = 0
  private startedAt = 0
  private timer: unknown = null
  private readonly deps: HoldDeps
  private readonly options: Required<Omit<HoldOptions, 'onCancel' | 'onProgress'>> & HoldOptions

  constructor(options: HoldOptions, deps: HoldDeps = browserHoldDeps()) {
    this.deps = deps
    this.options = { durationMs: HOLD_MS, tickMs: 40, ...options }
  }

  get durationMs(): number {
    return this.options.durationMs
  }

  /** Finger down: starts the countdown (ignored while holding or after triggering). */
  press(): void {
    if (this.state !== 'idle') return
    this.state = 'holding'
    this.startedAt = this.deps.now()
    this.report(0)
    this.timer = this.deps.setInterval(() => this.tick(), this.options.tickMs)
  }

  /** Called by the timer; also usable by tests. */
  tick(): void {
    if (this.state !== 'holding') return
    const elapsed = this.deps.now() - this.startedAt
    if (elapsed >= this.options.durationMs) {
      this.stopTimer()
      this.state = 'triggered'
      this.report(1)
      this.options.onTrigger()
      return
    }
    this.report(elapsed / this.options.durationMs)
  }

  /** Finger up (or away): cancels a countdown not finished; re-arms after a trigger. */
  release(): void {
    if (this.state === 'holding') {
      this.stopTimer()
      this.state = 'idle'
      this.report(0)
      this.options.onCancel?.()
    } else if (this.state === 'triggered') {
      this.state = 'idle'
      this.progress = 0
    }
  }

  dispose(): void {
    this.stopTimer()
    this.state = 'idle'
  }

  private report(progress: number): void {
    this.progress = Math.max(0, Math.min(1, progress))
    const remaining = Math.max(0, this.options.durationMs * (1 - this.progress))
    this.options.onProgress?.(this.progress, remaining)
  }

  private stopTimer(): void {
    if (this.timer !== null) this.deps.clearInterval(this.timer)
    this.timer = null
  }
}
