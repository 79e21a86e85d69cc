/**
 * Camera and microphone (getUserMedia), with fallbacks: camera and microphone, else camera only,
 * else microphone only. Needs a secure context (https, or http://127.0.0.1 / localhost).
 */

export interface MediaResult {
  stream: MediaStream | null
  /** `denied` (the user or policy refused), `unavailable` (no device, insecure page), or null. */
  problem: 'denied' | 'unavailable' | null
}

export interface MediaWish {
  video: boolean
  audio: boolean
  /** The phone's back camera (`environment`) or the selfie camera (`user`). */
  facing?: 'environment' | 'user'
}

function constraintsFor(wish: MediaWish): MediaStreamConstraints[] {
  const video: MediaTrackConstraints | boolean = wish.video
    ? { facingMode: wish.facing ?? 'environment', width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 20 } }
    : false
  const tries: MediaStreamConstraints[] = [{ video, audio: wish.audio }]
  if (wish.video && wish.audio) tries.push({ video, audio: false }, { video: false, audio: true })
  return tries
}

export async function openMedia(wish: MediaWish): Promise<MediaResult> {
  const devices = globalThis.navigator?.mediaDevices
  if (!devices?.getUserMedia || (!wish.video && !wish.audio)) return { stream: null, problem: 'unavailable' }
  let problem: MediaResult['problem'] = 'unavailable'
  for (const constraints of constraintsFor(wish)) {
    try {
      return { stream: await devices.getUserMedia(constraints), problem: null }
    } catch (error) {
      const name = (error as { name?: string }).name
      if (name === 'NotAllowedError' || name === 'SecurityError') {
        problem = 'denied'
        break
      }
    }
  }
  return { stream: null, problem }
}

export function stopStream(stream: MediaStream | null | undefined): void {
  for (const track of stream?.getTracks() ?? []) track.stop()
}
