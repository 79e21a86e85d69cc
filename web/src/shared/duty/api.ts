/** Typed calls to the duty API (`/api/duty`, docs/duty.md). */
import type { RequestOptions } from '../api'
import { api } from '../http'
import type { ItemList } from '../types'
import type {
  CopyResult,
  CoverageCollection,
  Duty,
  DutyAlert,
  MyDuty,
  PersonDuty,
  PostCreate,
  PostOut,
  PresenceTable,
  RosterEntry,
  RosterEntryCreate,
  RosterWeek,
  Shift,
  ShiftInput,
  SquadronPresence,
  SquadronPosts,
} from './types'

const BASE = '/api/duty'

export const dutyApi = {
  /** Posts of the squadron's active plan (or `planId`); `404 duty.no_plan` when there is none. */
  posts: (squadronId: number, planId?: number | null, options?: RequestOptions) =>
    api.get<SquadronPosts>(`${BASE}/squadrons/${squadronId}/posts`, { ...options, query: { plan_id: planId } }),
  /** `409 duty.lead_taken` when the grid has its 路警 already (一路一警). */
  createPost: (body: PostCreate) => api.post<PostOut>(`${BASE}/posts`, body),
  changeDuty: (postId: number, duty: Duty) => api.patch<PostOut>(`${BASE}/posts/${postId}`, { duty }),
  deletePost: (postId: number) => api.delete(`${BASE}/posts/${postId}`),
  /** Carries the posts of `fromPlanId` over to `planId`'s grids by largest unit overlap. */
  copyPosts: (planId: number, fromPlanId: number) =>
    api.post<CopyResult>(`${BASE}/plans/${planId}/posts/copy-from/${fromPlanId}`),

  shifts: (squadronId: number, options?: RequestOptions) =>
    api.get<ItemList<Shift>>(`${BASE}/squadrons/${squadronId}/shifts`, options),
  createShift: (squadronId: number, body: ShiftInput) =>
    api.post<Shift>(`${BASE}/squadrons/${squadronId}/shifts`, body),
  updateShift: (shiftId: number, body: Partial<ShiftInput>) => api.patch<Shift>(`${BASE}/shifts/${shiftId}`, body),
  deleteShift: (shiftId: number) => api.delete(`${BASE}/shifts/${shiftId}`),

  /** The Monday–Sunday week (Asia/Shanghai dates) that contains `day`. */
  roster: (squadronId: number, day: string, options?: RequestOptions) =>
    api.get<RosterWeek>(`${BASE}/squadrons/${squadronId}/roster`, { ...options, query: { week: day } }),
  createEntry: (body: RosterEntryCreate) => api.post<RosterEntry>(`${BASE}/roster`, body),
  deleteEntry: (entryId: number) => api.delete(`${BASE}/roster/${entryId}`),
  /** Fills the week from the posts; `replace` clears the week's entries first. */
  fillWeek: (squadronId: number, day: string, replace: boolean) =>
    api.post<RosterWeek>(`${BASE}/squadrons/${squadronId}/roster/fill`, { week: day, replace }),

  presence: (squadronId: number, day: string, shiftId: number, options?: RequestOptions) =>
    api.get<SquadronPresence>(`${BASE}/squadrons/${squadronId}/presence`, {
      ...options,
      query: { day, shift_id: shiftId },
    }),
  coverage: (gridId: number, day: string, shiftId: number, options?: RequestOptions) =>
    api.get<CoverageCollection>(`${BASE}/grids/${gridId}/coverage`, { ...options, query: { day, shift_id: shiftId } }),
  presenceTable: (squadronId: number, from: string, to: string, options?: RequestOptions) =>
    api.get<PresenceTable>(`${BASE}/squadrons/${squadronId}/presence/table`, {
      ...options,
      query: { from, to },
    }),
  /** A download link for the same table as XLSX (the session cookie authorises it). */
  presenceTableXlsxUrl: (squadronId: number, from: string, to: string) =>
    api.url(`${BASE}/squadrons/${squadronId}/presence/table`, { from, to, format: 'xlsx' }),

  /** Open alerts (`true`), or the recent ones whatever their state (`null`). */
  alerts: (open: boolean | null, options?: RequestOptions) =>
    api.get<ItemList<DutyAlert>>(`${BASE}/alerts`, { ...options, query: { open } }),
  acknowledgeAlert: (alertId: number) => api.post<DutyAlert>(`${BASE}/alerts/${alertId}/ack`),

  /** The signed-in officer's grid, role, duty and shifts (`self:read`). */
  me: (options?: RequestOptions) => api.get<MyDuty>(`${BASE}/me`, options),
  /** A person's grid, role, duty and current shift, for the map's person card. */
  person: (personId: number, options?: RequestOptions) =>
    api.get<PersonDuty>(`${BASE}/people/${personId}`, options),
}
