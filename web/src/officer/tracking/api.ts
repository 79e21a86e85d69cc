/** The officer app's own tracking endpoints (docs/tracking.md). */
import type { RequestOptions } from '@/shared/api'
import { api } from '@/shared/http'
import type { DeviceRegistration, OfficerSettableStatus, OwnLiveState } from './types'

export const officerTrackingApi = {
  /** Registers this phone for the signed-in officer; 409 `tracking.no_person` when not an officer. */
  registerSelf: (identifier: string, name: string) =>
    api.post<DeviceRegistration>('/api/tracking/devices/self', { identifier, name }),
  /** The officer's own live state. */
  me: (options?: RequestOptions) => api.get<OwnLiveState>('/api/tracking/me', options),
  /** Sets the officer's status over HTTP (used while the WebSocket is down). */
  setStatus: (status: OfficerSettableStatus) =>
    api.post<OwnLiveState | undefined>('/api/tracking/me/status', { status }),
}
