/**
 * Live positions and statuses of every person, for the console (docs/tracking.md), without Vue
 * or MapLibre so it can be unit-tested.
 *
 * Source of truth is the WebSocket topic `tracking`: a `snapshot` on subscribe (replace all), then
 * `position`, `status` and `alarm` events. The server coalesces positions to the latest per person
 * for a slow client and says `lagged` when it had to drop something; we then ask for the topic
 * afresh (a new snapshot) or, when the socket is down, fetch `GET /api/tracking/people`.
 *
 * - Per person only the latest state is kept: a position older than the one we have (a late
 *   event, a replay after a REST resync) never moves anyone back in time.
 * - Listeners hear about changes at most once per `flushMs` (default 1 s), so a busy county
 *   costs one map update and one list render per second, whatever the event rate. Snapshots and
 *   alarms are passed on at once.
 * - While the socket is down the state is polled over REST every `pollMs`; a snapshot that does
 *   not come within `snapshotWaitMs` of (re)connecting also falls back to REST.
 * - Someone with an unacknowledged SOS alarm is shown in status `sos`, whatever their last
 *   reported status, until the alarm is acknowledged.
 */
import type { RealtimeEvent } from '@/shared/ws'
import type {
  LivePerson,
  LivePositionEvent,
  LiveStatusEvent,
  TrackingAlarm,
} from '@/shared/types'

export interface LiveTrackerDeps {
  fetchPeople(): Promise<LivePerson[]>
  fetchAlarms(): Promise<TrackingAlarm[]>
  ackAlarm(id: number): Promise<unknown>
  /** Asks the server for the topic again (it answers with a snapshot); false when offline. */
  resubscribe(): boolean
}

export interface LiveTrackerOptions {
  flushMs?: number
  pollMs?: number
  snapshotWaitMs?: number
  now?: () => number
  onError?: (error: unknown) => void
}

export interface LiveChange {
  people: boolean
  alarms: boolean
  /** Alarms seen for the first time since the last change (for a sound or a notification). */
  newAlarms: TrackingAlarm[]
}

export type LiveListener = (change: LiveChange) => void

/** Milliseconds since the epoch for an API time (ISO 8601, or unix seconds / milliseconds). */
export function toMillis(value: string | number | null | undefined): number | null {
  if (value === null || value === undefined || value === '') return null
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return null
    return value < 1e12 ? value * 1000 : value
  }
  const ms = Date.parse(value)
  return Number.isNaN(ms) ? null : ms
}

/** An event name without the topic prefix some servers put on it (`tracking.position`). */
function eventKind(name: string): string {
  return name.startsWith('tracking.') ? name.slice('tracking.'.length) : name
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

function itemsOf<T>(data: unknown): T[] | null {
  if (Array.isArray(data)) return data as T[]
  if (isRecord(data) && Array.isArray(data.items)) return data.items as T[]
  return null
}

function validId(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value)
}

const PERSON_DEFAULTS: Omit<LivePerson, 'person_id'> = {
  name: '',
  badge_no: '',
  kind: 'police',
  post: '',
  mobile: '',
  squadron_id: 0,
  squadron_name: '',
  status: 'on_duty',
  lon: null,
  lat: null,
  ts: null,
  speed_kmh: null,
  heading: null,
  accuracy_m: null,
  battery: null,
  device_id: null,
}

export class LiveTracker {
  /** person_id → latest state. Read it; change it only through this class. */
  readonly people = new Map<number, LivePerson>()
  /** Active (unacknowledged) alarms by id. */
  readonly alarms = new Map<number, TrackingAlarm>()
  /** True once a snapshot (WebSocket or REST) has been applied. */
  synced = false
  /** How many times listeners were called (for tests and the browser test hooks). */
  flushes = 0

  private readonly deps: LiveTrackerDeps
  private readonly flushMs: number
  private readonly pollMs: number
  private readonly snapshotWaitMs: number
  private readonly now: () => number
  private readonly onError: (error: unknown) => void
  private readonly listeners = new Set<LiveListener>()

  private peopleDirty = false
  private alarmsDirty = false
  private newAlarms: TrackingAlarm[] = []
  private lastFlush = Number.NEGATIVE_INFINITY
  private flushTimer: ReturnType<typeof setTimeout> | null = null
  private pollTimer: ReturnType<typeof setInterval> | null = null
  private watchdog: ReturnType<typeof setTimeout> | null = null
  private resyncTimer: ReturnType<typeof setTimeout> | null = null
  /** Bumped by every snapshot; a REST answer older than the latest snapshot is dropped. */
  private generation = 0
  private rest: Promise<void> | null = null
  /** Events received while a REST resync is in flight, replayed on top of its answer. */
  private replay: RealtimeEvent[] | null = null
  /** Alarms we acknowledged (a list fetched meanwhile must not bring them back). */
  private readonly acked = new Set<number>()
  private disposed = false

