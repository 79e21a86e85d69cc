/**
 * The officer app's WebSocket: the shared reconnecting {@link RealtimeClient} (backoff, ping/pong,
 * idle watchdog, topics, batch frames), with two additions:
 *
 * - every message from the server (a batch frame's messages one by one) is also passed to
 *   `onFrame` before the client handles it, which is how the outbox gets the server's
 *   `ack`/`error` answers (the shared client ignores them);
 * - the URL carries `?token=<device token>` while in token mode: when the server refuses the
 *   handshake and the cookie session turns out to be gone (`/api/auth/me` → 401), the app keeps
 *   reporting with the phone's device token until the officer signs in again.
 */
import { ApiError } from '@/shared/api'
import { authApi } from '@/shared/endpoints'
import { defaultSocketUrl, RealtimeClient, type WebSocketFactory } from '@/shared/ws'

export interface OfficerSocketOptions {
  /** Every message from the server, parsed (batch frames unpacked). */
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
    this.client = new RealtimeClient({
      url: () => this.url(),
      createSocket: options.createSocket,
      onMessage: (message) => options.onFrame(message),
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
