/** Differences between two flat-ish JSON objects, for the audit log. */

export type ChangeKind = 'added' | 'removed' | 'changed'

export interface DiffRow {
  key: string
  change: ChangeKind
  before: unknown
  after: unknown
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

/**
 * One row per top-level key whose value differs. A created entity (no `before`) lists every
 * field as added; a deleted one (no `after`) every field as removed. Keys keep the order in which
 * they first appear (after's order first, then keys only in before).
 */
export function diffObjects(
  before: Record<string, unknown> | null | undefined,
  after: Record<string, unknown> | null | undefined,
): DiffRow[] {
  const b = before ?? {}
  const a = after ?? {}
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])]
  const rows: DiffRow[] = []
  for (const key of keys) {
    const inBefore = before != null && key in b
    const inAfter = after != null && key in a
    if (inBefore && inAfter) {
      if (!same(b[key], a[key])) rows.push({ key, change: 'changed', before: b[key], after: a[key] })
    } else if (inAfter) {
      rows.push({ key, change: 'added', before: undefined, after: a[key] })
    } else if (inBefore) {
      rows.push({ key, change: 'removed', before: b[key], after: undefined })
    }
  }
  return rows
}

export function formatValue(value: unknown): string {
  if (value === undefined) return ''
  if (typeof value === 'string') return value
  return JSON.stringify(value, null, 2)
}
