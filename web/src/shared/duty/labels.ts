/** Words and colours for the duty domain's values, in the current UI language. */
import { currentLocale, i18n } from '../i18n'
import type { LocalizedText } from '../types'
import { DUTIES, type Duty, type DutyRole } from './types'

function label(prefix: string, value: string | null | undefined): string {
  if (!value) return ''
  const key = `${prefix}.${value}`
  return i18n.global.te(key) ? i18n.global.t(key) : value
}

/** 巡逻, 纠违, 岗位, 高峰岗, 夜巡. */
export const dutyLabel = (duty: string | null | undefined) => label('gridDuty.duties', duty)
/** One character for the roster's cells: 巡, 纠, 岗, 峰, 夜. */
export const dutyShortLabel = (duty: string | null | undefined) => label('gridDuty.dutiesShort', duty)
/** 路警 or 路员. */
export const dutyRoleLabel = (role: string | null | undefined) => label('gridDuty.roles', role)

export function isDuty(value: unknown): value is Duty {
  return typeof value === 'string' && (DUTIES as readonly string[]).includes(value)
}

/** Each duty's colour (tags in the console and the app, chips in the roster). */
export const DUTY_COLOURS: Readonly<Record<Duty, string>> = {
  patrol: '#1f6fff',
  correct: '#e8590c',
  post: '#0f9d8a',
  peak: '#9333ea',
  night: '#3f4a7a',
}
/** The 路警's colour in the same places. */
export const LEAD_COLOUR = '#c81e3a'

export function dutyColour(role: DutyRole | null | undefined, duty: string | null | undefined): string {
  if (role === 'lead') return LEAD_COLOUR
  return isDuty(duty) ? DUTY_COLOURS[duty] : '#6b7280'
}

/** A server message (flag, conflict) in the current UI language. */
export function localized(text: LocalizedText | null | undefined): string {
  if (!text) return ''
  return (currentLocale() === 'en' ? text.en : text.zh) || text.zh || text.en
}

/** `tel:` with the digits only (and a leading +). */
export function telHref(mobile: string): string {
  return `tel:${mobile.replace(/[^\d+]/g, '')}`
}
