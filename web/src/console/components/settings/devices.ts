/** Pure helpers of the devices tab (labels, search, changes, Traccar Client addresses), unit-tested. */
import { formatAgo } from '@/console/live/format'
import { i18n } from '@/shared/i18n'
import type { Device, DeviceKind, DevicePatch, Person } from '@/shared/types'

type Translate = (key: string, params?: Record<string, unknown>) => string

/** As the server checks it: letters, digits, `_`, `.`, `:` and `-`. */
export const DEVICE_IDENTIFIER_PATTERN = /^[A-Za-z0-9_.:\-]+$/
export const DEVICE_IDENTIFIER_MAX_LENGTH = 64
export const DEVICE_NAME_MAX_LENGTH = 100

/** The port the server's OsmAnd listener usually runs on (`PATROLGRID_OSMAND_PORT`). */
export const OSMAND_PORT = 5055

/** 警务通App / Traccar Client / GPS定位器; an unknown kind shows as it is. */
export function deviceKindLabel(kind: string | null | undefined): string {
  if (!kind) return ''
  const key = `settings.devices.kinds.${kind}`
  return i18n.global.te(key) ? i18n.global.t(key) : kind
}

const KIND_TAG: Record<DeviceKind, 'primary' | 'success' | 'warning'> = {
  app: 'primary',
  traccar: 'success',
  tracker: 'warning',
}

export function deviceKindTagType(kind: string): 'primary' | 'success' | 'warning' | 'info' {
  return KIND_TAG[kind as DeviceKind] ?? 'info'
}

/** "3 分钟前", or "从未上报" for a device that never reported. */
export function lastSeenText(lastSeenAt: string | null | undefined, now: number, t: Translate): string {
  if (!lastSeenAt) return t('settings.devices.never')
  return formatAgo(lastSeenAt, now, t)
}

/**
 * The devices whose identifier, name, person or person's badge contains `query` (any case).
 * `badgeOf` looks up the bound person's badge, when known.
 */
export function filterDevices(devices: readonly Device[], query: string): Device[] {
  const needle = query.trim().toLowerCase()
  if (!needle) return [...devices]
  return devices.filter((d) =>
    [d.identifier, d.name, d.person_name, d.person_badge].some((field) =>
      field.toLowerCase().includes(needle),
    ),
  )
}

/** A person a device can be bound to, as the picker and the table show them. */
export interface PersonChoice {
  id: number
  name: string
  badge_no: string
  squadron_name: string
}

export function toPersonChoice(p: Pick<Person, 'id' | 'name' | 'badge_no' | 'squadron_name'>): PersonChoice {
  return { id: p.id, name: p.name, badge_no: p.badge_no, squadron_name: p.squadron_name }
}

export interface DeviceEdit {
  name: string
  person_id: number | null
  enabled: boolean
}

/** What an edit changes (name trimmed); empty when nothing did. */
export function devicePatch(original: Device, edit: DeviceEdit): DevicePatch {
  const patch: DevicePatch = {}
  if (edit.name.trim() !== original.name) patch.name = edit.name.trim()
  if (edit.person_id !== null && edit.person_id !== original.person_id) patch.person_id = edit.person_id
  if (edit.enabled !== original.enabled) patch.enabled = edit.enabled
  return patch
}

/**
 * The server URLs to enter in Traccar Client (or a tracker speaking the OsmAnd protocol) for this
 * server: its OsmAnd port, when enabled, or the `/osmand` path of the address the console is
 * served from.
 */
export function osmandServerUrls(location: Pick<Location, 'hostname' | 'origin'>): { port: string; path: string } {
  return {
    port: `http://${location.hostname}:${OSMAND_PORT}`,
    path: `${location.origin}/osmand`,
  }
}
