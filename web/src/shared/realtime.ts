/** The page's one realtime connection, shared by every component that needs live events. */
import { onBeforeUnmount, onMounted } from 'vue'
import { api } from './http'
import { defaultSocketUrl, RealtimeClient, type EventHandler } from './ws'

let client: RealtimeClient | null = null
/** Listeners for every message from the server (see {@link listenFrames}). */
const frameListeners = new Set<(message: unknown) => void>()

export function getRealtime(): RealtimeClient {
  if (!client) {
    client = new RealtimeClient({
      url: () => defaultSocketUrl('/ws'),
      // The server may have refused the session: ask the API, whose 401 sends us to the login
      // page (this request does not opt out of the app's 401 handler). Reconnect attempts, and
      // so these checks, are spaced by the backoff.
      onRefused: () => {
        api.get('/api/auth/me').catch(() => undefined)
      },
      onMessage: (message) => {
        for (const listener of [...frameListeners]) listener(message)
      },
    })
    if (typeof window !== 'undefined') {
      window.addEventListener('online', () => client?.reconnectNow())
    }
  }
  return client
}

/** Subscribes to a topic while the calling component is mounted. */
export function useTopic(topic: string, handler: EventHandler): void {
  let unsubscribe: (() => void) | null = null
  onMounted(() => {
    unsubscribe = getRealtime().subscribe(topic, handler)
  })
  onBeforeUnmount(() => {
    unsubscribe?.()
    unsubscribe = null
  })
}

/**
 * Shows every message from the server to `listener` (batch frames unpacked), including what the
 * client itself does not dispatch: the personal `user.<id>` events (e.g. WebRTC signalling) and
 * the `ack`/`error` replies to one's own messages. Returns a function that removes it.
 */
export function listenFrames(listener: (message: unknown) => void): () => void {
  frameListeners.add(listener)
  return () => frameListeners.delete(listener)
}
