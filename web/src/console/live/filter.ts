/**
 * Filtering, searching, sorting and counting the live people list. The map and the list use the
 * same result, so they always show the same people.
 */
import type { LivePerson, LiveStatus, PersonKind } from '@/shared/types'
import { statusRank } from './status'

export interface LiveFilter {
  /** Empty: every squadron. */
  squadronIds: number[]
  kinds: PersonKind[]
  statuses: LiveStatus[]
  /** Name or badge number, case-insensitive; blank matches everyone. */
  query: string
}

export function emptyFilter(): LiveFilter {
  return { squadronIds: [], kinds: [], statuses: [], query: '' }
}

export function isFilterActive(filter: LiveFilter): boolean {
  return (
    filter.squadronIds.length > 0 ||
    filter.kinds.length > 0 ||
    filter.statuses.length > 0 ||
    filter.query.trim() !== ''
  )
}

/** Search terms: whitespace-separated, each must match the name or the badge number. */
export function matchesSearch(person: LivePerson, query: string): boolean {
  const terms = query.trim().toLowerCase().split(/\s+/).filter(Boolean)
  if (terms.length === 0) return true
  const name = (person.name ?? '').toLowerCase()
  const badge = (person.badge_no ?? '').toLowerCase()
  return terms.every((term) => name.includes(term) || badge.includes(term))
}

/** Everything but the status filter (the status counts are taken over this). */
export function matchesScope(person: LivePerson, filter: LiveFilter): boolean {
  if (filter.squadronIds.length > 0 && !filter.squadronIds.includes(person.squadron_id)) return false
  if (filter.kinds.length > 0 && !filter.kinds.includes(person.kind)) return false
  return matchesSearch(person, filter.query)
}

export function matchesFilter(person: LivePerson, filter: LiveFilter): boolean {
  if (filter.statuses.length > 0 && !(filter.statuses as string[]).includes(person.status)) return false
  return matchesScope(person, filter)
}

const collator = new Intl.Collator('zh-CN', { numeric: true })

/** SOS first, then by name (stable as statuses change, so rows do not jump about). */
export function comparePeople(a: LivePerson, b: LivePerson): number {
  const sos = Number(b.status === 'sos') - Number(a.status === 'sos')
  if (sos !== 0) return sos
  return collator.compare(a.name, b.name) || collator.compare(a.badge_no, b.badge_no) || a.person_id - b.person_id
}

export function filterPeople(people: Iterable<LivePerson>, filter: LiveFilter): LivePerson[] {
  const out: LivePerson[] = []
  for (const person of people) if (matchesFilter(person, filter)) out.push(person)
  return out.sort(comparePeople)
}

/** How many people have each status (statuses with nobody are left out). */
export function statusCounts(people: Iterable<LivePerson>): Map<string, number> {
  const counts = new Map<string, number>()
  for (const person of people) counts.set(person.status, (counts.get(person.status) ?? 0) + 1)
  return new Map([...counts].sort((a, b) => statusRank(a[0]) - statusRank(b[0])))
}

export interface SquadronOption {
  id: number
  name: string
}

/** The squadrons that have someone in the list, by name. */
export function squadronsOf(people: Iterable<LivePerson>): SquadronOption[] {
  const byId = new Map<number, string>()
  for (const person of people) {
    if (!byId.has(person.squadron_id)) byId.set(person.squadron_id, person.squadron_name)
  }
  return [...byId]
    .map(([id, name]) => ({ id, name }))
    .sort((a, b) => collator.compare(a.name, b.name))
}

export function hasPosition(person: LivePerson): person is LivePerson & { lon: number; lat: number } {
  return (
    typeof person.lon === 'number' &&
    typeof person.lat === 'number' &&
    Number.isFinite(person.lon) &&
    Number.isFinite(person.lat)
  )
}
