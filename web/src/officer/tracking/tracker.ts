/**
 * The officer app's tracking engine: device registration, duty and status, GPS, battery, the
 * outbox and the WebSocket, with its state in one reactive object for the views. Browser APIs
 * and the server are injected (`TrackerDeps`), so tests run it with fakes.
 *
 * - Registration: the first time an officer uses this phone (or after the server forgot the
 *   device), `POST /api/tracking/devices/self` with the phone's stable identifier; the token is
 *   kept for WebSocket reconnects without a session. 409 `tracking.no_person` blocks tracking.
 * - Duty: start → status `on_duty` and GPS on; end → GPS off, wait (up to `flushTimeoutMs`) for
 *   queued positions to be acknowledged, then status `off_duty`. A status change is shown at once
 *   and goes into the outbox with the positions (so it is sent in order and survives being
 *   offline); while the WebSocket is down it is also tried over HTTP.
 * - GPS: `watchPosition` (high accuracy) only while on duty; fixes are throttled
 *   ({@link shouldKeepFix}); when the browser reports nothing for a while (standing still) a
 *   fresh fix is asked for every `keepAliveMs`, so the server does not mark the officer offline.
 */
import { reactive, watch } from 'vue'
import { ApiError, NETWORK_ERROR } from '@/shared/api'
import type { LiveStatus, LocalizedText, User } from '@/shared/types'
import type { WebSocketFactory } from '@/shared/ws'
import { officerTrackingApi } from './api'
import { DeviceIdentity, shortDeviceName } from './device'
import {
  classifyGps,
  fixFromGeolocation,
  positionPayload,
  problemOfError,
  shouldKeepFix,
  type Fix,
  type GeolocationPositionLike,
  type GpsProblem,
  type GpsQuality,
} from './gps'
import {
  IDENTIFIER_TAKEN,
  NO_PERSON,
  Outbox,
  type OutboxEntry,
  type OutboxStats,
  type OutboxStorage,
} from './outbox'
import { openOutboxStorage } from './outboxStorage'
import { OfficerSocket } from './socket'
import { connectionState, isOnDuty, type ConnectionState } from './status'
import type { ErrorFrame, OfficerSettableStatus, OwnLiveState } from './types'

/** The part of `navigator.geolocation` used here. */
export interface GeolocationLike {
  watchPosition(
    success: (position: GeolocationPositionLike) => void,
    error?: (error: { code: number; message: string }) => void,
    options?: PositionOptions,
  ): number
  clearWatch(id: number): void
  getCurrentPosition(
    success: (position: GeolocationPositionLike) => void,
    error?: (error: { code: number; message: string }) => void,
    options?: PositionOptions,
  ): void
}

/** The part of the Battery Status API used here. */
export interface BatteryLike {
  level: number
  addEventListener(type: 'levelchange', listener: () => void): void
}

export interface TrackerDeps {
  api: typeof officerTrackingApi
  geolocation: GeolocationLike | null
  getBattery: (() => Promise<BatteryLike>) | null
  identity: DeviceIdentity
  openStorage: () => Promise<{ storage: OutboxStorage; persistent: boolean }>
  createSocket?: WebSocketFactory
  checkSession?: () => Promise<boolean | null>
  userAgent: string
  /** `navigator.onLine`. */
  browserOnline: () => boolean
  /** Where the last known status is remembered across reloads (localStorage). */
  storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | null
  now: () => number
  notify: (kind: 'error' | 'warning' | 'success', message: LocalizedText | string) => void
}

export interface TrackerOptions {
  /** Wait this long for queued positions before sending `off_duty`. */
  flushTimeoutMs: number
  /** Ask for a fix when none was kept for this long while on duty. */
  keepAliveMs: number
  /** Re-read the own status from the server this often (dispatch may change it). */
  refreshMs: number
  /** Wait this long for the WebSocket's ack of a status before also trying HTTP. */
  statusAckTimeoutMs: number
}

export const DEFAULT_TRACKER_OPTIONS: TrackerOptions = {
  flushTimeoutMs: 8000,
  keepAliveMs: 60000,
  refreshMs: 60000,
  statusAckTimeoutMs: 5000,
}

