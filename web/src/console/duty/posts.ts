/**
 * The 岗位 tab's logic (no Vue; unit-tested): who may be posted as what, the choice lists with
 * search, and the counts shown for a grid and for the squadron.
 */
import type { Duty, DutyRole, GridPosts, PersonRef, SquadronPosts } from '@/shared/duty/types'
import type { PersonKind } from '@/shared/types'

export const FLAG_NO_LEAD = 'duty.flag.no_lead'

/** 路警 must be police (民警); 路员 are auxiliaries (辅警) or public-welfare staff (公益岗位). */
export function roleForKind(kind: PersonKind | string): DutyRole {
  return kind === 'police' ? 'lead' : 'member'
}

/** The duty a new 路员 gets unless the user picks another: the one their post name suggests. */
export function suggestedDuty(person: Pick<PersonRef, 'post'>): Duty {
  const post = person.post ?? ''
  if (post.includes('夜')) return 'night'
  if (post.includes('高峰')) return 'peak'
  if (post.includes('纠违') || post.includes('劝导')) return 'correct'
  if (post.includes('岗')) return 'post'
  return 'patrol'
}

function matches(person: PersonRef, query: string): boolean {
  const q = query.trim().toLowerCase()
  if (!q) return true
  return [person.name, person.badge_no, person.mobile, person.post].some((v) => (v ?? '').toLowerCase().includes(q))
}

export interface Candidates {
  /** Police officers who can become a 路警. */
  leads: PersonRef[]
  /** Auxiliaries and public-welfare staff who can become a 路员. */
  members: PersonRef[]
}

/** The unposted people matching `query`, split by the role they can take, sorted by name. */
export function candidates(unposted: readonly PersonRef[], query = ''): Candidates {
  const byName = (a: PersonRef, b: PersonRef) => a.name.localeCompare(b.name, 'zh-CN') || a.id - b.id
  const shown = unposted.filter((p) => matches(p, query)).sort(byName)
  return {
    leads: shown.filter((p) => roleForKind(p.kind) === 'lead'),
    members: shown.filter((p) => roleForKind(p.kind) === 'member'),
  }
}

export function hasFlag(grid: Pick<GridPosts, 'flags'>, code: string): boolean {
  return grid.flags.some((f) => f.code === code)
}

/** A grid without its 路警 (the flag, or no lead on the card when the flag is missing). */
export function lacksLead(grid: GridPosts): boolean {
  return grid.lead === null || hasFlag(grid, FLAG_NO_LEAD)
}

/** How many 路员 have each duty, in the duties' own order, zero counts left out. */
export function dutyCounts(grid: Pick<GridPosts, 'members'>): { duty: Duty; count: number }[] {
  const order: Duty[] = ['patrol', 'correct', 'post', 'peak', 'night']
  const counts = new Map<Duty, number>()
  for (const m of grid.members) if (m.duty) counts.set(m.duty, (counts.get(m.duty) ?? 0) + 1)
  return order.filter((d) => counts.has(d)).map((duty) => ({ duty, count: counts.get(duty)! }))
}

export interface PostsSummary {
  grids: number
  withoutLead: number
  leads: number
  members: number
  unposted: number
  unpostedPolice: number
}

export function postsSummary(posts: SquadronPosts): PostsSummary {
  const withoutLead = posts.grids.filter(lacksLead).length
  return {
    grids: posts.grids.length,
    withoutLead,
    leads: posts.grids.length - withoutLead,
    members: posts.grids.reduce((n, g) => n + g.members.length, 0),
    unposted: posts.unposted.length,
    unpostedPolice: posts.unposted.filter((p) => p.kind === 'police').length,
  }
}

/** Grids in number order, members by duty then name (a stable order for the cards). */
export function sortedGrids(posts: SquadronPosts): GridPosts[] {
  const order: Record<string, number> = { patrol: 0, correct: 1, post: 2, peak: 3, night: 4 }
  return [...posts.grids]
    .sort((a, b) => a.number - b.number)
    .map((g) => ({
      ...g,
      members: [...g.members].sort(
        (a, b) =>
          (order[a.duty ?? ''] ?? 9) - (order[b.duty ?? ''] ?? 9) ||
          a.person.name.localeCompare(b.person.name, 'zh-CN'),
      ),
    }))
}

/** The plans posts can be carried over from: the squadron's others, newest first. */
export interface CopySource {
  id: number
  version: number
  name: string
  status: string
  activated_at: string | null
  created_at: string
}

export function copySources<T extends CopySource>(plans: readonly T[], planId: number): T[] {
  return plans
    .filter((p) => p.id !== planId)
    .sort((a, b) => b.version - a.version || b.id - a.id)
}

/**
 * Which plan to offer first: the one most recently in force (the active plan when this one is
 * a draft, else the plan this one replaced), else the newest other.
 */
export function defaultCopySource<T extends CopySource>(plans: readonly T[], planId: number): T | null {
  const others = copySources(plans, planId)
  const active = others.find((p) => p.status === 'active')
  if (active) return active
  const used = others
    .filter((p) => p.activated_at !== null)
    .sort((a, b) => (b.activated_at ?? '').localeCompare(a.activated_at ?? ''))
  return used[0] ?? others[0] ?? null
}
