/**
 * A console map in the 地图 page's style for any page that draws its own layers on our roads:
 * the geo config (start view, optional tiles and their datum), the built-in style, the road
 * network loaded for the view as it moves, the administrative areas once, and the usual
 * controls. The caller adds its own sources and layers in `onLoad`.
 *
 * `useConsoleMap(container, options)` must be called from a component's setup; the map is
 * created when the component mounts and removed when it unmounts.
 */
import { onBeforeUnmount, onMounted, ref, shallowRef, type Ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { geoApi } from '@/shared/endpoints'
import type { GeoConfig } from '@/shared/types'
import { MapData, displaySystemOf, type DisplayProjection } from './mapData'
import { AttributionControl, MapLibreMap, NavigationControl, ScaleControl, type GeoJSONSource } from './maplibre'
import { SOURCE, buildMapStyle, type LayerToggles } from './style'
import { exposeMap, unexposeMap } from './testHooks'

export interface ConsoleMap {
  map: MapLibreMap
  projection: DisplayProjection
  config: GeoConfig
}

export interface ConsoleMapOptions {
  /** Which built-in layer groups show (people are usually off on pages other than 地图). */
  toggles?: LayerToggles
  /** Called once the style has loaded: add sources and layers here. */
  onLoad: (ready: ConsoleMap) => void
  /** Expose the map as `window.__patrolgridMap` under the test-hook rule (one map per page). */
  expose?: boolean
}

export type ConsoleMapState = 'loading' | 'ready' | 'error'

let configPromise: Promise<GeoConfig> | null = null

/** The geo config, fetched once per page load (a failure is retried on the next call). */
function geoConfig(): Promise<GeoConfig> {
  configPromise ??= geoApi.config().catch((error: unknown) => {
    configPromise = null
    throw error
  })
  return configPromise
}

function viewBBox(map: MapLibreMap): [number, number, number, number] {
  return [...map.getBounds().toArray().flat()] as [number, number, number, number]
}

export function useConsoleMap(
  container: Ref<HTMLElement | null>,
  options: ConsoleMapOptions,
): { state: Ref<ConsoleMapState>; ready: Ref<ConsoleMap | null> } {
  const { t } = useI18n()
  const state = ref<ConsoleMapState>('loading')
  const ready = shallowRef<ConsoleMap | null>(null)
  let map: MapLibreMap | null = null
  let data: MapData | null = null
  let disposed = false

  async function init(): Promise<void> {
    let config: GeoConfig
    try {
      config = await geoConfig()
    } catch {
      state.value = 'error'
      return
    }
    if (disposed || !container.value) return
    const loader = new MapData(displaySystemOf(config), {
      setRoads(roads) {
        map?.getSource<GeoJSONSource>(SOURCE.roads)?.setData(roads)
      },
      setAreas(areas, labels) {
        map?.getSource<GeoJSONSource>(SOURCE.areas)?.setData(areas)
        map?.getSource<GeoJSONSource>(SOURCE.areaLabels)?.setData(labels)
      },
    })
    data = loader
    const m = new MapLibreMap({
      container: container.value,
      style: buildMapStyle({
        tileSource: config.tile_source,
        networkAttribution: config.network_attribution,
        toggles: options.toggles,
      }),
      center: loader.projection.toDisplay(config.center),
      zoom: config.zoom,
      // North-up and flat; shift+drag is the pages' own (e.g. a lasso), so no box zoom.
      boxZoom: false,
      dragRotate: false,
      pitchWithRotate: false,
      maxPitch: 0,
      attributionControl: false,
      locale: {
        'NavigationControl.ZoomIn': t('map.controls.zoomIn'),
        'NavigationControl.ZoomOut': t('map.controls.zoomOut'),
        'NavigationControl.ResetBearing': t('map.controls.resetBearing'),
        'AttributionControl.ToggleAttribution': t('map.controls.attribution'),
        'Map.Title': t('map.controls.mapTitle'),
      },
    })
    map = m
    m.touchZoomRotate.disableRotation()
    m.addControl(new NavigationControl({ showCompass: false }), 'top-right')
    m.addControl(new ScaleControl({ maxWidth: 120, unit: 'metric' }), 'bottom-right')
    m.addControl(new AttributionControl({ compact: true }), 'bottom-right')
    if (options.expose) exposeMap(m)
    m.on('load', () => {
      if (disposed) return
      const handle: ConsoleMap = { map: m, projection: loader.projection, config }
      options.onLoad(handle)
      ready.value = handle
      void loader.loadAreas().catch(() => undefined)
      loader.viewChanged(viewBBox(m), m.getZoom())
      state.value = 'ready'
    })
    m.on('moveend', () => loader.viewChanged(viewBBox(m), m.getZoom()))
    // Tile or data errors are shown by the page's own state; MapLibre would log them again.
    m.on('error', () => undefined)
  }

  onMounted(() => void init())
  onBeforeUnmount(() => {
    disposed = true
    data?.dispose()
    if (map) {
      unexposeMap(map)
      map.remove()
    }
    map = null
    ready.value = null
  })

  return { state, ready }
}