export const STATUS_STORAGE_KEY = 'patrolgrid.officer.status'

export interface TrackerState {
  /** The outbox is open and the first status load finished (or failed). */
  ready: boolean
  /** The status shown: the server's, or the one just set and not yet confirmed. */
  status: LiveStatus | (string & {}) | null
  /** False while a status change waits for the server. */
  statusSynced: boolean
  /** The server's own live state as last read (position, time, …). */
  live: OwnLiveState | null
  /** This account is not linked to a person (409 `tracking.no_person`). */
  noPerson: boolean
  registered: boolean
  registering: boolean
  /** The last registration error (network or server), shown as a hint. */
  registrationError: LocalizedText | string | null
  /** A duty or status change is under way. */
  busy: boolean
  gpsActive: boolean
  gpsProblem: GpsProblem
  /** The newest fix from the browser (kept or not). */
  lastFix: Fix | null
  /** The newest fix that went into the outbox. */
  lastQueuedFix: Fix | null
  battery: number | null
  /** Ticks every few seconds so that fix ages (and the GPS indicator) update. */
  now: number
  socketRunning: boolean
  connected: boolean
  browserOnline: boolean
  outbox: OutboxStats
  /** Whether the outbox is in IndexedDB (else memory only). */
  persistent: boolean
}

interface SavedStatus {
  status: string
  synced: boolean
}

export class OfficerTracker {
  readonly state: TrackerState
  private readonly deps: TrackerDeps
  private readonly options: TrackerOptions
  private outbox: Outbox | null = null
  private socket: OfficerSocket | null = null
  private user: User | null = null
  private initPromise: Promise<void> | null = null
  private watchId: number | null = null
  private keepAliveTimer: ReturnType<typeof setInterval> | null = null
  private clockTimer: ReturnType<typeof setInterval> | null = null
  private refreshTimer: ReturnType<typeof setInterval> | null = null
  private batteryStarted = false
  /** Outbox id of the newest status change not yet confirmed. */
  private pendingStatusId: number | null = null
  private registrationPromise: Promise<boolean> | null = null
  private readonly stopWatchers: (() => void)[] = []
  private readonly frameListeners = new Set<(frame: unknown) => void>()

  constructor(deps: TrackerDeps, options: Partial<TrackerOptions> = {}) {
    this.deps = deps
    this.options = { ...DEFAULT_TRACKER_OPTIONS, ...options }
    const saved = this.readSaved()
    this.state = reactive<TrackerState>({
      ready: false,
      status: saved?.status ?? null,
      statusSynced: saved?.synced ?? true,
      live: null,
      noPerson: false,
      registered: false,
      registering: false,
      registrationError: null,
      busy: false,
      gpsActive: false,
      gpsProblem: null,
      lastFix: null,
      lastQueuedFix: null,
      battery: null,
      now: deps.now(),
      socketRunning: false,
      connected: false,
      browserOnline: deps.browserOnline(),
      outbox: { positions: 0, statuses: 0, inFlight: 0, dropped: 0, acked: 0, held: true, online: false },
      persistent: false,
    }) as TrackerState
  }

  // ---- derived values for the views --------------------------------------------------------

  get onDuty(): boolean {
    return isOnDuty(this.state.status)
  }

  get gpsQuality(): GpsQuality {
    const fix = this.state.lastFix
    if (!this.state.gpsActive && this.state.gpsProblem !== 'denied') return 'none'
    return classifyGps({
      accuracy: fix?.coords.accuracy ?? null,
      fixAgeMs: fix ? Math.max(0, this.state.now - fix.timestamp) : null,
      problem: this.state.gpsProblem,
    })
  }

  get connection(): ConnectionState {
    return connectionState({
      connected: this.state.connected,
      running: this.state.socketRunning,
      browserOnline: this.state.browserOnline,
    })
  }

  // ---- life cycle ---------------------------------------------------------------------------

