import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { RealtimeEvent } from '@/shared/ws'
import { evaluation, gridEvaluation, plan, units } from './gridsFixtures'

const handlers: ((event: RealtimeEvent) => void)[] = []
vi.mock('@/shared/realtime', () => ({
  getRealtime: () => ({
    subscribe: (_topic: string, handler: (event: RealtimeEvent) => void) => {
      handlers.push(handler)
      return () => handlers.splice(handlers.indexOf(handler), 1)
    },
  }),
}))
const toasts: unknown[] = []
vi.mock('@/shared/errors', () => ({ toastError: (error: unknown) => toasts.push(error) }))
vi.mock('@/shared/endpoints', () => ({
  orgApi: { squadrons: vi.fn(async () => ({ items: [{ id: 7, name: '城区一中队', code: 'SQ01', person_count: 18 }] })) },
}))
vi.mock('@/console/grids/api', () => ({
  gridsApi: {
    plans: vi.fn(),
    plan: vi.fn(),
    units: vi.fn(),
    settings: vi.fn(),
    jobs: vi.fn(),
    job: vi.fn(),
    design: vi.fn(),
    stopJob: vi.fn(),
    move: vi.fn(),
    lock: vi.fn(),
    updateGrid: vi.fn(),
    updatePlan: vi.fn(),
    copy: vi.fn(),
    activate: vi.fn(),
    retire: vi.fn(),
    remove: vi.fn(),
    compare: vi.fn(),
  },
}))

const { gridsApi } = await import('@/console/grids/api')
const { useGridsStore } = await import('@/console/grids/store')
const api = vi.mocked(gridsApi)

const draft = plan({ id: 2, version: 2, status: 'draft' })
const active = plan({ id: 1, version: 1, status: 'active' })
const detailUnits = [
  { unit: 's:a', grid: 1, locked: false, locked_grid: null },
  { unit: 's:b', grid: 1, locked: false, locked_grid: null },
  { unit: 's:c', grid: 2, locked: false, locked_grid: null },
  { unit: 's:d', grid: 2, locked: false, locked_grid: null },
]

function job(overrides: Record<string, unknown> = {}) {
  return {
    id: 30,
    squadron_id: 7,
    status: 'running' as const,
    stop_requested: false,
    progress: null,
    plan_id: null,
    error: null,
    params: { time_limit_s: 5 },
    created_by: 'commander',
    created_at: '2026-12-01T02:00:00Z',
    finished_at: null,
    ...overrides,
  }
}

async function started() {
  const store = useGridsStore()
  await store.start(7, 2)
  return store
}

beforeEach(() => {
  setActivePinia(createPinia())
  handlers.length = 0
  toasts.length = 0
  vi.useFakeTimers()
  api.plans.mockResolvedValue({ items: [active, draft] })
  api.plan.mockImplementation(async (id: number) => ({
    plan: id === 1 ? active : draft,
    units: detailUnits,
    evaluation: evaluation({ plan_id: id }),
  }))
  api.units.mockResolvedValue(units())
  api.settings.mockResolvedValue({
    squadron_id: 7,
    weights: { road_km: 1 },
    police_total: null,
    police_people: 18,
    accidents_from: null,
    accidents_to: null,
    figures: {},
  })
  api.jobs.mockResolvedValue({ items: [] })
})

afterEach(() => {
  vi.useRealTimers()
  vi.clearAllMocks()
})

