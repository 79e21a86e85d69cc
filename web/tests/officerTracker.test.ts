import { afterEach, describe, expect, it, vi } from 'vitest'
import { ApiError } from '@/shared/api'
import type { User } from '@/shared/types'
import type { WebSocketLike } from '@/shared/ws'
import { DeviceIdentity, type KeyValueStore } from '@/officer/tracking/device'
import type { GeolocationPositionLike } from '@/officer/tracking/gps'
import { MemoryOutboxStorage } from '@/officer/tracking/outboxStorage'
import { OfficerTracker, type GeolocationLike, type TrackerDeps } from '@/officer/tracking/tracker'
import type { OutgoingFrame } from '@/officer/tracking/types'

class FakeSocket implements WebSocketLike {
  static instances: FakeSocket[] = []
  readyState = 0
  sent: Record<string, unknown>[] = []
  onopen: WebSocketLike['onopen'] = null
  onclose: WebSocketLike['onclose'] = null
  onmessage: WebSocketLike['onmessage'] = null
  onerror: WebSocketLike['onerror'] = null
  constructor(readonly url: string) {
    FakeSocket.instances.push(this)
  }
  send(data: string): void {
    if (this.readyState !== 1) throw new Error('not open')
    this.sent.push(JSON.parse(data) as Record<string, unknown>)
  }
  close(): void {
    this.readyState = 3
  }
  serverOpen(): void {
    this.readyState = 1
    this.onopen?.(new Event('open'))
  }
  serverSend(frame: unknown): void {
    this.onmessage?.({ data: JSON.stringify(frame) })
  }
  serverClose(code = 1006): void {
    this.readyState = 3
    this.onclose?.({ code, reason: '' })
  }
  frames(type?: string): OutgoingFrame[] {
    return this.sent.filter((f) => !type || f.type === type) as unknown as OutgoingFrame[]
  }
}

const latest = () => FakeSocket.instances[FakeSocket.instances.length - 1]!

class MapStore implements KeyValueStore {
  data = new Map<string, string>()
  getItem = (key: string) => this.data.get(key) ?? null
  setItem = (key: string, value: string) => void this.data.set(key, value)
  removeItem = (key: string) => void this.data.delete(key)
}

class FakeGeolocation implements GeolocationLike {
  watches = new Map<number, (p: GeolocationPositionLike) => void>()
  errors = new Map<number, (e: { code: number; message: string }) => void>()
  options: PositionOptions[] = []
  cleared: number[] = []
  private next = 1
  watchPosition(
    success: (p: GeolocationPositionLike) => void,
    error?: (e: { code: number; message: string }) => void,
    options?: PositionOptions,
  ): number {
    const id = this.next++
    this.watches.set(id, success)
    if (error) this.errors.set(id, error)
    this.options.push(options ?? {})
    return id
  }
  clearWatch(id: number): void {
    this.cleared.push(id)
    this.watches.delete(id)
  }
  getCurrentPosition(): void {}
  emit(lat: number, lon: number, timestamp: number, accuracy = 8): void {
    for (const cb of this.watches.values()) {
      cb({ coords: { latitude: lat, longitude: lon, accuracy, altitude: null, speed: 1, heading: null }, timestamp })
    }
  }
  fail(code: number): void {
    for (const cb of this.errors.values()) cb({ code, message: 'x' })
  }
}

const USER: User = {
  id: 5,
  username: 'officer',
  display_name: '张三',
  role: 'officer',
  permissions: ['self:read', 'realtime:connect'],
  person_id: 3,
}

const live = (status: string) => ({ person_id: 3, status, lon: null, lat: null, ts: null })

