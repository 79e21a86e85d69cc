import { afterEach, describe, expect, it, vi } from 'vitest'
import { formatDistance, formatDuration, formatLonLat } from '@/console/map/format'
import { exposeMap, testHooksEnabled, unexposeMap } from '@/console/map/testHooks'
import { NAV_ITEMS } from '@/console/nav'
import { highwayLabel } from '@/shared/labels'
import { i18n } from '@/shared/i18n'

const t = (key: string, params?: Record<string, unknown>) => i18n.global.t(key, params ?? {})

afterEach(() => {
  vi.unstubAllEnvs()
  i18n.global.locale.value = 'zh-CN'
})

describe('console navigation', () => {
  it('puts the map first, so map:read users land on it after login', () => {
    expect(NAV_ITEMS[0]).toMatchObject({
      route: 'map',
      path: '/map',
      testId: 'nav-map',
      anyPermission: ['map:read'],
    })
  })
})

describe('map formatting', () => {
  it('prints lon, lat with 6 decimals', () => {
    expect(formatLonLat([108.6973, 30.93])).toBe('108.697300, 30.930000')
  })

  it('prints distances and durations in the UI language', () => {
    expect(formatDistance(54.6, t)).toBe('55 米')
    expect(formatDistance(1870, t)).toBe('1.87 公里')
    expect(formatDistance(12345, t)).toBe('12.3 公里')
    expect(formatDuration(42, t)).toBe('42 秒')
    expect(formatDuration(185, t)).toBe('3 分钟')
    expect(formatDuration(3900, t)).toBe('1 小时 5 分钟')
    i18n.global.locale.value = 'en'
    expect(formatDistance(1870, t)).toBe('1.87 km')
    expect(formatDuration(3900, t)).toBe('1 h 5 min')
  })

  it('names road classes, falling back to the raw OSM value', () => {
    expect(highwayLabel('residential')).toBe('街巷')
    expect(highwayLabel('primary')).toBe('主干路')
    expect(highwayLabel('bridleway')).toBe('bridleway')
  })
})

describe('map test hooks', () => {
  it('are on in the dev server, or with ?testhooks=1 in a build', () => {
    vi.stubEnv('DEV', false)
    expect(testHooksEnabled('')).toBe(false)
    expect(testHooksEnabled('?testhooks=0')).toBe(false)
    expect(testHooksEnabled('?x=1&testhooks=1')).toBe(true)
    vi.stubEnv('DEV', true)
    expect(testHooksEnabled('')).toBe(true)
  })

  it('expose the map on window and take it away again', () => {
    vi.stubEnv('DEV', true)
    const fake = { loaded: () => true }
    exposeMap(fake)
    expect(window.__patrolgridMap).toBe(fake)
    unexposeMap({})
    expect(window.__patrolgridMap).toBe(fake)
    unexposeMap(fake)
    expect(window.__patrolgridMap).toBeUndefined()
  })
})
