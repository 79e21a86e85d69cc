/**
 * Incidents on a console map (the 地图 page's 警情 layer, and the small maps of the 警情 page):
 * a pin per incident, coloured by status with a ring by priority (icons drawn in code on a
 * canvas, so there is no sprite to load), a red halo for those waiting on the operator, and the
 * type and code below the pin when zoomed in.
 *
 * `incidentsGeoJSON` is plain data (unit-tested); the rest needs a MapLibre map.
 */
import type { Feature, FeatureCollection, Point } from 'geojson'
import type { LayerSpecification } from '@maplibre/maplibre-gl-style-spec'
import { computed, onBeforeUnmount, ref, shallowRef, watch } from 'vue'
import { useAuthStore } from '@/shared/stores/auth'
import { INCIDENT_STATUS_COLORS, PRIORITY_COLORS, incidentTypeLabel } from '@/shared/incidents/labels'
import { INCIDENT_STATUSES, PRIORITIES, type Incident } from '@/shared/incidents/types'
import type { LonLat } from '@/shared/types'
import { INCIDENTS_PERMISSION, useIncidentsStore } from '../incidents/store'
import type { GeoJSONSource, MapLibreMap, MapMouseEvent } from './maplibre'
import { MAP_FONT_STACK, PALETTE } from './style'

export const INCIDENT_SOURCE = 'incidents'
export const INCIDENT_LAYER = {
  halo: 'incidents-alert-halo',
  pins: 'incidents-pins',
  label: 'incidents-label',
} as const
export const INCIDENT_LAYERS: readonly string[] = [INCIDENT_LAYER.halo, INCIDENT_LAYER.pins, INCIDENT_LAYER.label]

export interface IncidentFeatureProps {
  id: number
  code: string
  status: string
  priority: number
  alert: boolean
  /** The pin's image name. */
  icon: string
  /** The type, and the code on a second line, under the pin. */
  label: string
}

export function incidentIconName(status: string, priority: number): string {
  return `incident-${status}-${priority}`
}

/** Incidents as map features (display coordinates via `toDisplay`), urgent ones drawn on top. */
export function incidentsGeoJSON(
  incidents: readonly Incident[],
  toDisplay: (p: LonLat) => LonLat = (p) => p,
  typeLabel: (type: string) => string = incidentTypeLabel,
): FeatureCollection<Point, IncidentFeatureProps> {
  const features: Feature<Point, IncidentFeatureProps>[] = incidents
    .filter((i) => Number.isFinite(i.lon) && Number.isFinite(i.lat))
    .map((i) => ({
      type: 'Feature',
      id: i.id,
      geometry: { type: 'Point', coordinates: [...toDisplay([i.lon, i.lat])] },
      properties: {
        id: i.id,
        code: i.code,
        status: i.status,
        priority: i.priority,
        alert: i.alert,
        icon: incidentIconName(i.status, i.priority),
        label: `${typeLabel(i.type)}\n${i.code}`,
      },
    }))
  return { type: 'FeatureCollection', features }
}

// ---- icons ------------------------------------------------------------------------------------

const ICON_W = 40
const ICON_H = 50
const RATIO = 2

