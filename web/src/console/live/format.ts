/** Formatting for the live map: how long ago, battery, speed, accuracy. */
import { toMillis } from './tracker'

type Translate = (key: string, params?: Record<string, unknown>) => string

/** "刚刚", "12 秒前", "3 分钟前", "2 小时前", "5 天前" (a time slightly ahead of our clock is "just now"). */
export function formatAgo(ts: string | number | null | undefined, now: number, t: Translate): string {
  const ms = toMillis(ts)
  if (ms === null) return t('live.never')
  const seconds = Math.floor((now - ms) / 1000)
  if (seconds < 5) return t('live.ago.justNow')
  if (seconds < 60) return t('live.ago.seconds', { n: seconds })
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return t('live.ago.minutes', { n: minutes })
  const hours = Math.floor(minutes / 60)
  if (hours < 48) return t('live.ago.hours', { n: hours })
  return t('live.ago.days', { n: Math.floor(hours / 24) })
}

/** Battery as a whole percent: the app reports 0..1, some trackers send percent. */
export function batteryPercent(value: number | null | undefined): number | null {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return null
  const percent = value <= 1 ? value * 100 : value
  return Math.round(Math.min(100, percent))
}

export function formatSpeed(kmh: number | null | undefined, t: Translate): string {
  if (typeof kmh !== 'number' || !Number.isFinite(kmh)) return '—'
  if (kmh < 0.05) return t('live.units.kmh', { n: 0 })
  return t('live.units.kmh', { n: kmh < 10 ? kmh.toFixed(1) : Math.round(kmh) })
}

export function formatAccuracy(meters: number | null | undefined, t: Translate): string {
  if (typeof meters !== 'number' || !Number.isFinite(meters)) return '—'
  return t('live.units.meters', { n: Math.round(meters) })
}

/** A clock time `14:03:22` (with the date when it is not today). */
export function formatClock(ms: number, locale: string, now: number = Date.now()): string {
  const date = new Date(ms)
  const sameDay = new Date(now).toDateString() === date.toDateString()
  return new Intl.DateTimeFormat(locale, {
    ...(sameDay ? {} : { month: '2-digit', day: '2-digit' }),
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
  }).format(date)
}
