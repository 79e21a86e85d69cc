import { describe, expect, it } from 'vitest'
import { diffObjects, formatValue } from '@/console/components/settings/jsonDiff'
import { formatDateTime, isFuture } from '@/shared/format'
import { safeRedirect } from '@/shared/setup'

describe('diffObjects', () => {
  it('lists changed, added and removed fields', () => {
    const rows = diffObjects({ name: '张伟', mobile: '13800138000', post: '路警' }, { name: '张伟', mobile: '13900139000', active: false })
    expect(rows).toEqual([
      { key: 'mobile', change: 'changed', before: '13800138000', after: '13900139000' },
      { key: 'active', change: 'added', before: undefined, after: false },
      { key: 'post', change: 'removed', before: '路警', after: undefined },
    ])
  })

  it('treats a creation as all fields added and a deletion as all removed', () => {
    expect(diffObjects(null, { a: 1 }).map((r) => r.change)).toEqual(['added'])
    expect(diffObjects({ a: 1 }, null).map((r) => r.change)).toEqual(['removed'])
    expect(diffObjects(null, null)).toEqual([])
  })

  it('compares nested values by content', () => {
    expect(diffObjects({ a: { x: [1, 2] } }, { a: { x: [1, 2] } })).toEqual([])
    expect(formatValue({ x: 1 })).toBe('{\n  "x": 1\n}')
    expect(formatValue('text')).toBe('text')
    expect(formatValue(null)).toBe('null')
  })
})

describe('safeRedirect', () => {
  it('keeps same-app paths only', () => {
    expect(safeRedirect('/people?q=1')).toBe('/people?q=1')
    expect(safeRedirect('//evil.example/x')).toBeNull()
    expect(safeRedirect('/\\evil.example')).toBeNull()
    expect(safeRedirect('https://evil.example')).toBeNull()
    expect(safeRedirect(['/people'])).toBeNull()
    expect(safeRedirect(undefined)).toBeNull()
  })
})

describe('format', () => {
  it('formats API timestamps and tolerates bad input', () => {
    expect(formatDateTime(null, 'zh-CN')).toBe('')
    expect(formatDateTime('not a date', 'en')).toBe('not a date')
    expect(formatDateTime('2026-11-26T06:05:09Z', 'zh-CN')).toMatch(/2026.11.26/)
  })

  it('tells future times', () => {
    const now = new Date('2026-11-26T00:00:00Z')
    expect(isFuture('2026-11-26T00:10:00Z', now)).toBe(true)
    expect(isFuture('2026-11-25T23:50:00Z', now)).toBe(false)
    expect(isFuture(null, now)).toBe(false)
  })
})