  constructor(deps: LiveTrackerDeps, options: LiveTrackerOptions = {}) {
    this.deps = deps
    this.flushMs = options.flushMs ?? 1000
    this.pollMs = options.pollMs ?? 15000
    this.snapshotWaitMs = options.snapshotWaitMs ?? 3000
    this.now = options.now ?? (() => Date.now())
    this.onError = options.onError ?? ((error) => console.warn('live tracking', error))
  }

  onChange(listener: LiveListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** A person as the console shows them: in SOS while an alarm of theirs is unacknowledged. */
  get(personId: number): LivePerson | undefined {
    const person = this.people.get(personId)
    return person && this.shown(person)
  }

  list(): LivePerson[] {
    const sos = this.alarmedPeople()
    return [...this.people.values()].map((p) => this.shown(p, sos))
  }

  private alarmedPeople(): Set<number> {
    const ids = new Set<number>()
    for (const alarm of this.alarms.values()) if (alarm.kind === 'sos') ids.add(alarm.person_id)
    return ids
  }

  private shown(person: LivePerson, sos: Set<number> = this.alarmedPeople()): LivePerson {
    return person.status !== 'sos' && sos.has(person.person_id) ? { ...person, status: 'sos' } : person
  }

  /** The handler for the `tracking` topic. */
  handle(event: RealtimeEvent): void {
    if (this.disposed) return
    const kind = eventKind(event.event)
    switch (kind) {
      case 'snapshot': {
        const items = itemsOf<LivePerson>(event.data)
        if (items) this.applySnapshot(items)
        return
      }
      case 'lagged':
        this.resync()
        return
      case 'position':
        if (this.applyPosition(event.data as LivePositionEvent)) this.replay?.push(event)
        return
      case 'status':
        if (this.applyStatus(event.data as LiveStatusEvent)) this.replay?.push(event)
        return
      case 'alarm':
        this.applyAlarm(event.data as TrackingAlarm)
        return
      case 'alarm.acknowledged':
        if (isRecord(event.data) && validId(event.data.id)) this.removeAlarm(event.data.id)
        return
      default:
        return
    }
  }

  /** Replaces every person (a snapshot from the socket or the REST list). */
  applySnapshot(items: LivePerson[]): void {
    this.generation += 1
    this.people.clear()
    for (const item of items) {
      if (isRecord(item) && validId(item.person_id)) this.people.set(item.person_id, { ...item })
    }
    this.synced = true
    this.clearWatchdog()
    this.peopleDirty = true
    this.flush()
    // Alarms raised while we were away, or acknowledged elsewhere meanwhile.
    void this.loadAlarms()
  }

  /** Applies a position; false when it was ignored (malformed, or older than what we have). */
  applyPosition(p: LivePositionEvent): boolean {
    if (!isRecord(p) || !validId(p.person_id)) return false
    if (typeof p.lon !== 'number' || typeof p.lat !== 'number') return false
    const current = this.people.get(p.person_id)
    const known = toMillis(current?.ts)
    const incoming = toMillis(p.ts)
    if (known !== null && incoming !== null && incoming < known) return false
    const base = current ?? this.placeholder(p.person_id)
    this.people.set(p.person_id, {
      ...base,
      lon: p.lon,
      lat: p.lat,
      ts: p.ts ?? base.ts,
      speed_kmh: p.speed_kmh ?? null,
      heading: p.heading ?? null,
      accuracy_m: p.accuracy_m ?? null,
      battery: p.battery ?? base.battery,
      status: typeof p.status === 'string' && p.status ? p.status : base.status,
    })
    this.markPeople()
    return true
  }

  applyStatus(s: LiveStatusEvent): boolean {
    if (!isRecord(s) || !validId(s.person_id) || typeof s.status !== 'string') return false
    const current = this.people.get(s.person_id) ?? this.placeholder(s.person_id)
    this.people.set(s.person_id, { ...current, status: s.status })
    if (s.previous === 'sos' && s.status !== 'sos') void this.loadAlarms()
    this.markPeople()
    return true
  }

  applyAlarm(a: TrackingAlarm): void {
    if (!isRecord(a) || !validId(a.id)) return
    if (a.acknowledged_at || this.acked.has(a.id)) {
      this.removeAlarm(a.id)
      return
    }
    const isNew = !this.alarms.has(a.id)
    this.alarms.set(a.id, a)
    if (isNew) this.newAlarms.push(a)
    this.alarmsDirty = true
    this.peopleDirty = true // shown in SOS from now on
    this.flush()
  }

  removeAlarm(id: number): void {
    if (!this.alarms.delete(id)) return
    this.newAlarms = this.newAlarms.filter((a) => a.id !== id)
    this.alarmsDirty = true
    this.peopleDirty = true
    this.flush()
  }

  /** Replaces the active alarms with the server's list. */
  async loadAlarms(): Promise<void> {
    let items: TrackingAlarm[]
    try {
      items = await this.deps.fetchAlarms()
    } catch (error) {
      this.onError(error)
      return
    }
    if (this.disposed) return
    const active = items.filter((a) => isRecord(a) && validId(a.id) && !a.acknowledged_at)
    const ids = new Set(active.map((a) => a.id))
    let changed = false
    for (const id of [...this.alarms.keys()]) {
      if (!ids.has(id)) {
        this.alarms.delete(id)
        changed = true
      }
    }
    for (const alarm of active) {
      if (this.acked.has(alarm.id)) continue
      if (!this.alarms.has(alarm.id)) {
        this.newAlarms.push(alarm)
        changed = true
      }
      this.alarms.set(alarm.id, alarm)
    }
    if (changed) {
      this.alarmsDirty = true
      this.peopleDirty = true
      this.flush()
    }
  }

  async acknowledge(id: number): Promise<void> {
    await this.deps.ackAlarm(id)
    this.acked.add(id)
    this.removeAlarm(id)
  }

  /** Asks for a fresh picture: a new snapshot on the socket, or the REST list when offline. */
  resync(): void {
    if (this.disposed) return
    if (this.watchdog) return // a snapshot has been asked for already
    if (this.deps.resubscribe()) {
      this.armWatchdog()
      return
    }
    void this.refreshFromRest()
  }

  /** The realtime connection went up or down. */
  connectionChanged(connected: boolean): void {
    if (this.disposed) return
    if (connected) {
      this.stopPolling()
      // The client subscribes again on every new socket; the snapshot should follow.
      this.armWatchdog()
      return
    }
    // Still connecting, or down: without a snapshot soon, fall back to the REST list.
    if (!this.synced) this.armWatchdog()
    else this.clearWatchdog()
    if (!this.pollTimer) {
      this.pollTimer = setInterval(() => void this.refreshFromRest(), this.pollMs)
    }
  }

  /** Fetches `GET /api/tracking/people`; events that arrive meanwhile are replayed on top. */
  refreshFromRest(): Promise<void> {
    if (this.rest) return this.rest
    const generation = this.generation
    this.replay = []
    this.rest = (async () => {
      try {
        const items = await this.deps.fetchPeople()
        if (this.disposed || generation !== this.generation) return
        const queued = this.replay ?? []
        this.replay = null
        this.applySnapshot(items)
        for (const event of queued) this.handle(event)
      } catch (error) {
        this.onError(error)
      } finally {
        this.replay = null
        this.rest = null
      }
    })()
    return this.rest
  }

  /** Calls the listeners now if anything changed (cancelling a pending throttled call). */
  flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer)
    this.flushTimer = null
    if (!this.peopleDirty && !this.alarmsDirty) return
    const change: LiveChange = {
      people: this.peopleDirty,
      alarms: this.alarmsDirty,
      newAlarms: this.newAlarms,
    }
    this.peopleDirty = false
    this.alarmsDirty = false
    this.newAlarms = []
    this.lastFlush = this.now()
    this.flushes += 1
    for (const listener of [...this.listeners]) {
      try {
        listener(change)
      } catch (error) {
        console.error(error)
      }
    }
  }

  dispose(): void {
    this.disposed = true
    for (const timer of [this.flushTimer, this.watchdog, this.resyncTimer]) {
      if (timer) clearTimeout(timer)
    }
    this.flushTimer = this.watchdog = this.resyncTimer = null
    this.stopPolling()
    this.listeners.clear()
  }

  private markPeople(): void {
    this.peopleDirty = true
    if (this.flushTimer) return
    const delay = Math.max(0, this.lastFlush + this.flushMs - this.now())
    this.flushTimer = setTimeout(() => this.flush(), delay)
  }

  /** Someone we have no card for: keep their data and fetch the full list shortly. */
  private placeholder(personId: number): LivePerson {
    if (!this.resyncTimer && !this.disposed) {
      this.resyncTimer = setTimeout(() => {
        this.resyncTimer = null
        void this.refreshFromRest()
      }, 2000)
    }
    return { ...PERSON_DEFAULTS, person_id: personId, name: `#${personId}` }
  }

  private armWatchdog(): void {
    this.clearWatchdog()
    this.watchdog = setTimeout(() => {
      this.watchdog = null
      void this.refreshFromRest()
    }, this.snapshotWaitMs)
  }

  private clearWatchdog(): void {
    if (this.watchdog) clearTimeout(this.watchdog)
    this.watchdog = null
  }

  private stopPolling(): void {
    if (this.pollTimer) clearInterval(this.pollTimer)
    this.pollTimer = null
  }
}
