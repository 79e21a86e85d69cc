/**
 * Registers the officer app's service worker (`/m/sw.js`, scope `/m/`; built by
 * web/build/officerPwa.ts) in production builds only: the dev server has no worker, so nothing
 * is cached while developing.
 */
export function registerOfficerServiceWorker(): void {
  if (!import.meta.env.PROD || typeof navigator === 'undefined' || !('serviceWorker' in navigator)) return
  const register = () => {
    navigator.serviceWorker.register('/m/sw.js', { scope: '/m/' }).catch((error: unknown) => {
      console.warn('officer app: service worker not registered', error)
    })
  }
  if (document.readyState === 'complete') register()
  else window.addEventListener('load', register, { once: true })
}
