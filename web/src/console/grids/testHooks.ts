/**
 * Test hooks of the 网格 page for browser tests, under the same rule as the map's
 * (`testHooksEnabled`: the dev server, or `?testhooks=1` seen in this page load):
 * `window.__patrolgridGrids` tells where a unit is drawn, so a test can click it like a user.
 */
import { testHooksEnabled } from '../map/testHooks'

export interface GridsTestHooks {
  /** The unit's point in CSS pixels relative to the page, or null when it is not drawn. */
  unitPoint(unit: string): [number, number] | null
  /** Every unit of the plan shown, with its grid (null: none) and lock. */
  units(): { unit: string; grid: number | null; locked: boolean }[]
}

declare global {
  interface Window {
    __patrolgridGrids?: GridsTestHooks
  }
}

export function exposeGrids(hooks: GridsTestHooks): void {
  if (typeof window !== 'undefined' && testHooksEnabled()) window.__patrolgridGrids = hooks
}

export function unexposeGrids(hooks: GridsTestHooks): void {
  if (typeof window !== 'undefined' && window.__patrolgridGrids === hooks) delete window.__patrolgridGrids
}