describe('grids store', () => {
  it('opens the preferred squadron and plan, with its units and evaluation', async () => {
    const store = await started()
    expect(store.squadronId).toBe(7)
    expect(store.planId).toBe(2)
    expect(store.plan?.status).toBe('draft')
    expect(store.assignment.get('s:c')?.grid).toBe(2)
    expect(store.units?.features).toHaveLength(5)
    expect(store.sortedPlans.map((p) => p.id)).toEqual([1, 2])
    expect(api.units).toHaveBeenCalledTimes(1)
    // Another plan of the same squadron on the same network reuses the units.
    await store.selectPlan(1)
    expect(api.units).toHaveBeenCalledTimes(1)
    expect(store.plan?.status).toBe('active')
  })

  it('applies a move from the answer, remembers it, and undoes it', async () => {
    const store = await started()
    const after = evaluation({ grids: [gridEvaluation(1, { units: 1, workload: 0.4 }), gridEvaluation(2, { units: 3, workload: 0.6 })] })
    api.move.mockResolvedValueOnce({ moved: [{ unit: 's:b', grid: 2, locked: false, locked_grid: null }], unchanged: 0, evaluation: after })
    const revision = store.revision
    expect(await store.move(['s:b'], 2)).toBe(1)
    expect(api.move).toHaveBeenCalledWith(2, ['s:b'], 2)
    expect(store.assignment.get('s:b')?.grid).toBe(2)
    expect(store.evaluation).toBe(after)
    expect(store.revision).toBe(revision + 1)
    expect(store.touchedGrids?.grids.sort()).toEqual([1, 2])
    expect(store.plan?.grids.map((g) => g.units)).toEqual([1, 3])
    expect(store.plans.find((p) => p.id === 2)?.grids.map((g) => g.units)).toEqual([1, 3])
    expect(store.canUndo).toBe(true)

    api.move.mockResolvedValueOnce({ moved: [{ unit: 's:b', grid: 1, locked: false, locked_grid: null }], unchanged: 0, evaluation: evaluation() })
    await store.undo()
    expect(api.move).toHaveBeenLastCalledWith(2, ['s:b'], 1)
    expect(store.assignment.get('s:b')?.grid).toBe(1)
    expect(store.canUndo).toBe(false)
  })

  it('locks and unlocks, renames grids and plans in place', async () => {
    const store = await started()
    api.lock.mockResolvedValueOnce({ changed: 2, evaluation: evaluation() })
    expect(await store.setLocked(['s:a', 's:c'], true)).toBe(2)
    expect(store.assignment.get('s:a')).toEqual({ grid: 1, lockedGrid: 1 })
    expect(store.assignment.get('s:c')).toEqual({ grid: 2, lockedGrid: 2 })
    expect(store.lockedCount).toBe(2)

    api.updateGrid.mockResolvedValueOnce(draft)
    await store.renameGrid(2, '北片')
    expect(api.updateGrid).toHaveBeenCalledWith(2, 2, { name: '北片' })
    expect(store.evaluation?.grids.find((g) => g.number === 2)?.name).toBe('北片')

    api.updatePlan.mockResolvedValueOnce({ ...draft, name: '新名字' })
    await store.renamePlan('新名字')
    expect(store.plan?.name).toBe('新名字')
    expect(store.plans.find((p) => p.id === 2)?.name).toBe('新名字')
  })

  it('keeps the error for the caller and changes nothing on a refused move', async () => {
    const store = await started()
    api.move.mockRejectedValueOnce(new Error('grids.plan_not_draft'))
    await expect(store.move(['s:a'], 2)).rejects.toThrow('grids.plan_not_draft')
    expect(store.assignment.get('s:a')?.grid).toBe(1)
    expect(store.busy).toBeNull()
    expect(store.canUndo).toBe(false)
  })

  it('selects units by replace, add and toggle', async () => {
    const store = await started()
    store.select(['s:a', 's:b'])
    store.select(['s:b', 's:c'], 'toggle')
    expect([...store.selection].sort()).toEqual(['s:a', 's:c'])
    store.select(['s:d'], 'add')
    expect(store.selection.size).toBe(3)
    store.clearSelection()
    expect(store.selection.size).toBe(0)
  })

  it('follows a design job by polling and events, then opens the saved draft', async () => {
    const store = await started()
    const finished = vi.fn()
    store.onJobFinished(finished)
    api.design.mockResolvedValueOnce(job())
    await store.startDesign({ k: 3, time_limit_s: 5 })
    expect(api.design).toHaveBeenCalledWith(7, { k: 3, time_limit_s: 5 })
    expect(store.job?.status).toBe('running')

    const progress = { method: 'heuristic', phase: 'search', iteration: 40, best_objective: 0.5, best_excess: 0, elapsed_s: 1.2, stopped_early: false }
    handlers[0]!({ topic: 'grids', event: 'design.progress', data: job({ progress }) })
    expect(store.job?.progress?.iteration).toBe(40)

    const designed = plan({ id: 3, version: 3, status: 'draft', name: '自动设计' })
    api.plans.mockResolvedValue({ items: [active, draft, designed] })
    api.plan.mockImplementation(async (id: number) => ({ plan: designed, units: detailUnits, evaluation: evaluation({ plan_id: id }) }))
    api.job.mockResolvedValueOnce(job({ status: 'done', plan_id: 3, progress: { ...progress, phase: 'finished' } }))
    await vi.advanceTimersByTimeAsync(1100)
    await vi.waitFor(() => expect(finished).toHaveBeenCalledTimes(1))
    expect(store.planId).toBe(3)
    expect(store.plan?.name).toBe('自动设计')
    // A late event of the same job changes nothing more.
    handlers[0]!({ topic: 'grids', event: 'design.finished', data: job({ status: 'done', plan_id: 3 }) })
    expect(finished).toHaveBeenCalledTimes(1)
    store.dismissJob()
    expect(store.job).toBeNull()
  })

  it('stops a running job and picks up one already running for the squadron', async () => {
    api.jobs.mockResolvedValueOnce({ items: [job({ id: 31 })] })
    const store = await started()
    expect(store.job?.status).toBe('running')
    expect(store.job?.id).toBe(31)
    api.stopJob.mockResolvedValueOnce(job({ id: 31, stop_requested: true }))
    await store.stopDesign()
    expect(api.stopJob).toHaveBeenCalledWith(31)
    expect(store.job?.stop_requested).toBe(true)
    store.dismissJob()
    expect(store.job?.id).toBe(31)
    store.stop()
  })

  it('reloads for changes made elsewhere, not for its own', async () => {
    const store = await started()
    api.plan.mockClear()
    api.plans.mockClear()
    handlers[0]!({ topic: 'grids', event: 'plan.updated', data: { id: 2, squadron_id: 7, moved: ['s:a'], to_grid: 1 } })
    await vi.advanceTimersByTimeAsync(400)
    expect(api.plan).not.toHaveBeenCalled()
    expect(api.plans).toHaveBeenCalledTimes(1)
    handlers[0]!({ topic: 'grids', event: 'plan.updated', data: { id: 2, squadron_id: 7, moved: ['s:a'], to_grid: 2 } })
    await vi.advanceTimersByTimeAsync(400)
    expect(api.plan).toHaveBeenCalledWith(2)
    expect(store.planId).toBe(2)
    // Deleted elsewhere: the page moves on to another plan.
    api.plans.mockResolvedValue({ items: [active] })
    handlers[0]!({ topic: 'grids', event: 'plan.deleted', data: { id: 2, squadron_id: 7 } })
    await vi.waitFor(() => expect(store.planId).toBe(1))
  })

  it('activates, retires, copies, deletes and compares', async () => {
    const store = await started()
    api.move.mockResolvedValueOnce({ moved: [{ unit: 's:b', grid: 2, locked: false, locked_grid: null }], unchanged: 0, evaluation: evaluation() })
    store.targetGrid = 2
    await store.move(['s:b'], 2)
    expect([...store.lastMoved]).toEqual(['s:b'])
    api.activate.mockResolvedValueOnce({ ...draft, status: 'active' })
    api.plans.mockResolvedValueOnce({ items: [{ ...active, status: 'retired' }, { ...draft, status: 'active' }] })
    await store.activate()
    expect(store.plan?.status).toBe('active')
    expect(store.plans.find((p) => p.id === 1)?.status).toBe('retired')
    expect(store.lastMoved.size).toBe(0)
    expect(store.targetGrid).toBeNull()

    api.retire.mockResolvedValueOnce({ ...draft, status: 'retired' })
    await store.retire()
    expect(store.plan?.status).toBe('retired')

    const copy = plan({ id: 5, version: 5, name: '副本' })
    api.copy.mockResolvedValueOnce(copy)
    api.plan.mockImplementation(async (id: number) => ({ plan: id === 5 ? copy : draft, units: detailUnits, evaluation: evaluation({ plan_id: id }) }))
    await store.copyPlan()
    expect(store.planId).toBe(5)

    api.compare.mockResolvedValueOnce({ a: active, b: copy, moved: [{ unit: 's:a', name: null, from_grid: 1, to_grid: 2 }], moved_count: 1, transfers: [], grids: [], summary_a: null, summary_b: null })
    await store.compareWith(1)
    expect(api.compare).toHaveBeenCalledWith(1, 5)
    expect([...store.changed]).toEqual(['s:a'])
    store.clearComparison()
    expect(store.changed.size).toBe(0)

    api.remove.mockResolvedValueOnce(undefined)
    await store.deletePlan()
    expect(api.remove).toHaveBeenCalledWith(5)
    expect(store.plans.some((p) => p.id === 5)).toBe(false)
    expect(store.planId).not.toBe(5)
  })
})
