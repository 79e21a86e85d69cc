import { describe, expect, it } from 'vitest'
import {
  DeviceIdentity,
  DEVICE_ID_KEY,
  DEVICE_TOKEN_KEY,
  randomUuid,
  shortDeviceName,
  type KeyValueStore,
} from '@/officer/tracking/device'
import { connectionState, dutyButtons, isOnDuty, statusTone } from '@/officer/tracking/status'

describe('duty and status', () => {
  it('is on duty in every status but off_duty (and unknown)', () => {
    for (const s of ['on_duty', 'patrolling', 'en_route', 'on_scene', 'sos', 'offline']) {
      expect(isOnDuty(s), s).toBe(true)
    }
    expect(isOnDuty('off_duty')).toBe(false)
    expect(isOnDuty(null)).toBe(false)
    expect(isOnDuty(undefined)).toBe(false)
    expect(isOnDuty('')).toBe(false)
  })

  it('enables start when off duty, end and the other status when on duty', () => {
    expect(dutyButtons('off_duty')).toEqual({ start: true, end: false, on_duty: false, patrolling: false })
    expect(dutyButtons(null)).toEqual({ start: true, end: false, on_duty: false, patrolling: false })
    expect(dutyButtons('on_duty')).toEqual({ start: false, end: true, on_duty: false, patrolling: true })
    expect(dutyButtons('patrolling')).toEqual({ start: false, end: true, on_duty: true, patrolling: false })
    expect(dutyButtons('en_route')).toEqual({ start: false, end: true, on_duty: true, patrolling: true })
  })

  it('disables everything while busy or for an account that cannot report', () => {
    const none = { start: false, end: false, on_duty: false, patrolling: false }
    expect(dutyButtons('on_duty', { busy: true })).toEqual(none)
    expect(dutyButtons('off_duty', { blocked: true })).toEqual(none)
  })

  it('has a tone per status', () => {
    expect(statusTone('on_duty')).toBe('duty')
    expect(statusTone('patrolling')).toBe('patrol')
    expect(statusTone('sos')).toBe('alarm')
    expect(statusTone('off_duty')).toBe('off')
    expect(statusTone(null)).toBe('off')
  })
})

describe('connection indicator', () => {
  it('is online with an open socket, reconnecting with network, else offline', () => {
    expect(connectionState({ connected: true, running: true, browserOnline: false })).toBe('online')
    expect(connectionState({ connected: false, running: true, browserOnline: true })).toBe('reconnecting')
    expect(connectionState({ connected: false, running: true, browserOnline: false })).toBe('offline')
    expect(connectionState({ connected: false, running: false, browserOnline: true })).toBe('offline')
  })
})

class MapStore implements KeyValueStore {
  data = new Map<string, string>()
  getItem(key: string) {
    return this.data.get(key) ?? null
  }
  setItem(key: string, value: string) {
    this.data.set(key, value)
  }
  removeItem(key: string) {
    this.data.delete(key)
  }
}

describe('device identity', () => {
  it('creates the identifier once and keeps it', () => {
    const store = new MapStore()
    const a = new DeviceIdentity(store)
    const id = a.identifier
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(a.identifier).toBe(id)
    expect(store.getItem(DEVICE_ID_KEY)).toBe(id)
    expect(new DeviceIdentity(store).identifier).toBe(id)
  })

  it('remembers the token and the user it was issued for', () => {
    const store = new MapStore()
    const identity = new DeviceIdentity(store)
    expect(identity.token).toBeNull()
    expect(identity.isRegisteredFor(7)).toBe(false)
    identity.saveRegistration('tok-1', 7)
    expect(store.getItem(DEVICE_TOKEN_KEY)).toBe('tok-1')
    expect(identity.isRegisteredFor(7)).toBe(true)
    expect(identity.isRegisteredFor(8)).toBe(false)
    identity.forgetToken()
    expect(identity.token).toBeNull()
    expect(identity.userId).toBe(7)
  })

  it('makes a v4 UUID without crypto.randomUUID (insecure origins)', () => {
    const fake = { getRandomValues: (a: Uint8Array) => a.fill(0xff) } as unknown as Crypto
    expect(randomUuid(fake)).toBe('ffffffff-ffff-4fff-bfff-ffffffffffff')
  })

  it('names the phone briefly from its user agent', () => {
    expect(
      shortDeviceName(
        'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.71 Mobile Safari/537.36',
      ),
    ).toBe('Android 14 Pixel 8 · Chrome 126')
    expect(
      shortDeviceName(
        'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
      ),
    ).toBe('Android 10 · Chrome 126')
    expect(
      shortDeviceName(
        'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
      ),
    ).toBe('iPhone · iOS 17.5 · Safari')
    expect(
      shortDeviceName(
        'Mozilla/5.0 (Linux; Android 12; V2130A Build/SP1A.210812.003; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/101.0.4951.74 Mobile Safari/537.36 MicroMessenger/8.0.47.2560',
      ),
    ).toBe('Android 12 V2130A · WeChat 8')
    expect(shortDeviceName('')).toBe('browser')
    expect(shortDeviceName('x'.repeat(100)).length).toBe(64)
  })
})