  /** Starts everything for the signed-in user (idempotent; a different user restarts the device). */
  start(user: User): Promise<void> {
    const sameUser = this.user?.id === user.id
    if (this.user && !sameUser) {
      // Another officer signed in on this page (the previous session had expired): nothing of
      // the previous officer's state carries over; registration clears their queue.
      this.pendingStatusId = null
      this.forgetStatus()
    }
    this.user = user
    if (!this.initPromise) this.initPromise = this.init()
    return this.initPromise.then(async () => {
      this.socket?.useSession()
      if (!this.state.socketRunning) {
        this.socket?.client.start()
        this.state.socketRunning = true
      }
      if (!sameUser) this.state.noPerson = false
      await this.ensureRegistered()
      await this.refreshStatus()
    })
  }

  private async init(): Promise<void> {
    const { storage, persistent } = await this.deps.openStorage()
    this.state.persistent = persistent
    this.socket = new OfficerSocket({
      onFrame: (frame) => this.onFrame(frame),
      deviceToken: () => this.deps.identity.token,
      createSocket: this.deps.createSocket,
      checkSession: this.deps.checkSession,
      onTokenRefused: () => {
        this.deps.identity.forgetToken()
        this.state.registered = false
        this.outbox?.hold()
      },
    })
    this.outbox = await Outbox.open({
      storage,
      transport: { send: (frame) => this.socket?.client.send(frame) ?? false },
      onChange: (stats) => {
        this.state.outbox = stats
      },
      onAck: (entry) => this.onAck(entry),
      onDrop: (entry, error) => this.onDrop(entry, error),
      onDeviceUnknown: () => {
        this.deps.identity.forgetToken()
        this.state.registered = false
        void this.ensureRegistered()
      },
    })
    this.outbox.hold()
    if (this.outbox.stats.statuses === 0) {
      // Nothing waits to be sent, so a remembered unsynced status was delivered or lost.
      this.state.statusSynced = true
    }
    const client = this.socket.client
    this.stopWatchers.push(
      watch(
        () => client.connected.value,
        (connected) => {
          this.state.connected = connected
          if (connected) {
            this.outbox?.connectionOpened()
            void this.onConnected()
          } else {
            this.outbox?.connectionClosed()
          }
        },
      ),
      // GPS exactly while on duty, from the start (the status remembered from before a reload
      // counts until the server says otherwise).
      watch(
        () => this.onDuty && !this.state.noPerson,
        (wanted) => (wanted ? this.startGps() : this.stopGps()),
        { immediate: true },
      ),
    )
    this.clockTimer = setInterval(() => {
      this.state.now = this.deps.now()
      this.state.browserOnline = this.deps.browserOnline()
    }, 5000)
    this.refreshTimer = setInterval(() => {
      if (this.state.connected) void this.refreshStatus()
    }, this.options.refreshMs)
    this.state.ready = true
  }

  /** The browser's online/offline events. */
  setBrowserOnline(online: boolean): void {
    this.state.browserOnline = online
    if (online) this.socket?.client.reconnectNow()
  }

  /** The page became visible again: catch up. */
  resume(): void {
    this.state.now = this.deps.now()
    this.socket?.client.reconnectNow()
    if (this.state.connected) void this.refreshStatus()
  }

  /** Stops GPS and the connection (sign-out); queued entries stay for later. */
  stop(): void {
    this.stopGps()
    this.socket?.client.stop()
    this.state.socketRunning = false
    this.state.connected = false
    this.outbox?.connectionClosed()
    this.user = null
  }

  /**
   * Sign-out: stop, and forget the device token and the remembered status (the next officer to
   * sign in on this phone registers it for themselves). Queued entries stay and are sent after the
   * same officer signs in again; another officer's sign-in clears them (see `register`).
   */
  signOut(): void {
    this.stop()
    this.deps.identity.forgetToken()
    this.state.registered = false
    this.outbox?.hold()
    this.forgetStatus()
  }

  /** Test helper: releases timers and watchers. */
  dispose(): void {
    this.stop()
    for (const stop of this.stopWatchers.splice(0)) stop()
    if (this.clockTimer) clearInterval(this.clockTimer)
    if (this.refreshTimer) clearInterval(this.refreshTimer)
    this.outbox?.dispose()
  }

