/**
 * Test hooks for browser tests: the MapLibre map is exposed as `window.__patrolgridMap` in the dev
 * server, or in any build when the page URL has `?testhooks=1`, so a test can wait for
 * `map.loaded()` and query rendered features. Never exposed otherwise.
 */
declare global {
  interface Window {
    __patrolgridMap?: unknown
  }
}

export function testHooksEnabled(search: string = globalThis.location?.search ?? ''): boolean {
  return import.meta.env.DEV || new URLSearchParams(search).get('testhooks') === '1'
}

export function exposeMap(map: unknown): void {
  if (typeof window !== 'undefined' && testHooksEnabled()) window.__patrolgridMap = map
}

export function unexposeMap(map: unknown): void {
  if (typeof window !== 'undefined' && window.__patrolgridMap === map) delete window.__patrolgridMap
}
