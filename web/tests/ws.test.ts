import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { backoffDelay, DEFAULT_BACKOFF, RealtimeClient, type WebSocketLike } from '@/shared/ws'

/** A WebSocket stand-in the test drives by hand. */
class FakeSocket implements WebSocketLike {
  static instances: FakeSocket[] = []
  readyState = 0
  sent: unknown[] = []
  closedWith: number | null = null
  onopen: WebSocketLike['onopen'] = null
  onclose: WebSocketLike['onclose'] = null
  onmessage: WebSocketLike['onmessage'] = null
  onerror: WebSocketLike['onerror'] = null

  constructor(readonly url: string) {
    FakeSocket.instances.push(this)
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('not open')
    this.sent.push(JSON.parse(data))
  }

  close(code = 1000): void {
    this.closedWith = code
    this.readyState = 3
  }

  // Server side
  serverOpen(): void {
    this.readyState = 1
    this.onopen?.(new Event('open'))
  }
  serverSend(frame: unknown): void {
    this.onmessage?.({ data: typeof frame === 'string' ? frame : JSON.stringify(frame) })
  }
  serverClose(code = 1006, reason = ''): void {
    this.readyState = 3
    this.onclose?.({ code, reason })
  }
}

const latest = () => FakeSocket.instances[FakeSocket.instances.length - 1]!

function makeClient(extra: Partial<ConstructorParameters<typeof RealtimeClient>[0]> = {}) {
  return new RealtimeClient({
    url: 'ws://test/ws',
    createSocket: (url) => new FakeSocket(url),
    random: () => 0.5, // no jitter
    ...extra,
  })
}

beforeEach(() => {
  FakeSocket.instances = []
  vi.useFakeTimers()
})
afterEach(() => {
  vi.useRealTimers()
})

describe('backoffDelay', () => {
  it('doubles from the minimum up to the maximum', () => {
    const delays = [0, 1, 2, 3, 4, 5, 6, 10].map((n) => backoffDelay(n, DEFAULT_BACKOFF, () => 0.5))
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000])
  })

  it('spreads by the jitter and never exceeds the maximum', () => {
    expect(backoffDelay(0, DEFAULT_BACKOFF, () => 0)).toBe(800)
    expect(backoffDelay(0, DEFAULT_BACKOFF, () => 0.999999)).toBe(1200)
    expect(backoffDelay(20, DEFAULT_BACKOFF, () => 0.999999)).toBe(30000)
    expect(backoffDelay(20, DEFAULT_BACKOFF, () => 0)).toBe(24000)
  })
})