  /** The outbox (tests and the views' debug line). */
  get queue(): Outbox | null {
    return this.outbox
  }

  // ---- registration -------------------------------------------------------------------------

  /** Registers this phone for the signed-in user unless it already is. Resolves to "registered". */
  ensureRegistered(force = false): Promise<boolean> {
    if (!this.registrationPromise) {
      this.registrationPromise = this.register(force).finally(() => {
        this.registrationPromise = null
      })
    }
    return this.registrationPromise
  }

  private async register(force: boolean): Promise<boolean> {
    const user = this.user
    const identity = this.deps.identity
    if (!user || !this.outbox) return false
    if (!force && identity.isRegisteredFor(user.id)) {
      this.state.registered = true
      this.outbox.release()
      return true
    }
    this.state.registering = true
    try {
      const previousUser = identity.userId
      const name = shortDeviceName(this.deps.userAgent)
      let answer
      try {
        answer = await this.deps.api.registerSelf(identity.identifier, name)
      } catch (error) {
        if (!(error instanceof ApiError && error.code === IDENTIFIER_TAKEN)) throw error
        // The phone's identifier is registered to another officer (a shared phone): this officer
        // gets a new one.
        answer = await this.deps.api.registerSelf(identity.renewIdentifier(), name)
      }
      if (previousUser !== null && previousUser !== user.id) {
        // Positions queued by another officer on this phone would now be booked to this one.
        await this.outbox.clear()
      }
      identity.saveRegistration(answer.token, user.id)
      this.state.registered = true
      this.state.registrationError = null
      this.state.noPerson = false
      this.outbox.release()
      return true
    } catch (error) {
      this.state.registered = false
      if (error instanceof ApiError && error.code === NO_PERSON) {
        this.state.noPerson = true
        this.state.registrationError = null
        this.stopGps()
      } else {
        this.state.registrationError = errorText(error)
      }
      return false
    } finally {
      this.state.registering = false
    }
  }

  // ---- status -------------------------------------------------------------------------------

  /** Reads the own live state; keeps a status that is still being sent. */
  async refreshStatus(): Promise<void> {
    if (this.state.noPerson) return
    try {
      const live = await this.deps.api.me({ skipAuthRedirect: true })
      this.state.live = live
      if (this.pendingStatusId === null && (this.outbox?.stats.statuses ?? 0) === 0) {
        this.applyServerStatus(live.status)
      }
    } catch (error) {
      if (error instanceof ApiError && error.code === NO_PERSON) {
        this.state.noPerson = true
        this.stopGps()
      }
      // Otherwise (offline, endpoint missing) keep what we have.
    }
  }

  private applyServerStatus(status: string | null | undefined): void {
    if (!status) return
    this.state.status = status
    this.state.statusSynced = true
    this.save()
  }

  /** Start of duty: status `on_duty`, GPS on. */
  async startDuty(): Promise<void> {
    if (this.state.busy || this.state.noPerson) return
    this.state.busy = true
    try {
      if (!this.state.registered) await this.ensureRegistered()
      if (this.state.noPerson) return
      await this.changeStatus('on_duty')
    } finally {
      this.state.busy = false
    }
  }

  /** End of duty: GPS off, queued positions out (waiting a little), then status `off_duty`. */
  async endDuty(): Promise<void> {
    if (this.state.busy) return
    this.state.busy = true
    try {
      this.stopGps()
      if (this.outbox && this.state.connected && !this.outbox.stats.held) {
        await this.outbox.whenEmpty(this.options.flushTimeoutMs)
      }
      await this.changeStatus('off_duty')
    } finally {
      this.state.busy = false
    }
  }

  /** `on_duty` ⇄ `patrolling` while on duty. */
  async setStatus(status: OfficerSettableStatus): Promise<void> {
    if (this.state.busy || !this.onDuty) return
    this.state.busy = true
    try {
      await this.changeStatus(status)
    } finally {
      this.state.busy = false
    }
  }

