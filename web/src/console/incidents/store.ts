/**
 * The console's live incidents as a pinia store, on the shared realtime connection (topic
 * `incidents`): every open incident (the topic's snapshot, then `incident` events), the dispatch
 * alerts waiting on an operator, and which incidents just arrived (highlighted, with a chime).
 *
 * Started by the console layout for users with `incidents:read`, so alerts show on every page;
 * the 警情 page and the map's incident layer read from it.
 */
import { defineStore } from 'pinia'
import { ref, shallowRef, watch } from 'vue'
import { getRealtime } from '@/shared/realtime'
import {
  loadIncidentsMuted,
  playDispatchAlert,
  playIncidentChime,
  saveIncidentsMuted,
} from '@/shared/incidents/sound'
import type { Incident, IncidentAlertEvent, IncidentDetail } from '@/shared/incidents/types'
import { alertsFromSnapshot, applyAlertEvent, isFinished, reconcileAlert, sortIncidents, type PendingAlert } from './book'

export const INCIDENTS_TOPIC = 'incidents'
export const INCIDENTS_PERMISSION = 'incidents:read'
export const DISPATCH_PERMISSION = 'incidents:dispatch'
/** How long a new incident stays highlighted (unless opened earlier). */
export const FRESH_MS = 90_000

export type IncidentListener = (incident: Incident | IncidentDetail) => void

export const useIncidentsStore = defineStore('incidents', () => {
  /** Every open incident, most pressing first. */
  const open = shallowRef<Incident[]>([])
  const alerts = shallowRef<PendingAlert[]>([])
  const synced = ref(false)
  const muted = ref(loadIncidentsMuted())
  /** Incident id → until when (ms) it shows as new. */
  const fresh = shallowRef<Map<number, number>>(new Map())
  /** Bumped on every snapshot (pages showing other filters reload then). */
  const snapshots = ref(0)
  const listeners = new Set<IncidentListener>()
  let byId = new Map<number, Incident>()
  let cleanup: Array<() => void> = []

  function publishOpen(): void {
    open.value = sortIncidents([...byId.values()])
  }

  function onSnapshot(items: Incident[]): void {
    byId = new Map(items.map((i) => [i.id, i]))
    publishOpen()
    alerts.value = alertsFromSnapshot(alerts.value, items, Date.now())
    synced.value = true
    snapshots.value += 1
  }

  function onIncident(incident: IncidentDetail): void {
    if (isFinished(incident.status)) byId.delete(incident.id)
    else byId.set(incident.id, incident)
    publishOpen()
    alerts.value = reconcileAlert(alerts.value, incident, Date.now())
    for (const listener of [...listeners]) {
      try {
        listener(incident)
      } catch (error) {
        console.error(error)
      }
    }
  }

  function onAlert(event: IncidentAlertEvent): void {
    const now = Date.now()
    if (event.reason === 'new') {
      const next = new Map(fresh.value)
      next.set(event.incident_id, now + FRESH_MS)
      fresh.value = next
      if (!muted.value) playIncidentChime()
      return
    }
    alerts.value = applyAlertEvent(alerts.value, event, byId.get(event.incident_id), now)
    if (!muted.value && alerts.value.some((a) => a.incidentId === event.incident_id)) playDispatchAlert()
  }

  function start(): void {
    if (cleanup.length > 0) return
    const realtime = getRealtime()
    cleanup = [
      realtime.subscribe(INCIDENTS_TOPIC, (event) => {
        if (event.event === 'snapshot') {
          const data = event.data as { items?: Incident[] } | null
          onSnapshot(Array.isArray(data?.items) ? data.items : [])
        } else if (event.event === 'incident') {
          onIncident(event.data as IncidentDetail)
        } else if (event.event === 'alert') {
          onAlert(event.data as IncidentAlertEvent)
        } else if (event.event === 'lagged') {
          realtime.resubscribe(INCIDENTS_TOPIC)
        }
      }),
      watch(realtime.connected, (connected) => {
        if (!connected) synced.value = false
      }),
    ]
  }

  function stop(): void {
    for (const fn of cleanup) fn()
    cleanup = []
    byId = new Map()
    open.value = []
    alerts.value = []
    synced.value = false
  }

  /** Calls `listener` with every incident that changes; returns a function that removes it. */
  function listen(listener: IncidentListener): () => void {
    listeners.add(listener)
    return () => listeners.delete(listener)
  }

  function isFresh(id: number, now: number = Date.now()): boolean {
    const until = fresh.value.get(id)
    return until !== undefined && until > now
  }

  /** The operator opened it: no longer highlighted as new. */
  function seen(id: number): void {
    if (!fresh.value.has(id)) return
    const next = new Map(fresh.value)
    next.delete(id)
    fresh.value = next
  }

  function setMuted(value: boolean): void {
    muted.value = value
    saveIncidentsMuted(value)
  }

  function get(id: number): Incident | undefined {
    return byId.get(id)
  }

  return { open, alerts, synced, muted, fresh, snapshots, start, stop, listen, isFresh, seen, setMuted, get }
})
