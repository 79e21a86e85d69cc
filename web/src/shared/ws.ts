/**
 * A reconnecting WebSocket client for the server's `/ws` endpoint.
 *
 * Protocol (JSON text frames). The server sends what it has queued for this client as one frame
 * at most every ~50 ms: a lone message as itself, several as
 * `{"type":"batch","messages":[<message>, ...]}` in the order they were sent (alarms and replies
 * are not held back). The client unpacks batches, so everything below, `onMessage` and every
 * handler see single messages:
 *   server → `{"type":"hello","user":{...}}` once after the connection is accepted,
 *   server → `{"type":"ping","t":...}` about every 20 s; we answer `{"type":"pong"}`,
 *   client → `{"type":"subscribe","topics":[...]}` (on connect: every topic with a handler;
 *            later: each newly wanted topic), `{"type":"unsubscribe","topics":[...]}` when the
 *            last handler of a topic goes,
 *   server → `{"type":"event","topic":"org","event":"person.created","data":{...}}`
 *   server → `{"type":"snapshot","topic":"tracking","data":{...}}` right after a subscription to
 *            a topic that has a current state; handlers get it as event `snapshot`,
 *   server → `{"type":"lagged","dropped":n}` when the server dropped events for this slow client;
 *            every topic's handlers get it as event `lagged` (data `{dropped}`) so they can resync,
 *            e.g. with `resubscribe(topic)`, which brings a fresh snapshot
 *   (other frames such as `subscribed` and `error` are ignored). The event names `snapshot` and
 *   `lagged` are therefore reserved.
 *
 * A server that refuses the session answers the handshake with an HTTP error, which a browser
 * reports as a close before the socket ever opened; `onRefused` is then called so that the app
 * can check its session (a 401 on the API sends the user to the login page).
 *
 * After a close the client reconnects with exponential backoff (with jitter), and subscribes to
 * its topics again. The backoff resets when the server says hello. If nothing arrives for
 * `idleTimeoutMs` (several missed pings) the connection is considered dead and replaced.
 */
import { shallowRef, type ShallowRef } from 'vue'

/** The part of the browser's WebSocket that this client uses (so tests can pass a fake). */
export interface WebSocketLike {
  readonly readyState: number
  onopen: ((event: Event) => void) | null
  onclose: ((event: { code: number; reason: string }) => void) | null
  onmessage: ((event: { data: unknown }) => void) | null
  onerror: ((event: Event) => void) | null
  send(data: string): void
  close(code?: number, reason?: string): void
}

export type WebSocketFactory = (url: string) => WebSocketLike

const OPEN = 1

/** Close codes after which the session should be checked (the server refused the cookie). */
export const AUTH_CLOSE_CODES: readonly number[] = [1008, 4401, 4403]

export interface BackoffOptions {
  minDelayMs: number
  maxDelayMs: number
  factor: number
  /** Relative spread: 0.2 means ±20 %. */
  jitter: number
}

export const DEFAULT_BACKOFF: BackoffOptions = {
  minDelayMs: 1000,
  maxDelayMs: 30000,
  factor: 2,
  jitter: 0.2,
}

/**
 * Delay before reconnect attempt number `attempt` (0-based): `min * factor^attempt`, capped at
 * `max`, spread by ±jitter using `random()` in [0, 1) (0.5 gives no spread), never above `max`.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const base = Math.min(options.maxDelayMs, options.minDelayMs * options.factor ** Math.max(0, attempt))
  const spread = 1 + options.jitter * (2 * random() - 1)
  return Math.round(Math.min(options.maxDelayMs, Math.max(0, base * spread)))
}

export interface RealtimeEvent<T = unknown> {
  topic: string
  event: string
  data: T
}

export type EventHandler = (event: RealtimeEvent) => void

export interface RealtimeOptions {
  url: string | (() => string)
  createSocket?: WebSocketFactory
  backoff?: Partial<BackoffOptions>
  random?: () => number
  /** Replace the connection when no frame arrived for this long; 0 disables. Default 65 s. */
  idleTimeoutMs?: number
  /**
   * Called when the session may be the problem: the socket closed before it opened (handshake
   * refused), or the server closed it with an auth-related code.
   */
  onRefused?: () => void
  /** Called with the `user` of every hello frame. */
  onHello?: (user: unknown) => void
  /**
   * Called with every message from the server (a batch frame's messages one by one, in order),
   * before the client handles it: how a caller sees the frames the client itself ignores, such
   * as the `ack`/`error` answers to its own messages.
   */
  onMessage?: (message: unknown) => void
}

