/**
 * Test hooks for browser tests: the MapLibre map is exposed as `window.__patrolgridMap` in the dev
 * server, or in any build when the page URL has (or had, earlier in this page load) `?testhooks=1`,
 * so a test can wait for `map.loaded()` and query rendered features. Never exposed otherwise.
 */
declare global {
  interface Window {
    __patrolgridMap?: unknown
  }
}

/** Once seen, `?testhooks=1` holds for the page's life: in-app navigation drops the query. */
let requested = false

export function testHooksEnabled(search: string = globalThis.location?.search ?? ''): boolean {
  if (new URLSearchParams(search).get('testhooks') === '1') requested = true
  return import.meta.env.DEV || requested
}

export function exposeMap(map: unknown): void {
  if (typeof window !== 'undefined' && testHooksEnabled()) window.__patrolgridMap = map
}

export function unexposeMap(map: unknown): void {
  if (typeof window !== 'undefined' && window.__patrolgridMap === map) delete window.__patrolgridMap
}

/** What browser tests can ask the map page about live people (see `exposeLive`). */
export interface LiveTestHooks {
  /** The position and status the map last drew for a person (WGS-84), or null when not drawn. */
  get(personId: number): { lon: number; lat: number; status: string } | null
  /** The person's live state as the store has it. */
  person(personId: number): unknown
  /** How many people are drawn. */
  rendered(): number
  /** How many times the people source was updated. */
  renders(): number
  /** How many times the live store passed on changes. */
  flushes(): number
  selected(): number | null
  select(personId: number): void
  /** The replay's moment, play state and position, or null without a replay. */
  replay(): unknown
}

declare global {
  interface Window {
    __patrolgridLive?: LiveTestHooks
  }
}

/** `window.__patrolgridLive`, under the same condition as the map. */
export function exposeLive(hooks: LiveTestHooks): void {
  if (typeof window !== 'undefined' && testHooksEnabled()) window.__patrolgridLive = hooks
}

export function unexposeLive(): void {
  if (typeof window !== 'undefined') delete window.__patrolgridLive
}
