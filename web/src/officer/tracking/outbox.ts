/**
 * The officer app's outbox: every position (and every status change) is first written to storage
 * (IndexedDB in the browser), then sent over the WebSocket, and removed only when the server
 * acknowledges it. Plain TypeScript, no Vue: storage and transport are injected, so tests drive it
 * with fake-indexeddb and a fake socket.
 *
 * Rules (docs/tracking.md, "Officer app over the WebSocket"):
 * - Entries are sent oldest first, at most `maxInFlight` unacknowledged at a time, paced by a token
 *   bucket (the server rate-limits a device to 10 reports/s, burst 50).
 * - `{"type":"ack","id":n}` removes entry n. An `{"type":"error","id":n,...}`:
 *   - `tracking.unknown_device`: the device is not (or no longer) registered; the outbox holds
 *     everything and calls `onDeviceUnknown`; the app re-registers and calls `release()`.
 *   - `tracking.rate_limited`: kept, sending pauses briefly.
 *   - `internal_error` and `auth.*`: kept and retried after a growing pause; dropped after
 *     `maxAttempts` such answers.
 *   - anything else (`tracking.bad_position`, validation errors): the entry is garbage; it is
 *     dropped and counted, never retried.
 * - When the connection closes, unacknowledged entries simply stay; when it opens again they are
 *   sent again from the oldest. An entry with no answer for `ackTimeoutMs` is sent again. The server
 *   stores a repeated position once, and a repeated status is harmless.
 * - Entry ids come from the store's auto-increment key, so they stay unique across reloads; they
 *   are the client sequence `id` of the frames.
 */
import type { ErrorFrame, OutgoingFrame, PositionPayload, StatusPayload } from './types'

export type OutboxKind = 'position' | 'status'

export type OutboxItem =
  | { kind: 'position'; payload: PositionPayload }
  | { kind: 'status'; payload: StatusPayload }

/** A stored entry. */
export type OutboxEntry = OutboxItem & {
  id: number
  /** When it was queued (ms since the epoch). */
  createdAt: number
  /** Retryable errors the server answered for it so far. */
  attempts: number
}

export type NewOutboxEntry = OutboxItem & { createdAt: number; attempts: number }

/** Persistent storage of the outbox, in key (= insertion) order. */
export interface OutboxStorage {
  /** Stores an entry and returns its new id (ascending). */
  add(entry: NewOutboxEntry): Promise<number>
  /** Up to `limit` entries, oldest first. */
  oldest(limit: number): Promise<OutboxEntry[]>
  get(id: number): Promise<OutboxEntry | undefined>
  put(entry: OutboxEntry): Promise<void>
  /** Removes an entry; returns it, or undefined when it was not there. */
  remove(id: number): Promise<OutboxEntry | undefined>
  counts(): Promise<Record<OutboxKind, number>>
  clear(): Promise<void>
  close?(): void
}

/** Where frames go: the WebSocket. */
export interface OutboxTransport {
  /** Sends a frame; false when the connection is not open. */
  send(frame: OutgoingFrame): boolean
}

export interface OutboxStats {
  /** Positions waiting for an ack (stored). */
  positions: number
  /** Status changes waiting for an ack. */
  statuses: number
  inFlight: number
  /** Entries the server rejected as invalid, since this outbox was opened. */
  dropped: number
  /** Entries acknowledged since this outbox was opened. */
  acked: number
  /** Sending is held until the device is registered again. */
  held: boolean
  /** The transport is open. */
  online: boolean
}

