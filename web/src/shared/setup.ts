/**
 * Wiring shared by both apps: pinia, vue-i18n, Element Plus, the session guard and the API's
 * 401 handling.
 */
import ElementPlus, { ElMessage } from 'element-plus'
import 'element-plus/dist/index.css'
import { createPinia } from 'pinia'
import { createApp, watch, type Component } from 'vue'
import type { RouteLocationNormalized, Router } from 'vue-router'
import './styles/base.css'
import { toastError } from './errors'
import { api } from './http'
import { i18n } from './i18n'
import { getRealtime } from './realtime'
import { useAuthStore } from './stores/auth'
import type { Permission } from './types'

declare module 'vue-router' {
  interface RouteMeta {
    /** Reachable without a session (the login page). */
    public?: boolean
    /** i18n key of the page title. */
    titleKey?: string
    /** The user needs at least one of these permissions. */
    anyPermission?: Permission[]
  }
}

/** Where to go after login: only same-app absolute paths are honoured. */
export function safeRedirect(value: unknown): string | null {
  if (typeof value !== 'string') return null
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return null
  return value
}

function updateTitle(to: RouteLocationNormalized, appTitleKey: string): void {
  const t = i18n.global.t
  const page = to.meta.titleKey ? t(to.meta.titleKey) : ''
  const app = `${t('app.name')} ${t(appTitleKey)}`
  document.title = page ? `${page} · ${app}` : app
}

export interface AppOptions {
  root: Component
  router: Router
  /** i18n key of the app's name for the window title. */
  appTitleKey: string
  /** Route name for users lacking a page's permission. */
  forbiddenRoute?: string
}

export function createPatrolgridApp(options: AppOptions) {
  const { router } = options
  const app = createApp(options.root)
  const pinia = createPinia()
  app.use(pinia)
  app.use(i18n)
  app.use(ElementPlus)

  const auth = useAuthStore(pinia)

  router.beforeEach(async (to) => {
    if (to.meta.public) return true
    let user
    try {
      user = await auth.ensureLoaded()
    } catch (error) {
      toastError(error)
      return { name: 'login', query: { redirect: to.fullPath } }
    }
    if (!user) return { name: 'login', query: { redirect: to.fullPath } }
    const needed = to.meta.anyPermission
    if (needed && needed.length > 0 && !auth.canAny(...needed) && options.forbiddenRoute) {
      return to.name === options.forbiddenRoute ? true : { name: options.forbiddenRoute }
    }
    return true
  })
  router.afterEach((to) => updateTitle(to, options.appTitleKey))

  // Re-title the window when the language changes.
  watch(
    () => i18n.global.locale.value,
    () => updateTitle(router.currentRoute.value, options.appTitleKey),
  )

  let redirecting = false
  api.setUnauthorizedHandler(() => {
    auth.clear()
    getRealtime().stop()
    const current = router.currentRoute.value
    if (current.meta.public || redirecting) return
    redirecting = true
    ElMessage({ type: 'warning', message: i18n.global.t('errors.sessionExpired'), grouping: true })
    void router
      .replace({ name: 'login', query: { redirect: current.fullPath } })
      .finally(() => {
        redirecting = false
      })
  })

  app.use(router)
  return app
}
