/**
 * Plays one camera's stream into a `<video>` (HLS, MP4, WHEP) or an `<img>` (MJPEG) and reports
 * what the tile should show: `loading`, `playing` or `nosignal`. A stream that fails or stalls
 * is tried again after a pause that grows (5 s … 60 s), so a camera that comes back shows again
 * by itself.
 *
 * - HLS: hls.js (its light build: no subtitles, DRM or alternate audio, which cameras do not
 *   use), loaded on first use; browsers with native HLS and no MediaSource (iOS Safari) play the
 *   playlist directly. VOD playlists (the demo's clips) loop.
 * - MP4: the file in a looping `<video>`.
 * - MJPEG: an `<img>` whose source is the multipart stream; the browser redraws every part.
 * - WHEP (RFC 9725): a receive-only RTCPeerConnection; its offer is POSTed as `application/sdp`,
 *   the 201 answer applied, and the session's resource (the `Location` header) deleted on stop.
 */
import type { PlayerStatus, StreamKind } from './types'

export type StreamStatus = Exclude<PlayerStatus, 'disabled'>

export interface PlayerTargets {
  video: HTMLVideoElement
  img: HTMLImageElement
}

export interface PlayerOptions {
  onStatus: (status: StreamStatus, reason?: string) => void
  /** No picture progress for this long while playing: no signal (ms). */
  stallMs?: number
  /** First retry pause after a failure (ms); doubles up to `maxRetryMs`. */
  retryMs?: number
  maxRetryMs?: number
  /** Replaceable in tests. */
  loadHls?: () => Promise<HlsConstructor>
  fetchImpl?: typeof fetch
  createPeerConnection?: () => RTCPeerConnection
}

/** The part of hls.js this module uses. */
export interface HlsLike {
  loadSource(url: string): void
  attachMedia(media: HTMLMediaElement): void
  recoverMediaError(): void
  destroy(): void
  on(event: string, listener: (event: string, data: { fatal?: boolean; type?: string; details?: string }) => void): void
}

export interface HlsConstructor {
  new (config?: Record<string, unknown>): HlsLike
  isSupported(): boolean
  Events: { ERROR: string; MANIFEST_PARSED: string }
  ErrorTypes: { MEDIA_ERROR: string }
}

async function defaultLoadHls(): Promise<HlsConstructor> {
  const module = await import('hls.js/light')
  return module.default as unknown as HlsConstructor
}

/** Waits until ICE gathering is complete (or `timeoutMs` passed): WHEP wants one offer. */
export function iceGatheringDone(pc: RTCPeerConnection, timeoutMs = 2000): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(finish, timeoutMs)
    function finish(): void {
      clearTimeout(timer)
      pc.removeEventListener('icegatheringstatechange', check)
      resolve()
    }
    function check(): void {
      if (pc.iceGatheringState === 'complete') finish()
    }
    pc.addEventListener('icegatheringstatechange', check)
  })
}

export interface WhepSession {
  /** The session's resource URL from the `Location` header, for the DELETE at the end. */
  resource: string | null
}

/**
 * The WHEP exchange on a peer connection: receive-only video and audio, the offer POSTed as
 * `application/sdp`, the answer applied. Throws on a non-2xx answer.
 */
export async function negotiateWhep(
  pc: RTCPeerConnection,
  url: string,
  fetchImpl: typeof fetch = fetch,
  signal?: AbortSignal,
): Promise<WhepSession> {
  pc.addTransceiver('video', { direction: 'recvonly' })
  pc.addTransceiver('audio', { direction: 'recvonly' })
  await pc.setLocalDescription(await pc.createOffer())
  await iceGatheringDone(pc)
  const offer = pc.localDescription?.sdp ?? ''
  const response = await fetchImpl(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/sdp', Accept: 'application/sdp' },
    body: offer,
    signal,
  })
  if (!response.ok) throw new Error(`WHEP endpoint answered HTTP ${response.status}`)
  const answer = await response.text()
  await pc.setRemoteDescription({ type: 'answer', sdp: answer })
  const location = response.headers.get('Location')
  return { resource: location ? new URL(location, new URL(url, globalThis.location?.href)).href : null }
}

/** One stream being played; `stop()` releases everything (connections, timers, elements). */
export class StreamPlayer {
  private readonly kind: StreamKind
  private readonly url: string
  private readonly targets: PlayerTargets
  private readonly options: PlayerOptions
  private status: StreamStatus | null = null
  private stopped = false
  private attempt = 0
  private retryTimer: ReturnType<typeof setTimeout> | null = null
  private watchTimer: ReturnType<typeof setInterval> | null = null
  private lastTime = -1
  private lastProgressAt = 0
  private cleanup: (() => void)[] = []

  constructor(kind: StreamKind, url: string, targets: PlayerTargets, options: PlayerOptions) {
    this.kind = kind
    this.url = url
    this.targets = targets
    this.options = options
  }

  start(): void {
    this.stopped = false
    this.attempt = 0
    void this.open()
  }

  stop(): void {
    this.stopped = true
    if (this.retryTimer) clearTimeout(this.retryTimer)
    this.retryTimer = null
    this.close()
  }

  private setStatus(status: StreamStatus, reason?: string): void {
    if (this.stopped || this.status === status) return
    this.status = status
    if (status === 'playing') this.attempt = 0
    this.options.onStatus(status, reason)
  }

  private close(): void {
    if (this.watchTimer) clearInterval(this.watchTimer)
    this.watchTimer = null
    for (const fn of this.cleanup.splice(0).reverse()) {
      try {
        fn()
      } catch {
        // best effort: the element or connection is going away anyway
      }
    }
  }