function setup(overrides: Partial<TrackerDeps> = {}, store = new MapStore()) {
  FakeSocket.instances = []
  const geo = new FakeGeolocation()
  const api = {
    registerSelf: vi.fn(async (identifier: string, name: string) => ({
      device: { id: 1, identifier, kind: 'app', name, person_id: 3, enabled: true, last_seen_at: null, created_at: '' },
      token: `token-${api.registerSelf.mock.calls.length}`,
    })),
    me: vi.fn(async () => live('off_duty')),
    setStatus: vi.fn(async (status: string) => live(status)),
  }
  const deps: TrackerDeps = {
    api: api as unknown as TrackerDeps['api'],
    geolocation: geo,
    getBattery: async () => ({ level: 0.66, addEventListener: () => undefined }),
    identity: new DeviceIdentity(store),
    openStorage: async () => ({ storage: new MemoryOutboxStorage(), persistent: true }),
    createSocket: (url) => new FakeSocket(url),
    checkSession: vi.fn(async () => true),
    userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) Chrome/126.0 Mobile Safari/537.36',
    browserOnline: () => true,
    storage: store,
    now: () => Date.now(),
    notify: vi.fn(),
    ...overrides,
  }
  const tracker = new OfficerTracker(deps, { statusAckTimeoutMs: 200, flushTimeoutMs: 1000 })
  trackers.push(tracker)
  return { tracker, deps, api, geo, store }
}

const trackers: OfficerTracker[] = []
afterEach(() => {
  for (const t of trackers.splice(0)) t.dispose()
})

/** Answers every unanswered frame of the given type with an ack. */
function ackAll(socket: FakeSocket, answered: Set<number>, type?: string): void {
  for (const f of socket.frames(type)) {
    if (!answered.has(f.id)) {
      answered.add(f.id)
      socket.serverSend({ type: 'ack', id: f.id })
    }
  }
}

