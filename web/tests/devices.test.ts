import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  DEVICE_IDENTIFIER_MAX_LENGTH,
  DEVICE_IDENTIFIER_PATTERN,
  deviceKindLabel,
  deviceKindTagType,
  devicePatch,
  filterDevices,
  lastSeenText,
  osmandServerUrls,
  toPersonChoice,
} from '@/console/components/settings/devices'
import { ApiError, fieldErrors } from '@/shared/api'
import { devicesApi } from '@/shared/endpoints'
import { i18n } from '@/shared/i18n'
import en from '@/shared/i18n/en'
import zhCN from '@/shared/i18n/zh-CN'
import { DEVICE_KINDS, type Device } from '@/shared/types'

const t = (key: string, params?: Record<string, unknown>) => i18n.global.t(key, params ?? {})

function device(id: number, extra: Partial<Device> = {}): Device {
  return {
    id,
    identifier: `dev-${id}`,
    kind: 'traccar',
    name: '',
    person_id: 100 + id,
    person_name: `人员${id}`,
    person_badge: '',
    squadron_name: '城区一中队',
    enabled: true,
    last_seen_at: null,
    created_at: '2026-11-26T08:00:00Z',
    ...extra,
  }
}

function jsonResponse(status: number, body: unknown): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  })
}

afterEach(() => {
  i18n.global.locale.value = 'zh-CN'
})

describe('devicesApi', () => {
  it('lists, creates, updates and deletes devices', async () => {
    const fetchImpl = vi
      .spyOn(globalThis, 'fetch')
      .mockResolvedValueOnce(jsonResponse(200, { items: [device(1)] }))
      .mockResolvedValueOnce(jsonResponse(201, device(2, { identifier: 'TC-0001' })))
      .mockResolvedValueOnce(jsonResponse(200, device(2, { enabled: false })))
      .mockResolvedValueOnce(new Response(null, { status: 204 }))

    expect((await devicesApi.devices()).items.map((d) => d.id)).toEqual([1])
    const body = { identifier: 'TC-0001', kind: 'traccar' as const, name: '巡逻车', person_id: 7, enabled: true }
    expect((await devicesApi.createDevice(body)).identifier).toBe('TC-0001')
    expect((await devicesApi.updateDevice(2, { enabled: false })).enabled).toBe(false)
    await expect(devicesApi.deleteDevice(2)).resolves.toBeUndefined()

    const calls = fetchImpl.mock.calls.map(([url, init]) => [String(url), init?.method, init?.body ?? null])
    expect(calls).toEqual([
      ['/api/tracking/devices', 'GET', null],
      ['/api/tracking/devices', 'POST', JSON.stringify(body)],
      ['/api/tracking/devices/2', 'PATCH', '{"enabled":false}'],
      ['/api/tracking/devices/2', 'DELETE', null],
    ])
  })

  it('passes the server errors on', async () => {
    vi.spyOn(globalThis, 'fetch')
      .mockResolvedValueOnce(
        jsonResponse(409, {
          code: 'tracking.identifier_taken',
          message: { zh: '设备标识已被使用', en: 'This device identifier is already registered' },
          details: null,
        }),
      )
      .mockResolvedValueOnce(
        jsonResponse(422, {
          code: 'org.person_not_found',
          message: { zh: '人员不存在', en: 'No such person' },
          details: [{ loc: ['body', 'person_id'], code: 'org.person_not_found', message: { zh: '人员不存在', en: 'No such person' } }],
        }),
      )
    const body = { identifier: 'x', kind: 'tracker' as const, name: '', person_id: 1, enabled: true }

    const taken = await devicesApi.createDevice(body).catch((e: unknown) => e)
    expect(taken).toBeInstanceOf(ApiError)
    expect((taken as ApiError).status).toBe(409)
    expect((taken as ApiError).code).toBe('tracking.identifier_taken')

    const invalid = await devicesApi.createDevice(body).catch((e: unknown) => e)
    expect(fieldErrors(invalid, 'en')).toEqual({ person_id: 'No such person' })
  })
})

describe('device kinds', () => {
  it('are labelled in both languages', () => {
    expect(DEVICE_KINDS.map(deviceKindLabel)).toEqual(['警务通App', 'Traccar Client', 'GPS定位器'])
    i18n.global.locale.value = 'en'
    expect(DEVICE_KINDS.map(deviceKindLabel)).toEqual(['Officer app', 'Traccar Client', 'GPS tracker'])
    for (const kind of DEVICE_KINDS) {
      expect(Object.keys(zhCN.settings.devices.kinds)).toContain(kind)
      expect(Object.keys(en.settings.devices.kinds)).toContain(kind)
    }
  })

  it('shows an unknown kind as it is', () => {
    expect(deviceKindLabel('beacon')).toBe('beacon')
    expect(deviceKindLabel('')).toBe('')
    expect(deviceKindTagType('beacon')).toBe('info')
    expect(new Set(DEVICE_KINDS.map(deviceKindTagType)).size).toBe(3)
  })
})