  private async changeStatus(status: OfficerSettableStatus): Promise<void> {
    const outbox = this.outbox
    if (!outbox) return
    this.state.status = status
    this.state.statusSynced = false
    this.save()
    const entry = await outbox.enqueue({ kind: 'status', payload: { status } })
    this.pendingStatusId = entry.id
    if (!this.state.connected || outbox.stats.held) {
      await this.sendStatusOverHttp(entry.id, status)
      return
    }
    // Over the WebSocket: give the ack a moment, then try HTTP too (the socket may be half-dead).
    const acked = await this.waitForStatusAck(entry.id, this.options.statusAckTimeoutMs)
    if (!acked && this.pendingStatusId === entry.id) await this.sendStatusOverHttp(entry.id, status)
  }

  private waitForStatusAck(id: number, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const started = this.deps.now()
      const check = () => {
        if (this.pendingStatusId !== id) return resolve(true)
        if (this.deps.now() - started >= timeoutMs) return resolve(false)
        setTimeout(check, 100)
      }
      check()
    })
  }

  private async sendStatusOverHttp(id: number, status: OfficerSettableStatus): Promise<void> {
    try {
      const answer = await this.deps.api.setStatus(status)
      await this.outbox?.remove(id)
      if (this.pendingStatusId === id) {
        this.pendingStatusId = null
        this.state.statusSynced = true
        if (answer && typeof answer === 'object' && typeof answer.status === 'string') {
          this.state.live = { ...this.state.live, ...answer }
          this.state.status = answer.status
        }
        this.save()
      }
    } catch (error) {
      if (error instanceof ApiError && error.code !== NETWORK_ERROR && error.status < 500) {
        // Refused (not merely undeliverable): do not send it again.
        await this.outbox?.remove(id)
        if (this.pendingStatusId === id) this.pendingStatusId = null
        this.deps.notify('error', error.serverMessage ?? errorText(error))
        if (error.code === NO_PERSON) this.state.noPerson = true
        await this.refreshStatus()
      }
      // Network trouble: the outbox sends it over the WebSocket when the connection returns.
    }
  }

  private onAck(entry: OutboxEntry): void {
    if (entry.kind !== 'status') return
    if (this.pendingStatusId === entry.id) {
      this.pendingStatusId = null
      this.state.statusSynced = true
      this.save()
    }
  }

  private onDrop(entry: OutboxEntry, error: ErrorFrame): void {
    if (entry.kind === 'status') {
      if (this.pendingStatusId === entry.id) this.pendingStatusId = null
      this.deps.notify('error', error.message ?? error.code)
      void this.refreshStatus()
    }
    // Dropped positions are only counted (state.outbox.dropped).
  }

  private async onConnected(): Promise<void> {
    if (!this.user) return
    if (!this.state.registered && !this.state.noPerson) await this.ensureRegistered()
    await this.refreshStatus()
  }

  private onFrame(frame: unknown): void {
    this.outbox?.handleFrame(frame)
    for (const listener of [...this.frameListeners]) {
      try {
        listener(frame)
      } catch (error) {
        console.error(error)
      }
    }
  }

  /**
   * Shows every frame from the server to `listener` too (the personal `user.<id>` events, such
   * as a dispatch, arrive on this connection); returns a function that removes it.
   */
  listen(listener: (frame: unknown) => void): () => void {
    this.frameListeners.add(listener)
    return () => this.frameListeners.delete(listener)
  }

  /**
   * Sends a message of another domain on this connection (SOS, WebRTC signalling); false when
   * the socket is not open. Use a string `id`: numeric ids are the outbox's.
   */
  send(message: unknown): boolean {
    return this.socket?.client.send(message) ?? false
  }

  private readSaved(): SavedStatus | null {
    try {
      const raw = this.deps.storage?.getItem(STATUS_STORAGE_KEY)
      if (!raw) return null
      const value = JSON.parse(raw) as Partial<SavedStatus>
      return typeof value.status === 'string'
        ? { status: value.status, synced: value.synced !== false }
        : null
    } catch {
      return null
    }
  }

  private save(): void {
    try {
      if (this.state.status === null) this.deps.storage?.removeItem(STATUS_STORAGE_KEY)
      else {
        this.deps.storage?.setItem(
          STATUS_STORAGE_KEY,
          JSON.stringify({ status: this.state.status, synced: this.state.statusSynced }),
        )
      }
    } catch {
      // not remembered; harmless
    }
  }

  /** Forgets the remembered status (sign-out). */
  forgetStatus(): void {
    this.state.status = null
    this.state.statusSynced = true
    this.state.live = null
    this.save()
  }

  // ---- GPS and battery ----------------------------------------------------------------------

  private startGps(): void {
    if (this.watchId !== null || this.state.gpsActive) return
    const geo = this.deps.geolocation
    this.state.gpsActive = true
    void this.startBattery()
    if (!geo) {
      this.state.gpsProblem = 'unsupported'
      return
    }
    this.state.gpsProblem = null
    this.watchId = geo.watchPosition(
      (position) => this.onPosition(position),
      (error) => this.onGpsError(error),
      { enableHighAccuracy: true, maximumAge: 0, timeout: 30000 },
    )
    this.keepAliveTimer = setInterval(() => this.keepAlive(), Math.max(5000, this.options.keepAliveMs / 2))
  }

  private stopGps(): void {
    if (this.watchId !== null) this.deps.geolocation?.clearWatch(this.watchId)
    this.watchId = null
    if (this.keepAliveTimer) clearInterval(this.keepAliveTimer)
    this.keepAliveTimer = null
    this.state.gpsActive = false
    if (this.state.gpsProblem !== 'denied') this.state.gpsProblem = null
  }

  private keepAlive(): void {
    const last = this.state.lastQueuedFix
    if (last && this.deps.now() - last.timestamp < this.options.keepAliveMs) return
    this.deps.geolocation?.getCurrentPosition(
      (position) => this.onPosition(position),
      () => undefined,
      { enableHighAccuracy: true, maximumAge: 0, timeout: 20000 },
    )
  }

  /** A fix from the browser: shown, and queued unless throttled. */
  onPosition(position: GeolocationPositionLike): void {
    if (!this.state.gpsActive) return
    const fix = fixFromGeolocation(position)
    this.state.lastFix = fix
    this.state.gpsProblem = null
    this.state.now = Math.max(this.state.now, this.deps.now())
    if (!shouldKeepFix(this.state.lastQueuedFix, fix)) return
    this.state.lastQueuedFix = fix
    const payload = positionPayload(fix, this.deps.identity.identifier, this.state.battery)
    this.outbox?.enqueue({ kind: 'position', payload }).catch((error: unknown) => {
      console.error('officer outbox: could not store a position', error)
    })
  }

  private onGpsError(error: { code: number; message: string }): void {
    const problem = problemOfError(error.code)
    if (problem) this.state.gpsProblem = problem
  }

  private async startBattery(): Promise<void> {
    if (this.batteryStarted || !this.deps.getBattery) return
    this.batteryStarted = true
    try {
      const battery = await this.deps.getBattery()
      this.state.battery = battery.level
      battery.addEventListener('levelchange', () => {
        this.state.battery = battery.level
      })
    } catch {
      // Not offered by this browser (Safari, Firefox): battery stays null.
    }
  }
}

function errorText(error: unknown): LocalizedText | string {
  if (error instanceof ApiError) return error.serverMessage ?? error.code
  return String(error)
}

/** The real browser dependencies. */
export function browserDeps(notify: TrackerDeps['notify']): TrackerDeps {
  const nav = typeof navigator !== 'undefined' ? navigator : null
  const battery = nav as (Navigator & { getBattery?: () => Promise<BatteryLike> }) | null
  let storage: TrackerDeps['storage'] = null
  try {
    storage = globalThis.localStorage ?? null
  } catch {
    storage = null
  }
  return {
    api: officerTrackingApi,
    geolocation: nav?.geolocation ?? null,
    getBattery: typeof battery?.getBattery === 'function' ? () => battery.getBattery!() : null,
    identity: new DeviceIdentity(),
    openStorage: openOutboxStorage,
    userAgent: nav?.userAgent ?? '',
    browserOnline: () => nav?.onLine ?? true,
    storage,
    now: () => Date.now(),
    notify,
  }
}
