import 'fake-indexeddb/auto'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  errorPolicy,
  Outbox,
  parseReply,
  type OutboxItem,
  type OutboxOptions,
  type OutboxStorage,
} from '@/officer/tracking/outbox'
import { IdbOutboxStorage, MemoryOutboxStorage } from '@/officer/tracking/outboxStorage'
import type { OutgoingFrame, PositionPayload } from '@/officer/tracking/types'

/** The socket side: records frames while "open"; the test answers them. */
class FakeTransport {
  open = false
  frames: OutgoingFrame[] = []
  send(frame: OutgoingFrame): boolean {
    if (!this.open) return false
    this.frames.push(JSON.parse(JSON.stringify(frame)) as OutgoingFrame)
    return true
  }
  ids(): number[] {
    return this.frames.map((f) => f.id)
  }
}

let dbCounter = 0
const opened: { outbox: Outbox; storage: OutboxStorage }[] = []

function position(n: number): OutboxItem {
  const payload: PositionPayload = {
    identifier: 'phone-1',
    coords: { latitude: 30 + n / 1000, longitude: 114, accuracy: 8, speed: 1.5, heading: 90, altitude: 20 },
    timestamp: 1_790_000_000_000 + n * 2000,
    battery: 0.8,
  }
  return { kind: 'position', payload }
}

async function make(
  storage: OutboxStorage,
  transport: FakeTransport,
  extra: Partial<OutboxOptions> = {},
): Promise<Outbox> {
  const outbox = await Outbox.open({
    storage,
    transport,
    rate: { perSecond: 1000, burst: 1000 },
    ...extra,
  })
  opened.push({ outbox, storage })
  return outbox
}

async function idbStorage(name: string): Promise<IdbOutboxStorage> {
  return IdbOutboxStorage.open(name)
}

afterEach(() => {
  for (const { outbox, storage } of opened.splice(0)) {
    outbox.dispose()
    storage.close?.()
  }
  vi.useRealTimers()
})

describe('parseReply and errorPolicy', () => {
  it('recognises acks and errors with a numeric id only', () => {
    expect(parseReply({ type: 'ack', id: 3 })).toEqual({ ack: 3 })
    expect(parseReply({ type: 'error', id: 4, code: 'x' })).toEqual({
      error: { type: 'error', id: 4, code: 'x' },
    })
    expect(parseReply({ type: 'error', code: 'ws.bad_message' })).toBeNull()
    expect(parseReply({ type: 'ack', id: '3' })).toBeNull()
    expect(parseReply({ type: 'hello' })).toBeNull()
    expect(parseReply(null)).toBeNull()
  })

  it('drops garbage, holds for an unknown device, pauses when rate limited', () => {
    expect(errorPolicy('tracking.bad_position')).toBe('drop')
    expect(errorPolicy('validation_error')).toBe('drop')
    expect(errorPolicy('tracking.unknown_device')).toBe('hold')
    expect(errorPolicy('tracking.rate_limited')).toBe('pause')
    expect(errorPolicy('internal_error')).toBe('retry')
    expect(errorPolicy('auth.forbidden')).toBe('retry')
  })
})

