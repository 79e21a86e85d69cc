/**
 * Reading the command domain's realtime messages and keeping SOS and group lists, as plain data
 * (unit-tested). Console: topic `command` (snapshot `{sos, groups}`, events `sos`, `group`,
 * `video`). Everyone: the personal topic `user.<id>` (`sos.alert`, `sos.update`, `sos.own`,
 * `sos.position`, `sos.escalated`, `group.invited`, `group`, `group.message`, `rtc`, `video`).
 */
import type { Group, GroupDetail, GroupMessage, Sos, SosPosition, VideoEvent } from './types'

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

export interface TopicEvent {
  topic: string
  event: string
  data: unknown
}

/** A `{type:"event"}` frame of the personal topic `user.<id>`, or null. */
export function personalEvent(frame: unknown): TopicEvent | null {
  if (!isRecord(frame) || frame.type !== 'event') return null
  if (typeof frame.topic !== 'string' || !frame.topic.startsWith('user.')) return null
  if (typeof frame.event !== 'string') return null
  return { topic: frame.topic, event: frame.event, data: frame.data }
}

export function isSos(value: unknown): value is Sos {
  return (
    isRecord(value) &&
    typeof value.id === 'number' &&
    typeof value.person_id === 'number' &&
    typeof value.status === 'string' &&
    Array.isArray(value.responders)
  )
}

export function isGroup(value: unknown): value is Group {
  return isRecord(value) && typeof value.id === 'number' && typeof value.name === 'string' && Array.isArray(value.members)
}

export function isGroupMessage(value: unknown): value is GroupMessage {
  return isRecord(value) && typeof value.id === 'number' && typeof value.group_id === 'number' && typeof value.kind === 'string'
}

export function parseVideoEvent(value: unknown): VideoEvent | null {
  if (!isRecord(value) || typeof value.room !== 'string' || typeof value.user_id !== 'number') return null
  if (value.state !== 'started' && value.state !== 'stopped') return null
  return {
    room: value.room,
    user_id: value.user_id,
    name: typeof value.name === 'string' ? value.name : '',
    state: value.state,
    session_id: typeof value.session_id === 'number' ? value.session_id : null,
  }
}

export function parseSosPosition(value: unknown): SosPosition | null {
  if (!isRecord(value) || typeof value.sos_id !== 'number') return null
  if (typeof value.lon !== 'number' || typeof value.lat !== 'number') return null
  return {
    sos_id: value.sos_id,
    person_id: typeof value.person_id === 'number' ? value.person_id : 0,
    lon: value.lon,
    lat: value.lat,
    ts: typeof value.ts === 'string' || typeof value.ts === 'number' ? value.ts : null,
  }
}

function ms(value: string | null | undefined): number {
  const t = value ? Date.parse(value) : NaN
  return Number.isNaN(t) ? 0 : t
}

/**
 * Open SOS in the order the alarm shows them: waiting for acknowledgement first, then the rest;
 * oldest first within each (the one waiting longest leads).
 */
export function sortSos(list: readonly Sos[]): Sos[] {
  const rank = (s: Sos) => (s.status === 'active' ? 0 : 1)
  return [...list].sort((a, b) => rank(a) - rank(b) || ms(a.raised_at) - ms(b.raised_at) || a.id - b.id)
}

/** The list with `sos` in it (replacing the same id); resolved ones leave it. */
export function upsertSos(list: readonly Sos[], sos: Sos): Sos[] {
  const rest = list.filter((s) => s.id !== sos.id)
  return sortSos(sos.status === 'resolved' ? rest : [...rest, sos])
}

/** The console's siren: while any SOS waits for acknowledgement. */
export function sirenWanted(list: readonly Sos[]): boolean {
  return list.some((s) => s.status === 'active')
}

/** SOS that are new to `before` and not resolved (a new alarm: show it full screen). */
export function newlyRaised(before: readonly Sos[], after: readonly Sos[]): Sos[] {
  const known = new Set(before.map((s) => s.id))
  return after.filter((s) => !known.has(s.id) && s.status !== 'resolved')
}

/** A position update for the SOS of that id (newest wins; the trail grows). */
export function applySosPosition(list: readonly Sos[], p: SosPosition): Sos[] {
  return list.map((s) => {
    if (s.id !== p.sos_id) return s
    const ts = typeof p.ts === 'number' ? new Date(p.ts < 1e12 ? p.ts * 1000 : p.ts).toISOString() : (p.ts ?? new Date().toISOString())
    const trail = [...s.trail, { ts, lon: p.lon, lat: p.lat }].slice(-300)
    return { ...s, lon: p.lon, lat: p.lat, trail }
  })
}

/** How many responders said 我已出发. */
export function answeredCount(sos: Sos): number {
  return sos.responders.filter((r) => r.answered_at).length
}

// ---- groups ----------------------------------------------------------------------------------

/** Members still in the group (the current stay of each account). */
export function currentMembers(group: Group): Group['members'] {
  return group.members.filter((m) => m.left_at === null)
}

export function isMember(group: Group, userId: number | null | undefined): boolean {
  return userId !== null && userId !== undefined && currentMembers(group).some((m) => m.user_id === userId)
}

/** The accounts with a camera live in the group now (video sessions not ended). */
export function liveVideoUsers(group: Group): number[] {
  return [...new Set((group.videos ?? []).filter((v) => v.ended_at === null).map((v) => v.user_id))]
}

/** Newest first; open groups before closed ones. */
export function sortGroups(list: readonly Group[]): Group[] {
  return [...list].sort((a, b) => Number(b.open) - Number(a.open) || ms(b.created_at) - ms(a.created_at) || b.id - a.id)
}

export function upsertGroup(list: readonly Group[], group: Group, keepClosed = false): Group[] {
  const rest = list.filter((g) => g.id !== group.id)
  return sortGroups(group.open || keepClosed ? [...rest, group] : rest)
}

/** The detail with a new chat message (once, in id order). */
export function addMessage(detail: GroupDetail, message: GroupMessage): GroupDetail {
  if (message.group_id !== detail.id || detail.messages.some((m) => m.id === message.id)) return detail
  return { ...detail, messages: [...detail.messages, message].sort((a, b) => a.id - b.id) }
}

/** A detail brought up to date by a summary event (members, state, videos; messages kept). */
export function mergeGroup(detail: GroupDetail, summary: Group): GroupDetail {
  if (summary.id !== detail.id) return detail
  return { ...detail, ...summary, messages: detail.messages, videos: summary.videos ?? detail.videos }
}

export interface MemberPosition {
  user_id: number
  name: string
  lon: number
  lat: number
  at: string
}

/**
 * Where members last said they were: the newest location message of each sender (the officer
 * app cannot read everyone's tracking; docs/command.md).
 */
export function lastLocations(messages: readonly GroupMessage[]): MemberPosition[] {
  const byUser = new Map<number, MemberPosition>()
  for (const m of messages) {
    if (m.kind !== 'location' || m.lon === null || m.lat === null || m.sender_user_id === null) continue
    const seen = byUser.get(m.sender_user_id)
    if (!seen || ms(seen.at) <= ms(m.created_at)) {
      byUser.set(m.sender_user_id, { user_id: m.sender_user_id, name: m.sender_name, lon: m.lon, lat: m.lat, at: m.created_at })
    }
  }
  return [...byUser.values()]
}
