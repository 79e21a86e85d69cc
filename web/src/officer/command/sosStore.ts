/**
 * SOS on the officer's phone (pinia).
 *
 * Own SOS: a 2 s press raises it through the SOS outbox (WebSocket + HTTP, retried until the
 * server has it, kept in IndexedDB across reloads), opens the camera and microphone, announces
 * `video started` in the room `sos:<id>` and answers the consoles' offers with that stream. The
 * card shows 求助发送中 → 求助已发出 → 指挥中心已确认 (who) → 已处置. `sos.own` events and
 * `GET /api/command/sos/mine` (on start and every reconnect) keep it current.
 *
 * Called to a colleague's SOS (`sos.alert`): a full-screen card rings (siren + vibration) until
 * the officer answers 我已出发 or silences it; it shows the colleague's live position
 * (`sos.position`) and the route to them by road, planned again as both move (`route.ts`).
 */
import type { LineString } from 'geojson'
import { defineStore } from 'pinia'
import { computed, ref, shallowRef, watch } from 'vue'
import { commandApi } from '@/shared/command/api'
import {
  applySosPosition,
  isSos,
  parseSosPosition,
  personalEvent,
  upsertSos,
} from '@/shared/command/events'
import { iceServers } from '@/shared/command/rtcConfig'
import { Siren } from '@/shared/command/siren'
import type { Sos } from '@/shared/command/types'
import { geoApi } from '@/shared/endpoints'
import { openMedia, stopStream } from '@/shared/rtc/media'
import { RtcRoom } from '@/shared/rtc/room'
import { useAuthStore } from '@/shared/stores/auth'
import type { LonLat } from '@/shared/types'
import { getTracker } from '../tracking'
import { shouldReplanRoute, type PlannedRoute } from './route'
import { newClientRef, SosOutbox, type PendingSos } from './sosOutbox'
import { openSosStorage } from './sosStorage'

export type OwnPhase = 'idle' | 'sending' | 'sent' | 'acknowledged' | 'resolved'

let messageSeq = 0
function wsId(kind: string): string {
  messageSeq += 1
  return `${kind}:${Date.now().toString(36)}:${messageSeq}`
}

