/**
 * Command groups on the officer's phone (pinia): the open groups the officer is in
 * (`GET /api/command/groups`, on start and every reconnect), kept by the personal events
 * `group.invited` (opens the group screen, with a chime), `group` and `group.message`; the open
 * group's detail (members, chat, video sessions) and its video call (`GroupCall`, mesh WebRTC).
 */
import { defineStore } from 'pinia'
import { computed, ref, shallowRef, watch } from 'vue'
import { commandApi } from '@/shared/command/api'
import {
  addMessage,
  isGroup,
  isGroupMessage,
  isMember,
  liveVideoUsers,
  mergeGroup,
  personalEvent,
  upsertGroup,
} from '@/shared/command/events'
import { GroupCall } from '@/shared/command/groupCall'
import type { Group, GroupDetail, GroupMessage } from '@/shared/command/types'
import { playIncidentChime } from '@/shared/incidents/sound'
import { useAuthStore } from '@/shared/stores/auth'
import { getTracker } from '../tracking'

export const useOfficerGroups = defineStore('officerGroups', () => {
  const auth = useAuthStore()
  const tracker = getTracker()
  const groups = shallowRef<Group[]>([])
  const unread = ref<Record<number, number>>({})
  const openId = ref<number | null>(null)
  const detail = shallowRef<GroupDetail | null>(null)
  const call = shallowRef<GroupCall | null>(null)
  const loading = ref(false)
  const selfId = computed(() => auth.user?.id ?? 0)

  async function refresh(): Promise<void> {
    try {
      const { items } = await commandApi.groups(true, { skipAuthRedirect: true })
      groups.value = items.filter((g) => isMember(g, selfId.value)).reduce<Group[]>((list, g) => upsertGroup(list, g), [])
    } catch {
      // offline: keep the list
    }
    if (openId.value !== null) await loadDetail(openId.value)
  }

  async function loadDetail(id: number): Promise<void> {
    loading.value = detail.value?.id !== id
    try {
      const d = await commandApi.group(id, { skipAuthRedirect: true })
      if (openId.value !== id) return
      detail.value = d
      syncCall(d)
    } catch {
      // keep what is shown
    } finally {
      loading.value = false
    }
  }

  function syncCall(d: GroupDetail): void {
    if (!d.open || !isMember(d, selfId.value)) {
      call.value?.dispose()
      call.value = null
      return
    }
    if (!call.value || call.value.room !== `group:${d.id}`) {
      call.value?.dispose()
      call.value = new GroupCall({
        groupId: d.id,
        selfId: selfId.value,
        send: (message) => tracker.send(message),
        wish: { video: true, audio: true, facing: 'environment' },
      })
    }
    const names = new Map(d.members.map((m) => [m.user_id, m.name]))
    call.value.setLive(liveVideoUsers(d).map((user_id) => ({ user_id, name: names.get(user_id) ?? '' })))
  }

  function open(id: number): void {
    if (openId.value !== id) {
      call.value?.dispose()
      call.value = null
      detail.value = null
    }
    openId.value = id
    unread.value = { ...unread.value, [id]: 0 }
    void loadDetail(id)
  }

  function close(): void {
    call.value?.dispose()
    call.value = null
    openId.value = null
    detail.value = null
  }

  function onGroup(summary: Group, invited: boolean): void {
    const stillIn = summary.open && isMember(summary, selfId.value)
    groups.value = stillIn ? upsertGroup(groups.value, summary) : groups.value.filter((g) => g.id !== summary.id)
    if (detail.value?.id === summary.id) {
      detail.value = mergeGroup(detail.value, summary)
      syncCall(detail.value)
    }
    // A new group opens itself, unless another open group is on the screen.
    if (invited && stillIn && (openId.value === null || detail.value?.open === false)) {
      playIncidentChime()
      open(summary.id)
    }
  }

  function onMessage(message: GroupMessage): void {
    if (detail.value?.id === message.group_id) {
      detail.value = addMessage(detail.value, message)
    } else if (message.sender_user_id !== selfId.value) {
      unread.value = { ...unread.value, [message.group_id]: (unread.value[message.group_id] ?? 0) + 1 }
    }
  }

  function onFrame(frame: unknown): void {
    const event = personalEvent(frame)
    if (!event) return
    switch (event.event) {
      case 'group.invited':
      case 'group':
        if (isGroup(event.data)) onGroup(event.data, event.event === 'group.invited')
        return
      case 'group.message':
        if (isGroupMessage(event.data)) onMessage(event.data)
        return
      case 'rtc':
        call.value?.handleRtc(event.data)
        return
      case 'video':
        call.value?.handleVideo(event.data)
        return
      default:
    }
  }

  /** Adds one's own message at once (the event may come a little later, or not at all offline). */
  function posted(message: GroupMessage): void {
    onMessage(message)
  }

  let cleanup: Array<() => void> = []

  function start(): void {
    if (cleanup.length > 0) return
    cleanup = [
      tracker.listen(onFrame),
      watch(
        () => tracker.state.connected,
        (connected) => {
          if (!connected) return
          void refresh()
          call.value?.reconnected()
        },
      ),
    ]
    void refresh()
  }

  function stop(): void {
    for (const fn of cleanup) fn()
    cleanup = []
    close()
  }

  return { groups, unread, openId, detail, call, loading, selfId, refresh, open, close, posted, start, stop }
})