/** A map pin of the status's colour, ringed in the priority's colour, with a white "!" inside. */
function drawPin(status: string, priority: number): ImageData | null {
  if (typeof document === 'undefined') return null
  const canvas = document.createElement('canvas')
  canvas.width = ICON_W * RATIO
  canvas.height = ICON_H * RATIO
  const ctx = canvas.getContext('2d')
  if (!ctx) return null
  ctx.scale(RATIO, RATIO)
  const fill = INCIDENT_STATUS_COLORS[status as keyof typeof INCIDENT_STATUS_COLORS] ?? '#5c6b82'
  const ring = PRIORITY_COLORS[priority as keyof typeof PRIORITY_COLORS] ?? '#7fa8d9'
  const cx = ICON_W / 2
  const cy = 19
  const r = 13
  // The pin body: a circle drawn down to a point, with a shadow.
  ctx.save()
  ctx.shadowColor = 'rgba(0, 0, 0, 0.55)'
  ctx.shadowBlur = 4
  ctx.shadowOffsetY = 1.5
  ctx.beginPath()
  ctx.moveTo(cx, ICON_H - 4)
  ctx.bezierCurveTo(cx - 4, cy + r + 2, cx - r - 1, cy + 8, cx - r - 1, cy)
  ctx.arc(cx, cy, r + 1, Math.PI, 0)
  ctx.bezierCurveTo(cx + r + 1, cy + 8, cx + 4, cy + r + 2, cx, ICON_H - 4)
  ctx.closePath()
  ctx.fillStyle = fill
  ctx.fill()
  ctx.restore()
  ctx.lineWidth = 2
  ctx.strokeStyle = '#ffffff'
  ctx.stroke()
  // The priority ring around the head (一般: a thin one).
  ctx.beginPath()
  ctx.arc(cx, cy, r + 4.5, 0, Math.PI * 2)
  ctx.lineWidth = priority === 3 ? 1.5 : 3
  ctx.strokeStyle = ring
  ctx.stroke()
  // "!" for open incidents, a tick once handled or closed, a cross when cancelled.
  ctx.fillStyle = '#ffffff'
  ctx.strokeStyle = '#ffffff'
  ctx.lineCap = 'round'
  ctx.lineJoin = 'round'
  if (status === 'handled' || status === 'closed') {
    ctx.lineWidth = 3
    ctx.beginPath()
    ctx.moveTo(cx - 6, cy)
    ctx.lineTo(cx - 1.5, cy + 4.5)
    ctx.lineTo(cx + 6.5, cy - 4.5)
    ctx.stroke()
  } else if (status === 'cancelled') {
    ctx.lineWidth = 3
    ctx.beginPath()
    ctx.moveTo(cx - 5, cy - 5)
    ctx.lineTo(cx + 5, cy + 5)
    ctx.moveTo(cx + 5, cy - 5)
    ctx.lineTo(cx - 5, cy + 5)
    ctx.stroke()
  } else {
    ctx.beginPath()
    ctx.roundRect(cx - 2, cy - 9, 4, 12, 2)
    ctx.fill()
    ctx.beginPath()
    ctx.arc(cx, cy + 7, 2.3, 0, Math.PI * 2)
    ctx.fill()
  }
  return ctx.getImageData(0, 0, canvas.width, canvas.height)
}

/** Adds every status × priority pin to the map's images (once per map). */
export function ensureIncidentIcons(map: MapLibreMap): void {
  for (const status of INCIDENT_STATUSES) {
    for (const priority of PRIORITIES) {
      const name = incidentIconName(status, priority)
      if (map.hasImage(name)) continue
      const image = drawPin(status, priority)
      if (image) map.addImage(name, image, { pixelRatio: RATIO })
    }
  }
}

export interface IncidentLayerOptions {
  /** Draw the type and code under the pins (from this zoom on). */
  labelsFromZoom?: number
  /** Pin size (1 = 40 × 50 px). */
  scale?: number
}

export function incidentLayers(options: IncidentLayerOptions = {}): LayerSpecification[] {
  const scale = options.scale ?? 1
  return [
    {
      id: INCIDENT_LAYER.halo,
      type: 'circle',
      source: INCIDENT_SOURCE,
      filter: ['==', ['get', 'alert'], true],
      paint: {
        'circle-color': 'rgba(255, 48, 64, 0.22)',
        'circle-radius': 26 * scale,
        'circle-stroke-color': '#ff3040',
        'circle-stroke-width': 2,
        'circle-translate': [0, -19 * scale],
        'circle-blur': 0.15,
      },
    },
    {
      id: INCIDENT_LAYER.pins,
      type: 'symbol',
      source: INCIDENT_SOURCE,
      layout: {
        'icon-image': ['get', 'icon'],
        'icon-anchor': 'bottom',
        'icon-size': scale,
        'icon-allow-overlap': true,
        'icon-ignore-placement': true,
        // Urgent and waiting incidents on top.
        'symbol-sort-key': ['+', ['get', 'priority'], ['case', ['get', 'alert'], -10, 0]],
        'symbol-z-order': 'source',
      },
    },
    {
      id: INCIDENT_LAYER.label,
      type: 'symbol',
      source: INCIDENT_SOURCE,
      minzoom: options.labelsFromZoom ?? 12,
      layout: {
        'text-field': ['get', 'label'],
        'text-font': MAP_FONT_STACK,
        'text-size': 12,
        'text-line-height': 1.25,
        'text-max-width': 30,
        'text-anchor': 'top',
        'text-offset': [0, 0.35],
        'text-padding': 2,
        'text-optional': true,
      },
      paint: {
        'text-color': '#ffe1c2',
        'text-halo-color': PALETTE.labelHalo,
        'text-halo-width': 1.6,
      },
    },
  ]
}

