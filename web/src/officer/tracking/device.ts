/**
 * This phone as a tracking device: a stable random identifier (`patrolgrid.deviceId`) and the
 * bearer token the server gave it at registration (`patrolgrid.deviceToken`, with the id of the
 * user it was registered for in `patrolgrid.deviceUser`). All in localStorage.
 */

export const DEVICE_ID_KEY = 'patrolgrid.deviceId'
export const DEVICE_TOKEN_KEY = 'patrolgrid.deviceToken'
export const DEVICE_USER_KEY = 'patrolgrid.deviceUser'

export interface KeyValueStore {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
  removeItem(key: string): void
}

function defaultStore(): KeyValueStore | null {
  try {
    return globalThis.localStorage ?? null
  } catch {
    return null
  }
}

/** A random RFC 4122 version 4 UUID; `crypto.randomUUID` needs a secure context, this does not. */
export function randomUuid(cryptoImpl: Crypto | undefined = globalThis.crypto): string {
  if (cryptoImpl && typeof cryptoImpl.randomUUID === 'function') return cryptoImpl.randomUUID()
  const bytes = new Uint8Array(16)
  if (cryptoImpl?.getRandomValues) cryptoImpl.getRandomValues(bytes)
  else for (let i = 0; i < 16; i += 1) bytes[i] = Math.floor(Math.random() * 256)
  bytes[6] = (bytes[6]! & 0x0f) | 0x40
  bytes[8] = (bytes[8]! & 0x3f) | 0x80
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

export class DeviceIdentity {
  private memoryId: string | null = null
  private memory = new Map<string, string>()

  constructor(private readonly store: KeyValueStore | null = defaultStore()) {}

  private read(key: string): string | null {
    try {
      return this.store ? this.store.getItem(key) : (this.memory.get(key) ?? null)
    } catch {
      return this.memory.get(key) ?? null
    }
  }

  private write(key: string, value: string | null): void {
    try {
      if (!this.store) throw new Error('no storage')
      if (value === null) this.store.removeItem(key)
      else this.store.setItem(key, value)
    } catch {
      if (value === null) this.memory.delete(key)
      else this.memory.set(key, value)
    }
  }

  /** The device identifier, created on first use and kept from then on. */
  get identifier(): string {
    const saved = this.read(DEVICE_ID_KEY)
    if (saved) return saved
    const id = this.memoryId ?? randomUuid()
    this.memoryId = id
    this.write(DEVICE_ID_KEY, id)
    return id
  }

  /** Replaces the identifier with a new random one (the old one is registered to someone else). */
  renewIdentifier(): string {
    const id = randomUuid()
    this.memoryId = id
    this.write(DEVICE_ID_KEY, id)
    this.write(DEVICE_TOKEN_KEY, null)
    return id
  }

  get token(): string | null {
    return this.read(DEVICE_TOKEN_KEY) || null
  }

  /** The user id the token was issued for. */
  get userId(): number | null {
    const raw = this.read(DEVICE_USER_KEY)
    const n = raw === null ? NaN : Number(raw)
    return Number.isInteger(n) ? n : null
  }

  /** Whether the phone holds a token issued for this user. */
  isRegisteredFor(userId: number): boolean {
    return this.token !== null && this.userId === userId
  }

  saveRegistration(token: string, userId: number): void {
    this.write(DEVICE_TOKEN_KEY, token)
    this.write(DEVICE_USER_KEY, String(userId))
  }

  forgetToken(): void {
    this.write(DEVICE_TOKEN_KEY, null)
  }
}

/**
 * A short human name for this phone from its user agent, e.g. "Android 14 · Chrome 126",
 * "iPhone · iOS 17.5 · Safari", "Windows · Edge 126". At most 64 characters.
 */
export function shortDeviceName(userAgent: string): string {
  const ua = userAgent || ''
  let platform = ''
  const android = /Android\s+([\d.]+)/.exec(ua)
  const ios = /(iPhone|iPad|iPod).*?OS (\d+(?:_\d+)*)/.exec(ua)
  if (android) {
    // "Android 14; Pixel 8 Build/AP2A…; wv)": the model follows; Chrome's reduced UA says "K".
    const model = /Android[^;)]*;\s*([^;)]+)/.exec(ua)?.[1]?.replace(/\s*Build\/.*$/, '').trim()
    platform = `Android ${android[1]}${model && model !== 'K' && !/^wv$/i.test(model) ? ` ${model}` : ''}`
  } else if (ios) {
    platform = `${ios[1]} · iOS ${ios[2]!.replace(/_/g, '.')}`
  } else if (/HarmonyOS/i.test(ua)) {
    platform = 'HarmonyOS'
  } else if (/Windows/.test(ua)) {
    platform = 'Windows'
  } else if (/Macintosh|Mac OS X/.test(ua)) {
    platform = 'macOS'
  } else if (/Linux/.test(ua)) {
    platform = 'Linux'
  }

  const browsers: [RegExp, string][] = [
    [/MicroMessenger\/([\d.]+)/, 'WeChat'],
    [/EdgA?\/(\d+)/, 'Edge'],
    [/HuaweiBrowser\/(\d+)/, 'Huawei Browser'],
    [/SamsungBrowser\/(\d+)/, 'Samsung Internet'],
    [/UCBrowser\/(\d+)/, 'UC'],
    [/(?:Firefox|FxiOS)\/(\d+)/, 'Firefox'],
    [/(?:Chrome|CriOS)\/(\d+)/, 'Chrome'],
    [/Version\/([\d.]+).*Safari/, 'Safari'],
  ]
  let browser = ''
  for (const [pattern, name] of browsers) {
    const match = pattern.exec(ua)
    if (match) {
      browser = name === 'Safari' ? name : `${name} ${match[1]!.split('.')[0]}`
      break
    }
  }
  const name = [platform, browser].filter(Boolean).join(' · ') || ua.trim() || 'browser'
  return name.length > 64 ? name.slice(0, 64) : name
}
