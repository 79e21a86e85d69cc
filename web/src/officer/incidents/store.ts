/**
 * The officer's dispatches (pinia): `GET /api/incidents/mine` on start and on every reconnect,
 * then the personal `user.<id>` events on the tracking engine's WebSocket. A new dispatch opens
 * the full-screen card and rings (WebAudio + vibration) until it is accepted or declined. The
 * route from the officer's position to the scene is planned with `POST /api/geo/route` and
 * planned again as the officer moves.
 */
import type { LineString } from 'geojson'
import { defineStore } from 'pinia'
import { computed, ref, shallowRef, watch } from 'vue'
import { geoApi } from '@/shared/endpoints'
import { incidentsApi } from '@/shared/incidents/api'
import { Ringer } from '@/shared/incidents/sound'
import type { IncidentDetail, MyAssignment, OfficerReport } from '@/shared/incidents/types'
import type { LonLat } from '@/shared/types'
import { getTracker } from '../tracking'
import {
  currentOf,
  isLiveAssignment,
  isOver,
  mustRing,
  parsePersonalEvent,
  shouldReplan,
  sortMine,
  upsertMine,
  type OfficerAction,
} from './dispatch'

export const useOfficerDispatch = defineStore('officerDispatch', () => {
  const items = shallowRef<MyAssignment[]>([])
  /** The assignment shown full screen (a new dispatch opens itself). */
  const openId = ref<number | null>(null)
  const ringing = ref(false)
  const loaded = ref(false)
  const route = shallowRef<LineString | null>(null)
  const routeInfo = shallowRef<{ seconds: number; meters: number } | null>(null)
  const routeLoading = ref(false)
  const ringer = new Ringer()
  let cleanup: Array<() => void> = []
  let planned: { incidentId: number; from: LonLat; at: number } | null = null

  const current = computed(() => currentOf(items.value))
  const opened = computed(() => items.value.find((i) => i.assignment.id === openId.value) ?? null)
  /** The dispatch whose route is drawn: the open card's while under way, else the current one. */
  const focus = computed(() => {
    const o = opened.value
    if (o && isLiveAssignment(o.assignment.status) && !isOver(o)) return o
    return current.value
  })
  const scene = computed<LonLat | null>(() => (focus.value ? [focus.value.incident.lon, focus.value.incident.lat] : null))

  /** The officer's newest position: this phone's fix, else the server's last known one. */
  const position = computed<LonLat | null>(() => {
    const s = getTracker().state
    if (s.lastFix) return [s.lastFix.coords.longitude, s.lastFix.coords.latitude]
    if (s.live && typeof s.live.lon === 'number' && typeof s.live.lat === 'number') return [s.live.lon, s.live.lat]
    return null
  })

  function updateRinging(): void {
    if (mustRing(items.value)) ringer.start()
    else ringer.stop()
    ringing.value = ringer.ringing
  }

  function openWaiting(list: readonly MyAssignment[]): void {
    const waiting = list.find((i) => i.assignment.status === 'dispatched' && !isOver(i))
    if (waiting && (openId.value === null || !opened.value || !isLiveAssignment(opened.value.assignment.status))) {
      openId.value = waiting.assignment.id
    }
  }

  async function refresh(): Promise<void> {
    try {
      const { items: list } = await incidentsApi.mine({ skipAuthRedirect: true })
      items.value = sortMine(list)
      loaded.value = true
      openWaiting(items.value)
    } catch {
      // offline or signed out: keep what we have; the next reconnect asks again
    }
  }

  function onFrame(frame: unknown): void {
    const event = parsePersonalEvent(frame)
    if (!event) return
    items.value = upsertMine(items.value, event.item)
    if (event.ring && event.item.assignment.status === 'dispatched') openId.value = event.item.assignment.id
  }

  let routeSeq = 0
  async function planRoute(force = false): Promise<void> {
    const item = focus.value
    const from = position.value
    if (!item || !from) {
      if (!item) {
        route.value = null
        routeInfo.value = null
        planned = null
      }
      return
    }
    const now = Date.now()
    if (!force && !shouldReplan(planned, item.incident.id, from, now)) return
    planned = { incidentId: item.incident.id, from, at: now }
    const seq = ++routeSeq
    routeLoading.value = route.value === null
    try {
      const found = await geoApi.route(from, [item.incident.lon, item.incident.lat])
      if (seq !== routeSeq) return
      route.value = found.geometry
      routeInfo.value = { seconds: found.seconds, meters: found.meters }
    } catch {
      if (seq !== routeSeq) return
      route.value = null
      routeInfo.value = null
    } finally {
      if (seq === routeSeq) routeLoading.value = false
    }
  }

  function start(): void {
    if (cleanup.length > 0) return
    const tracker = getTracker()
    cleanup = [
      tracker.listen(onFrame),
      watch(
        () => tracker.state.connected,
        (connected) => {
          if (connected) void refresh()
        },
        { immediate: true },
      ),
      watch(items, updateRinging, { immediate: true }),
      watch(
        () => focus.value?.incident.id ?? null,
        () => void planRoute(true),
      ),
      watch(position, () => void planRoute()),
    ]
    void refresh()
  }

  function stop(): void {
    for (const fn of cleanup) fn()
    cleanup = []
    ringer.stop()
    ringing.value = false
  }

  /** Puts the server's answer into the list. */
  function apply(assignmentId: number, detail: IncidentDetail): void {
    const assignment = detail.assignments.find((a) => a.id === assignmentId)
    if (assignment) items.value = upsertMine(items.value, { assignment, incident: detail })
  }

  /** 接警 / 拒绝 / 出发 / 到场 / 处置完毕 on one assignment. */
  async function act(action: OfficerAction, assignmentId: number, text = ''): Promise<void> {
    let detail: IncidentDetail
    if (action === 'accept') detail = await incidentsApi.accept(assignmentId)
    else if (action === 'decline') detail = await incidentsApi.decline(assignmentId, text)
    else if (action === 'depart') detail = await incidentsApi.depart(assignmentId)
    else if (action === 'arrive') detail = await incidentsApi.arrive(assignmentId)
    else detail = await incidentsApi.handled(assignmentId, text)
    apply(assignmentId, detail)
    // The server moved the officer's own status along (出警中, 处置中, back to 巡逻).
    void getTracker().refreshStatus()
  }

  async function uploadPhoto(incidentId: number, file: Blob, stage: 'report' | 'handling', name: string): Promise<void> {
    await incidentsApi.uploadPhoto(incidentId, file, stage, name)
    await refresh()
  }

  async function report(body: OfficerReport): Promise<IncidentDetail> {
    const detail = await incidentsApi.report(body)
    await refresh()
    return detail
  }

  function open(assignmentId: number): void {
    openId.value = assignmentId
    void planRoute(true)
  }

  /**
   * Back to the home screen. Allowed while a dispatch still waits for an answer (the officer may
   * need the SOS button): the phone keeps ringing and the home screen shows the dispatch.
   */
  function close(): void {
    openId.value = null
  }

  return {
    items,
    openId,
    opened,
    current,
    focus,
    scene,
    position,
    ringing,
    loaded,
    route,
    routeInfo,
    routeLoading,
    start,
    stop,
    refresh,
    act,
    uploadPhoto,
    report,
    open,
    close,
  }
})
