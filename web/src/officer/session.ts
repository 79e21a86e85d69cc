/**
 * The officer app must open without a network (an officer on duty whose phone lost coverage and
 * who reloads the app must keep collecting positions). The shared route guard asks
 * `/api/auth/me` and sends the user to the login page when that fails, so before the app mounts
 * this asks once itself: online, the answer is authoritative (and the user is remembered in
 * localStorage); when the server cannot be reached, the remembered user is used for this page
 * load. A 401 or signing out forgets it. Nothing secret is stored: the session cookie stays
 * HttpOnly, and every API call still needs it.
 *
 * The router starts its first navigation as soon as it is installed, so the officer router's
 * first guard waits for `sessionPrimed` (see router.ts) before the shared guard runs.
 */
import { watch } from 'vue'
import { ApiError, NETWORK_ERROR } from '@/shared/api'
import { api } from '@/shared/http'
import { useAuthStore } from '@/shared/stores/auth'
import type { User } from '@/shared/types'

export const OFFICER_USER_KEY = 'patrolgrid.officer.user'
const PROBE_TIMEOUT_MS = 6000

let primed: () => void = () => undefined
/** Resolves once `primeOfficerSession` has finished. */
export const sessionPrimed = new Promise<void>((resolve) => {
  primed = resolve
})

export function rememberedUser(): User | null {
  try {
    const raw = globalThis.localStorage?.getItem(OFFICER_USER_KEY)
    if (!raw) return null
    const user = JSON.parse(raw) as Partial<User>
    return typeof user.id === 'number' && typeof user.username === 'string' && Array.isArray(user.permissions)
      ? (user as User)
      : null
  } catch {
    return null
  }
}

export function rememberUser(user: User | null): void {
  try {
    if (user) globalThis.localStorage?.setItem(OFFICER_USER_KEY, JSON.stringify(user))
    else globalThis.localStorage?.removeItem(OFFICER_USER_KEY)
  } catch {
    // not remembered: the app then needs the network to open
  }
}

function unreachable(error: unknown): boolean {
  if (error instanceof DOMException && error.name === 'AbortError') return true
  return error instanceof ApiError && (error.code === NETWORK_ERROR || error.status >= 500)
}

/** Loads the session before the first navigation (call after the app installed pinia). */
export async function primeOfficerSession(): Promise<void> {
  const auth = useAuthStore()
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), PROBE_TIMEOUT_MS)
  try {
    const { user } = await api.get<{ user: User }>('/api/auth/me', {
      skipAuthRedirect: true,
      signal: controller.signal,
    })
    auth.user = user
    auth.loaded = true
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      rememberUser(null)
    } else if (unreachable(error)) {
      const user = rememberedUser()
      if (user) {
        auth.user = user
        auth.loaded = true
      }
    }
    // Anything else: the route guard asks again and handles it as usual.
  } finally {
    clearTimeout(timer)
    primed()
  }
  // From now on, remember whoever signs in.
  watch(
    () => auth.user,
    (user) => {
      if (user) rememberUser(user)
    },
    { immediate: true },
  )
}
