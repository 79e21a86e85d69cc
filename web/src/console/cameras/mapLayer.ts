/**
 * Cameras on the console map: an icon per camera with its field of view turned to its heading,
 * names from zoom 14.5, the selected camera ringed. The source and layers are added to the map
 * page's style at run time (below the live people), with icons drawn on a canvas, so nothing is
 * fetched. `useMapCameras()` is what the map page uses: the toggle, the selection, the click.
 */
import type { ExpressionSpecification, LayerSpecification } from '@maplibre/maplibre-gl-style-spec'
import type { Feature, FeatureCollection, Point } from 'geojson'
import { computed, onBeforeUnmount, onMounted, ref, shallowRef, watch, type Ref } from 'vue'
import { useAuthStore } from '@/shared/stores/auth'
import type { LonLat } from '@/shared/types'
import type { GeoJSONSource, MapLibreMap, MapMouseEvent } from '../map/maplibre'
import { LAYER, MAP_FONT_STACK } from '../map/style'
import { CAMERAS_READ, useCamerasStore } from './store'
import type { Camera } from './types'

export const CAMERA_SOURCE = 'cameras'
export const CAMERA_LAYER = {
  cone: 'cameras-cone',
  selected: 'cameras-selected',
  icon: 'cameras-icon',
  label: 'cameras-label',
} as const
export const CAMERA_ICON = { on: 'pg-camera', off: 'pg-camera-off', cone: 'pg-camera-cone' } as const

export interface CameraFeatureProps {
  camera_id: number
  name: string
  code: string
  enabled: boolean
  /** Present only when the camera's heading is known. */
  heading?: number
}

/** One point per camera, in the map's display coordinates. */
export function cameraFeatures(
  cameras: readonly Camera[],
  toDisplay: (p: LonLat) => LonLat = (p) => p,
): FeatureCollection<Point, CameraFeatureProps> {
  return {
    type: 'FeatureCollection',
    features: cameras.map(
      (c): Feature<Point, CameraFeatureProps> => ({
        type: 'Feature',
        id: c.id,
        geometry: { type: 'Point', coordinates: toDisplay([c.lon, c.lat]) },
        properties: {
          camera_id: c.id,
          name: c.name,
          code: c.code,
          enabled: c.enabled,
          ...(c.heading === null ? {} : { heading: c.heading }),
        },
      }),
    ),
  }
}

const hasHeading: ExpressionSpecification = ['has', 'heading']

export function cameraLayers(selectedId: number | null = null): LayerSpecification[] {
  return [
    {
      id: CAMERA_LAYER.cone,
      type: 'symbol',
      source: CAMERA_SOURCE,
      filter: ['all', hasHeading, ['==', ['get', 'enabled'], true]],
      minzoom: 12,
      layout: {
        'icon-image': CAMERA_ICON.cone,
        'icon-rotate': ['get', 'heading'],
        'icon-rotation-alignment': 'map',
        'icon-allow-overlap': true,
        'icon-ignore-placement': true,
        'icon-size': ['interpolate', ['linear'], ['zoom'], 12, 0.55, 16, 1, 18, 1.3],
      },
    },
    {
      id: CAMERA_LAYER.selected,
      type: 'circle',
      source: CAMERA_SOURCE,
      filter: ['==', ['get', 'camera_id'], selectedId ?? -1],
      paint: {
        'circle-radius': 17,
        'circle-color': 'rgba(0, 229, 255, 0.12)',
        'circle-stroke-color': '#00e5ff',
        'circle-stroke-width': 2.5,
      },
    },
    {
      id: CAMERA_LAYER.icon,
      type: 'symbol',
      source: CAMERA_SOURCE,
      layout: {
        'icon-image': ['case', ['==', ['get', 'enabled'], true], CAMERA_ICON.on, CAMERA_ICON.off],
        'icon-allow-overlap': true,
        'icon-ignore-placement': true,
        'icon-size': ['interpolate', ['linear'], ['zoom'], 9, 0.6, 14, 0.85, 17, 1],
      },
    },
    {
      id: CAMERA_LAYER.label,
      type: 'symbol',
      source: CAMERA_SOURCE,
      minzoom: 14.5,
      layout: {
        'text-field': ['get', 'name'],
        'text-font': MAP_FONT_STACK,
        'text-size': 12,
        'text-anchor': 'top',
        'text-offset': [0, 1.25],
        'text-optional': true,
      },
      paint: {
        'text-color': '#9fe7ff',
        'text-halo-color': '#0c1c34',
        'text-halo-width': 1.6,
      },
    },
  ]
}

/** A 2× image drawn on a canvas (null where there is no canvas, e.g. unit tests). */
function draw(size: number, paint: (ctx: CanvasRenderingContext2D, s: number) => void): ImageData | null {
  if (typeof document === 'undefined') return null
  const canvas = document.createElement('canvas')
  canvas.width = size * 2
  canvas.height = size * 2
  const ctx = canvas.getContext('2d', { willReadFrequently: true })
  if (!ctx) return null
  ctx.scale(2, 2)
  paint(ctx, size)
  return ctx.getImageData(0, 0, canvas.width, canvas.height)
}

