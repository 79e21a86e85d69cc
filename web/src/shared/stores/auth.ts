import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { ApiError } from '../api'
import { authApi } from '../endpoints'
import type { Permission, User } from '../types'

/**
 * The signed-in user. The session itself is an HttpOnly cookie; this store only mirrors
 * `/api/auth/me`. `ensureLoaded()` asks the server once per page load.
 */
export const useAuthStore = defineStore('auth', () => {
  const user = ref<User | null>(null)
  const loaded = ref(false)
  let pending: Promise<User | null> | null = null

  const isAuthenticated = computed(() => user.value !== null)

  function can(permission: Permission): boolean {
    return user.value?.permissions.includes(permission) ?? false
  }

  function canAny(...permissions: Permission[]): boolean {
    return permissions.some((p) => can(p))
  }

  /** Resolves to the current user, or null when not signed in. Network errors propagate. */
  async function ensureLoaded(): Promise<User | null> {
    if (loaded.value) return user.value
    if (!pending) {
      pending = authApi
        .me()
        .then((res) => {
          user.value = res.user
          loaded.value = true
          return res.user
        })
        .catch((error: unknown) => {
          if (error instanceof ApiError && error.status === 401) {
            user.value = null
            loaded.value = true
            return null
          }
          throw error
        })
        .finally(() => {
          pending = null
        })
    }
    return pending
  }

  async function login(username: string, password: string): Promise<User> {
    const res = await authApi.login(username, password)
    user.value = res.user
    loaded.value = true
    return res.user
  }

  async function logout(): Promise<void> {
    try {
      await authApi.logout()
    } finally {
      clear()
    }
  }

  /** Forgets the user locally (after the server said the session is gone). */
  function clear(): void {
    user.value = null
    loaded.value = true
  }

  return { user, loaded, isAuthenticated, can, canAny, ensureLoaded, login, logout, clear }
})
