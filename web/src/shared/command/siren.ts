/**
 * The SOS siren, generated with WebAudio (no audio files): a rising and falling wail, repeated
 * every {@link SIREN_EVERY_MS} until stopped, with vibration on phones. The console plays it
 * until every SOS is acknowledged; the officer app while a colleague's SOS waits for an answer.
 *
 * Browsers start audio only after the user interacted with the page; until then the context is
 * `suspended` and {@link audioState} says so, so the screen can offer a button to enable sound.
 */

export const SIREN_EVERY_MS = 2200
export const SIREN_VIBRATION = [700, 250, 700, 250, 700]

let context: AudioContext | null = null
/** Siren cycles played on a running audio context (for browser tests). */
let cyclesPlayed = 0

function audio(): AudioContext | null {
  const Ctor = globalThis.AudioContext
  if (!Ctor) return null
  try {
    context ??= new Ctor()
    if (context.state === 'suspended') void context.resume().catch(() => undefined)
    return context
  } catch {
    return null
  }
}

/** Tries to start the audio context (call from a click). */
export async function unlockAudio(): Promise<boolean> {
  const ctx = audio()
  if (!ctx) return false
  try {
    await ctx.resume()
  } catch {
    // still suspended
  }
  return ctx.state === 'running'
}

export interface AudioStateInfo {
  /** `running`, `suspended` (waiting for a click), `closed`, or `none` (no WebAudio). */
  context: AudioContextState | 'none'
  cycles: number
}

export function audioState(): AudioStateInfo {
  return { context: context?.state ?? (globalThis.AudioContext ? 'suspended' : 'none'), cycles: cyclesPlayed }
}

/** One wail (about 1.8 s): two sweeps 620 → 1350 → 620 Hz, a square and a saw an octave apart. */
export function playWail(): void {
  const ctx = audio()
  if (!ctx) return
  try {
    const start = ctx.currentTime + 0.02
    const gain = ctx.createGain()
    gain.gain.setValueAtTime(0.0001, start)
    gain.gain.exponentialRampToValueAtTime(0.22, start + 0.05)
    gain.gain.setValueAtTime(0.22, start + 1.7)
    gain.gain.exponentialRampToValueAtTime(0.0001, start + 1.82)
    const filter = ctx.createBiquadFilter()
    filter.type = 'lowpass'
    filter.frequency.value = 3200
    filter.connect(gain).connect(ctx.destination)
    for (const [type, scale] of [
      ['square', 1],
      ['sawtooth', 0.5],
    ] as const) {
      const osc = ctx.createOscillator()
      osc.type = type
      const f = osc.frequency
      f.setValueAtTime(620 * scale, start)
      f.linearRampToValueAtTime(1350 * scale, start + 0.45)
      f.linearRampToValueAtTime(620 * scale, start + 0.9)
      f.linearRampToValueAtTime(1350 * scale, start + 1.35)
      f.linearRampToValueAtTime(620 * scale, start + 1.8)
      osc.connect(filter)
      osc.start(start)
      osc.stop(start + 1.85)
    }
    if (ctx.state === 'running') cyclesPlayed += 1
  } catch {
    // no sound: the screen is the alert
  }
}

export interface SirenDeps {
  play: () => void
  vibrate: (pattern: number[]) => void
  setInterval: (fn: () => void, ms: number) => unknown
  clearInterval: (handle: unknown) => void
}

export function browserSirenDeps(): SirenDeps {
  return {
    play: playWail,
    vibrate: (pattern) => {
      try {
        globalThis.navigator?.vibrate?.(pattern)
      } catch {
        // no vibration here
      }
    },
    setInterval: (fn, ms) => globalThis.setInterval(fn, ms),
    clearInterval: (handle) => globalThis.clearInterval(handle as ReturnType<typeof setInterval>),
  }
}

/** Wails (and vibrates) every {@link SIREN_EVERY_MS} from `start()` until `stop()`. */
export class Siren {
  private handle: unknown = null
  private readonly deps: SirenDeps
  private readonly vibrate: boolean

  constructor(deps: SirenDeps = browserSirenDeps(), options: { vibrate?: boolean } = {}) {
    this.deps = deps
    this.vibrate = options.vibrate ?? true
  }

  get running(): boolean {
    return this.handle !== null
  }

  /** Starts or stops to match `wanted`. */
  set(wanted: boolean): void {
    if (wanted) this.start()
    else this.stop()
  }

  start(): void {
    if (this.handle !== null) return
    const cycle = () => {
      this.deps.play()
      if (this.vibrate) this.deps.vibrate(SIREN_VIBRATION)
    }
    cycle()
    this.handle = this.deps.setInterval(cycle, SIREN_EVERY_MS)
  }

  stop(): void {
    if (this.handle === null) return
    this.deps.clearInterval(this.handle)
    this.handle = null
    if (this.vibrate) this.deps.vibrate([])
  }
}
