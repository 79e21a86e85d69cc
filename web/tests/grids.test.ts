import { validateStyleMin } from '@maplibre/maplibre-gl-style-spec'
import type { StyleSpecification } from '@maplibre/maplibre-gl-style-spec'
import { describe, expect, it } from 'vitest'
import { changedUnits, compareRows, summaryDeltas } from '@/console/grids/compare'
import en from '@/shared/i18n/en'
import zhCN from '@/shared/i18n/zh-CN'
import {
  countKey,
  figureLevel,
  formatFigure,
  formatPercent,
  formatRatio,
  formatSignedPercent,
  isWeighted,
  shownFigures,
  weightShares,
  workloadLevel,
} from '@/console/grids/figures'
import { moveRecord, pushRecord, undoMoves, UNDO_DEPTH } from '@/console/grids/history'
import { GRIDS_TOPIC, jobFraction, jobFromEvent, newerJob, planEventEffect, type ShownPlan } from '@/console/grids/live'
import { GRID_LAYER, GRID_SOURCE, gridLayers } from '@/console/grids/mapLayer'
import {
  activatable,
  choosePlan,
  comparePartner,
  designDefaults,
  designReport,
  designRequest,
  hasWeight,
  methodKey,
  planTolerance,
  sortPlans,
} from '@/console/grids/plans'
import type { Comparison, DesignJob } from '@/console/grids/types'
import {
  UNASSIGNED_COLOUR,
  applyLocks,
  applyMoved,
  assignmentOf,
  displayColour,
  extendLasso,
  gridColours,
  gridLabelPoints,
  labelColour,
  lassoFeature,
  lockPoints,
  luminance,
  pointInRing,
  pointsBBox,
  representativePoint,
  unitFeatures,
  unitIndex,
  unitsInRing,
} from '@/console/grids/units'
import { evaluation, gridEvaluation, plan, units } from './gridsFixtures'

describe('figures', () => {
  it('holds the workload to the band and flags figures outside it as a warning only', () => {
    expect(workloadLevel(0.05, 0.05)).toBe('ok')
    expect(workloadLevel(-0.05, 0.05)).toBe('ok')
    expect(workloadLevel(0.0501, 0.05)).toBe('bad')
    expect(workloadLevel(-0.2, 0.05)).toBe('bad')
    expect(figureLevel(0.03, 0.05)).toBe('ok')
    expect(figureLevel(-0.3, 0.05)).toBe('warn')
  })

  it('formats signed percentages with a true minus and no negative zero', () => {
    expect(formatSignedPercent(0.0321)).toBe('+3.2%')
    expect(formatSignedPercent(-0.024)).toBe('\u22122.4%')
    expect(formatSignedPercent(-0.00001)).toBe('0.0%')
    expect(formatSignedPercent(Number.NaN)).toBe('—')
    expect(formatSignedPercent(null)).toBe('—')
    expect(formatPercent(0.2441)).toBe('24.4%')
    expect(formatPercent(0.25, 0)).toBe('25%')
    expect(formatRatio(0.97634)).toBe('0.976')
    expect(formatRatio(undefined)).toBe('—')
  })

  it('formats each figure in its own unit', () => {
    expect(formatFigure('road_km', 7.3799)).toBe('7.38')
    expect(formatFigure('road_km', 12.34)).toBe('12.3')
    expect(formatFigure('drivers', 9309.58)).toBe('9,310')
    expect(formatFigure('drivers', 9309.58, 'en')).toBe('9,310')
    expect(formatFigure('accidents', 14)).toBe('14')
    expect(formatFigure('police', 4.41)).toBe('4.4')
    expect(formatFigure('difficulty', Number.POSITIVE_INFINITY)).toBe('—')
  })

  it('has a one-count message beside every counted message', () => {
    expect(countKey('grids.map.units', 1)).toBe('grids.map.unitsOne')
    expect(countKey('grids.map.units', 0)).toBe('grids.map.units')
    expect(countKey('grids.map.units', 2)).toBe('grids.map.units')
    const counted = [
      'map.units',
      'edit.selection',
      'done.moved',
      'done.locked',
      'done.unlocked',
      'compare.moved',
      'compare.unitsN',
      'summary.unassigned',
      'summary.vanished',
    ]
    const get = (tree: unknown, path: string) =>
      path.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], tree)
    for (const key of counted) {
      for (const messages of [zhCN.grids, en.grids]) {
        expect(typeof get(messages, key), key).toBe('string')
        expect(typeof get(messages, `${key}One`), key).toBe('string')
      }
    }
    expect(get(en.grids, 'map.unitsOne')).toBe('{n} unit')
  })

  it('shows the figures the evaluation carries, weighted ones first', () => {
    const e = evaluation({ weights: { road_km: 0, drivers: 2, vehicles: 0 } })
    expect(shownFigures(e)).toEqual(['drivers', 'road_km', 'vehicles'])
    expect(shownFigures(null)).toEqual([])
    expect(isWeighted(e, 'drivers')).toBe(true)
    expect(isWeighted(e, 'road_km')).toBe(false)
    expect(weightShares({ road_km: 1, drivers: 3, vehicles: 0 })).toEqual({ road_km: 0.25, drivers: 0.75 })
    expect(weightShares({ road_km: 0 })).toEqual({})
  })
})

