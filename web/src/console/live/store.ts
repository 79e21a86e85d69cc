/**
 * The console's live tracking state as a pinia store: a thin wrapper around `LiveTracker` that
 * subscribes to the `tracking` topic on the shared realtime connection and exposes the people
 * and active alarms as shallow refs, replaced at most once a second.
 *
 * Started by the console layout for users with `tracking:read`, so an SOS shows on every page.
 */
import { defineStore } from 'pinia'
import { ref, shallowRef, watch } from 'vue'
import { trackingApi } from '@/shared/endpoints'
import { getRealtime } from '@/shared/realtime'
import type { LivePerson, TrackingAlarm } from '@/shared/types'
import { LiveTracker } from './tracker'

export const TRACKING_TOPIC = 'tracking'
export const TRACKING_PERMISSION = 'tracking:read'

export interface FocusRequest {
  personId: number
  /** Where the alarm was raised, for someone the map has no position for. */
  at: [number, number] | null
  seq: number
}

export const useLiveStore = defineStore('live', () => {
  const people = shallowRef<LivePerson[]>([])
  const alarms = shallowRef<TrackingAlarm[]>([])
  const synced = ref(false)
  /** Alarms that just arrived (a new array each time, for a sound or a notification). */
  const incomingAlarms = shallowRef<TrackingAlarm[]>([])
  const focusRequest = shallowRef<FocusRequest | null>(null)
  let tracker: LiveTracker | null = null
  let cleanup: Array<() => void> = []
  let focusSeq = 0

  function start(): void {
    if (tracker) return
    const realtime = getRealtime()
    const t = new LiveTracker({
      fetchPeople: async () => (await trackingApi.people()).items,
      fetchAlarms: async () => (await trackingApi.activeAlarms()).items,
      ackAlarm: (id) => trackingApi.ackAlarm(id),
      resubscribe: () => realtime.resubscribe(TRACKING_TOPIC),
    })
    tracker = t
    cleanup = [
      t.onChange((change) => {
        if (change.people) people.value = t.list()
        if (change.alarms) alarms.value = [...t.alarms.values()].sort((a, b) => b.id - a.id)
        if (change.newAlarms.length > 0) incomingAlarms.value = change.newAlarms
        synced.value = t.synced
      }),
      realtime.subscribe(TRACKING_TOPIC, (event) => t.handle(event)),
      watch(realtime.connected, (connected) => t.connectionChanged(connected), { immediate: true }),
      () => t.dispose(),
    ]
  }

  function stop(): void {
    for (const fn of cleanup) fn()
    cleanup = []
    tracker = null
    people.value = []
    alarms.value = []
    synced.value = false
  }

  function person(id: number): LivePerson | undefined {
    return tracker?.get(id)
  }

  async function acknowledge(id: number): Promise<void> {
    if (!tracker) return
    await tracker.acknowledge(id)
  }

  /** Asks the map page to select a person and fly to them. */
  function requestFocus(personId: number, at: [number, number] | null = null): void {
    focusSeq += 1
    focusRequest.value = { personId, at, seq: focusSeq }
  }

  function flushes(): number {
    return tracker?.flushes ?? 0
  }

  return {
    people,
    alarms,
    synced,
    incomingAlarms,
    focusRequest,
    start,
    stop,
    person,
    acknowledge,
    requestFocus,
    flushes,
  }
})