describe('RealtimeClient', () => {
  it('subscribes on open and answers pings', () => {
    const client = makeClient()
    client.subscribe('org', () => undefined)
    client.start()
    expect(FakeSocket.instances).toHaveLength(1)
    expect(latest().url).toBe('ws://test/ws')
    expect(client.connected.value).toBe(false)

    latest().serverOpen()
    expect(client.connected.value).toBe(true)
    expect(latest().sent).toEqual([{ type: 'subscribe', topics: ['org'] }])

    latest().serverSend({ type: 'hello', user: { id: 1 } })
    latest().serverSend({ type: 'ping', t: 123 })
    expect(latest().sent).toContainEqual({ type: 'pong' })
    client.stop()
  })

  it('subscribes to new topics and unsubscribes when the last handler goes', () => {
    const client = makeClient()
    const offOrg = client.subscribe('org', () => undefined)
    client.start()
    latest().serverOpen()
    const offIncidents = client.subscribe('incidents', () => undefined)
    const offOrg2 = client.subscribe('org', () => undefined) // same topic: nothing new to send
    offOrg()
    offOrg() // twice: no effect
    offOrg2()
    offIncidents()
    expect(latest().sent).toEqual([
      { type: 'subscribe', topics: ['org'] },
      { type: 'subscribe', topics: ['incidents'] },
      { type: 'unsubscribe', topics: ['org'] },
      { type: 'unsubscribe', topics: ['incidents'] },
    ])
    expect(client.topics).toEqual([])
    client.stop()
  })

  it('sends every topic again after a reconnect', () => {
    const client = makeClient()
    client.subscribe('org', () => undefined)
    client.start()
    latest().serverOpen()
    client.subscribe('incidents', () => undefined)
    latest().serverClose(1006)
    vi.advanceTimersByTime(1000)
    latest().serverOpen()
    expect(latest().sent).toEqual([{ type: 'subscribe', topics: ['org', 'incidents'] }])
    client.stop()
  })

  it('dispatches events to the handlers of their topic', () => {
    const client = makeClient()
    const org = vi.fn()
    const other = vi.fn()
    const off = client.subscribe('org', org)
    client.subscribe('other', other)
    client.start()
    latest().serverOpen()
    latest().serverSend({ type: 'event', topic: 'org', event: 'person.created', data: { id: 7 } })
    expect(org).toHaveBeenCalledWith({ topic: 'org', event: 'person.created', data: { id: 7 } })
    expect(other).not.toHaveBeenCalled()

    off()
    latest().serverSend({ type: 'event', topic: 'org', event: 'person.deleted', data: { id: 7 } })
    expect(org).toHaveBeenCalledTimes(1)
    expect(client.topics).toEqual(['other'])
    client.stop()
  })

  it('unpacks a batch frame into its messages, in order', () => {
    const seen: unknown[] = []
    const client = makeClient({ onMessage: (message) => seen.push(message) })
    const org: string[] = []
    const tracking: string[] = []
    client.subscribe('org', (e) => org.push(`${e.event}:${JSON.stringify(e.data)}`))
    client.subscribe('tracking', (e) => tracking.push(e.event))
    client.start()
    latest().serverOpen()
    const messages = [
      { type: 'event', topic: 'tracking', event: 'position', data: { person_id: 1 } },
      { type: 'event', topic: 'org', event: 'person.updated', data: { id: 7 } },
      { type: 'ping', t: 1 },
      { type: 'ack', id: 3 },
      { type: 'event', topic: 'tracking', event: 'status', data: { person_id: 1 } },
      { type: 'event', topic: 'org', event: 'person.deleted', data: { id: 7 } },
    ]
    latest().serverSend({ type: 'batch', messages })
    expect(tracking).toEqual(['position', 'status'])
    expect(org).toEqual(['person.updated:{"id":7}', 'person.deleted:{"id":7}'])
    expect(latest().sent).toContainEqual({ type: 'pong' })
    // onMessage sees every message, the ones the client ignores (an ack) included.
    expect(seen).toEqual(messages)
    // A lone message still comes as itself.
    latest().serverSend({ type: 'event', topic: 'org', event: 'person.created', data: { id: 8 } })
    expect(org).toHaveLength(3)
    expect(seen).toHaveLength(messages.length + 1)
    client.stop()
  })

  it('stops handling a batch when a handler stops the client', () => {
    const client = makeClient()
    const events: number[] = []
    client.subscribe('org', (e) => {
      events.push((e.data as { n: number }).n)
      if (events.length === 2) client.stop()
    })
    client.start()
    latest().serverOpen()
    const event = (n: number) => ({ type: 'event', topic: 'org', event: 'x', data: { n } })
    latest().serverSend({ type: 'batch', messages: [event(1), event(2), event(3)] })
    expect(events).toEqual([1, 2])
  })

  it('ignores malformed frames', () => {
    const client = makeClient()
    const handler = vi.fn()
    client.subscribe('org', handler)
    client.start()
    latest().serverOpen()
    latest().serverSend('not json')
    latest().serverSend('null')
    latest().serverSend({ type: 'event' })
    latest().serverSend({ type: 'batch', messages: [null, 3, { type: 'event' }] })
    latest().serverSend({ type: 'batch' })
    expect(handler).not.toHaveBeenCalled()
    expect(client.connected.value).toBe(true)
    client.stop()
  })

  it('reconnects with exponential backoff and subscribes again', () => {
    const client = makeClient()
    client.subscribe('org', () => undefined)
    client.start()
    latest().serverOpen()
    latest().serverClose(1006)
    expect(client.connected.value).toBe(false)

    // Attempt 1 after 1 s, then 2 s, then 4 s while the server stays away.
    vi.advanceTimersByTime(999)
    expect(FakeSocket.instances).toHaveLength(1)
    vi.advanceTimersByTime(1)
    expect(FakeSocket.instances).toHaveLength(2)
    latest().serverClose(1006)

    vi.advanceTimersByTime(1999)
    expect(FakeSocket.instances).toHaveLength(2)
    vi.advanceTimersByTime(1)
    expect(FakeSocket.instances).toHaveLength(3)
    latest().serverClose(1006)

    vi.advanceTimersByTime(3999)
    expect(FakeSocket.instances).toHaveLength(3)
    vi.advanceTimersByTime(1)
    expect(FakeSocket.instances).toHaveLength(4)

    latest().serverOpen()
    expect(client.connected.value).toBe(true)
    expect(latest().sent).toEqual([{ type: 'subscribe', topics: ['org'] }])
    client.stop()
  })

  it('resets the backoff once the server says hello', () => {
    const client = makeClient()
    client.start()
    latest().serverClose(1006)
    vi.advanceTimersByTime(1000)
    latest().serverClose(1006)
    vi.advanceTimersByTime(2000)
    expect(client.attempt).toBe(2)

    latest().serverOpen()
    latest().serverSend({ type: 'hello', user: { id: 1 } })
    expect(client.attempt).toBe(0)
    latest().serverClose(1001)
    vi.advanceTimersByTime(1000)
    expect(FakeSocket.instances).toHaveLength(4)
    client.stop()
  })

  it('caps the delay at the maximum', () => {
    const client = makeClient({ backoff: { minDelayMs: 1000, maxDelayMs: 5000 } })
    client.start()
    for (const delay of [1000, 2000, 4000, 5000, 5000]) {
      const before = FakeSocket.instances.length
      latest().serverClose(1006)
      vi.advanceTimersByTime(delay - 1)
      expect(FakeSocket.instances).toHaveLength(before)
      vi.advanceTimersByTime(1)
      expect(FakeSocket.instances).toHaveLength(before + 1)
    }
    client.stop()
  })

  it('does not reconnect after stop', () => {
    const client = makeClient()
    client.start()
    const socket = latest()
    socket.serverOpen()
    client.stop()
    expect(socket.closedWith).toBe(1000)
    expect(client.connected.value).toBe(false)
    socket.serverClose(1000) // late close event from the browser
    vi.advanceTimersByTime(60_000)
    expect(FakeSocket.instances).toHaveLength(1)
  })

  it('stops a pending reconnect when stopped, and can start again', () => {
    const client = makeClient()
    client.start()
    latest().serverClose(1006)
    client.stop()
    vi.advanceTimersByTime(60_000)
    expect(FakeSocket.instances).toHaveLength(1)
    client.start()
    expect(FakeSocket.instances).toHaveLength(2)
    client.stop()
  })

  it('replaces a connection that went silent', () => {
    const client = makeClient({ idleTimeoutMs: 50_000 })
    client.start()
    const first = latest()
    first.serverOpen()
    vi.advanceTimersByTime(40_000)
    first.serverSend({ type: 'ping', t: 1 }) // keeps it alive
    vi.advanceTimersByTime(40_000)
    expect(FakeSocket.instances).toHaveLength(1)
    vi.advanceTimersByTime(10_000) // 50 s without a frame
    expect(first.closedWith).toBe(4000)
    expect(client.connected.value).toBe(false)
    vi.advanceTimersByTime(1000)
    expect(FakeSocket.instances).toHaveLength(2)
    client.stop()
  })

  it('asks the app to check the session when the handshake is refused', () => {
    const onRefused = vi.fn()
    const client = makeClient({ onRefused })
    client.start()
    latest().serverClose(1006) // closed before it ever opened, as after an HTTP 401 denial
    expect(onRefused).toHaveBeenCalledTimes(1)
    vi.advanceTimersByTime(1000)
    expect(FakeSocket.instances).toHaveLength(2)

    latest().serverOpen()
    latest().serverClose(1006) // an open connection dropped: a network matter
    expect(onRefused).toHaveBeenCalledTimes(1)
    client.stop()
  })

  it('reports auth close codes and keeps retrying with backoff', () => {
    const onRefused = vi.fn()
    const client = makeClient({ onRefused })
    client.start()
    latest().serverOpen()
    latest().serverClose(4401, 'auth.required')
    expect(onRefused).toHaveBeenCalledTimes(1)
    latest().serverClose(1006) // stale socket: ignored
    expect(onRefused).toHaveBeenCalledTimes(1)
    vi.advanceTimersByTime(1000)
    expect(FakeSocket.instances).toHaveLength(2)
    client.stop()
  })

  it('retries when the socket cannot even be created', () => {
    let fail = true
    const client = makeClient({
      createSocket: (url) => {
        if (fail) throw new Error('blocked')
        return new FakeSocket(url)
      },
    })
    client.start()
    expect(FakeSocket.instances).toHaveLength(0)
    fail = false
    vi.advanceTimersByTime(1000)
    expect(FakeSocket.instances).toHaveLength(1)
    client.stop()
  })

  it('reconnects at once when asked (browser back online)', () => {
    const client = makeClient()
    client.start()
    latest().serverClose(1006)
    client.reconnectNow()
    expect(FakeSocket.instances).toHaveLength(2)
    vi.advanceTimersByTime(60_000)
    expect(FakeSocket.instances).toHaveLength(2)
    client.stop()
  })
})
