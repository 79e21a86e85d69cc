/**
 * The SOS outbox: a pressed SOS must reach the server even when the connection drops right after
 * the press, and even across a reload or a killed app.
 *
 * A press becomes an entry with the app's own id for it (`client_ref`), written to storage
 * (IndexedDB) *before* anything is sent. Then every attempt sends it both ways at once — over the
 * WebSocket as `{type:"sos", id:"sos:<ref>:<n>", client_ref, lon, lat}` (answered
 * `{type:"ack", id, sos_id}`) and with `POST /api/command/sos` — and attempts repeat (after 1, 2,
 * 4, 8, then every 10 s, and at once when the socket reconnects) until either way is answered.
 * The server keeps one SOS per `client_ref` (and one open SOS per person), so the duplicates are
 * harmless. Only a definite refusal (a 4xx other than 401/408/429, e.g. "not linked to a person")
 * drops the entry.
 */
import type { Sos } from '@/shared/command/types'

export interface PendingSos {
  client_ref: string
  lon: number | null
  lat: number | null
  /** Milliseconds since the epoch of the press. */
  created_at: number
  attempts: number
}

export interface SosStorage {
  all(): Promise<PendingSos[]>
  put(entry: PendingSos): Promise<void>
  remove(clientRef: string): Promise<void>
}

export interface SosTransport {
  /** Sends over the WebSocket; false when it is not open. */
  sendWs(message: Record<string, unknown>): boolean
  /** `POST /api/command/sos`; rejects with an error carrying `status` (0 offline) and `code`. */
  post(body: { client_ref: string; lon?: number; lat?: number }): Promise<Sos>
}

export interface SosOutboxDeps {
  storage: SosStorage
  transport: SosTransport
  now: () => number
  setTimeout: (fn: () => void, ms: number) => unknown
  clearTimeout: (handle: unknown) => void
  newRef: () => string
}

export interface SosOutboxEvents {
  /** The server has it: `sos_id`, and the whole SOS when it came over HTTP. */
  onDelivered: (entry: PendingSos, sosId: number, sos: Sos | null) => void
  /** Definitely refused (never retried). */
  onRefused?: (entry: PendingSos, code: string, status: number) => void
  onChange?: (pending: PendingSos[]) => void
}

/** Delay before attempt `n` (1-based; the first goes at once). */
export function sosRetryDelay(attempt: number): number {
  if (attempt <= 1) return 0
  return Math.min(10000, 1000 * 2 ** (attempt - 2))
}

/** Whether an HTTP failure is final: a 4xx other than 401 (session), 408 and 429. */
export function isFinalRefusal(status: number): boolean {
  return status >= 400 && status < 500 && ![401, 408, 429].includes(status)
}

/** Socket error codes that refuse the SOS for good (the server's `command.*` and general codes). */
const WS_FINAL_CODES = [
  'validation_error',
  'auth.forbidden',
  ...['no_person', 'half_position', 'bad_lon', 'bad_lat'].map((code) => `command.${code}`),
]

const PREFIX = 'sos:'

/** A fresh `client_ref`: 8–64 characters of `[A-Za-z0-9_-]`. */
export function newClientRef(): string {
  const c = globalThis.crypto
  if (c?.randomUUID) return c.randomUUID().replace(/-/g, '')
  const bytes = new Uint8Array(16)
  if (c?.getRandomValues) c.getRandomValues(bytes)
  else for (let i = 0; i < bytes.length; i += 1) bytes[i] = Math.floor(Math.random() * 256)
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')
}

export class SosOutbox {
  private readonly deps: SosOutboxDeps
  private readonly events: SosOutboxEvents
  private readonly entries = new Map<string, PendingSos>()
  private readonly timers = new Map<string, unknown>()
  private readonly posting = new Set<string>()
  private disposed = false

  constructor(deps: SosOutboxDeps, events: SosOutboxEvents) {
    this.deps = deps
    this.events = events
  }

  /** Loads what an earlier page left unsent, and sends it. */
  async open(): Promise<void> {
    let saved: PendingSos[] = []
    try {
      saved = await this.deps.storage.all()
    } catch {
      saved = []
    }
    for (const entry of saved) {
      if (!this.entries.has(entry.client_ref)) this.entries.set(entry.client_ref, { ...entry })
    }
    this.emit()
    for (const entry of this.entries.values()) this.attempt(entry.client_ref)
  }

