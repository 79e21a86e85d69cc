import 'fake-indexeddb/auto'
import { describe, expect, it } from 'vitest'
import type { Sos } from '@/shared/command/types'
import {
  isFinalRefusal,
  newClientRef,
  sosRetryDelay,
  SosOutbox,
  type PendingSos,
  type SosOutboxDeps,
} from '@/officer/command/sosOutbox'
import { IdbSosStorage, MemorySosStorage } from '@/officer/command/sosStorage'

const flush = () => new Promise((resolve) => setTimeout(resolve, 0))

function sosFor(id: number): Sos {
  return { id, person_id: 7, status: 'active', responders: [], trail: [] } as unknown as Sos
}

/** Timers run by hand; the socket and HTTP are recorded and answered by the test. */
function harness(storage = new MemorySosStorage()) {
  const timers = new Map<number, { fn: () => void; ms: number }>()
  let nextTimer = 1
  const ws: Record<string, unknown>[] = []
  const posts: { body: unknown; resolve: (s: Sos) => void; reject: (e: unknown) => void }[] = []
  let wsOpen = true
  let ref = 0
  const delivered: { sosId: number; sos: Sos | null; ref: string }[] = []
  const refused: { code: string; status: number }[] = []
  const deps: SosOutboxDeps = {
    storage,
    transport: {
      sendWs: (m) => {
        if (!wsOpen) return false
        ws.push(m)
        return true
      },
      post: (body) =>
        new Promise<Sos>((resolve, reject) => {
          posts.push({ body, resolve, reject })
        }),
    },
    now: () => 1000,
    setTimeout: (fn, ms) => {
      const id = nextTimer++
      timers.set(id, { fn, ms })
      return id
    },
    clearTimeout: (h) => void timers.delete(h as number),
    newRef: () => `ref${String(++ref).padStart(6, '0')}`,
  }
  const outbox = new SosOutbox(deps, {
    onDelivered: (entry: PendingSos, sosId, sos) => delivered.push({ sosId, sos, ref: entry.client_ref }),
    onRefused: (_e, code, status) => refused.push({ code, status }),
  })
  return {
    outbox,
    storage,
    ws,
    posts,
    delivered,
    refused,
    timers,
    setWsOpen: (open: boolean) => {
      wsOpen = open
    },
    /** Fires the pending retry timer(s). */
    fireTimers() {
      const due = [...timers.entries()]
      timers.clear()
      for (const [, t] of due) t.fn()
    },
  }
}