describe('OfficerTracker', () => {
  it('registers the phone once per officer and keeps the token', async () => {
    const { tracker, api, store } = setup()
    await tracker.start(USER)
    expect(api.registerSelf).toHaveBeenCalledOnce()
    const [identifier, name] = api.registerSelf.mock.calls[0]!
    expect(identifier).toBe(store.getItem('patrolgrid.deviceId'))
    expect(name).toBe('Android 14 Pixel 8 · Chrome 126')
    expect(store.getItem('patrolgrid.deviceToken')).toBe('token-1')
    expect(tracker.state.registered).toBe(true)

    const again = setup({ identity: new DeviceIdentity(store), storage: store })
    await again.tracker.start(USER)
    expect(again.api.registerSelf).not.toHaveBeenCalled()
    expect(again.tracker.state.registered).toBe(true)
  })

  it('explains an account that is not an officer and does not start duty', async () => {
    const noPerson = new ApiError(409, 'tracking.no_person', { zh: '未关联人员', en: 'No person' }, null)
    const { tracker, api, geo } = setup()
    api.registerSelf.mockRejectedValue(noPerson)
    await tracker.start(USER)
    expect(tracker.state.noPerson).toBe(true)
    await tracker.startDuty()
    expect(api.setStatus).not.toHaveBeenCalled()
    expect(geo.watches.size).toBe(0)
  })

  it('starts duty over the WebSocket, then reports throttled GPS fixes with the battery', async () => {
    const { tracker, api, geo, store } = setup()
    await tracker.start(USER)
    expect(geo.watches.size).toBe(0) // off duty: no GPS
    latest().serverOpen()
    await vi.waitFor(() => expect(tracker.state.connected).toBe(true))
    expect(tracker.connection).toBe('online')

    const socket = latest()
    const answered = new Set<number>()
    const starting = tracker.startDuty()
    await vi.waitFor(() => expect(socket.frames('status')).toHaveLength(1))
    expect(socket.frames('status')[0]).toMatchObject({ type: 'status', status: 'on_duty' })
    expect(tracker.state.status).toBe('on_duty')
    expect(tracker.state.statusSynced).toBe(false)
    ackAll(socket, answered)
    await starting
    expect(tracker.state.statusSynced).toBe(true)
    expect(api.setStatus).not.toHaveBeenCalled()

    await vi.waitFor(() => expect(geo.watches.size).toBe(1))
    expect(geo.options[0]).toMatchObject({ enableHighAccuracy: true })
    await vi.waitFor(() => expect(tracker.state.battery).toBe(0.66))

    const t0 = Date.now()
    geo.emit(30.0, 114.0, t0, 8)
    geo.emit(30.00001, 114.0, t0 + 500, 8) // 1 m in 0.5 s: throttled
    geo.emit(30.001, 114.0, t0 + 1000, 150) // 111 m: kept
    await vi.waitFor(() => expect(socket.frames('position')).toHaveLength(2))
    const [first, second] = socket.frames('position') as Extract<OutgoingFrame, { type: 'position' }>[]
    expect(first).toMatchObject({
      identifier: store.getItem('patrolgrid.deviceId'),
      coords: { latitude: 30, longitude: 114, accuracy: 8 },
      timestamp: t0,
      battery: 0.66,
    })
    expect(second!.coords.latitude).toBe(30.001)
    expect(tracker.gpsQuality).toBe('poor')
    expect(tracker.state.outbox.positions).toBe(2)
    ackAll(socket, answered)
    await vi.waitFor(() => expect(tracker.state.outbox.positions).toBe(0))
  })

  it('takes the acks in a batch frame, and shows its other messages to listeners', async () => {
    const { tracker, geo } = setup()
    await tracker.start(USER)
    latest().serverOpen()
    await vi.waitFor(() => expect(tracker.state.connected).toBe(true))
    const socket = latest()
    const answered = new Set<number>()
    const starting = tracker.startDuty()
    await vi.waitFor(() => expect(socket.frames('status')).toHaveLength(1))
    ackAll(socket, answered)
    await starting
    await vi.waitFor(() => expect(geo.watches.size).toBe(1))
    const heard: unknown[] = []
    tracker.listen((message) => heard.push(message))

    const t0 = Date.now()
    geo.emit(30.0, 114.0, t0, 8)
    geo.emit(30.001, 114.0, t0 + 1000, 8)
    await vi.waitFor(() => expect(socket.frames('position')).toHaveLength(2))
    const personal = { type: 'event', topic: 'user.1', event: 'dispatch', data: { id: 5 } }
    const acks = socket.frames('position').map((f) => ({ type: 'ack', id: f.id }))
    socket.serverSend({ type: 'batch', messages: [...acks, personal] })
    await vi.waitFor(() => expect(tracker.state.outbox.positions).toBe(0))
    expect(heard).toEqual([...acks, personal])
  })

  it('sets the status over HTTP while the WebSocket is down', async () => {
    const { tracker, api } = setup()
    await tracker.start(USER)
    expect(tracker.connection).toBe('reconnecting')
    await tracker.startDuty()
    expect(api.setStatus).toHaveBeenCalledWith('on_duty')
    expect(tracker.state.statusSynced).toBe(true)
    expect(tracker.state.outbox.statuses).toBe(0)
  })

  it('ends duty: GPS off, queued positions out first, then off_duty', async () => {
    const { tracker, api, geo } = setup()
    api.me.mockResolvedValue(live('patrolling'))
    await tracker.start(USER)
    await vi.waitFor(() => expect(geo.watches.size).toBe(1)) // on duty per the server: GPS on
    geo.emit(30, 114, Date.now())
    latest().serverOpen()
    const socket = latest()
    await vi.waitFor(() => expect(socket.frames('position')).toHaveLength(1))

    const ending = tracker.endDuty()
    await vi.waitFor(() => expect(geo.cleared).toHaveLength(1))
    await new Promise((r) => setTimeout(r, 30))
    expect(socket.frames('status')).toHaveLength(0) // still waiting for the position's ack
    const answered = new Set<number>()
    ackAll(socket, answered)
    await vi.waitFor(() => expect(socket.frames('status')).toHaveLength(1))
    expect(socket.frames('status')[0]).toMatchObject({ status: 'off_duty' })
    ackAll(socket, answered)
    await ending
    expect(tracker.state.status).toBe('off_duty')
    expect(tracker.state.gpsActive).toBe(false)
    expect(tracker.gpsQuality).toBe('none')
  })

  it('re-registers when the server does not know the device, then resends', async () => {
    const { tracker, api, geo } = setup()
    api.me.mockResolvedValue(live('on_duty'))
    await tracker.start(USER)
    latest().serverOpen()
    const socket = latest()
    await vi.waitFor(() => expect(geo.watches.size).toBe(1))
    geo.emit(30, 114, Date.now())
    await vi.waitFor(() => expect(socket.frames('position')).toHaveLength(1))
    const id = socket.frames('position')[0]!.id
    socket.serverSend({ type: 'error', id, code: 'tracking.unknown_device', message: { zh: '', en: '' } })
    await vi.waitFor(() => expect(api.registerSelf).toHaveBeenCalledTimes(2))
    await vi.waitFor(() => expect(socket.frames('position')).toHaveLength(2))
    expect(socket.frames('position')[1]!.id).toBe(id)
  })

  it('reports GPS denied', async () => {
    const { tracker, api, geo } = setup()
    api.me.mockResolvedValue(live('on_duty'))
    await tracker.start(USER)
    await vi.waitFor(() => expect(geo.watches.size).toBe(1))
    geo.fail(1)
    expect(tracker.state.gpsProblem).toBe('denied')
    expect(tracker.gpsQuality).toBe('denied')
  })

  it('falls back to the device token when the session is gone', async () => {
    const checkSession = vi.fn(async () => false)
    const { tracker } = setup({ checkSession })
    await tracker.start(USER)
    const first = latest()
    expect(first.url).not.toContain('token=')
    first.serverClose(1006) // handshake refused (closed before open)
    await vi.waitFor(() => expect(FakeSocket.instances.length).toBe(2))
    expect(latest().url).toContain('?token=token-1')
    expect(checkSession).toHaveBeenCalledOnce()
  })

  it('shows a status set offline as not yet sent and sends it when the connection returns', async () => {
    const { tracker, api } = setup()
    api.setStatus.mockRejectedValue(new ApiError(0, 'network_error', null, null))
    await tracker.start(USER)
    await tracker.startDuty()
    expect(tracker.state.status).toBe('on_duty')
    expect(tracker.state.statusSynced).toBe(false)
    expect(tracker.state.outbox.statuses).toBe(1)
    latest().serverOpen()
    const socket = latest()
    await vi.waitFor(() => expect(socket.frames('status')).toHaveLength(1))
    ackAll(socket, new Set())
    await vi.waitFor(() => expect(tracker.state.statusSynced).toBe(true))
  })
})

