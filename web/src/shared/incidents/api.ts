/** Typed calls to the incidents API (docs/incidents.md), for the console and the officer app. */
import type { RequestOptions } from '../api'
import { api } from '../http'
import type { ItemList, Page } from '../types'
import type {
  CameraRef,
  IncidentCreate,
  IncidentDetail,
  IncidentPhoto,
  Incident,
  IncidentQuery,
  MyAssignment,
  OfficerReport,
  Recommendation,
  RoadMatch,
} from './types'

/** `status=a&status=b&…`: FastAPI reads repeated parameters as a list. */
export function incidentQueryString(query: IncidentQuery): string {
  const params = new URLSearchParams()
  for (const status of query.status ?? []) params.append('status', status)
  for (const type of query.type ?? []) params.append('type', type)
  if (query.squadron_id !== null && query.squadron_id !== undefined) params.append('squadron_id', String(query.squadron_id))
  if (query.active !== null && query.active !== undefined) params.append('active', String(query.active))
  if (query.limit !== undefined) params.append('limit', String(query.limit))
  if (query.offset !== undefined) params.append('offset', String(query.offset))
  const text = params.toString()
  return text ? `?${text}` : ''
}

const base = '/api/incidents'

export const incidentsApi = {
  list: (query: IncidentQuery, options?: RequestOptions) =>
    api.get<Page<Incident>>(`${base}${incidentQueryString(query)}`, options),
  get: (id: number, options?: RequestOptions) => api.get<IncidentDetail>(`${base}/${id}`, options),
  create: (body: IncidentCreate) => api.post<IncidentDetail>(base, body),
  recommendations: (id: number, limit = 10, options?: RequestOptions) =>
    api.get<Recommendation>(`${base}/${id}/recommendations`, { ...options, query: { limit } }),
  dispatch: (id: number, personIds: number[], note = '') =>
    api.post<IncidentDetail>(`${base}/${id}/dispatch`, { person_ids: personIds, note }),
  withdraw: (assignmentId: number, reason: string) =>
    api.post<IncidentDetail>(`${base}/assignments/${assignmentId}/withdraw`, { reason }),
  reassign: (assignmentId: number, personId: number, reason: string) =>
    api.post<IncidentDetail>(`${base}/assignments/${assignmentId}/reassign`, { person_id: personId, reason }),
  cancel: (id: number, reason: string) => api.post<IncidentDetail>(`${base}/${id}/cancel`, { reason }),
  close: (id: number, note: string) => api.post<IncidentDetail>(`${base}/${id}/close`, { note }),
  addNote: (id: number, text: string) => api.post<IncidentDetail>(`${base}/${id}/notes`, { text }),
  uploadPhoto: (id: number, file: Blob, stage: 'report' | 'handling', name = 'photo.jpg') => {
    const form = new FormData()
    form.append('file', file, name)
    form.append('stage', stage)
    return api.post<IncidentPhoto>(`${base}/${id}/photos`, undefined, { form })
  },

  // The officer app (roles officer and auxiliary).
  mine: (options?: RequestOptions) => api.get<{ items: MyAssignment[] }>(`${base}/mine`, options),
  report: (body: OfficerReport) => api.post<IncidentDetail>(`${base}/report`, body),
  accept: (assignmentId: number) => api.post<IncidentDetail>(`${base}/assignments/${assignmentId}/accept`),
  depart: (assignmentId: number) => api.post<IncidentDetail>(`${base}/assignments/${assignmentId}/depart`),
  arrive: (assignmentId: number) => api.post<IncidentDetail>(`${base}/assignments/${assignmentId}/arrive`),
  decline: (assignmentId: number, reason: string) =>
    api.post<IncidentDetail>(`${base}/assignments/${assignmentId}/decline`, { reason }),
  handled: (assignmentId: number, note: string) =>
    api.post<IncidentDetail>(`${base}/assignments/${assignmentId}/handled`, { note }),
}

/** Road-name search for placing an incident (`map:read`). */
export const roadSearchApi = {
  search: (q: string, limit = 10, options?: RequestOptions) =>
    api.get<ItemList<RoadMatch>>('/api/roads/search', { ...options, query: { q, limit } }),
}

/** The camera registry, as far as incidents need it (`cameras:read`). */
export const cameraRefApi = {
  list: (options?: RequestOptions) =>
    api.get<ItemList<CameraRef>>('/api/cameras', { ...options, query: { enabled: true } }),
  get: (id: number, options?: RequestOptions) => api.get<CameraRef>(`/api/cameras/${id}`, options),
}