describe('SOS outbox', () => {
  it('stores the press before sending it both ways, with the position', async () => {
    const h = harness()
    await h.outbox.raise(108.4, 30.9)
    expect(await h.storage.all()).toHaveLength(1)
    expect(h.ws).toEqual([{ type: 'sos', id: 'sos:ref000001:1', client_ref: 'ref000001', lon: 108.4, lat: 30.9 }])
    expect(h.posts.map((p) => p.body)).toEqual([{ client_ref: 'ref000001', lon: 108.4, lat: 30.9 }])
  })

  it('sends no position when there is no fix (the server uses the last known one)', async () => {
    const h = harness()
    await h.outbox.raise(null, null)
    expect(h.posts[0]!.body).toEqual({ client_ref: 'ref000001' })
  })

  it('is done when the socket acknowledges, and forgets the entry', async () => {
    const h = harness()
    await h.outbox.raise(1, 2)
    expect(h.outbox.handleFrame({ type: 'ack', id: 'sos:ref000001:1', sos_id: 42 })).toBe(true)
    await flush()
    expect(h.delivered).toEqual([{ sosId: 42, sos: null, ref: 'ref000001' }])
    expect(await h.storage.all()).toEqual([])
    expect(h.timers.size).toBe(0)
    // The HTTP answer that comes later changes nothing.
    h.posts[0]!.resolve(sosFor(42))
    await flush()
    expect(h.delivered).toHaveLength(1)
  })

  it('is done when HTTP answers first, with the whole SOS', async () => {
    const h = harness()
    await h.outbox.raise(1, 2)
    h.posts[0]!.resolve(sosFor(9))
    await flush()
    expect(h.delivered.map((d) => d.sos?.id)).toEqual([9])
    h.outbox.handleFrame({ type: 'ack', id: 'sos:ref000001:1', sos_id: 9 })
    await flush()
    expect(h.delivered).toHaveLength(1)
  })

  it('ignores other replies (the position outbox uses numeric ids)', () => {
    const h = harness()
    expect(h.outbox.handleFrame({ type: 'ack', id: 3 })).toBe(false)
    expect(h.outbox.handleFrame({ type: 'ack', id: 'rtc:1' })).toBe(false)
  })

  it('retries both ways, backing off, until answered; the socket reconnecting retries at once', async () => {
    const h = harness()
    h.setWsOpen(false)
    await h.outbox.raise(1, 2)
    h.posts[0]!.reject({ status: 0, code: 'network_error' })
    await flush()
    expect([...h.timers.values()].map((t) => t.ms)).toEqual([1000])
    h.fireTimers()
    await flush()
    expect(h.posts).toHaveLength(2)
    expect([...h.timers.values()].map((t) => t.ms)).toEqual([2000])
    h.posts[1]!.reject({ status: 503, code: 'internal_error' })
    await flush()
    h.setWsOpen(true)
    h.outbox.connectionOpened()
    expect(h.ws.map((m) => m.id)).toEqual(['sos:ref000001:3'])
    expect(h.posts).toHaveLength(3)
    h.outbox.handleFrame({ type: 'ack', id: 'sos:ref000001:3', sos_id: 5 })
    await flush()
    expect(h.delivered.map((d) => d.sosId)).toEqual([5])
    expect(h.timers.size).toBe(0)
  })

  it('keeps one HTTP request in flight per press', async () => {
    const h = harness()
    await h.outbox.raise(1, 2)
    h.fireTimers()
    h.fireTimers()
    expect(h.posts).toHaveLength(1)
    expect(h.ws).toHaveLength(3)
  })

  it('drops a press the server definitely refuses, and says so', async () => {
    const h = harness()
    await h.outbox.raise(1, 2)
    h.posts[0]!.reject({ status: 409, code: 'command.no_person' })
    await flush()
    expect(h.refused).toEqual([{ code: 'command.no_person', status: 409 }])
    expect(h.outbox.pending()).toEqual([])
    expect(h.timers.size).toBe(0)
  })

  it('survives a reload: what is stored is sent again by the next page', async () => {
    const name = `sos-test-${Math.random()}`
    const idb = await IdbSosStorage.open(name)
    const h1 = harness(idb as unknown as MemorySosStorage)
    await h1.outbox.raise(3, 4)
    h1.outbox.dispose() // the page is gone; nothing was answered
    const h2 = harness((await IdbSosStorage.open(name)) as unknown as MemorySosStorage)
    await h2.outbox.open()
    expect(h2.ws.map((m) => m.client_ref)).toEqual(['ref000001'])
    expect(h2.ws[0]).toMatchObject({ lon: 3, lat: 4 })
    h2.outbox.handleFrame({ type: 'ack', id: String(h2.ws[0]!.id), sos_id: 11 })
    await flush()
    expect(await (await IdbSosStorage.open(name)).all()).toEqual([])
  })

  it('retry delays and final refusals', () => {
    expect([1, 2, 3, 4, 5, 6, 9].map(sosRetryDelay)).toEqual([0, 1000, 2000, 4000, 8000, 10000, 10000])
    expect([400, 403, 404, 409, 422].every(isFinalRefusal)).toBe(true)
    expect([0, 401, 408, 429, 500, 503].some(isFinalRefusal)).toBe(false)
  })

  it('client refs fit the server rule', () => {
    for (let i = 0; i < 20; i += 1) expect(newClientRef()).toMatch(/^[A-Za-z0-9_-]{8,64}$/)
  })
})
