/** What the 警情 page's small map draws (see components/incidents/IncidentMiniMap.vue). */
import type { IncidentStatus, Priority } from '@/shared/incidents/types'

export interface MiniMapScene {
  lon: number
  lat: number
  status: IncidentStatus
  priority: Priority
}

export interface MiniMapPerson {
  person_id: number
  name: string
  lon: number
  lat: number
  status: string
}
