/** Formatting for the map page: coordinates, distances and durations. */
import type { LonLat } from '@/shared/types'

type Translate = (key: string, params?: Record<string, unknown>) => string

/** `lon, lat` with 6 decimals (about 0.1 m), the order the API and GeoJSON use. */
export function formatLonLat(p: LonLat): string {
  return `${p[0].toFixed(6)}, ${p[1].toFixed(6)}`
}

/** Metres below 1 km, kilometres (2 decimals below 10 km, 1 above) beyond. */
export function formatDistance(meters: number, t: Translate): string {
  if (meters < 1000) return t('map.units.meters', { n: Math.round(meters) })
  const km = meters / 1000
  return t('map.units.kilometers', { n: km.toFixed(km < 10 ? 2 : 1) })
}

/** Seconds below a minute, whole minutes below an hour, then hours and minutes. */
export function formatDuration(seconds: number, t: Translate): string {
  if (seconds < 60) return t('map.units.seconds', { n: Math.max(0, Math.round(seconds)) })
  const minutes = Math.round(seconds / 60)
  if (minutes < 60) return t('map.units.minutes', { n: minutes })
  return t('map.units.hoursMinutes', { h: Math.floor(minutes / 60), m: minutes % 60 })
}