describe('plans', () => {
  const active = plan({ id: 1, version: 1, status: 'active' })
  const draft2 = plan({ id: 2, version: 2, status: 'draft', parent_id: 1 })
  const draft3 = plan({ id: 3, version: 3, status: 'draft' })
  const retired = plan({ id: 4, version: 4, status: 'retired' })

  it('orders active, drafts (newest first), retired', () => {
    expect(sortPlans([retired, draft2, active, draft3]).map((p) => p.id)).toEqual([1, 3, 2, 4])
  })

  it('shows the plan asked for, else the active one, else the newest', () => {
    expect(choosePlan([active, draft2], 2)).toBe(2)
    expect(choosePlan([active, draft2], 99)).toBe(1)
    expect(choosePlan([draft2, draft3], null)).toBe(3)
    expect(choosePlan([], null)).toBeNull()
  })

  it('compares with the active plan, else the parent, else the next older version', () => {
    expect(comparePartner([active, draft2, draft3], draft3)).toBe(1)
    expect(comparePartner([draft2, draft3, plan({ id: 1, version: 1, status: 'retired' })], draft2)).toBe(1)
    expect(comparePartner([draft2, draft3], draft3)).toBe(2)
    expect(comparePartner([draft2, draft3], draft2)).toBe(3)
    expect(comparePartner([draft2], draft2)).toBeNull()
    expect(comparePartner([draft2], null)).toBeNull()
  })

  it('knows the method words and reads the tolerance and design report from the params', () => {
    expect(methodKey('heuristic')).toBe('heuristic')
    expect(methodKey('parts')).toBe('parts')
    expect(methodKey('annealing')).toBe('other')
    expect(planTolerance(plan({ params: { tolerance: 0.1 } }))).toBe(0.1)
    expect(planTolerance(plan({ params: {} }))).toBe(0.05)
    expect(designReport(plan({ params: {} }))).toBeNull()
    expect(
      designReport(plan({ params: { design: { method: 'heuristic', iterations: 535, elapsed_s: 1.6, stopped_early: true, notes: ['x', 3] } } })),
    ).toEqual({ method: 'heuristic', iterations: 535, elapsed_s: 1.6, stopped_early: true, max_deviation: null, notes: ['x'] })
  })

  it('starts the design form from the shown plan and the stored weights and builds the request', () => {
    const form = designDefaults(plan({ k: 6, params: { tolerance: 0.025, town_whole: true } }), { road_km: 2, drivers: 0 })
    expect(form.k).toBe(6)
    expect(form.tolerancePercent).toBe(2.5)
    expect(form.townWhole).toBe(true)
    expect(form.weights.road_km).toBe(2)
    expect(form.weights.drivers).toBe(0)
    expect(form.weights.accidents).toBe(1)
    expect(form.weights.police).toBe(0)
    const fresh = designDefaults(null, null)
    expect(fresh.k).toBe(4)
    expect(fresh.tolerancePercent).toBe(5)
    expect(fresh.timeLimitS).toBe(30)

    const request = designRequest({ ...form, name: '  新方案 ', keepLocks: true }, 9)
    expect(request).toMatchObject({ k: 6, name: '新方案', tolerance: 0.025, method: 'auto', town_whole: true, locks_from: 9 })
    expect(designRequest({ ...form, keepLocks: false }, 9).locks_from).toBeNull()
    expect('name' in designRequest({ ...form, name: '  ' }, null)).toBe(false)
    expect(hasWeight(form.weights)).toBe(true)
    expect(hasWeight({ ...form.weights, road_km: 0, accidents: 0, difficulty: 0 })).toBe(false)
  })

  it('refuses activation exactly where the server does', () => {
    const violation = (code: string) => ({ code, message: { zh: '', en: '' }, grid: 1, units: [] })
    expect(activatable(evaluation())).toBe(true)
    expect(activatable(evaluation({ violations: [violation('lock_violated'), violation('group_split')] }))).toBe(true)
    expect(activatable(evaluation({ violations: [violation('not_contiguous')] }))).toBe(false)
    expect(activatable(evaluation({ violations: [violation('empty_grid')] }))).toBe(false)
    expect(activatable(evaluation({ violations: [violation('crosses_barrier')] }))).toBe(false)
    expect(activatable(evaluation({ unassigned_units: ['s:new'] }))).toBe(false)
  })
})