  pending(): PendingSos[] {
    return [...this.entries.values()].sort((a, b) => a.created_at - b.created_at)
  }

  /** A new press: stored first, then sent. */
  async raise(lon: number | null, lat: number | null): Promise<PendingSos> {
    const entry: PendingSos = { client_ref: this.deps.newRef(), lon, lat, created_at: this.deps.now(), attempts: 0 }
    this.entries.set(entry.client_ref, entry)
    this.emit()
    try {
      await this.deps.storage.put(entry)
    } catch {
      // Not persisted (no IndexedDB): it is still sent from memory.
    }
    this.attempt(entry.client_ref)
    return entry
  }

  /** The socket (re)connected: try everything pending now. */
  connectionOpened(): void {
    for (const ref of this.entries.keys()) {
      const timer = this.timers.get(ref)
      if (timer !== undefined) this.deps.clearTimeout(timer)
      this.timers.delete(ref)
      this.attempt(ref)
    }
  }

  /** A message from the server; true when it answered one of ours. */
  handleFrame(frame: unknown): boolean {
    if (typeof frame !== 'object' || frame === null) return false
    const f = frame as Record<string, unknown>
    if (typeof f.id !== 'string' || !f.id.startsWith(PREFIX)) return false
    const ref = f.id.slice(PREFIX.length).split(':')[0] ?? ''
    const entry = this.entries.get(ref)
    if (!entry) return true // answered already
    if (f.type === 'ack' && typeof f.sos_id === 'number') {
      void this.delivered(entry, f.sos_id, null)
    } else if (f.type === 'error' && typeof f.code === 'string' && WS_FINAL_CODES.includes(f.code)) {
      void this.refused(entry, f.code, 0)
    }
    return true
  }

  private attempt(ref: string): void {
    if (this.disposed) return
    const entry = this.entries.get(ref)
    if (!entry) return
    entry.attempts += 1
    void this.deps.storage.put(entry).catch(() => undefined)
    const body: { client_ref: string; lon?: number; lat?: number } = { client_ref: entry.client_ref }
    if (entry.lon !== null && entry.lat !== null) {
      body.lon = entry.lon
      body.lat = entry.lat
    }
    this.deps.transport.sendWs({ type: 'sos', id: `${PREFIX}${ref}:${entry.attempts}`, ...body })
    if (!this.posting.has(ref)) {
      this.posting.add(ref)
      this.deps.transport
        .post(body)
        .then((sos) => this.delivered(entry, sos.id, sos))
        .catch((error: unknown) => {
          const status = typeof (error as { status?: unknown })?.status === 'number' ? (error as { status: number }).status : 0
          const code = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : ''
          if (isFinalRefusal(status)) void this.refused(entry, code, status)
        })
        .finally(() => this.posting.delete(ref))
    }
    this.schedule(ref)
  }

  private schedule(ref: string): void {
    const entry = this.entries.get(ref)
    if (!entry || this.disposed) return
    const previous = this.timers.get(ref)
    if (previous !== undefined) this.deps.clearTimeout(previous)
    const delay = Math.max(1000, sosRetryDelay(entry.attempts + 1))
    this.timers.set(
      ref,
      this.deps.setTimeout(() => {
        this.timers.delete(ref)
        this.attempt(ref)
      }, delay),
    )
  }

  private async forget(entry: PendingSos): Promise<boolean> {
    if (!this.entries.delete(entry.client_ref)) return false
    const timer = this.timers.get(entry.client_ref)
    if (timer !== undefined) this.deps.clearTimeout(timer)
    this.timers.delete(entry.client_ref)
    this.emit()
    try {
      await this.deps.storage.remove(entry.client_ref)
    } catch {
      // gone with the page anyway
    }
    return true
  }

  private async delivered(entry: PendingSos, sosId: number, sos: Sos | null): Promise<void> {
    if (await this.forget(entry)) this.events.onDelivered(entry, sosId, sos)
  }

  private async refused(entry: PendingSos, code: string, status: number): Promise<void> {
    if (await this.forget(entry)) this.events.onRefused?.(entry, code, status)
  }

  private emit(): void {
    this.events.onChange?.(this.pending())
  }

  dispose(): void {
    this.disposed = true
    for (const timer of this.timers.values()) this.deps.clearTimeout(timer)
    this.timers.clear()
  }
}