/** Adds the incidents source and layers (on top of everything) to a loaded map. */
export function addIncidentLayers(map: MapLibreMap, options: IncidentLayerOptions = {}): void {
  ensureIncidentIcons(map)
  if (!map.getSource(INCIDENT_SOURCE)) {
    map.addSource(INCIDENT_SOURCE, { type: 'geojson', data: { type: 'FeatureCollection', features: [] } })
  }
  for (const layer of incidentLayers(options)) {
    if (!map.getLayer(layer.id)) map.addLayer(layer as Parameters<MapLibreMap['addLayer']>[0])
  }
}

/** The incident id under a click (a few pixels of slack), or null. */
export function incidentAt(map: MapLibreMap, point: { x: number; y: number }): number | null {
  if (!map.getLayer(INCIDENT_LAYER.pins)) return null
  const { x, y } = point
  const hits = map.queryRenderedFeatures(
    [
      [x - 8, y - 8],
      [x + 8, y + 8],
    ],
    { layers: [INCIDENT_LAYER.pins] },
  )
  const id = Number(hits[0]?.properties?.id)
  return Number.isFinite(id) ? id : null
}

// ---- the 地图 page's layer --------------------------------------------------------------------

/**
 * The 地图 page's incident layer: every open incident from the live store, a toggle, and the
 * incident clicked (for its card). Call `attach` once the map has loaded; `handleClick` from the
 * page's click handler (true when it was an incident).
 */
export function useIncidentsMapLayer() {
  const auth = useAuthStore()
  const store = useIncidentsStore()
  const enabled = computed(() => auth.can(INCIDENTS_PERMISSION))
  const shown = ref(true)
  const selectedId = ref<number | null>(null)
  const selected = shallowRef<Incident | null>(null)
  let map: MapLibreMap | null = null
  let toDisplay: (p: LonLat) => LonLat = (p) => p

  function render(): void {
    const source = map?.getSource<GeoJSONSource>(INCIDENT_SOURCE)
    if (!source) return
    source.setData(incidentsGeoJSON(enabled.value ? store.open : [], toDisplay))
  }

  function applyVisibility(): void {
    if (!map) return
    for (const id of INCIDENT_LAYERS) {
      if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', shown.value ? 'visible' : 'none')
    }
  }

  function attach(m: MapLibreMap, projection: (p: LonLat) => LonLat): void {
    if (!enabled.value) return
    map = m
    toDisplay = projection
    addIncidentLayers(m, { labelsFromZoom: 13 })
    applyVisibility()
    render()
    m.on('mouseenter', INCIDENT_LAYER.pins, () => {
      m.getCanvas().style.cursor = 'pointer'
    })
    m.on('mouseleave', INCIDENT_LAYER.pins, () => {
      m.getCanvas().style.cursor = ''
    })
  }

  function handleClick(event: MapMouseEvent): boolean {
    if (!map || !shown.value) return false
    const id = incidentAt(map, event.point)
    if (id === null) return false
    selectedId.value = id
    selected.value = store.get(id) ?? null
    return true
  }

  function close(): void {
    selectedId.value = null
    selected.value = null
  }

  watch(
    () => store.open,
    () => {
      render()
      // The card follows its incident; one that was closed keeps its last state until dismissed.
      if (selectedId.value !== null) selected.value = store.get(selectedId.value) ?? selected.value
    },
  )
  watch(shown, applyVisibility)
  onBeforeUnmount(() => {
    map = null
  })

  return { enabled, shown, selected, attach, handleClick, close }
}
