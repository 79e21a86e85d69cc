/**
 * The console's command state (pinia): every open SOS and group, from the `command` topic (a
 * snapshot on every (re)connect, so a console that comes back shows all active SOS at once, then
 * `sos`, `group` and `video` events), plus the personal events of this account (`rtc`, `video`,
 * `group.message`, `group.invited`, `sos.escalated`) seen through the page's socket.
 *
 * For every open SOS the console opens a receive-only WebRTC session to the officer
 * (`sos:<id>`, `RtcRoom` in `caller` mode) as soon as the alert shows, again when the officer
 * announces `video started` without video arriving yet, and again after a failure. The siren
 * wails while any SOS waits for acknowledgement.
 *
 * Started by the SOS alarm layer, which the console layout mounts for users with
 * `tracking:read`; the groups page uses the same store.
 */
import { ElNotification } from 'element-plus'
import { defineStore } from 'pinia'
import { computed, ref, shallowRef, watch } from 'vue'
import { commandApi } from '@/shared/command/api'
import {
  isGroup,
  isSos,
  newlyRaised,
  parseVideoEvent,
  personalEvent,
  sirenWanted,
  sortSos,
  upsertGroup,
  upsertSos,
} from '@/shared/command/events'
import { iceServers } from '@/shared/command/rtcConfig'
import { Siren } from '@/shared/command/siren'
import type { Group, Sos } from '@/shared/command/types'
import { i18n } from '@/shared/i18n'
import { RtcRoom, type RoomPeer } from '@/shared/rtc/room'
import { getRealtime, listenFrames } from '@/shared/realtime'
import { useAuthStore } from '@/shared/stores/auth'

export const COMMAND_TOPIC = 'command'
export const COMMAND_PERMISSION = 'tracking:read'

export interface SosVideo {
  state: RoomPeer['state'] | 'idle'
  stream: MediaStream | null
  /** The officer said their camera is live. */
  announced: boolean
}

type PersonalListener = (event: string, data: unknown) => void

let rtcSeq = 0

