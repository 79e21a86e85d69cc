import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { LiveTracker, toMillis, type LiveChange, type LiveTrackerDeps } from '@/console/live/tracker'
import type { LivePerson, TrackingAlarm } from '@/shared/types'
import type { RealtimeEvent } from '@/shared/ws'

function person(id: number, extra: Partial<LivePerson> = {}): LivePerson {
  return {
    person_id: id,
    name: `人员${id}`,
    badge_no: `JW${1000 + id}`,
    kind: 'police',
    post: '路警',
    mobile: '13800000000',
    squadron_id: 1,
    squadron_name: '城区中队',
    status: 'on_duty',
    lon: 108.7,
    lat: 30.93,
    ts: '2026-11-26T10:00:00Z',
    speed_kmh: 0,
    heading: null,
    accuracy_m: 8,
    battery: 0.8,
    device_id: id,
    ...extra,
  }
}

const ev = (event: string, data: unknown): RealtimeEvent => ({ topic: 'tracking', event, data })
const position = (id: number, lon: number, ts: string, extra: Record<string, unknown> = {}) =>
  ev('position', { person_id: id, lon, lat: 30.93, ts, speed_kmh: 20, heading: 90, accuracy_m: 5, battery: 0.7, ...extra })

function deferred<T>() {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((res) => {
    resolve = res
  })
  return { promise, resolve }
}

function setup(deps: Partial<LiveTrackerDeps> = {}) {
  const mocks = {
    fetchPeople: vi.fn<LiveTrackerDeps['fetchPeople']>(async () => []),
    fetchAlarms: vi.fn<LiveTrackerDeps['fetchAlarms']>(async () => []),
    ackAlarm: vi.fn<LiveTrackerDeps['ackAlarm']>(async () => undefined),
    resubscribe: vi.fn<LiveTrackerDeps['resubscribe']>(() => true),
    ...deps,
  }
  const tracker = new LiveTracker(mocks, { flushMs: 1000, pollMs: 15000, snapshotWaitMs: 3000, onError: () => undefined })
  const changes: LiveChange[] = []
  tracker.onChange((c) => changes.push(c))
  return { tracker, mocks, changes }
}

beforeEach(() => {
  vi.useFakeTimers()
  vi.setSystemTime(new Date('2026-11-26T10:05:00Z'))
})
afterEach(() => {
  vi.useRealTimers()
})

describe('toMillis', () => {
  it('reads ISO strings, unix seconds and milliseconds', () => {
    expect(toMillis('2026-11-26T10:00:00Z')).toBe(Date.UTC(2026, 10, 26, 10))
    expect(toMillis(1764151200)).toBe(1764151200000)
    expect(toMillis(1764151200000)).toBe(1764151200000)
    expect(toMillis(null)).toBeNull()
    expect(toMillis('not a time')).toBeNull()
  })
})