describe('OfficerTracker after a reload', () => {
  it('resumes GPS with the remembered on-duty status, even offline', async () => {
    const store = new MapStore()
    store.setItem('patrolgrid.officer.status', JSON.stringify({ status: 'patrolling', synced: true }))
    const { tracker, geo, api } = setup({}, store)
    api.me.mockRejectedValue(new ApiError(0, 'network_error', null, null))
    api.registerSelf.mockRejectedValue(new ApiError(0, 'network_error', null, null))
    await tracker.start(USER)
    expect(tracker.state.status).toBe('patrolling')
    await vi.waitFor(() => expect(geo.watches.size).toBe(1))
    geo.emit(30, 114, Date.now())
    await vi.waitFor(() => expect(tracker.state.outbox.positions).toBe(1)) // kept until registered
    expect(tracker.state.outbox.held).toBe(true)
  })

  it('takes a new identifier when this one belongs to another officer', async () => {
    const { tracker, api, store } = setup()
    const before = new DeviceIdentity(store).identifier
    api.registerSelf.mockRejectedValueOnce(
      new ApiError(409, 'tracking.identifier_taken', { zh: '设备标识已被使用', en: 'taken' }, null),
    )
    await tracker.start(USER)
    expect(api.registerSelf).toHaveBeenCalledTimes(2)
    const after = store.getItem('patrolgrid.deviceId')
    expect(after).not.toBe(before)
    expect(api.registerSelf.mock.calls[1]![0]).toBe(after)
    expect(tracker.state.registered).toBe(true)
  })
})
