/** Typed calls to the command API (docs/command.md): SOS, command groups, WebRTC configuration. */
import type { RequestOptions } from '../api'
import { api } from '../http'
import type { ItemList } from '../types'
import type { Group, GroupCreate, GroupDetail, GroupMessage, MemberPosition, RtcConfig, Sos } from './types'

const base = '/api/command'

export const commandApi = {
  // SOS (求助)
  raiseSos: (body: { client_ref: string; lon?: number; lat?: number }, options?: RequestOptions) =>
    api.post<Sos>(`${base}/sos`, body, options),
  activeSos: (options?: RequestOptions) => api.get<ItemList<Sos>>(`${base}/sos`, { ...options, query: { active: true } }),
  recentSos: (options?: RequestOptions) => api.get<ItemList<Sos>>(`${base}/sos`, options),
  mySos: (options?: RequestOptions) => api.get<ItemList<Sos>>(`${base}/sos/mine`, options),
  sos: (id: number, options?: RequestOptions) => api.get<Sos>(`${base}/sos/${id}`, options),
  acknowledge: (id: number) => api.post<Sos>(`${base}/sos/${id}/ack`),
  resolve: (id: number, note: string) => api.post<Sos>(`${base}/sos/${id}/resolve`, { note }),
  /** A responder's 我已出发. */
  answer: (id: number) => api.post<Sos>(`${base}/sos/${id}/answer`),
  rtcConfig: (options?: RequestOptions) => api.get<RtcConfig>(`${base}/rtc-config`, options),

  // Command groups (指挥集群)
  createGroup: (body: GroupCreate) => api.post<GroupDetail>(`${base}/groups`, body),
  groups: (open = true, options?: RequestOptions) =>
    api.get<ItemList<Group>>(`${base}/groups`, { ...options, query: { open } }),
  group: (id: number, options?: RequestOptions) => api.get<GroupDetail>(`${base}/groups/${id}`, options),
  addMembers: (id: number, personIds: number[]) =>
    api.post<GroupDetail>(`${base}/groups/${id}/members`, { person_ids: personIds }),
  leave: (id: number) => api.post<GroupDetail>(`${base}/groups/${id}/leave`),
  /** A command-center account steps into a group someone else formed. */
  join: (id: number) => api.post<GroupDetail>(`${base}/groups/${id}/join`),
  /** Where the group's current members are now (from the server's live roster). */
  positions: (id: number, options?: RequestOptions) =>
    api.get<ItemList<MemberPosition>>(`${base}/groups/${id}/positions`, options),
  close: (id: number) => api.post<GroupDetail>(`${base}/groups/${id}/close`),
  postText: (id: number, text: string) =>
    api.post<GroupMessage>(`${base}/groups/${id}/messages`, { kind: 'text', text }),
  postLocation: (id: number, lon: number, lat: number, text = '') =>
    api.post<GroupMessage>(`${base}/groups/${id}/messages`, { kind: 'location', lon, lat, text }),
  postPhoto: (id: number, file: Blob, name = 'photo.jpg', text = '') => {
    const form = new FormData()
    form.append('file', file, name)
    if (text) form.append('text', text)
    return api.post<GroupMessage>(`${base}/groups/${id}/photos`, undefined, { form })
  },
}