export const useCommandStore = defineStore('command', () => {
  const auth = useAuthStore()
  const sosList = shallowRef<Sos[]>([])
  const groups = shallowRef<Group[]>([])
  const synced = ref(false)
  /** SOS that arrived since the layer last looked (it expands for them). */
  const arrivals = shallowRef<Sos[]>([])
  const videos = shallowRef<Record<number, SosVideo>>({})
  const siren = new Siren(undefined, { vibrate: false })
  const sirenOn = ref(false)
  const rooms = new Map<number, RtcRoom>()
  const announced = new Set<number>()
  const retryTimers = new Map<number, ReturnType<typeof setTimeout>>()
  const personal = new Set<PersonalListener>()
  let cleanup: Array<() => void> = []

  const activeCount = computed(() => sosList.value.filter((s) => s.status === 'active').length)
  const selfId = computed(() => auth.user?.id ?? 0)

  function send(message: Record<string, unknown>): boolean {
    return getRealtime().send(message)
  }

  // ---- SOS and their live video -------------------------------------------------------------

  function setVideo(id: number, patch: Partial<SosVideo>): void {
    const current = videos.value[id] ?? { state: 'idle', stream: null, announced: announced.has(id) }
    videos.value = { ...videos.value, [id]: { ...current, ...patch } }
  }

  function roomFor(sos: Sos): RtcRoom | null {
    if (sos.person_user_id === null) return null // a tracker with no app: no video
    let room = rooms.get(sos.id)
    if (!room) {
      const name = `sos:${sos.id}`
      room = new RtcRoom({
        room: name,
        selfId: selfId.value,
        mode: 'caller',
        receive: { audio: true, video: true },
        send: (to, signal) => {
          rtcSeq += 1
          return send({ type: 'rtc', id: `rtc:${rtcSeq}`, room: name, to, signal })
        },
        iceServers,
        onChange: (peers) => onPeers(sos.id, peers),
        log: (message, error) => console.warn(`[${name}] ${message}`, error ?? ''),
      })
      rooms.set(sos.id, room)
    }
    return room
  }

  function onPeers(id: number, peers: RoomPeer[]): void {
    const live = peers.find((p) => p.state !== 'closed') ?? peers[0]
    setVideo(id, { state: live?.state ?? 'idle', stream: live?.stream ?? null })
    if (live && live.state === 'failed') scheduleCall(id, 3000)
  }

  function scheduleCall(id: number, delay: number): void {
    if (retryTimers.has(id)) return
    retryTimers.set(
      id,
      setTimeout(() => {
        retryTimers.delete(id)
        const sos = sosList.value.find((s) => s.id === id)
        if (sos) void call(sos, true)
      }, delay),
    )
  }

  /** Opens (or with `again`, reopens) the video session to the officer in SOS. */
  async function call(sos: Sos, again = false): Promise<void> {
    const room = roomFor(sos)
    if (!room || sos.person_user_id === null || !getRealtime().connected.value) return
    if (!again && room.healthy(sos.person_user_id)) return
    await room.call(sos.person_user_id, sos.name)
  }

  function closeRoom(id: number): void {
    rooms.get(id)?.close()
    rooms.delete(id)
    const timer = retryTimers.get(id)
    if (timer) clearTimeout(timer)
    retryTimers.delete(id)
    announced.delete(id)
    const rest = { ...videos.value }
    delete rest[id]
    videos.value = rest
  }

  function setSosList(list: Sos[]): void {
    const before = sosList.value
    sosList.value = list
    const fresh = newlyRaised(before, list)
    if (fresh.length > 0) arrivals.value = fresh
    const open = new Set(list.map((s) => s.id))
    for (const id of [...rooms.keys()]) if (!open.has(id)) closeRoom(id)
    for (const sos of list) void call(sos)
    siren.set(sirenWanted(list))
    sirenOn.value = siren.running
  }

  function applySos(sos: Sos): void {
    setSosList(upsertSos(sosList.value, sos))
  }

  function onVideo(data: unknown): void {
    const event = parseVideoEvent(data)
    if (!event || !event.room.startsWith('sos:')) return
    const id = Number(event.room.slice(4))
    const sos = sosList.value.find((s) => s.id === id)
    if (!sos || event.user_id !== sos.person_user_id) return
    if (event.state === 'started') {
      announced.add(id)
      setVideo(id, { announced: true })
      // The camera came after our first offer was answered without it: call again.
      if (!rooms.get(id)?.receivingVideo(event.user_id)) void call(sos, true)
    } else {
      announced.delete(id)
      setVideo(id, { announced: false })
    }
  }

  async function acknowledge(id: number): Promise<void> {
    applySos(await commandApi.acknowledge(id))
  }

  async function resolve(id: number, note: string): Promise<void> {
    applySos(await commandApi.resolve(id, note))
  }

  // ---- groups ----------------------------------------------------------------------------------

  function applyGroup(group: Group): void {
    groups.value = upsertGroup(groups.value, group)
  }

  /** Listens to this account's personal events (group chat, video, signalling). */
  function onPersonal(listener: PersonalListener): () => void {
    personal.add(listener)
    return () => personal.delete(listener)
  }

  // ---- wiring ------------------------------------------------------------------------------

  function onTopic(event: { event: string; data: unknown }): void {
    switch (event.event) {
      case 'snapshot': {
        const data = event.data as { sos?: unknown[]; groups?: unknown[] } | null
        setSosList(sortSos((data?.sos ?? []).filter(isSos)))
        groups.value = (data?.groups ?? []).filter(isGroup).reduce<Group[]>((list, g) => upsertGroup(list, g), [])
        synced.value = true
        return
      }
      case 'lagged':
        getRealtime().resubscribe(COMMAND_TOPIC)
        return
      case 'sos':
        if (isSos(event.data)) applySos(event.data)
        return
      case 'group':
        if (isGroup(event.data)) applyGroup(event.data)
        return
      case 'video':
        onVideo(event.data)
        return
      default:
    }
  }

  function onFrame(frame: unknown): void {
    const event = personalEvent(frame)
    if (!event) return
    if (event.event === 'rtc') {
      const room = (event.data as { room?: unknown } | null)?.room
      if (typeof room === 'string' && room.startsWith('sos:')) rooms.get(Number(room.slice(4)))?.handleEvent(event.data)
    } else if (event.event === 'sos.escalated') {
      const id = (event.data as { sos_id?: unknown } | null)?.sos_id
      const sos = sosList.value.find((s) => s.id === id)
      ElNotification({
        type: 'error',
        title: i18n.global.t('command.alarm.title'),
        message: i18n.global.t('command.alarm.escalatedToast', { name: sos?.name ?? `#${String(id)}` }),
        duration: 8000,
      })
    }
    for (const listener of [...personal]) {
      try {
        listener(event.event, event.data)
      } catch (error) {
        console.error(error)
      }
    }
  }

  function start(): void {
    if (cleanup.length > 0) return
    const realtime = getRealtime()
    cleanup = [
      realtime.subscribe(COMMAND_TOPIC, onTopic),
      listenFrames(onFrame),
      watch(realtime.connected, (connected) => {
        if (!connected) return
        // The snapshot follows the new subscription; calls that dropped are made again.
        for (const sos of sosList.value) void call(sos)
      }),
      () => siren.stop(),
    ]
  }

  function stop(): void {
    for (const fn of cleanup) fn()
    cleanup = []
    for (const id of [...rooms.keys()]) closeRoom(id)
    sosList.value = []
    groups.value = []
    synced.value = false
    sirenOn.value = false
  }

  return {
    sosList,
    groups,
    synced,
    arrivals,
    videos,
    sirenOn,
    activeCount,
    selfId,
    start,
    stop,
    acknowledge,
    resolve,
    applySos,
    applyGroup,
    onPersonal,
    call,
    send,
  }
})