describe('LiveTracker', () => {
  it('applies the snapshot (replacing everyone) and tells listeners at once', () => {
    const { tracker, changes } = setup()
    tracker.handle(ev('snapshot', { items: [person(1), person(2)] }))
    expect(tracker.synced).toBe(true)
    expect(tracker.list().map((p) => p.person_id)).toEqual([1, 2])
    expect(changes).toHaveLength(1)
    expect(changes[0]!.people).toBe(true)

    tracker.handle(ev('snapshot', { items: [person(3)] }))
    expect([...tracker.people.keys()]).toEqual([3])
  })

  it('then applies positions and status changes, at most one update per second', () => {
    const { tracker, changes } = setup()
    tracker.handle(ev('snapshot', { items: [person(1), person(2, { lon: null, lat: null, ts: null })] }))
    changes.length = 0

    tracker.handle(position(1, 108.71, '2026-11-26T10:00:01Z'))
    tracker.handle(position(2, 108.72, '2026-11-26T10:00:01Z', { status: 'patrolling' }))
    tracker.handle(ev('status', { person_id: 1, status: 'en_route', previous: 'on_duty', at: '2026-11-26T10:00:02Z' }))
    // The snapshot was just passed on: this batch waits for the rest of the second.
    expect(changes).toHaveLength(0)
    vi.advanceTimersByTime(999)
    expect(changes).toHaveLength(0)
    vi.advanceTimersByTime(1)
    expect(changes).toHaveLength(1)

    expect(tracker.get(1)).toMatchObject({ lon: 108.71, status: 'en_route', speed_kmh: 20, battery: 0.7 })
    expect(tracker.get(2)).toMatchObject({ lon: 108.72, lat: 30.93, status: 'patrolling', name: '人员2' })
  })

  it('keeps only the latest position per person: a burst is one update, an older fix is ignored', () => {
    const { tracker, changes } = setup()
    tracker.handle(ev('snapshot', { items: [person(1)] }))
    vi.advanceTimersByTime(5000)
    changes.length = 0

    for (let s = 1; s <= 30; s += 1) {
      tracker.handle(position(1, 108.7 + s / 1000, `2026-11-26T10:00:${String(s).padStart(2, '0')}Z`))
    }
    // Out of order: older than what we have, must not move them back.
    expect(tracker.applyPosition(position(1, 100, '2026-11-26T10:00:10Z').data as never)).toBe(false)
    vi.advanceTimersByTime(1000)
    expect(changes).toHaveLength(1)
    expect(tracker.get(1)).toMatchObject({ lon: 108.73, ts: '2026-11-26T10:00:30Z' })
    expect(tracker.flushes).toBe(2)
  })

  it('ignores malformed events', () => {
    const { tracker } = setup()
    tracker.handle(ev('snapshot', { items: [person(1)] }))
    tracker.handle(ev('position', { person_id: 1, lon: 'x', lat: 1 }))
    tracker.handle(ev('position', null))
    tracker.handle(ev('status', { person_id: 'a', status: 'sos' }))
    tracker.handle(ev('something.else', {}))
    expect(tracker.get(1)).toMatchObject({ lon: 108.7, status: 'on_duty' })
  })

  it('accepts event names with the topic prefix', () => {
    const { tracker } = setup()
    tracker.handle(ev('tracking.snapshot', [person(1)]))
    tracker.handle(ev('tracking.status', { person_id: 1, status: 'on_scene', previous: 'on_duty', at: '' }))
    expect(tracker.get(1)?.status).toBe('on_scene')
  })

  it('on lagged, asks the server for the topic again and waits for its snapshot', () => {
    const { tracker, mocks } = setup()
    tracker.handle(ev('snapshot', { items: [person(1)] }))
    tracker.handle(ev('lagged', { dropped: 12 }))
    tracker.handle(ev('lagged', { dropped: 3 }))
    expect(mocks.resubscribe).toHaveBeenCalledTimes(1)
    tracker.handle(ev('snapshot', { items: [person(1, { lon: 108.8 })] }))
    vi.advanceTimersByTime(10000)
    expect(mocks.fetchPeople).not.toHaveBeenCalled()
    expect(tracker.get(1)?.lon).toBe(108.8)
  })

  it('falls back to REST when the snapshot does not come, or the socket is down', async () => {
    const { tracker, mocks } = setup({ fetchPeople: vi.fn(async () => [person(1, { status: 'offline' })]) })
    tracker.handle(ev('snapshot', { items: [person(1)] }))
    tracker.handle(ev('lagged', {}))
    await vi.advanceTimersByTimeAsync(3000)
    expect(mocks.fetchPeople).toHaveBeenCalledTimes(1)
    expect(tracker.get(1)?.status).toBe('offline')

    vi.mocked(mocks.resubscribe).mockReturnValue(false)
    tracker.handle(ev('lagged', {}))
    await vi.advanceTimersByTimeAsync(0)
    expect(mocks.fetchPeople).toHaveBeenCalledTimes(2)
  })

  it('replays events that arrive during a REST resync on top of its answer', async () => {
    const answer = deferred<LivePerson[]>()
    const { tracker } = setup({ fetchPeople: vi.fn(() => answer.promise), resubscribe: () => false })
    tracker.handle(ev('snapshot', { items: [person(1), person(2)] }))
    tracker.handle(ev('lagged', {}))
    tracker.handle(position(1, 108.75, '2026-11-26T10:01:00Z'))
    tracker.handle(ev('status', { person_id: 2, status: 'on_scene', previous: 'on_duty', at: '' }))
    // The REST answer was computed before these events.
    answer.resolve([person(1, { lon: 108.71, ts: '2026-11-26T10:00:30Z' }), person(2)])
    await vi.advanceTimersByTimeAsync(0)
    expect(tracker.get(1)).toMatchObject({ lon: 108.75, ts: '2026-11-26T10:01:00Z' })
    expect(tracker.get(2)?.status).toBe('on_scene')
  })

  it('drops a REST answer that is older than a snapshot received meanwhile', async () => {
    const answer = deferred<LivePerson[]>()
    const { tracker } = setup({ fetchPeople: vi.fn(() => answer.promise) })
    const pending = tracker.refreshFromRest()
    tracker.handle(ev('snapshot', { items: [person(1, { lon: 108.9 })] }))
    answer.resolve([person(1, { lon: 100 }), person(5)])
    await pending
    expect(tracker.list().map((p) => [p.person_id, p.lon])).toEqual([[1, 108.9]])
  })

  it('polls REST while the connection is down and stops once it is back', async () => {
    const { tracker, mocks } = setup({ fetchPeople: vi.fn(async () => [person(1)]) })
    tracker.connectionChanged(false)
    // Not synced yet: the first fetch comes after the snapshot wait.
    await vi.advanceTimersByTimeAsync(3000)
    expect(mocks.fetchPeople).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(15000)
    expect(mocks.fetchPeople).toHaveBeenCalledTimes(2)
    tracker.connectionChanged(true)
    tracker.handle(ev('snapshot', { items: [person(1)] }))
    await vi.advanceTimersByTimeAsync(60000)
    expect(mocks.fetchPeople).toHaveBeenCalledTimes(2)
  })

  it('fetches the card of someone it has not heard of', async () => {
    const { tracker, mocks } = setup({ fetchPeople: vi.fn(async () => [person(1), person(9, { name: '新人', lon: 108.71, ts: '2026-11-26T10:00:01Z' })]) })
    tracker.handle(ev('snapshot', { items: [person(1)] }))
    tracker.handle(position(9, 108.71, '2026-11-26T10:00:01Z'))
    expect(tracker.get(9)?.lon).toBe(108.71)
    await vi.advanceTimersByTimeAsync(2000)
    expect(mocks.fetchPeople).toHaveBeenCalledTimes(1)
    expect(tracker.get(9)).toMatchObject({ name: '新人', lon: 108.71 })
  })
})