/**
 * The messages of one text frame: the frame itself, or each message of a
 * `{"type":"batch","messages":[...]}` frame; none for a frame that is not JSON.
 */
export function frameMessages(raw: unknown): unknown[] {
  if (typeof raw !== 'string') return []
  let frame: unknown
  try {
    frame = JSON.parse(raw)
  } catch {
    return []
  }
  if (
    typeof frame === 'object' &&
    frame !== null &&
    (frame as ServerFrame).type === 'batch' &&
    Array.isArray((frame as { messages?: unknown }).messages)
  ) {
    return (frame as { messages: unknown[] }).messages
  }
  return [frame]
}

interface ServerFrame {
  type?: unknown
  topic?: unknown
  event?: unknown
  data?: unknown
  user?: unknown
}

export class RealtimeClient {
  /** True while a socket is open. */
  readonly connected: ShallowRef<boolean> = shallowRef(false)
  /** Reconnect attempts since the last successful hello. */
  attempt = 0

  private readonly options: RealtimeOptions
  private readonly backoff: BackoffOptions
  private readonly createSocket: WebSocketFactory
  private socket: WebSocketLike | null = null
  /** Whether the current socket got as far as `open`. */
  private opened = false
  private running = false
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null
  private idleTimer: ReturnType<typeof setTimeout> | null = null
  private readonly handlers = new Map<string, Set<EventHandler>>()