/** A round badge with a camera body and lens. */
function drawCamera(color: string): ImageData | null {
  return draw(26, (ctx, s) => {
    const c = s / 2
    ctx.beginPath()
    ctx.arc(c, c, c - 1.5, 0, Math.PI * 2)
    ctx.fillStyle = color
    ctx.fill()
    ctx.lineWidth = 2
    ctx.strokeStyle = '#ffffff'
    ctx.stroke()
    ctx.fillStyle = '#0c1c34'
    ctx.beginPath()
    ctx.roundRect(6.5, 9, 10, 8, 1.5)
    ctx.fill()
    ctx.beginPath()
    ctx.moveTo(16.5, 11.5)
    ctx.lineTo(20, 9.5)
    ctx.lineTo(20, 16.5)
    ctx.lineTo(16.5, 14.5)
    ctx.closePath()
    ctx.fill()
    ctx.fillStyle = color
    ctx.beginPath()
    ctx.arc(11.5, 13, 2, 0, Math.PI * 2)
    ctx.fill()
  })
}

/** The field of view: a fan opening upwards (north) from the centre, turned by the heading. */
function drawCone(): ImageData | null {
  return draw(84, (ctx, s) => {
    const c = s / 2
    const gradient = ctx.createRadialGradient(c, c, 4, c, c, c)
    gradient.addColorStop(0, 'rgba(79, 195, 255, 0.75)')
    gradient.addColorStop(1, 'rgba(79, 195, 255, 0)')
    ctx.fillStyle = gradient
    ctx.beginPath()
    ctx.moveTo(c, c)
    ctx.arc(c, c, c, -Math.PI / 2 - 0.42, -Math.PI / 2 + 0.42)
    ctx.closePath()
    ctx.fill()
  })
}

function addImages(map: MapLibreMap): void {
  const images: [string, ImageData | null][] = [
    [CAMERA_ICON.on, drawCamera('#4fc3ff')],
    [CAMERA_ICON.off, drawCamera('#7d8799')],
    [CAMERA_ICON.cone, drawCone()],
  ]
  for (const [id, image] of images) {
    if (image && !map.hasImage(id)) map.addImage(id, image, { pixelRatio: 2 })
  }
}

/** The map page's camera layer: its toggle, the selected camera and the click on an icon. */
export function useMapCameras(): {
  enabled: Ref<boolean>
  visible: Ref<boolean>
  selected: Ref<Camera | null>
  attach: (map: MapLibreMap, toDisplay: (p: LonLat) => LonLat) => void
  handleClick: (event: MapMouseEvent) => boolean
  select: (id: number | null) => void
} {
  const auth = useAuthStore()
  const store = useCamerasStore()
  const enabled = computed(() => auth.can(CAMERAS_READ))
  const visible = ref(true)
  const selectedId = ref<number | null>(null)
  const selected = computed(() => store.cameras.find((c) => c.id === selectedId.value) ?? null)
  const map = shallowRef<MapLibreMap | null>(null)
  let project: (p: LonLat) => LonLat = (p) => p
  let release: (() => void) | null = null

  function render(): void {
    const m = map.value
    if (!m) return
    m.getSource<GeoJSONSource>(CAMERA_SOURCE)?.setData(cameraFeatures(enabled.value ? store.cameras : [], project))
  }

  function applyVisibility(): void {
    const m = map.value
    if (!m) return
    for (const id of Object.values(CAMERA_LAYER)) {
      if (m.getLayer(id)) m.setLayoutProperty(id, 'visibility', visible.value ? 'visible' : 'none')
    }
  }

  function attach(m: MapLibreMap, toDisplay: (p: LonLat) => LonLat): void {
    if (!enabled.value) return
    map.value = m
    project = toDisplay
    addImages(m)
    if (!m.getSource(CAMERA_SOURCE)) {
      m.addSource(CAMERA_SOURCE, { type: 'geojson', data: cameraFeatures([]) })
      // Under the live people, so a moving officer is never hidden by a camera.
      const before = m.getLayer(LAYER.peopleClusters) ? LAYER.peopleClusters : undefined
      for (const layer of cameraLayers(selectedId.value)) m.addLayer(layer as never, before)
      for (const id of [CAMERA_LAYER.icon, CAMERA_LAYER.cone]) {
        m.on('mouseenter', id, () => {
          m.getCanvas().style.cursor = 'pointer'
        })
        m.on('mouseleave', id, () => {
          m.getCanvas().style.cursor = ''
        })
      }
    }
    applyVisibility()
    render()
  }

  function select(id: number | null): void {
    selectedId.value = id
    const m = map.value
    if (m?.getLayer(CAMERA_LAYER.selected)) {
      m.setFilter(CAMERA_LAYER.selected, ['==', ['get', 'camera_id'], id ?? -1])
    }
  }

  /** A click on a camera icon selects it; true when the click was on one. */
  function handleClick(event: MapMouseEvent): boolean {
    const m = map.value
    if (!m || !visible.value || !m.getLayer(CAMERA_LAYER.icon)) return false
    const { x, y } = event.point
    const hits = m.queryRenderedFeatures(
      [
        [x - 8, y - 8],
        [x + 8, y + 8],
      ],
      { layers: [CAMERA_LAYER.icon] },
    )
    const id = Number(hits[0]?.properties?.camera_id)
    if (!Number.isFinite(id)) return false
    select(id)
    return true
  }

  watch(() => store.cameras, render)
  watch(visible, () => {
    applyVisibility()
    if (!visible.value) select(null)
  })
  // A camera deleted elsewhere closes its card.
  watch(selected, (camera) => {
    if (!camera && selectedId.value !== null && store.synced) select(null)
  })

  onMounted(() => {
    if (enabled.value) release = store.acquire()
  })
  onBeforeUnmount(() => {
    release?.()
    release = null
    map.value = null
  })

  return { enabled, visible, selected, attach, handleClick, select }
}
