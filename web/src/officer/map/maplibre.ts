/**
 * MapLibre GL JS for the officer app's small map. Only the lazy map component imports this, so
 * MapLibre (its own chunk, see vite.config.ts) stays out of the app's first load.
 *
 * MapLibre 6 looks for its worker next to its own module file, which does not exist once Vite has
 * bundled it; `?worker&url` makes Vite emit the worker and gives its URL (as the console does).
 *
 * Offline: the worker file lives under /assets/, outside the service worker's scope (/m/), and a
 * worker's own script request is matched against the scope by the worker's URL, so the service
 * worker would not answer it. In production builds the page therefore fetches the worker code
 * (an ordinary request, which the service worker answers from its cache) and starts the worker
 * from a blob URL. The worker bundle is self-contained, so nothing in it resolves against that URL.
 * The dev server's worker imports other modules, so there the plain URL is used.
 */
import { setWorkerUrl } from 'maplibre-gl'
import 'maplibre-gl/dist/maplibre-gl.css'
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?worker&url'

let prepared: Promise<void> | null = null

/** Points MapLibre at its worker; call (and await) before creating a map. */
export function prepareMapLibre(): Promise<void> {
  prepared ??= (async () => {
    if (!import.meta.env.PROD || typeof URL.createObjectURL !== 'function') {
      setWorkerUrl(workerUrl)
      return
    }
    try {
      const response = await fetch(workerUrl, { credentials: 'same-origin' })
      if (!response.ok) throw new Error(`HTTP ${response.status}`)
      const code = await response.text()
      setWorkerUrl(URL.createObjectURL(new Blob([code], { type: 'text/javascript' })))
    } catch {
      setWorkerUrl(workerUrl)
    }
  })()
  return prepared
}

export { AttributionControl, Map as MapLibreMap } from 'maplibre-gl'
export type { GeoJSONSource } from 'maplibre-gl'
