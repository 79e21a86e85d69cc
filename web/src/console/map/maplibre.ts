/**
 * MapLibre GL JS, set up once for the bundle. Only the map page imports this module (the page is
 * lazy-loaded), so MapLibre stays out of the console's first load.
 *
 * MapLibre 6 finds its worker next to its own module file, which does not exist once Vite has
 * bundled it; `?worker&url` makes Vite emit the worker as an asset and gives its URL.
 */
import { setWorkerUrl } from 'maplibre-gl'
import 'maplibre-gl/dist/maplibre-gl.css'
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?worker&url'

setWorkerUrl(workerUrl)

export {
  AttributionControl,
  LngLatBounds,
  Map as MapLibreMap,
  Marker,
  NavigationControl,
  ScaleControl,
} from 'maplibre-gl'
export type { GeoJSONSource, MapMouseEvent } from 'maplibre-gl'
