/**
 * The SOS alert sound: three short two-tone beeps from WebAudio (no audio files). Browsers allow
 * sound only after the user interacted with the page; before that this fails quietly.
 */
const MUTE_KEY = 'patrolgrid.live.muted'

let context: AudioContext | null = null

export function loadMuted(): boolean {
  try {
    return globalThis.localStorage?.getItem(MUTE_KEY) === '1'
  } catch {
    return false
  }
}

export function saveMuted(muted: boolean): void {
  try {
    globalThis.localStorage?.setItem(MUTE_KEY, muted ? '1' : '0')
  } catch {
    // not persisted
  }
}

export function playAlarmBeep(): void {
  const Ctor = globalThis.AudioContext
  if (!Ctor) return
  try {
    context ??= new Ctor()
    const ctx = context
    if (ctx.state === 'suspended') void ctx.resume().catch(() => undefined)
    const start = ctx.currentTime + 0.02
    for (let i = 0; i < 3; i += 1) {
      for (const [offset, frequency] of [
        [0, 880],
        [0.16, 660],
      ] as const) {
        const at = start + i * 0.5 + offset
        const osc = ctx.createOscillator()
        const gain = ctx.createGain()
        osc.type = 'square'
        osc.frequency.value = frequency
        gain.gain.setValueAtTime(0.0001, at)
        gain.gain.exponentialRampToValueAtTime(0.12, at + 0.01)
        gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.15)
        osc.connect(gain).connect(ctx.destination)
        osc.start(at)
        osc.stop(at + 0.16)
      }
    }
  } catch {
    // No sound available; the banner is the alert.
  }
}
