/** Labels for server enums, falling back to the raw value for values this UI does not know yet. */
import { i18n } from './i18n'

function label(prefix: string, value: string | null | undefined): string {
  if (!value) return ''
  const key = `${prefix}.${value}`
  return i18n.global.te(key) ? i18n.global.t(key) : value
}

export const roleLabel = (role: string | null | undefined) => label('roles', role)
export const kindLabel = (kind: string | null | undefined) => label('kinds', kind)
/** An audit action code (`person.updated`) in words; unknown codes show as they are. */
export const actionLabel = (action: string | null | undefined) =>
  label('settings.audit.actions', action?.replaceAll('.', '_'))
export const entityTypeLabel = (type: string | null | undefined) =>
  label('settings.audit.entityTypes', type)
/** An OSM `highway` value (`primary`, `residential`, …) as a road class name. */
export const highwayLabel = (highway: string | null | undefined) => label('map.highway', highway)
