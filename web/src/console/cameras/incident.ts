/**
 * "在此创建警情 / Create incident here": the incidents page (built in the incidents domain) opens
 * its new-incident form with the camera's position and name when given these query parameters.
 */
import type { RouteLocationRaw } from 'vue-router'

export function incidentFromCamera(cameraId: number): RouteLocationRaw {
  return { path: '/incidents', query: { new: '1', camera: String(cameraId) } }
}