describe('Outbox over IndexedDB', () => {
  it('stores while offline and sends oldest first, a few in flight, each after the acks', async () => {
    const name = `outbox-${++dbCounter}`
    const transport = new FakeTransport()
    const storage = await idbStorage(name)
    const outbox = await make(storage, transport, { maxInFlight: 2 })
    for (let i = 0; i < 5; i += 1) await outbox.enqueue(position(i))
    expect(transport.frames).toEqual([])
    expect(outbox.stats.positions).toBe(5)

    transport.open = true
    outbox.connectionOpened()
    await vi.waitFor(() => expect(transport.ids()).toEqual([1, 2]))
    expect(outbox.stats.inFlight).toBe(2)

    // The frame is the contract's position message.
    expect(transport.frames[0]).toEqual({
      type: 'position',
      id: 1,
      identifier: 'phone-1',
      coords: { latitude: 30, longitude: 114, accuracy: 8, speed: 1.5, heading: 90, altitude: 20 },
      timestamp: 1_790_000_000_000,
      battery: 0.8,
    })

    outbox.handleFrame({ type: 'ack', id: 1 })
    await vi.waitFor(() => expect(transport.ids()).toEqual([1, 2, 3]))
    outbox.handleFrame({ type: 'ack', id: 2 })
    outbox.handleFrame({ type: 'ack', id: 3 })
    await vi.waitFor(() => expect(transport.ids()).toEqual([1, 2, 3, 4, 5]))
    outbox.handleFrame({ type: 'ack', id: 4 })
    outbox.handleFrame({ type: 'ack', id: 5 })
    await vi.waitFor(() => expect(outbox.stats.positions).toBe(0))
    expect(outbox.stats.acked).toBe(5)
    expect(await storage.oldest(10)).toEqual([])
  })

  it('removes only the acknowledged entry', async () => {
    const transport = new FakeTransport()
    transport.open = true
    const storage = await idbStorage(`outbox-${++dbCounter}`)
    const outbox = await make(storage, transport, { maxInFlight: 4 })
    outbox.connectionOpened()
    for (let i = 0; i < 3; i += 1) await outbox.enqueue(position(i))
    await vi.waitFor(() => expect(transport.ids()).toEqual([1, 2, 3]))
    outbox.handleFrame({ type: 'ack', id: 2 })
    outbox.handleFrame({ type: 'ack', id: 99 }) // not ours: ignored
    await vi.waitFor(() => expect(outbox.stats.positions).toBe(2))
    expect((await storage.oldest(10)).map((e) => e.id)).toEqual([1, 3])
  })

  it('sends unacknowledged entries again, in order, after a reconnect', async () => {
    const transport = new FakeTransport()
    transport.open = true
    const storage = await idbStorage(`outbox-${++dbCounter}`)
    const outbox = await make(storage, transport, { maxInFlight: 3 })
    outbox.connectionOpened()
    for (let i = 0; i < 4; i += 1) await outbox.enqueue(position(i))
    await vi.waitFor(() => expect(transport.ids()).toEqual([1, 2, 3]))
    outbox.handleFrame({ type: 'ack', id: 1 })
    await vi.waitFor(() => expect(transport.ids()).toEqual([1, 2, 3, 4]))

    // The connection drops before 2, 3, 4 are acknowledged.
    transport.open = false
    outbox.connectionClosed()
    await outbox.enqueue(position(4))
    expect(outbox.stats).toMatchObject({ positions: 4, inFlight: 0, online: false })

    transport.frames = []
    transport.open = true
    outbox.connectionOpened()
    await vi.waitFor(() => expect(transport.ids()).toEqual([2, 3, 4]))
    for (const id of [2, 3, 4]) outbox.handleFrame({ type: 'ack', id })
    await vi.waitFor(() => expect(transport.ids()).toEqual([2, 3, 4, 5]))
    outbox.handleFrame({ type: 'ack', id: 5 })
    await vi.waitFor(() => expect(outbox.size).toBe(0))
  })

  it('survives a reload: a new outbox on the same database sends what was left', async () => {
    const name = `outbox-${++dbCounter}`
    const first = new FakeTransport()
    const storage1 = await idbStorage(name)
    const outbox1 = await make(storage1, first)
    for (let i = 0; i < 3; i += 1) await outbox1.enqueue(position(i))
    await outbox1.enqueue({ kind: 'status', payload: { status: 'patrolling' } })
    // "Reload": the page goes away without any ack.
    outbox1.dispose()
    storage1.close()

    const second = new FakeTransport()
    const storage2 = await idbStorage(name)
    const outbox2 = await make(storage2, second)
    expect(outbox2.stats).toMatchObject({ positions: 3, statuses: 1 })
    const next = await outbox2.enqueue(position(3))
    expect(next.id).toBe(5) // ids keep growing across reloads

    second.open = true
    outbox2.connectionOpened()
    await vi.waitFor(() => expect(second.ids()).toEqual([1, 2, 3, 4]))
    expect(second.frames[3]).toEqual({ type: 'status', id: 4, status: 'patrolling' })
    for (const id of [1, 2, 3, 4]) outbox2.handleFrame({ type: 'ack', id })
    await vi.waitFor(() => expect(second.ids()).toEqual([1, 2, 3, 4, 5]))
  })

  it('drops and counts an entry the server rejects as invalid, never resending it', async () => {
    const transport = new FakeTransport()
    transport.open = true
    const dropped: number[] = []
    const storage = await idbStorage(`outbox-${++dbCounter}`)
    const outbox = await make(storage, transport, {
      maxInFlight: 1,
      onDrop: (entry, error) => dropped.push(entry.id) && expect(error.code).toBe('tracking.bad_position'),
    })
    outbox.connectionOpened()
    await outbox.enqueue(position(0))
    await outbox.enqueue(position(1))
    await vi.waitFor(() => expect(transport.ids()).toEqual([1]))
    outbox.handleFrame({
      type: 'error',
      id: 1,
      code: 'tracking.bad_position',
      message: { zh: '位置无效', en: 'Invalid position' },
      details: { field: 'lat' },
    })
    await vi.waitFor(() => expect(transport.ids()).toEqual([1, 2]))
    expect(dropped).toEqual([1])
    expect(outbox.stats).toMatchObject({ dropped: 1, positions: 1 })

    transport.open = false
    outbox.connectionClosed()
    transport.frames = []
    transport.open = true
    outbox.connectionOpened()
    await vi.waitFor(() => expect(transport.ids()).toEqual([2]))
  })
})