export const useOfficerSos = defineStore('officerSos', () => {
  const auth = useAuthStore()
  const tracker = getTracker()

  // ---- own SOS ---------------------------------------------------------------------------------
  const pending = shallowRef<PendingSos[]>([])
  const own = shallowRef<Sos | null>(null)
  /** A resolved own SOS, shown until the officer closes the card. */
  const ended = shallowRef<Sos | null>(null)
  const refusal = ref<string | null>(null)
  const camera = shallowRef<MediaStream | null>(null)
  const cameraState = ref<'off' | 'starting' | 'live' | 'denied' | 'unavailable'>('off')
  /** Consoles watching the live video now. */
  const viewers = ref(0)
  let outbox: SosOutbox | null = null
  let room: RtcRoom | null = null
  let announcedFor: number | null = null
  let mediaPromise: Promise<MediaStream | null> | null = null

  const phase = computed<OwnPhase>(() => {
    if (own.value) return own.value.status === 'acknowledged' ? 'acknowledged' : 'sent'
    if (pending.value.length > 0) return 'sending'
    if (ended.value) return 'resolved'
    return 'idle'
  })

  function position(): LonLat | null {
    const s = tracker.state
    if (s.lastFix) return [s.lastFix.coords.longitude, s.lastFix.coords.latitude]
    if (s.live && typeof s.live.lon === 'number' && typeof s.live.lat === 'number') return [s.live.lon, s.live.lat]
    return null
  }

  function startCamera(): Promise<MediaStream | null> {
    if (mediaPromise) return mediaPromise
    cameraState.value = 'starting'
    mediaPromise = openMedia({ video: true, audio: true, facing: 'environment' }).then(({ stream, problem }) => {
      camera.value = stream
      cameraState.value = stream ? 'live' : (problem ?? 'unavailable')
      room?.setLocal(stream)
      announce()
      return stream
    })
    return mediaPromise
  }

  function stopCamera(): void {
    if (announcedFor !== null && camera.value) {
      tracker.send({ type: 'video', id: wsId('video'), room: `sos:${announcedFor}`, state: 'stopped' })
    }
    stopStream(camera.value)
    camera.value = null
    cameraState.value = 'off'
    mediaPromise = null
    announcedFor = null
  }

  /** `video started` in the SOS room once both the SOS id and the camera are there. */
  function announce(force = false): void {
    const sos = own.value
    if (!sos || !camera.value) return
    if (announcedFor === sos.id && !force) return
    if (tracker.send({ type: 'video', id: wsId('video'), room: `sos:${sos.id}`, state: 'started' })) announcedFor = sos.id
  }

  function openRoom(sos: Sos): void {
    if (room && room.room === `sos:${sos.id}`) return
    room?.close()
    const selfId = auth.user?.id ?? 0
    room = new RtcRoom({
      room: `sos:${sos.id}`,
      selfId,
      mode: 'answerer',
      send: (to, signal) => tracker.send({ type: 'rtc', id: wsId('rtc'), room: `sos:${sos.id}`, to, signal }),
      iceServers,
      onChange: (peers) => {
        viewers.value = peers.filter((p) => p.state === 'connected').length
      },
      log: (message, error) => console.warn(`[sos:${sos.id}] ${message}`, error ?? ''),
    })
    room.holdOffers(startCamera())
    room.setLocal(camera.value)
  }

  function setOwn(sos: Sos | null): void {
    if (sos && sos.status === 'resolved') {
      ended.value = sos
      own.value = null
      room?.close()
      room = null
      stopCamera()
      void tracker.refreshStatus()
      return
    }
    const fresh = sos !== null && own.value?.id !== sos.id
    own.value = sos
    if (sos) {
      ended.value = null
      openRoom(sos)
      void startCamera()
      announce()
      if (fresh) void tracker.refreshStatus() // 求助: GPS runs while in SOS
    }
  }

  /** The 2 s press finished: raise it. */
  async function raise(): Promise<void> {
    refusal.value = null
    ended.value = null
    void startCamera() // the press is the user gesture that lets the camera start
    if (own.value || pending.value.length > 0) return // one open SOS per person
    const at = position()
    await outbox?.raise(at?.[0] ?? null, at?.[1] ?? null)
  }

  function dismissEnded(): void {
    ended.value = null
  }

  // ---- colleagues' SOS ----------------------------------------------------------------------
  const alerts = shallowRef<Sos[]>([])
  const openAlertId = ref<number | null>(null)
  /** Alerts the officer answered or silenced (no more ringing for them). */
  const quiet = ref(new Set<number>())
  const answering = ref(false)
  const route = shallowRef<LineString | null>(null)
  const routeInfo = shallowRef<{ seconds: number; meters: number } | null>(null)
  const routeLoading = ref(false)
  const siren = new Siren()
  const ringing = ref(false)
  let planned: PlannedRoute | null = null
  let routeSeq = 0

  const openAlert = computed(() => alerts.value.find((s) => s.id === openAlertId.value) ?? null)
  const myPersonId = computed(() => auth.user?.person_id ?? null)

  function answeredByMe(sos: Sos): boolean {
    return sos.responders.some((r) => r.person_id === myPersonId.value && r.answered_at !== null)
  }

  function updateRinging(): void {
    const want = alerts.value.some((s) => !answeredByMe(s) && !quiet.value.has(s.id))
    siren.set(want)
    ringing.value = siren.running
  }

  function setAlerts(list: Sos[]): void {
    alerts.value = list
    if (openAlertId.value !== null && !list.some((s) => s.id === openAlertId.value)) {
      openAlertId.value = null
      route.value = null
      routeInfo.value = null
      planned = null
    }
    if (openAlertId.value === null) {
      const waiting = list.find((s) => !answeredByMe(s) && !quiet.value.has(s.id))
      if (waiting) openAlertId.value = waiting.id
    }
    updateRinging()
  }

  async function planRoute(force = false): Promise<void> {
    const sos = openAlert.value
    const from = position()
    if (!sos || !from || sos.lon === null || sos.lat === null) return
    const to: LonLat = [sos.lon, sos.lat]
    const now = Date.now()
    if (!force && !shouldReplanRoute(planned, sos.id, from, to, now)) return
    planned = { sosId: sos.id, from, to, at: now }
    const seq = ++routeSeq
    routeLoading.value = route.value === null
    try {
      const found = await geoApi.route(from, to)
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

  async function answer(id: number): Promise<void> {
    answering.value = true
    try {
      const sos = await commandApi.answer(id)
      quiet.value = new Set([...quiet.value, id])
      setAlerts(upsertSos(alerts.value, sos))
    } finally {
      answering.value = false
    }
  }

  function silence(id: number): void {
    quiet.value = new Set([...quiet.value, id])
    updateRinging()
  }

  function open(id: number): void {
    openAlertId.value = id
    void planRoute(true)
  }

  function close(): void {
    const sos = openAlert.value
    if (sos) silence(sos.id)
    openAlertId.value = null
  }

  // ---- events and life cycle ----------------------------------------------------------------

  async function refresh(): Promise<void> {
    const me = myPersonId.value
    if (me === null) return
    // Only an SOS known before asking can be missing because it was resolved meanwhile (one
    // raised while the request was under way is simply not in the answer yet).
    const knownBefore = own.value?.id ?? null
    try {
      const { items } = await commandApi.mySos({ skipAuthRedirect: true })
      const mine = items.find((s) => s.person_id === me) ?? null
      if (mine) setOwn(mine)
      else if (own.value && own.value.id === knownBefore) {
        setOwn({ ...own.value, status: 'resolved' })
      }
      setAlerts(items.filter((s) => s.person_id !== me).reduce<Sos[]>((list, s) => upsertSos(list, s), []))
    } catch {
      // offline: keep what we have
    }
  }

  function onFrame(frame: unknown): void {
    if (outbox?.handleFrame(frame)) return
    const event = personalEvent(frame)
    if (!event) return
    const data = event.data
    switch (event.event) {
      case 'sos.own':
        if (isSos(data)) setOwn(data)
        return
      case 'sos.alert':
      case 'sos.update':
        if (!isSos(data) || data.person_id === myPersonId.value) return
        if (event.event === 'sos.alert' && !alerts.value.some((s) => s.id === data.id)) {
          const q = new Set(quiet.value)
          q.delete(data.id)
          quiet.value = q
        }
        setAlerts(upsertSos(alerts.value, data))
        if (event.event === 'sos.alert' && data.status !== 'resolved' && !answeredByMe(data)) open(data.id)
        return
      case 'sos.position': {
        const p = parseSosPosition(data)
        if (p) alerts.value = applySosPosition(alerts.value, p)
        return
      }
      case 'rtc':
        room?.handleEvent(data)
        return
      default:
    }
  }

  let cleanup: Array<() => void> = []

  async function start(): Promise<void> {
    if (cleanup.length > 0) return
    cleanup = [
      tracker.listen(onFrame),
      watch(
        () => tracker.state.connected,
        (connected) => {
          if (!connected) return
          outbox?.connectionOpened()
          void refresh()
          announce(true)
        },
      ),
      watch(
        () => [openAlert.value?.lon, openAlert.value?.lat, position()?.[0], position()?.[1]],
        () => void planRoute(),
      ),
      () => siren.stop(),
    ]
    const timer = setInterval(() => void planRoute(), 5000)
    cleanup.push(() => clearInterval(timer))
    const { storage } = await openSosStorage()
    outbox = new SosOutbox(
      {
        storage,
        transport: {
          sendWs: (message) => tracker.send(message),
          post: (body) => commandApi.raiseSos(body, { skipAuthRedirect: true }),
        },
        now: () => Date.now(),
        setTimeout: (fn, ms) => setTimeout(fn, ms),
        clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
        newRef: newClientRef,
      },
      {
        onDelivered: (_entry, sosId, sos) => {
          if (sos) setOwn(sos)
          else if (!own.value || own.value.id !== sosId) {
            void commandApi
              .mySos({ skipAuthRedirect: true })
              .then(({ items }) => setOwn(items.find((s) => s.id === sosId) ?? null))
              .catch(() => undefined)
          }
        },
        onRefused: (_entry, code, status) => {
          refusal.value = code || String(status)
          if (!own.value) stopCamera()
        },
        onChange: (list) => {
          pending.value = list
        },
      },
    )
    await outbox.open()
    if (pending.value.length > 0) void startCamera()
    void refresh()
  }

  function stop(): void {
    for (const fn of cleanup) fn()
    cleanup = []
    outbox?.dispose()
    outbox = null
    room?.close()
    room = null
    stopCamera()
    ringing.value = false
  }

  return {
    // own
    pending,
    own,
    ended,
    phase,
    refusal,
    camera,
    cameraState,
    viewers,
    raise,
    dismissEnded,
    // colleagues
    alerts,
    openAlert,
    openAlertId,
    ringing,
    answering,
    route,
    routeInfo,
    routeLoading,
    answeredByMe,
    answer,
    silence,
    open,
    close,
    position,
    // life cycle
    start,
    stop,
    refresh,
  }
})