describe('lastSeenText', () => {
  const now = Date.parse('2026-11-26T10:00:00Z')

  it('says how long ago, or that the device never reported', () => {
    expect(lastSeenText(null, now, t)).toBe('从未上报')
    expect(lastSeenText('2026-11-26T09:57:00Z', now, t)).toBe('3 分钟前')
    expect(lastSeenText('2026-11-26T07:00:00Z', now, t)).toBe('3 小时前')
    i18n.global.locale.value = 'en'
    expect(lastSeenText(undefined, now, t)).toBe('never')
    expect(lastSeenText('2026-11-26T09:59:48Z', now, t)).toBe('12 s ago')
  })
})

describe('identifier pattern', () => {
  it('accepts what the server accepts', () => {
    for (const ok of ['123456', 'TC-0001', 'imei:860123456789012', 'a.b_c-d', 'x'.repeat(DEVICE_IDENTIFIER_MAX_LENGTH)]) {
      expect(DEVICE_IDENTIFIER_PATTERN.test(ok), ok).toBe(true)
    }
    for (const bad of ['', 'has space', '张伟', 'a/b', 'a?b', 'a#b']) {
      expect(DEVICE_IDENTIFIER_PATTERN.test(bad), bad).toBe(false)
    }
  })
})

describe('filterDevices', () => {
  const devices = [
    device(1, { identifier: 'TC-0001', name: '一中队巡逻车', person_name: '张伟', person_badge: '001234' }),
    device(2, { identifier: 'imei:8601', person_name: '李娜', kind: 'tracker', person_badge: 'J5678' }),
    device(3, { identifier: 'a1b2c3d4', person_name: '王强', kind: 'app' }),
  ]
  const ids = (q: string) => filterDevices(devices, q).map((d) => d.id)

  it('matches identifier, name, person and badge in any case', () => {
    expect(ids('tc-00')).toEqual([1])
    expect(ids('巡逻')).toEqual([1])
    expect(ids('李')).toEqual([2])
    expect(ids('j56')).toEqual([2])
    expect(ids('0012')).toEqual([1])
    expect(ids('  王强 ')).toEqual([3])
    expect(ids('nobody')).toEqual([])
  })

  it('returns everything for a blank query', () => {
    expect(ids('')).toEqual([1, 2, 3])
    expect(ids('imei')).toEqual([2])
  })
})

describe('devicePatch', () => {
  const original = device(5, { name: '巡逻车', person_id: 9, enabled: true })

  it('sends only what changed', () => {
    expect(devicePatch(original, { name: ' 巡逻车 ', person_id: 9, enabled: true })).toEqual({})
    expect(devicePatch(original, { name: '二号车 ', person_id: 12, enabled: false })).toEqual({
      name: '二号车',
      person_id: 12,
      enabled: false,
    })
    expect(devicePatch(original, { name: '巡逻车', person_id: null, enabled: true })).toEqual({})
  })
})

describe('people for the picker', () => {
  it('keeps name, badge and squadron', () => {
    expect(
      toPersonChoice({ id: 3, name: '张伟', badge_no: '001234', squadron_name: '一中队' }),
    ).toEqual({ id: 3, name: '张伟', badge_no: '001234', squadron_name: '一中队' })
  })
})

describe('osmandServerUrls', () => {
  it('points Traccar Client at the OsmAnd port or the /osmand path of this host', () => {
    expect(osmandServerUrls({ hostname: '10.1.2.3', origin: 'http://10.1.2.3:8000' })).toEqual({
      port: 'http://10.1.2.3:5055',
      path: 'http://10.1.2.3:8000/osmand',
    })
    expect(osmandServerUrls({ hostname: 'patrol.example.cn', origin: 'https://patrol.example.cn' })).toEqual({
      port: 'http://patrol.example.cn:5055',
      path: 'https://patrol.example.cn/osmand',
    })
  })

  it('is explained in both languages with both addresses', () => {
    for (const messages of [zhCN, en]) {
      const help = messages.settings.devices.help
      expect(help.traccarServer).toContain('{port}')
      expect(help.traccarServer).toContain('{path}')
      expect(help.tracker).toContain('{port}')
    }
  })
})