describe('Outbox error handling and pacing (memory storage)', () => {
  it('holds everything for an unknown device until released', async () => {
    const transport = new FakeTransport()
    transport.open = true
    const onDeviceUnknown = vi.fn()
    const outbox = await make(new MemoryOutboxStorage(), transport, { maxInFlight: 1, onDeviceUnknown })
    outbox.connectionOpened()
    await outbox.enqueue(position(0))
    await outbox.enqueue(position(1))
    await vi.waitFor(() => expect(transport.ids()).toEqual([1]))
    outbox.handleFrame({ type: 'error', id: 1, code: 'tracking.unknown_device' })
    await vi.waitFor(() => expect(onDeviceUnknown).toHaveBeenCalledOnce())
    expect(outbox.stats).toMatchObject({ held: true, positions: 2, dropped: 0 })
    await outbox.enqueue(position(2))
    await new Promise((r) => setTimeout(r, 20))
    expect(transport.ids()).toEqual([1])

    outbox.release()
    await vi.waitFor(() => expect(transport.ids()).toEqual([1, 1]))
  })

  it('pauses after rate limiting and sends the same entry again', async () => {
    const transport = new FakeTransport()
    transport.open = true
    const outbox = await make(new MemoryOutboxStorage(), transport, { maxInFlight: 1, rateLimitPauseMs: 30 })
    outbox.connectionOpened()
    await outbox.enqueue(position(0))
    await vi.waitFor(() => expect(transport.ids()).toEqual([1]))
    outbox.handleFrame({ type: 'error', id: 1, code: 'tracking.rate_limited' })
    await new Promise((r) => setTimeout(r, 5))
    expect(transport.ids()).toEqual([1])
    await vi.waitFor(() => expect(transport.ids()).toEqual([1, 1]))
    expect(outbox.stats.dropped).toBe(0)
  })

  it('retries a server failure a few times, then drops the entry', async () => {
    const transport = new FakeTransport()
    transport.open = true
    const outbox = await make(new MemoryOutboxStorage(), transport, {
      maxInFlight: 1,
      maxAttempts: 3,
      retryDelayMs: () => 1,
    })
    outbox.connectionOpened()
    await outbox.enqueue(position(0))
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      await vi.waitFor(() => expect(transport.ids().length).toBe(attempt))
      outbox.handleFrame({ type: 'error', id: 1, code: 'internal_error' })
    }
    await vi.waitFor(() => expect(outbox.stats.dropped).toBe(1))
    expect(outbox.size).toBe(0)
  })

  it('sends a frame again when its ack does not come', async () => {
    vi.useFakeTimers()
    const transport = new FakeTransport()
    transport.open = true
    const outbox = await make(new MemoryOutboxStorage(), transport, { ackTimeoutMs: 20000 })
    outbox.connectionOpened()
    await outbox.enqueue(position(0))
    await vi.advanceTimersByTimeAsync(0)
    expect(transport.ids()).toEqual([1])
    await vi.advanceTimersByTimeAsync(19000)
    expect(transport.ids()).toEqual([1])
    await vi.advanceTimersByTimeAsync(1000)
    expect(transport.ids()).toEqual([1, 1])
    outbox.handleFrame({ type: 'ack', id: 1 })
    await vi.advanceTimersByTimeAsync(0)
    expect(outbox.size).toBe(0)
    await vi.advanceTimersByTimeAsync(60000)
    expect(transport.ids()).toEqual([1, 1])
  })

  it('paces sending by the token bucket', async () => {
    vi.useFakeTimers()
    const transport = new FakeTransport()
    transport.open = true
    const outbox = await make(new MemoryOutboxStorage(), transport, {
      maxInFlight: 10,
      rate: { perSecond: 2, burst: 2 },
      now: () => Date.now(),
    })
    for (let i = 0; i < 5; i += 1) await outbox.enqueue(position(i))
    outbox.connectionOpened()
    await vi.advanceTimersByTimeAsync(0)
    expect(transport.ids()).toEqual([1, 2])
    await vi.advanceTimersByTimeAsync(500)
    expect(transport.ids()).toEqual([1, 2, 3])
    await vi.advanceTimersByTimeAsync(1000)
    expect(transport.ids()).toEqual([1, 2, 3, 4, 5])
  })

  it('whenEmpty resolves once everything is acknowledged, or false on timeout', async () => {
    const transport = new FakeTransport()
    transport.open = true
    const outbox = await make(new MemoryOutboxStorage(), transport)
    expect(await outbox.whenEmpty(10)).toBe(true)
    outbox.connectionOpened()
    await outbox.enqueue(position(0))
    expect(await outbox.whenEmpty(10)).toBe(false)
    const waiting = outbox.whenEmpty(1000)
    outbox.handleFrame({ type: 'ack', id: 1 })
    expect(await waiting).toBe(true)
  })

  it('removes an entry delivered another way and ignores its late ack', async () => {
    const transport = new FakeTransport()
    transport.open = true
    const onAck = vi.fn()
    const outbox = await make(new MemoryOutboxStorage(), transport, { onAck })
    outbox.connectionOpened()
    const entry = await outbox.enqueue({ kind: 'status', payload: { status: 'on_duty' } })
    expect(await outbox.remove(entry.id)).toBe(true)
    expect(outbox.stats.statuses).toBe(0)
    outbox.handleFrame({ type: 'ack', id: entry.id })
    await new Promise((r) => setTimeout(r, 5))
    expect(onAck).not.toHaveBeenCalled()
    expect(outbox.stats.statuses).toBe(0)
  })

  it('keeps positions and status changes in one order', async () => {
    const transport = new FakeTransport()
    transport.open = true
    const outbox = await make(new MemoryOutboxStorage(), transport, { maxInFlight: 10 })
    await outbox.enqueue(position(0))
    await outbox.enqueue({ kind: 'status', payload: { status: 'off_duty' } })
    await outbox.enqueue(position(1))
    outbox.connectionOpened()
    await vi.waitFor(() => expect(transport.frames.map((f) => f.type)).toEqual(['position', 'status', 'position']))
    expect(outbox.stats).toMatchObject({ positions: 2, statuses: 1 })
  })
})