  constructor(options: RealtimeOptions) {
    this.options = options
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff }
    this.createSocket =
      options.createSocket ?? ((url: string) => new WebSocket(url) as unknown as WebSocketLike)
  }

  get isRunning(): boolean {
    return this.running
  }

  /** Topics with at least one handler. */
  get topics(): string[] {
    return [...this.handlers.keys()]
  }

  start(): void {
    if (this.running) return
    this.running = true
    this.attempt = 0
    this.open()
  }

  stop(): void {
    this.running = false
    this.clearTimers()
    const socket = this.socket
    this.socket = null
    if (socket) {
      this.detach(socket)
      try {
        socket.close(1000, 'client stop')
      } catch {
        // already closed
      }
    }
    this.connected.value = false
  }

  /** Reconnects now instead of waiting for the backoff (e.g. the browser came back online). */
  reconnectNow(): void {
    if (!this.running || this.socket) return
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer)
    this.reconnectTimer = null
    this.open()
  }

  /** Calls `handler` for every event on `topic`; returns a function that removes it. */
  subscribe(topic: string, handler: EventHandler): () => void {
    let set = this.handlers.get(topic)
    const isNewTopic = !set
    if (!set) {
      set = new Set()
      this.handlers.set(topic, set)
    }
    set.add(handler)
    if (isNewTopic) this.send({ type: 'subscribe', topics: [topic] })
    return () => {
      const current = this.handlers.get(topic)
      if (!current || !current.delete(handler)) return
      if (current.size === 0) {
        this.handlers.delete(topic)
        this.send({ type: 'unsubscribe', topics: [topic] })
      }
    }
  }

  /**
   * Asks the server for the topic afresh (unsubscribe, then subscribe on the same socket, so
   * the server sends a new snapshot). Returns false when not connected: the next connection
   * subscribes anyway.
   */
  resubscribe(topic: string): boolean {
    if (!this.handlers.has(topic)) return false
    if (!this.send({ type: 'unsubscribe', topics: [topic] })) return false
    return this.send({ type: 'subscribe', topics: [topic] })
  }

  send(message: unknown): boolean {
    const socket = this.socket
    if (!socket || socket.readyState !== OPEN) return false
    socket.send(JSON.stringify(message))
    return true
  }

  private url(): string {
    return typeof this.options.url === 'function' ? this.options.url() : this.options.url
  }

  private open(): void {
    let socket: WebSocketLike
    try {
      socket = this.createSocket(this.url())
    } catch {
      this.scheduleReconnect()
      return
    }
    this.socket = socket
    this.opened = false
    socket.onopen = () => {
      if (this.socket !== socket) return
      this.opened = true
      this.connected.value = true
      this.touch()
      this.sendSubscribe()
    }
    socket.onmessage = (event) => {
      if (this.socket !== socket) return
      this.touch()
      this.handleFrame(socket, event.data)
    }
    socket.onerror = () => {
      // A close event always follows; reconnecting is handled there.
    }
    socket.onclose = (event) => {
      if (this.socket !== socket) return
      this.handleClosed(event.code)
    }
  }

  private handleFrame(socket: WebSocketLike, raw: unknown): void {
    for (const message of frameMessages(raw)) {
      // A handler may have stopped or replaced the connection half-way through a batch.
      if (this.socket !== socket) return
      if (this.options.onMessage) {
        try {
          this.options.onMessage(message)
        } catch (error) {
          console.error(error)
        }
      }
      this.handleMessage(message)
    }
  }

  private handleMessage(message: unknown): void {
    if (typeof message !== 'object' || message === null) return
    const frame = message as ServerFrame
    switch (frame.type) {
      case 'ping':
        this.send({ type: 'pong' })
        break
      case 'hello':
        this.attempt = 0
        this.options.onHello?.(frame.user)
        break
      case 'event': {
        if (typeof frame.topic !== 'string') return
        const event: RealtimeEvent = {
          topic: frame.topic,
          event: typeof frame.event === 'string' ? frame.event : '',
          data: frame.data,
        }
        for (const handler of [...(this.handlers.get(frame.topic) ?? [])]) {
          try {
            handler(event)
          } catch (error) {
            console.error(error)
          }
        }
        break
      }
      case 'snapshot':
        if (typeof frame.topic === 'string') this.emit(frame.topic, 'snapshot', frame.data)
        break
      case 'lagged': {
        const dropped = (frame as { dropped?: unknown }).dropped
        for (const topic of this.topics) this.emit(topic, 'lagged', { dropped })
        break
      }
      default:
        break
    }
  }

  private emit(topic: string, event: string, data: unknown): void {
    for (const handler of [...(this.handlers.get(topic) ?? [])]) {
      try {
        handler({ topic, event, data })
      } catch (error) {
        console.error(error)
      }
    }
  }

  private handleClosed(code: number): void {
    const socket = this.socket
    if (socket) this.detach(socket)
    this.socket = null
    this.connected.value = false
    if (this.idleTimer) clearTimeout(this.idleTimer)
    this.idleTimer = null
    if (!this.opened || AUTH_CLOSE_CODES.includes(code)) this.options.onRefused?.()
    if (this.running) this.scheduleReconnect()
  }

  private scheduleReconnect(): void {
    if (!this.running || this.reconnectTimer) return
    const delay = backoffDelay(this.attempt, this.backoff, this.options.random)
    this.attempt += 1
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null
      if (this.running && !this.socket) this.open()
    }, delay)
  }

  private sendSubscribe(): void {
    const topics = this.topics
    if (topics.length > 0) this.send({ type: 'subscribe', topics })
  }

  /** Restarts the idle watchdog after any frame from the server. */
  private touch(): void {
    const timeout = this.options.idleTimeoutMs ?? 65000
    if (timeout <= 0) return
    if (this.idleTimer) clearTimeout(this.idleTimer)
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null
      const socket = this.socket
      if (!socket) return
      try {
        socket.close(4000, 'idle')
      } catch {
        // ignore
      }
      this.handleClosed(4000)
    }, timeout)
  }

  private detach(socket: WebSocketLike): void {
    socket.onopen = null
    socket.onmessage = null
    socket.onerror = null
    socket.onclose = null
  }

  private clearTimers(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer)
    if (this.idleTimer) clearTimeout(this.idleTimer)
    this.reconnectTimer = null
    this.idleTimer = null
  }
}

/** `ws://host/ws` or `wss://host/ws` for the page's own origin. */
export function defaultSocketUrl(path = '/ws'): string {
  const { protocol, host } = window.location
  return `${protocol === 'https:' ? 'wss' : 'ws'}://${host}${path}`
}