describe('LiveTracker alarms', () => {
  const sos = (id: number, personId: number): TrackingAlarm => ({
    id,
    person_id: personId,
    kind: 'sos',
    lon: 108.7,
    lat: 30.93,
    ts: '2026-11-26T10:02:00Z',
  })

  it('shows an SOS at once, as new, and the person in SOS until it is acknowledged', async () => {
    const { tracker, changes } = setup()
    tracker.handle(ev('snapshot', { items: [person(1), person(2)] }))
    vi.advanceTimersByTime(100)
    changes.length = 0
    tracker.handle(ev('alarm', sos(5, 1)))
    expect(changes).toHaveLength(1) // not throttled
    expect(changes[0]).toMatchObject({ alarms: true, people: true, newAlarms: [{ id: 5 }] })
    expect(tracker.get(1)?.status).toBe('sos')
    expect(tracker.list().map((p) => p.status)).toEqual(['sos', 'on_duty'])
    // The same alarm again is not new.
    tracker.handle(ev('alarm', sos(5, 1)))
    expect(changes[1]?.newAlarms ?? []).toEqual([])
    // Their next report still says "patrolling": the unacknowledged SOS wins.
    tracker.handle(position(1, 108.71, '2026-11-26T10:02:05Z', { status: 'patrolling' }))
    expect(tracker.get(1)?.status).toBe('sos')
    await tracker.acknowledge(5)
    expect(tracker.get(1)?.status).toBe('patrolling')
    expect(changes.at(-1)).toMatchObject({ people: true, alarms: true })
  })

  it('loads active alarms after a snapshot and acknowledges them', async () => {
    const { tracker, mocks } = setup({ fetchAlarms: vi.fn(async () => [sos(7, 1), { ...sos(8, 2), acknowledged_at: '2026-11-26T10:03:00Z' }]) })
    tracker.handle(ev('snapshot', { items: [person(1), person(2)] }))
    await vi.advanceTimersByTimeAsync(0)
    expect([...tracker.alarms.keys()]).toEqual([7])

    await tracker.acknowledge(7)
    expect(mocks.ackAlarm).toHaveBeenCalledWith(7)
    expect(tracker.alarms.size).toBe(0)
    // A list fetched before the server saw the ack must not bring it back.
    await tracker.loadAlarms()
    expect(tracker.alarms.size).toBe(0)
  })

  it('removes an alarm acknowledged elsewhere', () => {
    const { tracker } = setup()
    tracker.handle(ev('alarm', sos(3, 1)))
    tracker.handle(ev('alarm', { ...sos(3, 1), acknowledged_at: '2026-11-26T10:03:00Z' }))
    expect(tracker.alarms.size).toBe(0)
    tracker.handle(ev('alarm', sos(4, 1)))
    tracker.handle(ev('alarm.acknowledged', { id: 4, person_id: 1, by: 'commander' }))
    expect(tracker.alarms.size).toBe(0)
  })
})
