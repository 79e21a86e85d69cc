/** Typed calls to the camera API (`cameras:read` to read, `cameras:manage` to change). */
import type { RequestOptions } from '@/shared/api'
import { api } from '@/shared/http'
import type { ItemList } from '@/shared/types'
import type { Camera, CameraCreate, CameraPatch, ImportCoords } from './types'

export type CameraExportFormat = 'csv' | 'xlsx'

export const camerasApi = {
  list: (options?: RequestOptions) => api.get<ItemList<Camera>>('/api/cameras', options),
  get: (id: number, options?: RequestOptions) => api.get<Camera>(`/api/cameras/${id}`, options),
  /** `409 cameras.code_taken`; `422 cameras.kind_mismatch` on `stream_kind`. */
  create: (body: CameraCreate) => api.post<Camera>('/api/cameras', body),
  update: (id: number, body: CameraPatch) => api.patch<Camera>(`/api/cameras/${id}`, body),
  remove: (id: number) => api.delete(`/api/cameras/${id}`),
  /** All or nothing: `422 cameras.import_invalid` lists every bad row. */
  importFile: (file: File, coords: ImportCoords) => {
    const form = new FormData()
    form.append('file', file, file.name)
    return api.post<{ imported: number }>('/api/cameras/import', undefined, { form, query: { coords } })
  },
  exportUrl: (format: CameraExportFormat) => api.url('/api/cameras/export', { format }),
}