export interface OutboxOptions {
  storage: OutboxStorage
  transport: OutboxTransport
  /** Unacknowledged frames at a time. Default 4. */
  maxInFlight?: number
  /** Resend a frame with no answer after this long. Default 20 s. */
  ackTimeoutMs?: number
  /** Retryable answers before an entry is dropped anyway. Default 8. */
  maxAttempts?: number
  /** Pause after the n-th consecutive retryable error (1-based). Default 2 s doubling to 60 s. */
  retryDelayMs?: (failures: number) => number
  /** Pause after `tracking.rate_limited`. Default 2 s. */
  rateLimitPauseMs?: number
  /** Sending rate: frames per second and burst. Default 8/s, burst 40 (server: 10/s, burst 50). */
  rate?: { perSecond: number; burst: number }
  now?: () => number
  onChange?: (stats: OutboxStats) => void
  /** A status (or position) the server acknowledged. */
  onAck?: (entry: OutboxEntry) => void
  /** An entry dropped after an error answer (with that answer). */
  onDrop?: (entry: OutboxEntry, error: ErrorFrame) => void
  /** The server does not know the device: re-register, then call `release()`. */
  onDeviceUnknown?: () => void
}

export const UNKNOWN_DEVICE = trackingCode('unknown_device')
export const RATE_LIMITED = trackingCode('rate_limited')
export const BAD_POSITION = trackingCode('bad_position')
export const NO_PERSON = trackingCode('no_person')
export const IDENTIFIER_TAKEN = trackingCode('identifier_taken')

/**
 * `tracking.<name>`. Built from parts because tests/i18n.test.ts reads every quoted
 * `namespace.key` string in src/ as a message key, and `tracking` is also a message namespace.
 */
function trackingCode(name: string): string {
  return `tracking.${name}`
}

/** How the outbox treats an error answer. */
export type ErrorPolicy = 'hold' | 'pause' | 'retry' | 'drop'

export function errorPolicy(code: string): ErrorPolicy {
  if (code === UNKNOWN_DEVICE) return 'hold'
  if (code === RATE_LIMITED) return 'pause'
  if (code === 'internal_error' || code.startsWith('auth.')) return 'retry'
  return 'drop'
}

export function defaultRetryDelay(failures: number): number {
  return Math.min(60000, 2000 * 2 ** Math.max(0, failures - 1))
}

export function frameOf(entry: OutboxEntry): OutgoingFrame {
  return entry.kind === 'position'
    ? { type: 'position', id: entry.id, ...entry.payload }
    : { type: 'status', id: entry.id, ...entry.payload }
}

/** `{"type":"ack"|"error","id":n,...}` with a numeric id, or null for any other frame. */
export function parseReply(frame: unknown): { ack: number } | { error: ErrorFrame & { id: number } } | null {
  if (typeof frame !== 'object' || frame === null) return null
  const f = frame as Record<string, unknown>
  if (typeof f.id !== 'number') return null
  if (f.type === 'ack') return { ack: f.id }
  if (f.type === 'error' && typeof f.code === 'string') {
    return { error: f as unknown as ErrorFrame & { id: number } }
  }
  return null
}

export class Outbox {
  private readonly storage: OutboxStorage
  private readonly transport: OutboxTransport
  private readonly maxInFlight: number
  private readonly ackTimeoutMs: number
  private readonly maxAttempts: number
  private readonly retryDelayMs: (failures: number) => number
  private readonly rateLimitPauseMs: number
  private readonly rate: { perSecond: number; burst: number }
  private readonly now: () => number
  private readonly options: OutboxOptions

  private counts: Record<OutboxKind, number> = { position: 0, status: 0 }
  /** Sent and not yet answered: id → ack timer. */
  private readonly inFlight = new Map<number, ReturnType<typeof setTimeout>>()
  private online = false
  private held = false
  private dropped = 0
  private acked = 0
  private failures = 0
  private pauseTimer: ReturnType<typeof setTimeout> | null = null
  private paceTimer: ReturnType<typeof setTimeout> | null = null
  private tokens: number
  private tokensAt: number
  private pumping = false
  private pumpAgain = false
  private disposed = false
  private readonly waiters = new Set<() => void>()

  private constructor(options: OutboxOptions) {
    this.options = options
    this.storage = options.storage
    this.transport = options.transport
    this.maxInFlight = options.maxInFlight ?? 4
    this.ackTimeoutMs = options.ackTimeoutMs ?? 20000
    this.maxAttempts = options.maxAttempts ?? 8
    this.retryDelayMs = options.retryDelayMs ?? defaultRetryDelay
    this.rateLimitPauseMs = options.rateLimitPauseMs ?? 2000
    this.rate = options.rate ?? { perSecond: 8, burst: 40 }
    this.now = options.now ?? Date.now
    this.tokens = this.rate.burst
    this.tokensAt = this.now()
  }