  /** The stream failed: show no signal and try again after a pause. */
  private fail(reason: string): void {
    if (this.stopped) return
    this.close()
    this.setStatus('nosignal', reason)
    const base = this.options.retryMs ?? 5000
    const delay = Math.min(base * 2 ** this.attempt, this.options.maxRetryMs ?? 60_000)
    this.attempt += 1
    if (this.retryTimer) clearTimeout(this.retryTimer)
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null
      if (!this.stopped) void this.open()
    }, delay)
  }

  private async open(): Promise<void> {
    this.status = null
    this.setStatus('loading')
    try {
      if (this.kind === 'mjpeg') this.openMjpeg()
      else if (this.kind === 'mp4') this.openFile()
      else if (this.kind === 'hls') await this.openHls()
      else await this.openWhep()
    } catch (error) {
      this.fail(error instanceof Error ? error.message : String(error))
    }
  }

  // ---- <video> kinds

  private prepareVideo(): HTMLVideoElement {
    const video = this.targets.video
    video.muted = true
    video.defaultMuted = true
    video.playsInline = true
    video.autoplay = true
    video.loop = this.kind !== 'whep'
    const onPlaying = (): void => {
      if (video.videoWidth > 0) this.setStatus('playing')
    }
    const onError = (): void => this.fail(`video error ${video.error?.code ?? ''}`.trim())
    const onEnded = (): void => {
      // Loop even where the loop attribute is not honoured (some MSE paths).
      video.currentTime = 0
      void video.play().catch(() => undefined)
    }
    video.addEventListener('playing', onPlaying)
    video.addEventListener('timeupdate', onPlaying)
    video.addEventListener('error', onError)
    video.addEventListener('ended', onEnded)
    this.cleanup.push(() => {
      video.removeEventListener('playing', onPlaying)
      video.removeEventListener('timeupdate', onPlaying)
      video.removeEventListener('error', onError)
      video.removeEventListener('ended', onEnded)
      video.pause()
      video.removeAttribute('src')
      video.srcObject = null
      video.load()
    })
    this.watch(video)
    return video
  }

  /** No progress in `currentTime` for `stallMs`: the stream stalled. */
  private watch(video: HTMLVideoElement): void {
    const stallMs = this.options.stallMs ?? 12_000
    this.lastTime = -1
    this.lastProgressAt = Date.now()
    this.watchTimer = setInterval(() => {
      const hidden = typeof document !== 'undefined' && document.hidden
      if (video.currentTime !== this.lastTime || hidden) {
        this.lastTime = video.currentTime
        this.lastProgressAt = Date.now()
        return
      }
      if (Date.now() - this.lastProgressAt > stallMs) this.fail('stalled')
    }, 1000)
  }

  private play(video: HTMLVideoElement): void {
    video.play().catch((error: unknown) => {
      // Autoplay of muted video is allowed everywhere; anything else is a real failure.
      if (!(error instanceof DOMException && error.name === 'AbortError')) this.fail(String(error))
    })
  }

  private openFile(): void {
    const video = this.prepareVideo()
    video.src = this.url
    this.play(video)
  }

  private async openHls(): Promise<void> {
    const video = this.prepareVideo()
    const Hls = await (this.options.loadHls ?? defaultLoadHls)()
    if (this.stopped) return
    if (Hls.isSupported()) {
      const hls = new Hls({ maxBufferLength: 10, backBufferLength: 30, enableWorker: true })
      let recovered = false
      hls.on(Hls.Events.ERROR, (_event, data) => {
        if (!data.fatal) return
        if (data.type === Hls.ErrorTypes.MEDIA_ERROR && !recovered) {
          recovered = true
          hls.recoverMediaError()
          return
        }
        this.fail(data.details ?? 'hls error')
      })
      hls.on(Hls.Events.MANIFEST_PARSED, () => this.play(video))
      this.cleanup.push(() => hls.destroy())
      hls.loadSource(this.url)
      hls.attachMedia(video)
    } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
      video.src = this.url
      this.play(video)
    } else {
      throw new Error('HLS is not supported by this browser')
    }
  }

  private async openWhep(): Promise<void> {
    const video = this.prepareVideo()
    const pc = (this.options.createPeerConnection ?? (() => new RTCPeerConnection()))()
    const abort = new AbortController()
    let resource: string | null = null
    const fetchImpl = this.options.fetchImpl ?? globalThis.fetch.bind(globalThis)
    pc.addEventListener('track', (event: RTCTrackEvent) => {
      video.srcObject = event.streams[0] ?? new MediaStream([event.track])
      this.play(video)
    })
    pc.addEventListener('connectionstatechange', () => {
      if (pc.connectionState === 'failed' || pc.connectionState === 'disconnected') {
        this.fail(`webrtc ${pc.connectionState}`)
      }
    })
    this.cleanup.push(() => {
      abort.abort()
      pc.close()
      if (resource) void fetchImpl(resource, { method: 'DELETE' }).catch(() => undefined)
    })
    const session = await negotiateWhep(pc, this.url, fetchImpl, abort.signal)
    resource = session.resource
  }

  // ---- <img> kind

  private openMjpeg(): void {
    const img = this.targets.img
    let poll: ReturnType<typeof setInterval> | null = null
    const onLoad = (): void => {
      if (img.naturalWidth > 0) this.setStatus('playing')
    }
    const onError = (): void => this.fail('mjpeg error')
    img.addEventListener('load', onLoad)
    img.addEventListener('error', onError)
    // Multipart images may not fire `load` per part: look for the first picture.
    poll = setInterval(onLoad, 500)
    this.cleanup.push(() => {
      if (poll) clearInterval(poll)
      img.removeEventListener('load', onLoad)
      img.removeEventListener('error', onError)
      img.removeAttribute('src')
    })
    img.src = this.url
  }
}
