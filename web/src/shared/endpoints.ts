/** Typed calls to the patrolgrid REST API, one function per endpoint. */
import type { RequestOptions } from './api'
import { api } from './http'
import type { FeatureCollection, LineString, MultiPolygon, Polygon } from 'geojson'
import type {
  AdminUser,
  AdminUserCreate,
  AdminUserPatch,
  AreaProperties,
  AuditEntry,
  BBox,
  Brigade,
  Device,
  DeviceCreate,
  DevicePatch,
  GeoConfig,
  ItemList,
  LivePerson,
  LonLat,
  NearestSegment,
  Page,
  Person,
  PersonCreate,
  PersonKind,
  PersonPatch,
  RoadSegmentProperties,
  RouteResult,
  Squadron,
  SystemInfo,
  Track,
  TrackingAlarm,
  User,
} from './types'

export const authApi = {
  login: (username: string, password: string) =>
    api.post<{ user: User }>('/api/auth/login', { username, password }, { skipAuthRedirect: true }),
  logout: () => api.post<void>('/api/auth/logout', undefined, { skipAuthRedirect: true }),
  me: () => api.get<{ user: User }>('/api/auth/me', { skipAuthRedirect: true }),
}

export interface PeopleQuery {
  q?: string
  squadron_id?: number | null
  kind?: PersonKind | ''
  active?: boolean | null
  limit?: number
  offset?: number
}

export type ExportFormat = 'csv' | 'xlsx'

export const orgApi = {
  brigade: () => api.get<Brigade>('/api/org/brigade'),
  updateBrigade: (body: Partial<Pick<Brigade, 'name' | 'code'>>) =>
    api.patch<Brigade>('/api/org/brigade', body),

  squadrons: () => api.get<ItemList<Squadron>>('/api/org/squadrons'),
  createSquadron: (body: { name: string; code: string }) =>
    api.post<Squadron>('/api/org/squadrons', body),
  updateSquadron: (id: number, body: { name?: string; code?: string }) =>
    api.patch<Squadron>(`/api/org/squadrons/${id}`, body),
  deleteSquadron: (id: number) => api.delete(`/api/org/squadrons/${id}`),

  people: (query: PeopleQuery, options?: RequestOptions) =>
    api.get<Page<Person>>('/api/org/people', { ...options, query: { ...query } }),
  person: (id: number) => api.get<Person>(`/api/org/people/${id}`),
  /** The signed-in user's own person card (needs only `self:read`). */
  myPerson: () => api.get<Person>('/api/org/people/me'),
  createPerson: (body: PersonCreate) => api.post<Person>('/api/org/people', body),
  updatePerson: (id: number, body: PersonPatch) => api.patch<Person>(`/api/org/people/${id}`, body),
  deletePerson: (id: number) => api.delete(`/api/org/people/${id}`),
  importPeople: (file: File) => {
    const form = new FormData()
    form.append('file', file, file.name)
    return api.post<{ imported: number }>('/api/org/people/import', undefined, { form })
  },
  exportUrl: (format: ExportFormat) => api.url('/api/org/people/export', { format }),
}

export interface AuditQuery {
  limit?: number
  offset?: number
  entity_type?: string
  actor?: string
}

export const adminApi = {
  users: () => api.get<ItemList<AdminUser>>('/api/admin/users'),
  createUser: (body: AdminUserCreate) => api.post<AdminUser>('/api/admin/users', body),
  updateUser: (id: number, body: AdminUserPatch) =>
    api.patch<AdminUser>(`/api/admin/users/${id}`, body),
  audit: (query: AuditQuery) =>
    api.get<Page<AuditEntry>>('/api/admin/audit', { query: { ...query } }),
}

export const systemApi = {
  info: () => api.get<SystemInfo>('/api/system/info'),
}

export type RoadSegmentCollection = FeatureCollection<LineString, RoadSegmentProperties>
export type AreaCollection = FeatureCollection<Polygon | MultiPolygon, AreaProperties>

/** Map configuration, nearest road and routing (`map:read`). Coordinates are WGS-84 `[lon, lat]`. */
export const geoApi = {
  config: (options?: RequestOptions) => api.get<GeoConfig>('/api/geo/config', options),
  /** `404 geo.no_segment_nearby` when no road is near the point. */
  nearestSegment: (point: LonLat, options?: RequestOptions) =>
    api.get<NearestSegment>('/api/geo/nearest-segment', {
      ...options,
      query: { lon: point[0], lat: point[1] },
    }),
  /** Fastest route by road; `404 geo.no_route` when the points are not connected. */
  route: (from: LonLat, to: LonLat, options?: RequestOptions) =>
    api.post<RouteResult>('/api/geo/route', { from, to }, options),
}

/** The road network and administrative areas as GeoJSON (`map:read`). */
export const roadsApi = {
  /** Segments inside `bbox`, simplified for `zoom` by the server (minor classes only when zoomed in). */
  segments: (bbox: BBox, zoom: number, options?: RequestOptions) =>
    api.get<RoadSegmentCollection>('/api/roads/segments', {
      ...options,
      query: { bbox: bbox.join(','), zoom },
    }),
  areas: (options?: RequestOptions) => api.get<AreaCollection>('/api/roads/areas', options),
}

// ---- Live tracking for the console (docs/tracking.md, permission `tracking:read`).

export type TrackExportFormat = 'gpx' | 'geojson'

/** ISO 8601 (UTC) for a query parameter. */
function isoParam(value: Date | string): string {
  return typeof value === 'string' ? value : value.toISOString()
}

export const trackingApi = {
  people: (options?: RequestOptions) =>
    api.get<ItemList<LivePerson>>('/api/tracking/people', options),
  activeAlarms: (options?: RequestOptions) =>
    api.get<ItemList<TrackingAlarm>>('/api/tracking/alarms', { ...options, query: { active: true } }),
  ackAlarm: (id: number) => api.post<unknown>(`/api/tracking/alarms/${id}/ack`),
  track: (personId: number, start: Date | string, end: Date | string, options?: RequestOptions) =>
    api.get<Track>(`/api/tracking/people/${personId}/track`, {
      ...options,
      query: { start: isoParam(start), end: isoParam(end) },
    }),
  /** A download link for the same range (the session cookie authorises it). */
  trackExportUrl: (personId: number, format: TrackExportFormat, start: Date | string, end: Date | string) =>
    api.url(`/api/tracking/people/${personId}/track.${format}`, {
      start: isoParam(start),
      end: isoParam(end),
    }),
}

// ---- Tracking devices (docs/tracking.md "Devices", permission `devices:manage`).

export const devicesApi = {
  devices: (options?: RequestOptions) => api.get<ItemList<Device>>('/api/tracking/devices', options),
  /** `409 tracking.identifier_taken` when another device has the identifier. */
  createDevice: (body: DeviceCreate) => api.post<Device>('/api/tracking/devices', body),
  updateDevice: (id: number, body: DevicePatch) =>
    api.patch<Device>(`/api/tracking/devices/${id}`, body),
  deleteDevice: (id: number) => api.delete(`/api/tracking/devices/${id}`),
}