  /** Opens an outbox over storage that may already hold entries (from before a reload). */
  static async open(options: OutboxOptions): Promise<Outbox> {
    const outbox = new Outbox(options)
    outbox.counts = await options.storage.counts()
    outbox.emit()
    return outbox
  }

  get stats(): OutboxStats {
    return {
      positions: this.counts.position,
      statuses: this.counts.status,
      inFlight: this.inFlight.size,
      dropped: this.dropped,
      acked: this.acked,
      held: this.held,
      online: this.online,
    }
  }

  get size(): number {
    return this.counts.position + this.counts.status
  }

  /** Stores an item, then sends it when it is its turn. */
  async enqueue(item: OutboxItem): Promise<OutboxEntry> {
    const entry = { ...item, createdAt: this.now(), attempts: 0 } as NewOutboxEntry
    const id = await this.storage.add(entry)
    this.counts[item.kind] += 1
    this.emit()
    void this.pump()
    return { ...entry, id } as OutboxEntry
  }

  /** Removes an entry that was delivered another way (e.g. a status over HTTP). */
  async remove(id: number): Promise<boolean> {
    const removed = await this.storage.remove(id)
    this.clearInFlight(id)
    if (removed) this.counts[removed.kind] -= 1
    this.emit()
    return removed !== undefined
  }

  /** The transport opened: send everything that waits, oldest first. */
  connectionOpened(): void {
    this.online = true
    this.clearAllInFlight()
    this.emit()
    void this.pump()
  }

  /** The transport closed: whatever was in flight is sent again on the next connection. */
  connectionClosed(): void {
    this.online = false
    this.clearAllInFlight()
    this.emit()
  }

  /** Stops sending (until `release()`), e.g. while the device is not registered. */
  hold(): void {
    if (this.held) return
    this.held = true
    this.emit()
  }

  release(): void {
    if (!this.held) return
    this.held = false
    this.emit()
    void this.pump()
  }

  /**
   * Feeds a frame from the server; returns true when it was an ack or error for one of ours
   * (an answer with a numeric id).
   */
  handleFrame(frame: unknown): boolean {
    const reply = parseReply(frame)
    if (!reply) return false
    if ('ack' in reply) void this.handleAck(reply.ack)
    else void this.handleError(reply.error)
    return true
  }

  /**
   * Resolves true once nothing is queued, or false after `timeoutMs` (the entries stay queued and
   * are sent later).
   */
  whenEmpty(timeoutMs: number): Promise<boolean> {
    if (this.size === 0) return Promise.resolve(true)
    return new Promise((resolve) => {
      const done = (value: boolean) => {
        clearTimeout(timer)
        this.waiters.delete(onEmpty)
        resolve(value)
      }
      const onEmpty = () => done(true)
      const timer = setTimeout(() => done(false), timeoutMs)
      this.waiters.add(onEmpty)
    })
  }

  /** Forgets every queued entry (e.g. another officer signed in on this phone). */
  async clear(): Promise<void> {
    await this.storage.clear()
    this.clearAllInFlight()
    this.counts = { position: 0, status: 0 }
    this.emit()
  }

  dispose(): void {
    this.disposed = true
    this.clearAllInFlight()
    if (this.pauseTimer) clearTimeout(this.pauseTimer)
    if (this.paceTimer) clearTimeout(this.paceTimer)
    this.pauseTimer = null
    this.paceTimer = null
    this.waiters.clear()
  }

  // ---- internals -------------------------------------------------------------------------

  private canSend(): boolean {
    return this.online && !this.held && !this.pauseTimer && !this.disposed
  }

