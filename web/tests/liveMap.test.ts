import { validateStyleMin } from '@maplibre/maplibre-gl-style-spec'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { PeopleRenderer, peopleCollection } from '@/console/live/features'
import {
  LAYER,
  LAYER_GROUPS,
  SOURCE,
  buildMapStyle,
  peopleLabelFilters,
  replayGradient,
  selectedPersonFilter,
} from '@/console/map/style'
import { exposeLive, unexposeLive, type LiveTestHooks } from '@/console/map/testHooks'
import { wgs84ToGcj02 } from '@/shared/geo/coords'
import type { LivePerson, LonLat } from '@/shared/types'

function person(id: number, extra: Partial<LivePerson> = {}): LivePerson {
  return {
    person_id: id,
    name: `P${id}`,
    badge_no: '',
    kind: 'police',
    post: '',
    mobile: '',
    squadron_id: 1,
    squadron_name: '',
    status: 'patrolling',
    lon: 108.7,
    lat: 30.93,
    ts: null,
    speed_kmh: null,
    heading: null,
    accuracy_m: null,
    battery: null,
    device_id: null,
    ...extra,
  }
}

afterEach(() => {
  vi.unstubAllEnvs()
})

describe('people layers', () => {
  const style = buildMapStyle({ tileSource: null })
  const ids = style.layers.map((l) => l.id)

  it('are valid and use a clustered source that counts SOS inside clusters', () => {
    expect(validateStyleMin(style)).toEqual([])
    expect(style.sources[SOURCE.people]).toMatchObject({
      type: 'geojson',
      cluster: true,
      clusterProperties: { sos: expect.any(Array) },
    })
    expect(style.sources[SOURCE.replay]).toMatchObject({ type: 'geojson', lineMetrics: true })
  })

  it('draw people above every road, label and the replay path, labels in local fonts', () => {
    for (const id of [LAYER.roadsLabel, LAYER.areasLabel, LAYER.routeLine, LAYER.replayPath]) {
      expect(ids.indexOf(LAYER.peoplePoints), id).toBeGreaterThan(ids.indexOf(id))
    }
    expect(ids.indexOf(LAYER.peopleLabel)).toBeGreaterThan(ids.indexOf(LAYER.peoplePoints))
    expect(ids.indexOf(LAYER.peopleSosPulse)).toBeLessThan(ids.indexOf(LAYER.peoplePoints))
    const label = style.layers.find((l) => l.id === LAYER.peopleLabel)!
    expect(label).toMatchObject({ type: 'symbol', layout: { 'text-field': ['to-string', ['get', 'name']] } })
    expect(style.glyphs).toBeUndefined()
    expect(LAYER_GROUPS[LAYER.peopleLabel]).toEqual(['people', 'labels'])
  })

  it('colour people by status', () => {
    const points = style.layers.find((l) => l.id === LAYER.peoplePoints)!
    const color = JSON.stringify((points as { paint: Record<string, unknown> }).paint['circle-color'])
    for (const status of ['off_duty', 'on_duty', 'patrolling', 'en_route', 'on_scene', 'sos', 'offline']) {
      expect(color).toContain(`"${status}"`)
    }
  })

  it('select one person and draw the replayed part of the path', () => {
    expect(JSON.stringify(selectedPersonFilter(7))).toContain('["==",["get","person_id"],7]')
    expect(JSON.stringify(selectedPersonFilter(null))).toContain('-1')
    // The selected person's name and SOS names always show; the other names make way.
    const labels = peopleLabelFilters(7)
    expect(JSON.stringify(labels.priority)).toContain('["any",["==",["get","status"],"sos"],["==",["get","person_id"],7]]')
    expect(JSON.stringify(labels.rest)).toContain('["!",["any",')
    const priority = style.layers.find((l) => l.id === LAYER.peopleLabelPriority)!
    expect(priority).toMatchObject({ layout: { 'text-allow-overlap': true } })
    expect(ids.indexOf(LAYER.peopleLabelPriority)).toBeGreaterThan(ids.indexOf(LAYER.peopleLabel))
    expect(replayGradient(0.25)).toEqual(['step', ['line-progress'], expect.any(String), 0.25, expect.any(String)])
    expect(replayGradient(2)[3]).toBe(1)
    const withGradient = buildMapStyle({ tileSource: null })
    const path = withGradient.layers.find((l) => l.id === LAYER.replayPath) as { paint: Record<string, unknown> }
    path.paint['line-gradient'] = replayGradient(0.6)
    expect(validateStyleMin(withGradient)).toEqual([])
  })
})

describe('people on the map', () => {
  it('are points in display coordinates; people without a position are left out', () => {
    const fc = peopleCollection([person(1), person(2, { lon: null, lat: null })], (p) => p)
    expect(fc.features).toHaveLength(1)
    expect(fc.features[0]).toMatchObject({
      properties: { person_id: 1, name: 'P1', status: 'patrolling' },
      geometry: { type: 'Point', coordinates: [108.7, 30.93] },
    })
    const shifted = peopleCollection([person(1)], wgs84ToGcj02)
    expect(shifted.features[0]!.geometry.coordinates).toEqual(wgs84ToGcj02([108.7, 30.93]))
  })

  it('remember what was drawn (WGS-84) for the test hooks', () => {
    const setData = vi.fn()
    const renderer = new PeopleRenderer(setData, (p: LonLat) => wgs84ToGcj02(p))
    expect(renderer.render([person(1, { status: 'sos' }), person(2, { lon: null, lat: null })])).toBe(1)
    expect(setData).toHaveBeenCalledTimes(1)
    expect(renderer.rendered.get(1)).toEqual({ lon: 108.7, lat: 30.93, status: 'sos' })
    expect(renderer.rendered.has(2)).toBe(false)
    renderer.render([])
    expect(renderer.rendered.size).toBe(0)
    expect(renderer.renders).toBe(2)
  })

  it('are exposed to browser tests only with test hooks on', () => {
    const hooks = { get: () => null } as unknown as LiveTestHooks
    vi.stubEnv('DEV', false)
    exposeLive(hooks)
    expect(window.__patrolgridLive).toBeUndefined()
    vi.stubEnv('DEV', true)
    exposeLive(hooks)
    expect(window.__patrolgridLive).toBe(hooks)
    unexposeLive()
    expect(window.__patrolgridLive).toBeUndefined()
  })
})
