/**
 * The officer app's WebSocket: the shared reconnecting {@link RealtimeClient} (backoff, ping/pong,
 * idle watchdog, topics), with two additions made from the outside so `src/shared/ws.ts` stays as
 * it is:
 *
 * - every frame is also passed to `onFrame` before the client sees it, which is how the outbox
 *   gets the server's `ack`/`error` answers (the shared client ignores them);
 * - the URL carries `?token=<device token>` while in token mode: when the server refuses the
 *   handshake and the cookie session turns out to be gone (`/api/auth/me` → 401), the app keeps
 *   reporting with the phone's device token until the officer signs in again.
 */
import { ApiError } from '@/shared/api'
import { authApi } from '@/shared/endpoints'
import {
  defaultSocketUrl,
  RealtimeClient,
  type WebSocketFactory,
  type WebSocketLike,
} from '@/shared/ws'

/** A socket whose incoming frames are shown to `tap` first, then to whoever set `onmessage`. */
export class TappedSocket implements WebSocketLike {
  private consumer: WebSocketLike['onmessage'] = null

  constructor(
    private readonly inner: WebSocketLike,
    tap: (data: unknown) => void,
  ) {
    inner.onmessage = (event) => {
      // A detached socket (the client set onmessage to null) is stale: ignore its frames.
      if (!this.consumer) return
      try {
        tap(event.data)
      } catch (error) {
        console.error(error)
      }
      this.consumer?.(event)
    }
  }

  get readyState(): number {
    return this.inner.readyState
  }
  get onopen() {
    return this.inner.onopen
  }
  set onopen(handler: WebSocketLike['onopen']) {
    this.inner.onopen = handler
  }
  get onclose() {
    return this.inner.onclose
  }
  set onclose(handler: WebSocketLike['onclose']) {
    this.inner.onclose = handler
  }
  get onerror() {
    return this.inner.onerror
  }
  set onerror(handler: WebSocketLike['onerror']) {
    this.inner.onerror = handler
  }
  get onmessage() {
    return this.consumer
  }
  set onmessage(handler: WebSocketLike['onmessage']) {
    this.consumer = handler
  }
  send(data: string): void {
    this.inner.send(data)
  }
  close(code?: number, reason?: string): void {
    this.inner.close(code, reason)
  }
}

/** Parses a JSON text frame, or returns null. */
export function parseFrame(data: unknown): unknown {
  if (typeof data !== 'string') return null
  try {
    return JSON.parse(data) as unknown
  } catch {
    return null
  }
}

export interface OfficerSocketOptions {
  /** Every parsed frame from the server. */
  onFrame: (frame: unknown) => void
  /** The current device token (null when the phone has none). */
  deviceToken: () => string | null
  createSocket?: WebSocketFactory
  /** Asks whether the cookie session is alive: true, false (401), or null (unknown). */
  checkSession?: () => Promise<boolean | null>
  /** Called when the device token was refused too (re-register after the next sign-in). */
  onTokenRefused?: () => void
  baseUrl?: () => string
}

export async function defaultCheckSession(): Promise<boolean | null> {
  try {
    await authApi.me()
    return true
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return false
    return null
  }
}

export class OfficerSocket {
  readonly client: RealtimeClient
  /** Connect with the device token instead of the cookie. */
  tokenMode = false
  private readonly options: OfficerSocketOptions

  constructor(options: OfficerSocketOptions) {
    this.options = options
    const base = options.createSocket ?? ((url: string) => new WebSocket(url) as unknown as WebSocketLike)
    this.client = new RealtimeClient({
      url: () => this.url(),
      createSocket: (url) => new TappedSocket(base(url), (data) => options.onFrame(parseFrame(data))),
      onRefused: () => void this.refused(),
    })
  }

  url(): string {
    const base = this.options.baseUrl?.() ?? defaultSocketUrl('/ws')
    const token = this.options.deviceToken()
    if (this.tokenMode && token) return `${base}?token=${encodeURIComponent(token)}`
    return base
  }

  /** Back to the cookie (after a sign-in). */
  useSession(): void {
    this.tokenMode = false
  }

  private async refused(): Promise<void> {
    const check = this.options.checkSession ?? defaultCheckSession
    const session = await check()
    if (session === true) {
      this.tokenMode = false
      return
    }
    if (session === null) return // offline or server down: nothing to learn
    if (this.tokenMode) {
      // Neither the cookie nor the token is accepted.
      this.tokenMode = false
      this.options.onTokenRefused?.()
      return
    }
    if (this.options.deviceToken()) {
      this.tokenMode = true
      this.client.reconnectNow()
    }
  }
}