  /** Sends the oldest unsent entries while there is room in the window and tokens in the bucket. */
  private async pump(): Promise<void> {
    if (this.pumping) {
      this.pumpAgain = true
      return
    }
    this.pumping = true
    try {
      do {
        this.pumpAgain = false
        if (!this.canSend() || this.inFlight.size >= this.maxInFlight) break
        // At most `inFlight.size` of these are in flight, so at least the free slots are not.
        const entries = await this.storage.oldest(this.maxInFlight + this.inFlight.size)
        for (const entry of entries) {
          if (!this.canSend() || this.inFlight.size >= this.maxInFlight) break
          if (this.inFlight.has(entry.id)) continue
          if (!this.takeToken()) break
          if (!this.transport.send(frameOf(entry))) {
            this.online = false
            break
          }
          this.inFlight.set(
            entry.id,
            setTimeout(() => this.ackTimedOut(entry.id), this.ackTimeoutMs),
          )
        }
        this.emit()
      } while (this.pumpAgain)
    } finally {
      this.pumping = false
    }
  }

  private takeToken(): boolean {
    const now = this.now()
    const refill = ((now - this.tokensAt) / 1000) * this.rate.perSecond
    this.tokens = Math.min(this.rate.burst, this.tokens + refill)
    this.tokensAt = now
    if (this.tokens >= 1) {
      this.tokens -= 1
      return true
    }
    if (!this.paceTimer) {
      const wait = Math.ceil(((1 - this.tokens) / this.rate.perSecond) * 1000)
      this.paceTimer = setTimeout(() => {
        this.paceTimer = null
        void this.pump()
      }, wait)
    }
    return false
  }

  private async handleAck(id: number): Promise<void> {
    // The id stays "in flight" until it is gone from storage, so a concurrent pump cannot
    // resend it.
    const removed = await this.storage.remove(id)
    this.clearInFlight(id)
    if (removed) {
      this.counts[removed.kind] -= 1
      this.acked += 1
      this.failures = 0
      this.options.onAck?.(removed)
    }
    this.emit()
    void this.pump()
  }

  private async handleError(error: ErrorFrame & { id: number }): Promise<void> {
    const entry = await this.storage.get(error.id)
    if (!entry) {
      this.clearInFlight(error.id)
      this.emit()
      return
    }
    const policy = errorPolicy(error.code)
    if (policy === 'hold') {
      this.clearInFlight(error.id)
      this.hold()
      this.options.onDeviceUnknown?.()
      return
    }
    if (policy === 'pause') {
      this.clearInFlight(error.id)
      this.pauseFor(this.rateLimitPauseMs)
      return
    }
    if (policy === 'retry' && entry.attempts + 1 < this.maxAttempts) {
      await this.storage.put({ ...entry, attempts: entry.attempts + 1 })
      this.clearInFlight(error.id)
      this.failures += 1
      this.pauseFor(this.retryDelayMs(this.failures))
      return
    }
    const removed = await this.storage.remove(error.id)
    this.clearInFlight(error.id)
    if (removed) {
      this.counts[removed.kind] -= 1
      this.dropped += 1
      this.options.onDrop?.(removed, error)
    }
    this.emit()
    void this.pump()
  }

  private pauseFor(ms: number): void {
    if (this.pauseTimer) clearTimeout(this.pauseTimer)
    this.pauseTimer = setTimeout(() => {
      this.pauseTimer = null
      this.emit()
      void this.pump()
    }, ms)
    this.emit()
  }

  private ackTimedOut(id: number): void {
    if (!this.inFlight.delete(id)) return
    this.emit()
    void this.pump()
  }

  private clearInFlight(id: number): void {
    const timer = this.inFlight.get(id)
    if (timer !== undefined) clearTimeout(timer)
    this.inFlight.delete(id)
  }

  private clearAllInFlight(): void {
    for (const timer of this.inFlight.values()) clearTimeout(timer)
    this.inFlight.clear()
  }

  private emit(): void {
    if (this.disposed) return
    this.options.onChange?.(this.stats)
    if (this.size === 0) for (const waiter of [...this.waiters]) waiter()
  }
}
