/**
 * Incident sounds, generated with WebAudio (no audio files): a short chime for a new incident on
 * the console, a sharper triple beep for a dispatch nobody accepted, and the officer phone's ring,
 * repeated (with vibration) until the officer answers. Browsers allow sound only after the user
 * interacted with the page; before that these fail quietly and the screen is the alert.
 */

const MUTE_KEY = 'patrolgrid.incidents.muted'

let context: AudioContext | null = null

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

/** One enveloped tone: `type` wave at `frequency` Hz from `at` for `length` seconds. */
function tone(ctx: AudioContext, at: number, frequency: number, length: number, volume: number, type: OscillatorType): void {
  const osc = ctx.createOscillator()
  const gain = ctx.createGain()
  osc.type = type
  osc.frequency.value = frequency
  gain.gain.setValueAtTime(0.0001, at)
  gain.gain.exponentialRampToValueAtTime(volume, at + 0.015)
  gain.gain.exponentialRampToValueAtTime(0.0001, at + length)
  osc.connect(gain).connect(ctx.destination)
  osc.start(at)
  osc.stop(at + length + 0.02)
}

export function loadIncidentsMuted(): boolean {
  try {
    return globalThis.localStorage?.getItem(MUTE_KEY) === '1'
  } catch {
    return false
  }
}

export function saveIncidentsMuted(muted: boolean): void {
  try {
    globalThis.localStorage?.setItem(MUTE_KEY, muted ? '1' : '0')
  } catch {
    // not persisted
  }
}

/** New incident: a rising three-note chime (about 0.6 s). */
export function playIncidentChime(): void {
  const ctx = audio()
  if (!ctx) return
  try {
    const start = ctx.currentTime + 0.02
    const notes = [659.25, 880, 1174.66]
    notes.forEach((f, i) => tone(ctx, start + i * 0.14, f, 0.32, 0.14, 'sine'))
  } catch {
    // no sound
  }
}

/** A dispatch not accepted in time, or declined: three sharp double beeps. */
export function playDispatchAlert(): void {
  const ctx = audio()
  if (!ctx) return
  try {
    const start = ctx.currentTime + 0.02
    for (let i = 0; i < 3; i += 1) {
      tone(ctx, start + i * 0.42, 988, 0.12, 0.12, 'square')
      tone(ctx, start + i * 0.42 + 0.15, 740, 0.12, 0.12, 'square')
    }
  } catch {
    // no sound
  }
}

/** One ring of the officer's phone: a warbling two-tone burst (about 1.2 s). */
export function playRing(): void {
  const ctx = audio()
  if (!ctx) return
  try {
    const start = ctx.currentTime + 0.02
    for (let i = 0; i < 12; i += 1) {
      tone(ctx, start + i * 0.1, i % 2 === 0 ? 1046.5 : 880, 0.09, 0.16, 'triangle')
    }
  } catch {
    // no sound
  }
}

export interface RingerDeps {
  ring: () => void
  vibrate: (pattern: number[]) => void
  setInterval: (fn: () => void, ms: number) => unknown
  clearInterval: (handle: unknown) => void
}

/** The vibration of one ring cycle (ms on, off, on …). */
export const VIBRATION_PATTERN = [500, 200, 500, 200, 500]
export const RING_EVERY_MS = 2500

export function browserRingerDeps(): RingerDeps {
  return {
    ring: playRing,
    vibrate: (pattern) => {
      try {
        globalThis.navigator?.vibrate?.(pattern)
      } catch {
        // no vibration on this device
      }
    },
    setInterval: (fn, ms) => globalThis.setInterval(fn, ms),
    clearInterval: (handle) => globalThis.clearInterval(handle as ReturnType<typeof setInterval>),
  }
}

/** Rings (sound and vibration) every {@link RING_EVERY_MS} from `start()` until `stop()`. */
export class Ringer {
  private handle: unknown = null
  private readonly deps: RingerDeps

  constructor(deps: RingerDeps = browserRingerDeps()) {
    this.deps = deps
  }

  get ringing(): boolean {
    return this.handle !== null
  }

  start(): void {
    if (this.handle !== null) return
    const cycle = () => {
      this.deps.ring()
      this.deps.vibrate(VIBRATION_PATTERN)
    }
    cycle()
    this.handle = this.deps.setInterval(cycle, RING_EVERY_MS)
  }

  stop(): void {
    if (this.handle === null) return
    this.deps.clearInterval(this.handle)
    this.handle = null
    this.deps.vibrate([])
  }
}
