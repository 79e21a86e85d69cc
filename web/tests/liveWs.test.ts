import { beforeEach, describe, expect, it, vi } from 'vitest'
import { RealtimeClient, type RealtimeEvent, type WebSocketLike } from '@/shared/ws'

/** A WebSocket stand-in driven by the test. */
class FakeSocket implements WebSocketLike {
  readyState = 0
  sent: Array<Record<string, unknown>> = []
  onopen: WebSocketLike['onopen'] = null
  onclose: WebSocketLike['onclose'] = null
  onmessage: WebSocketLike['onmessage'] = null
  onerror: WebSocketLike['onerror'] = null
  send(data: string): void {
    this.sent.push(JSON.parse(data) as Record<string, unknown>)
  }
  close(): void {
    this.readyState = 3
  }
  open(): void {
    this.readyState = 1
    this.onopen?.(new Event('open'))
  }
  frame(value: unknown): void {
    this.onmessage?.({ data: JSON.stringify(value) })
  }
}

let socket: FakeSocket
function client() {
  const c = new RealtimeClient({
    url: 'ws://test/ws',
    createSocket: () => (socket = new FakeSocket()),
    idleTimeoutMs: 0,
  })
  c.start()
  socket.open()
  return c
}

beforeEach(() => {
  vi.useFakeTimers()
})

describe('realtime client: snapshots and lag', () => {
  it('passes a topic snapshot to that topic as event "snapshot"', () => {
    const c = client()
    const tracking: RealtimeEvent[] = []
    const org: RealtimeEvent[] = []
    c.subscribe('tracking', (e) => tracking.push(e))
    c.subscribe('org', (e) => org.push(e))
    socket.frame({ type: 'snapshot', topic: 'tracking', data: { items: [{ person_id: 1 }] } })
    expect(tracking).toEqual([{ topic: 'tracking', event: 'snapshot', data: { items: [{ person_id: 1 }] } }])
    expect(org).toEqual([])
  })

  it('tells every topic it lagged', () => {
    const c = client()
    const seen: string[] = []
    c.subscribe('tracking', (e) => seen.push(`${e.topic}:${e.event}:${JSON.stringify(e.data)}`))
    c.subscribe('org', (e) => seen.push(`${e.topic}:${e.event}`))
    socket.frame({ type: 'lagged', dropped: 4 })
    expect(seen.sort()).toEqual(['org:lagged', 'tracking:lagged:{"dropped":4}'])
  })

  it('re-subscribes a topic to get a fresh snapshot, only when connected and wanted', () => {
    const c = client()
    expect(c.resubscribe('tracking')).toBe(false)
    c.subscribe('tracking', () => undefined)
    socket.sent = []
    expect(c.resubscribe('tracking')).toBe(true)
    expect(socket.sent).toEqual([
      { type: 'unsubscribe', topics: ['tracking'] },
      { type: 'subscribe', topics: ['tracking'] },
    ])
    socket.readyState = 3
    expect(c.resubscribe('tracking')).toBe(false)
  })
})
