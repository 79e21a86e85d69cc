import type { UiLocale } from './api'

/** A date-time from the API (ISO 8601) in the reader's time zone, e.g. `2026/11/26 14:05:09`. */
export function formatDateTime(value: string | null | undefined, locale: UiLocale): string {
  if (!value) return ''
  const date = new Date(value)
  if (Number.isNaN(date.getTime())) return value
  return new Intl.DateTimeFormat(locale, {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
  }).format(date)
}

/** True when `value` is a date-time in the future. */
export function isFuture(value: string | null | undefined, now: Date = new Date()): boolean {
  if (!value) return false
  const date = new Date(value)
  return !Number.isNaN(date.getTime()) && date.getTime() > now.getTime()
}