describe('units on the map', () => {
  const assignment = assignmentOf([
    { unit: 's:a', grid: 1, locked: false, locked_grid: null },
    { unit: 's:b', grid: 1, locked: true, locked_grid: 1 },
    { unit: 's:c', grid: 2, locked: false, locked_grid: null },
    { unit: 's:d', grid: 2, locked: false, locked_grid: null },
  ])

  it('puts a segment at half its length and an area at its label point', () => {
    expect(representativePoint({ type: 'LineString', coordinates: [[0, 0], [1, 0], [1, 3]] })).toEqual([1, 1])
    expect(representativePoint({ type: 'LineString', coordinates: [[5, 5]] })).toEqual([5, 5])
    expect(representativePoint({ type: 'Polygon', coordinates: [[[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]] })).toEqual([1, 1])
    expect(representativePoint(null)).toBeNull()
    const index = unitIndex(units())
    expect(index.get('s:b')?.point).toEqual([1.5, 0])
    expect(index.get('a:town')).toMatchObject({ kind: 'area', name: '红狮镇', areaName: '青龙街道', point: [11, 1] })
  })

  it("keeps each unit's difficulty rating, its source and incident count for the hover", () => {
    const collection = units()
    const busy = collection.features.find((f) => f.properties.unit === 's:c')!
    busy.properties = { ...busy.properties, difficulty_rating: 4, difficulty_source: 'incidents', incidents: 7 }
    const index = unitIndex(collection)
    expect(index.get('s:c')).toMatchObject({ difficultyRating: 4, difficultySource: 'incidents', incidents: 7 })
    expect(index.get('s:a')).toMatchObject({ difficultyRating: 1, difficultySource: 'default', incidents: 0 })
  })

  it('follows moves and locks answered by the server', () => {
    const moved = applyMoved(assignment, [{ unit: 's:c', grid: 1, locked: false, locked_grid: null }])
    expect(moved.get('s:c')?.grid).toBe(1)
    expect(assignment.get('s:c')?.grid).toBe(2)
    const locked = applyLocks(assignment, ['s:a', 's:unknown'], true)
    expect(locked.get('s:a')).toEqual({ grid: 1, lockedGrid: 1 })
    expect(locked.has('s:unknown')).toBe(false)
    expect(applyLocks(locked, ['s:a'], false).get('s:a')).toEqual({ grid: 1, lockedGrid: null })
  })

  it('lifts grid colours that would vanish on the navy map and keeps the bright ones', () => {
    expect(displayColour('#e6194b')).toBe('#e6194b')
    const navy = displayColour('#000075')
    expect(navy).not.toBe('#000075')
    expect(luminance(navy)).toBeGreaterThanOrEqual(0.16)
    expect(luminance(navy)).toBeLessThan(0.2)
    expect(displayColour('not a colour')).toBe(UNASSIGNED_COLOUR)
    expect(luminance(labelColour('#4363d8'))).toBeGreaterThan(luminance(displayColour('#4363d8')))
    expect(gridColours([{ number: 1, colour: '#3cb44b' }]).get(1)).toBe('#3cb44b')
  })

  it('draws each unit in its grid colour, grey without a grid, with lock and marks', () => {
    const colours = gridColours(plan().grids)
    const drawn = unitFeatures(units(), assignment, colours, { selected: new Set(['s:a']), changed: new Set(['s:d']) })
    const byUnit = new Map(drawn.features.map((f) => [f.properties.unit, f.properties]))
    expect(byUnit.get('s:a')).toMatchObject({ grid: 1, colour: '#e6194b', selected: true, changed: false, locked: false })
    expect(byUnit.get('s:b')).toMatchObject({ locked: true })
    expect(byUnit.get('s:d')).toMatchObject({ grid: 2, colour: colours.get(2), changed: true })
    expect(byUnit.get('a:town')).toMatchObject({ grid: 0, colour: UNASSIGNED_COLOUR, kind: 'area' })
    const locks = lockPoints(unitIndex(units()), assignment)
    expect(locks.features.map((f) => [f.properties.unit, f.properties.kind, f.geometry.coordinates])).toEqual([
      ['s:b', 'segment', [1.5, 0]],
    ])
  })

  it('labels each grid on its centre unit, else at the mean of its units', () => {
    const index = unitIndex(units())
    const e = evaluation({ grids: [gridEvaluation(1, { centre: 's:b' }), gridEvaluation(2, { centre: 's:a' }), gridEvaluation(3, { units: 0 })] })
    const labels = gridLabelPoints(index, assignment, e, (g) => `${g.name}!`)
    expect(labels.features.map((f) => [f.properties.grid, f.properties.label, f.geometry.coordinates])).toEqual([
      [1, '网格1!', [1.5, 0]],
      // The centre named is no longer in grid 2 (moved away): the mean of its units instead.
      [2, '网格2!', [3, 0]],
    ])
  })

  it('finds the units inside a lasso', () => {
    const square: [number, number][] = [
      [0.9, -1],
      [3.1, -1],
      [3.1, 1],
      [0.9, 1],
    ]
    expect(pointInRing(2, 0, square)).toBe(true)
    expect(pointInRing(5, 0, square)).toBe(false)
    const points = [...unitIndex(units())].map(([key, info]) => [key, info.point!] as [string, [number, number]])
    expect(unitsInRing(points, square).sort()).toEqual(['s:b', 's:c'])
    expect(unitsInRing(points, square.slice(0, 2))).toEqual([])
    expect(extendLasso([[0, 0]], [1, 1])).toEqual([[0, 0]])
    expect(extendLasso([[0, 0]], [10, 0])).toEqual([[0, 0], [10, 0]])
    expect(lassoFeature([[0, 0]])).toBeNull()
    expect(lassoFeature([[0, 0], [1, 0], [1, 1]])?.geometry.coordinates).toEqual([[0, 0], [1, 0], [1, 1], [0, 0]])
    expect(pointsBBox(unitIndex(units()), ['s:a', 'a:town'])).toEqual([0.5, 0, 11, 1])
    expect(pointsBBox(unitIndex(units()), ['nope'])).toBeNull()
  })
})

describe('undo', () => {
  const before = assignmentOf([
    { unit: 's:a', grid: 1, locked: false, locked_grid: null },
    { unit: 's:b', grid: 2, locked: false, locked_grid: null },
    { unit: 's:c', grid: 3, locked: false, locked_grid: null },
  ])

  it('remembers where moved units came from and sends them back grid by grid', () => {
    const record = moveRecord(5, before, ['s:a', 's:b', 's:c', 's:new'], 3)
    expect(record).toEqual({ planId: 5, toGrid: 3, from: [{ unit: 's:a', grid: 1 }, { unit: 's:b', grid: 2 }] })
    expect(undoMoves(record!)).toEqual([
      { toGrid: 1, units: ['s:a'] },
      { toGrid: 2, units: ['s:b'] },
    ])
    expect(moveRecord(5, before, ['s:new'], 3)).toBeNull()
  })

  it('keeps a bounded stack', () => {
    let stack = pushRecord([], null)
    expect(stack).toEqual([])
    for (let i = 0; i < UNDO_DEPTH + 5; i += 1) stack = pushRecord(stack, { planId: i, toGrid: 1, from: [{ unit: 's:a', grid: 2 }] })
    expect(stack).toHaveLength(UNDO_DEPTH)
    expect(stack[stack.length - 1]!.planId).toBe(UNDO_DEPTH + 4)
  })
})

describe('realtime', () => {
  const shown: ShownPlan = {
    squadronId: 7,
    plan: { id: 1, name: '方案一', note: '', status: 'draft' },
    gridNames: new Map([
      [1, '网格1'],
      [2, '网格2'],
    ]),
    gridColours: new Map([[1, '#e6194b']]),
    assignment: assignmentOf([
      { unit: 's:a', grid: 2, locked: false, locked_grid: null },
      { unit: 's:b', grid: 1, locked: true, locked_grid: 1 },
    ]),
  }
  const ev = (event: string, data: unknown) => ({ topic: GRIDS_TOPIC, event, data })

  it('ignores other topics, other squadrons and design events', () => {
    expect(planEventEffect({ topic: 'org', event: 'plan.created', data: { squadron_id: 7 } }, shown)).toEqual({ reloadList: false, plan: 'keep' })
    expect(planEventEffect(ev('plan.created', { id: 9, squadron_id: 8 }), shown)).toEqual({ reloadList: false, plan: 'keep' })
    expect(planEventEffect(ev('design.progress', { id: 3, squadron_id: 7 }), shown).reloadList).toBe(false)
    expect(planEventEffect(ev('plan.created', { id: 9, squadron_id: 7 }), { ...shown, squadronId: null }).reloadList).toBe(false)
  })

  it('does not reload for a change the page already shows (its own)', () => {
    expect(planEventEffect(ev('plan.updated', { id: 1, squadron_id: 7, moved: ['s:a'], to_grid: 2 }), shown)).toEqual({ reloadList: true, plan: 'keep' })
    expect(planEventEffect(ev('plan.updated', { id: 1, squadron_id: 7, moved: ['s:a'], to_grid: 1 }), shown).plan).toBe('reload')
    expect(planEventEffect(ev('plan.updated', { id: 1, squadron_id: 7, locked: true, units: ['s:b'] }), shown).plan).toBe('keep')
    expect(planEventEffect(ev('plan.updated', { id: 1, squadron_id: 7, locked: false, units: ['s:b'] }), shown).plan).toBe('reload')
    expect(planEventEffect(ev('plan.updated', { id: 1, squadron_id: 7, grid: 2, name: '网格2' }), shown).plan).toBe('keep')
    expect(planEventEffect(ev('plan.updated', { id: 1, squadron_id: 7, grid: 2, name: '北片' }), shown).plan).toBe('reload')
    expect(planEventEffect(ev('plan.updated', { id: 1, squadron_id: 7, grid: 1, colour: '#000000' }), shown).plan).toBe('reload')
    expect(planEventEffect(ev('plan.updated', { id: 1, squadron_id: 7, name: '方案一' }), shown).plan).toBe('keep')
    expect(planEventEffect(ev('plan.updated', { id: 1, squadron_id: 7, note: '说明' }), shown).plan).toBe('reload')
    expect(planEventEffect(ev('plan.updated', { id: 2, squadron_id: 7, name: 'x' }), shown)).toEqual({ reloadList: true, plan: 'keep' })
  })

  it('reloads the shown plan when it is activated, retired or replaced elsewhere, and drops it when deleted', () => {
    expect(planEventEffect(ev('plan.activated', { id: 1, squadron_id: 7, retired: null }), shown).plan).toBe('reload')
    expect(planEventEffect(ev('plan.activated', { id: 1, squadron_id: 7 }), { ...shown, plan: { ...shown.plan!, status: 'active' } }).plan).toBe('keep')
    expect(planEventEffect(ev('plan.activated', { id: 5, squadron_id: 7, retired: 1 }), shown).plan).toBe('reload')
    expect(planEventEffect(ev('plan.activated', { id: 5, squadron_id: 7, retired: 4 }), shown)).toEqual({ reloadList: true, plan: 'keep' })
    expect(planEventEffect(ev('plan.retired', { id: 1, squadron_id: 7 }), shown).plan).toBe('reload')
    expect(planEventEffect(ev('plan.deleted', { id: 1, squadron_id: 7 }), shown)).toEqual({ reloadList: true, plan: 'gone' })
    expect(planEventEffect(ev('plan.deleted', { id: 2, squadron_id: 7 }), shown).plan).toBe('keep')
  })

  const job = (overrides: Partial<DesignJob> = {}): DesignJob => ({
    id: 3,
    squadron_id: 7,
    status: 'running',
    stop_requested: false,
    progress: { method: 'heuristic', phase: 'search', iteration: 10, best_objective: 1, best_excess: 0, elapsed_s: 2, stopped_early: false },
    plan_id: null,
    error: null,
    params: { time_limit_s: 8 },
    created_by: 'commander',
    created_at: '2026-12-01T02:00:00Z',
    finished_at: null,
    ...overrides,
  })

  it('reads design progress for the followed job and never goes backwards', () => {
    expect(jobFromEvent(ev('design.progress', job()), 3)?.id).toBe(3)
    expect(jobFromEvent(ev('design.progress', job()), 4)).toBeNull()
    expect(jobFromEvent(ev('plan.created', job()), 3)).toBeNull()
    expect(jobFromEvent(ev('design.progress', { id: 3 }), 3)).toBeNull()
    const done = job({ status: 'done', plan_id: 9 })
    expect(newerJob(done, job())).toBe(done)
    const later = job({ progress: { ...job().progress!, elapsed_s: 4 } })
    const earlier = job({ stop_requested: true })
    expect(newerJob(later, earlier)).toMatchObject({ progress: { elapsed_s: 4 }, stop_requested: true })
    expect(newerJob(job(), later)).toBe(later)
    expect(newerJob(null, later)).toBe(later)
    expect(jobFraction(job())).toBe(0.25)
    expect(jobFraction(done)).toBe(1)
    expect(jobFraction(job({ progress: null }))).toBe(0)
    expect(jobFraction(job({ params: {} }))).toBe(0)
    expect(jobFraction(job({ progress: { ...job().progress!, elapsed_s: 20 } }))).toBe(0.99)
  })
})

describe('compare', () => {
  const comparison: Comparison = {
    a: plan({ id: 1 }),
    b: plan({ id: 2 }),
    moved: [
      { unit: 's:a', name: '路a', from_grid: 1, to_grid: 2 },
      { unit: 's:new', name: null, from_grid: null, to_grid: 1 },
    ],
    moved_count: 2,
    transfers: [],
    grids: [
      { number: 1, name_a: '网格1', name_b: '网格1', units_a: 3, units_b: 2, workload_ratio_a: 1.1, workload_ratio_b: 1.02, figure_ratios_a: {}, figure_ratios_b: {} },
      { number: 2, name_a: '网格2', name_b: '网格2', units_a: 1, units_b: 2, workload_ratio_a: 0.9, workload_ratio_b: 0.9, figure_ratios_a: {}, figure_ratios_b: {} },
      { number: 3, name_a: null, name_b: '网格3', units_a: 0, units_b: 1, workload_ratio_a: null, workload_ratio_b: 0.8, figure_ratios_a: {}, figure_ratios_b: {} },
    ],
    summary_a: { ...evaluation().summary!, max_deviation: 0.1, workload_min_ratio: 0.9, workload_max_ratio: 1.1, cut_edges: 5 },
    summary_b: { ...evaluation().summary!, max_deviation: 0.1, workload_min_ratio: 0.8, workload_max_ratio: 1.02, cut_edges: 7 },
  }

  it('marks the units that changed grid and says which way each grid went', () => {
    expect([...changedUnits(comparison)]).toEqual(['s:a', 's:new'])
    expect(changedUnits(null).size).toBe(0)
    const rows = compareRows(comparison)
    expect(rows.map((r) => r.better)).toEqual([true, null, null])
    expect(rows[0]).toMatchObject({ unitsA: 3, unitsB: 2, deviationA: expect.closeTo(0.1), deviationB: expect.closeTo(0.02) })
    expect(rows[2]).toMatchObject({ nameA: null, nameB: '网格3', deviationA: null })
  })

  it('compares the plan-wide measures', () => {
    const deltas = Object.fromEntries(summaryDeltas(comparison.summary_a, comparison.summary_b).map((d) => [d.key, d.better]))
    expect(deltas).toEqual({ max_deviation: null, workload_min_ratio: false, workload_max_ratio: true, cut_edges: false })
    expect(summaryDeltas(null, comparison.summary_b).every((d) => d.better === null && d.a === null)).toBe(true)
  })
})

describe('map layers', () => {
  it('is valid MapLibre style over its own sources', () => {
    const style: StyleSpecification = {
      version: 8,
      sources: Object.fromEntries(
        Object.values(GRID_SOURCE).map((id) => [id, { type: 'geojson', data: { type: 'FeatureCollection', features: [] } }]),
      ),
      layers: gridLayers(),
    }
    expect(validateStyleMin(style)).toEqual([])
    const ids = gridLayers().map((l) => l.id)
    expect(new Set(ids).size).toBe(ids.length)
    // Lines over areas, labels over units, the lasso on top.
    expect(ids.indexOf(GRID_LAYER.segmentLine)).toBeGreaterThan(ids.indexOf(GRID_LAYER.areaFill))
    expect(ids.indexOf(GRID_LAYER.labels)).toBeGreaterThan(ids.indexOf(GRID_LAYER.segmentLocked))
    expect(ids[ids.length - 1]).toBe(GRID_LAYER.lassoLine)
  })
})
