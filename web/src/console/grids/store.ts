/**
 * The 网格 page's state (pinia): the squadron and its plans, the plan shown with its live
 * evaluation, the units on the map and where each is, hand edits (moves, locks, undo, renames),
 * design jobs and comparisons. The page holds it while mounted (`start`/`stop`).
 *
 * Actions throw API errors to the caller, which shows them (toastError / showFormError); the
 * numbers shown are always the server's answer to the last change, never computed here.
 */
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import { orgApi } from '@/shared/endpoints'
import { toastError } from '@/shared/errors'
import { getRealtime } from '@/shared/realtime'
import type { Squadron } from '@/shared/types'
import type { RealtimeEvent } from '@/shared/ws'
import { gridsApi } from './api'
import { changedUnits } from './compare'
import { moveRecord, pushRecord, undoMoves, type MoveRecord } from './history'
import { GRIDS_TOPIC, jobFromEvent, newerJob, planEventEffect } from './live'
import { choosePlan, sortPlans } from './plans'
import type {
  Comparison,
  DesignJob,
  DesignRequest,
  Evaluation,
  PlanDetail,
  PlanSummary,
  SquadronSettings,
  UnitCollection,
} from './types'
import { applyLocks, applyMoved, assignmentOf, type Placement } from './units'

export const GRIDS_READ = 'grids:read'
export const GRIDS_MANAGE = 'grids:manage'

/** How often a running design job is polled (the topic's events usually arrive first). */
const JOB_POLL_MS = 1000
/** Plan-list reloads after a burst of events are coalesced into one. */
const LIST_RELOAD_MS = 300

export const useGridsStore = defineStore('grids', () => {
  const squadrons = ref<Squadron[]>([])
  const squadronId = ref<number | null>(null)
  const plans = shallowRef<PlanSummary[]>([])
  const plansLoading = ref(false)

  const planId = ref<number | null>(null)
  const plan = shallowRef<PlanSummary | null>(null)
  const evaluation = shallowRef<Evaluation | null>(null)
  const assignment = shallowRef<Map<string, Placement>>(new Map())
  const planLoading = ref(false)
  /** Counts evaluations received, so views and tests can tell "the numbers changed". */
  const revision = ref(0)
  /** Grids whose figures the last change touched (the table flashes them). */
  const touchedGrids = shallowRef<{ grids: number[]; at: number } | null>(null)

  const units = shallowRef<UnitCollection | null>(null)
  const unitsSquadron = ref<number | null>(null)
  const settings = shallowRef<SquadronSettings | null>(null)

  const selection = shallowRef<Set<string>>(new Set())
  /** The units the last hand move changed (the map marks them). */
  const lastMoved = shallowRef<Set<string>>(new Set())
  const targetGrid = ref<number | null>(null)
  const history = shallowRef<MoveRecord[]>([])
  /** The action running now (buttons show it loading; the map ignores clicks meanwhile). */
  const busy = ref<string | null>(null)

  const job = shallowRef<DesignJob | null>(null)
  const comparison = shallowRef<Comparison | null>(null)
  const changed = computed(() => changedUnits(comparison.value))

  const sortedPlans = computed(() => sortPlans(plans.value))
  const isDraft = computed(() => plan.value?.status === 'draft')
  const lockedCount = computed(() => {
    let n = 0
    for (const at of assignment.value.values()) if (at.lockedGrid !== null) n += 1
    return n
  })
  const canUndo = computed(() => history.value.some((r) => r.planId === planId.value))

  let unsubscribe: (() => void) | null = null
  let listTimer: ReturnType<typeof setTimeout> | null = null
  let jobTimer: ReturnType<typeof setTimeout> | null = null
  let finishedJob: number | null = null
  let planRequest = 0
  let onJobDone: ((job: DesignJob) => void) | null = null

  // ---- lifecycle ------------------------------------------------------------------------------

  /** Loads the squadrons and shows one (the preferred one when it exists, with the preferred plan). */
  async function start(preferredSquadron: number | null = null, preferredPlan: number | null = null): Promise<void> {
    const realtime = getRealtime()
    unsubscribe?.()
    unsubscribe = realtime.subscribe(GRIDS_TOPIC, onEvent)
    const list = await orgApi.squadrons()
    squadrons.value = list.items
    const wanted = list.items.find((s) => s.id === preferredSquadron) ?? list.items[0]
    if (wanted) await selectSquadron(wanted.id, wanted.id === preferredSquadron ? preferredPlan : null)
  }

  function stop(): void {
    unsubscribe?.()
    unsubscribe = null
    if (listTimer) clearTimeout(listTimer)
    if (jobTimer) clearTimeout(jobTimer)
    listTimer = jobTimer = null
    onJobDone = null
  }

  /** Called once a job this page follows has saved its plan (or failed). */
  function onJobFinished(handler: ((job: DesignJob) => void) | null): void {
    onJobDone = handler
  }

  // ---- squadron and plans ---------------------------------------------------------------------

  async function selectSquadron(id: number, preferredPlan: number | null = null): Promise<void> {
    squadronId.value = id
    plans.value = []
    clearPlan()
    job.value = null
    settings.value = null
    await loadPlans()
    const chosen = choosePlan(plans.value, preferredPlan)
    await Promise.all([
      chosen === null ? Promise.resolve() : selectPlan(chosen),
      loadSettings(id),
      resumeRunningJob(id),
    ])
  }

  async function loadSettings(id: number): Promise<void> {
    try {
      const result = await gridsApi.settings(id)
      if (squadronId.value === id) settings.value = result
    } catch (error) {
      toastError(error)
    }
  }

  async function loadPlans(): Promise<void> {
    const id = squadronId.value
    if (id === null) return
    plansLoading.value = true
    try {
      const result = await gridsApi.plans(id)
      if (squadronId.value !== id) return
      plans.value = result.items
      const shown = plan.value && result.items.find((p) => p.id === plan.value!.id)
      if (shown) plan.value = shown
    } finally {
      if (squadronId.value === id) plansLoading.value = false
    }
  }

  function scheduleListReload(): void {
    if (listTimer) clearTimeout(listTimer)
    listTimer = setTimeout(() => {
      listTimer = null
      loadPlans().catch(toastError)
    }, LIST_RELOAD_MS)
  }

  function clearPlan(): void {
    planId.value = null
    plan.value = null
    evaluation.value = null
    assignment.value = new Map()
    endEditing()
    comparison.value = null
    touchedGrids.value = null
  }

  async function ensureUnits(sid: number, networkVersion: number | null): Promise<void> {
    if (unitsSquadron.value === sid && units.value && units.value.network_version === networkVersion) return
    const result = await gridsApi.units(sid, null)
    if (squadronId.value !== sid) return
    units.value = result
    unitsSquadron.value = sid
  }

  function showDetail(detail: PlanDetail): void {
    plan.value = detail.plan
    evaluation.value = detail.evaluation
    assignment.value = assignmentOf(detail.units)
    revision.value += 1
  }

  async function selectPlan(id: number): Promise<void> {
    const sid = squadronId.value
    if (sid === null) return
    if (planId.value !== id) {
      clearPlan()
      planId.value = id
    }
    const request = ++planRequest
    planLoading.value = true
    try {
      const detail = await gridsApi.plan(id)
      await ensureUnits(sid, detail.evaluation.network_version)
      if (request !== planRequest || planId.value !== id) return
      showDetail(detail)
    } finally {
      if (request === planRequest) planLoading.value = false
    }
  }

  async function reloadPlan(): Promise<void> {
    if (planId.value !== null) await selectPlan(planId.value)
  }

  function replacePlanInList(summary: PlanSummary): void {
    plans.value = plans.value.some((p) => p.id === summary.id)
      ? plans.value.map((p) => (p.id === summary.id ? summary : p))
      : [...plans.value, summary]
    if (plan.value?.id === summary.id) plan.value = summary
  }

  /** The shown plan's grid unit counts follow its evaluation (the list shows them). */
  function syncGridCounts(next: Evaluation): void {
    const current = plan.value
    if (!current) return
    const counts = new Map(next.grids.map((g) => [g.number, g.units]))
    replacePlanInList({ ...current, grids: current.grids.map((g) => ({ ...g, units: counts.get(g.number) ?? g.units })) })
  }

  function takeEvaluation(next: Evaluation, touched: number[]): void {
    evaluation.value = next
    revision.value += 1
    touchedGrids.value = { grids: [...new Set(touched)], at: Date.now() }
    syncGridCounts(next)
  }

  // ---- hand edits -----------------------------------------------------------------------------

  async function withBusy<T>(name: string, action: () => Promise<T>): Promise<T> {
    busy.value = name
    try {
      return await action()
    } finally {
      if (busy.value === name) busy.value = null
    }
  }

  /** Moves units to a grid of the shown draft; returns how many changed grid. */
  async function move(keys: string[], toGrid: number, remember = true): Promise<number> {
    const id = planId.value
    if (id === null || keys.length === 0) return 0
    return withBusy('move', async () => {
      const before = assignment.value
      const result = await gridsApi.move(id, keys, toGrid)
      if (planId.value !== id) return 0
      assignment.value = applyMoved(assignment.value, result.moved)
      lastMoved.value = new Set(result.moved.map((u) => u.unit))
      const from = result.moved.map((u) => before.get(u.unit)?.grid).filter((g): g is number => typeof g === 'number')
      takeEvaluation(result.evaluation, [toGrid, ...from])
      if (remember) {
        history.value = pushRecord(
          history.value,
          moveRecord(
            id,
            before,
            result.moved.map((u) => u.unit),
            toGrid,
          ),
        )
      }
      return result.moved.length
    })
  }

  /** Puts the units of the last move back where they were. */
  async function undo(): Promise<void> {
    const id = planId.value
    const last = [...history.value].reverse().find((r) => r.planId === id)
    if (!last || id === null) return
    for (const step of undoMoves(last)) await move(step.units, step.toGrid, false)
    history.value = history.value.filter((r) => r !== last)
  }

  async function setLocked(keys: string[], locked: boolean): Promise<number> {
    const id = planId.value
    if (id === null || keys.length === 0) return 0
    return withBusy(locked ? 'lock' : 'unlock', async () => {
      const result = await gridsApi.lock(id, keys, locked)
      if (planId.value !== id) return 0
      assignment.value = applyLocks(assignment.value, keys, locked)
      takeEvaluation(result.evaluation, [])
      return result.changed
    })
  }

  async function renameGrid(number: number, name: string): Promise<void> {
    const id = planId.value
    if (id === null) return
    const summary = await gridsApi.updateGrid(id, number, { name })
    if (planId.value !== id) return
    replacePlanInList(summary)
    const current = evaluation.value
    if (current) {
      evaluation.value = { ...current, grids: current.grids.map((g) => (g.number === number ? { ...g, name } : g)) }
    }
  }

  async function renamePlan(name: string): Promise<void> {
    const id = planId.value
    if (id === null) return
    replacePlanInList(await gridsApi.updatePlan(id, { name }))
  }

  function select(keys: Iterable<string>, mode: 'replace' | 'add' | 'toggle' = 'replace'): void {
    const next = mode === 'replace' ? new Set<string>() : new Set(selection.value)
    for (const key of keys) {
      if (mode === 'toggle' && next.has(key)) next.delete(key)
      else next.add(key)
    }
    selection.value = next
  }

  function clearSelection(): void {
    selection.value = new Set()
  }

  // ---- plan lifecycle -------------------------------------------------------------------------

  async function copyPlan(): Promise<PlanSummary | null> {
    const id = planId.value
    if (id === null) return null
    return withBusy('copy', async () => {
      const copy = await gridsApi.copy(id)
      replacePlanInList(copy)
      await selectPlan(copy.id)
      return copy
    })
  }

  /** The shown plan stopped being a draft: nothing of the editing carries over. */
  function endEditing(): void {
    selection.value = new Set()
    lastMoved.value = new Set()
    targetGrid.value = null
  }

  async function activate(): Promise<void> {
    const id = planId.value
    if (id === null) return
    await withBusy('activate', async () => {
      const summary = await gridsApi.activate(id)
      replacePlanInList(summary)
      endEditing()
      await loadPlans()
    })
  }

  async function retire(): Promise<void> {
    const id = planId.value
    if (id === null) return
    await withBusy('retire', async () => {
      replacePlanInList(await gridsApi.retire(id))
    })
  }

  async function deletePlan(): Promise<void> {
    const id = planId.value
    if (id === null) return
    await withBusy('delete', async () => {
      await gridsApi.remove(id)
      plans.value = plans.value.filter((p) => p.id !== id)
      history.value = history.value.filter((r) => r.planId !== id)
      clearPlan()
      const next = choosePlan(plans.value, null)
      if (next !== null) await selectPlan(next)
    })
  }

  async function compareWith(otherId: number): Promise<void> {
    const id = planId.value
    if (id === null) return
    await withBusy('compare', async () => {
      const result = await gridsApi.compare(otherId, id)
      if (planId.value === id) comparison.value = result
    })
  }

  function clearComparison(): void {
    comparison.value = null
  }

  // ---- design jobs ----------------------------------------------------------------------------

  async function startDesign(body: DesignRequest): Promise<DesignJob> {
    const sid = squadronId.value
    if (sid === null) throw new Error('no squadron selected')
    const started = await gridsApi.design(sid, body)
    follow(started)
    return started
  }

  async function stopDesign(): Promise<void> {
    const current = job.value
    if (!current || current.status !== 'running') return
    take(await gridsApi.stopJob(current.id))
  }

  async function resumeRunningJob(sid: number): Promise<void> {
    try {
      const recent = await gridsApi.jobs(sid, 1)
      const running = recent.items.find((j) => j.status === 'running')
      if (running && squadronId.value === sid) follow(running)
    } catch (error) {
      toastError(error)
    }
  }

  function follow(started: DesignJob): void {
    finishedJob = null
    job.value = started
    schedulePoll()
  }

  function schedulePoll(): void {
    if (jobTimer) clearTimeout(jobTimer)
    jobTimer = setTimeout(() => void poll(), JOB_POLL_MS)
  }

  async function poll(): Promise<void> {
    jobTimer = null
    const current = job.value
    if (!current || current.status !== 'running') return
    try {
      take(await gridsApi.job(current.id))
    } catch (error) {
      toastError(error)
    }
    if (job.value?.status === 'running') schedulePoll()
  }

  /** A newer state of the followed job (a poll answer or an event). */
  function take(incoming: DesignJob): void {
    const current = job.value
    if (!current || current.id !== incoming.id) return
    job.value = newerJob(current, incoming)
    const settled = job.value
    if (settled.status !== 'running' && finishedJob !== settled.id) {
      finishedJob = settled.id
      void finish(settled)
    }
  }

  async function finish(done: DesignJob): Promise<void> {
    if (jobTimer) clearTimeout(jobTimer)
    jobTimer = null
    try {
      if (done.status === 'done' && done.plan_id !== null && done.squadron_id === squadronId.value) {
        await loadPlans()
        await selectPlan(done.plan_id)
      }
    } catch (error) {
      toastError(error)
    }
    onJobDone?.(done)
  }

  function dismissJob(): void {
    if (job.value?.status !== 'running') job.value = null
  }

  // ---- realtime -------------------------------------------------------------------------------

  function onEvent(event: RealtimeEvent): void {
    if (event.event === 'lagged' || event.event === 'snapshot') {
      scheduleListReload()
      return
    }
    const current = job.value
    if (current) {
      const update = jobFromEvent(event, current.id)
      if (update) {
        take(update)
        return
      }
    }
    const effect = planEventEffect(event, {
      squadronId: squadronId.value,
      plan: plan.value,
      gridNames: new Map(evaluation.value?.grids.map((g) => [g.number, g.name]) ?? []),
      gridColours: new Map(plan.value?.grids.map((g) => [g.number, g.colour]) ?? []),
      assignment: assignment.value,
    })
    if (effect.reloadList) scheduleListReload()
    if (effect.plan === 'reload') reloadPlan().catch(toastError)
    if (effect.plan === 'gone') {
      clearPlan()
      void loadPlans()
        .then(() => {
          const next = choosePlan(plans.value, null)
          return next === null ? undefined : selectPlan(next)
        })
        .catch(toastError)
    }
  }

  return {
    squadrons,
    squadronId,
    plans,
    sortedPlans,
    plansLoading,
    planId,
    plan,
    evaluation,
    assignment,
    planLoading,
    revision,
    touchedGrids,
    units,
    settings,
    selection,
    lastMoved,
    targetGrid,
    history,
    busy,
    job,
    comparison,
    changed,
    isDraft,
    lockedCount,
    canUndo,
    start,
    stop,
    onJobFinished,
    selectSquadron,
    loadPlans,
    selectPlan,
    reloadPlan,
    move,
    undo,
    setLocked,
    renameGrid,
    renamePlan,
    select,
    clearSelection,
    copyPlan,
    activate,
    retire,
    deletePlan,
    compareWith,
    clearComparison,
    startDesign,
    stopDesign,
    dismissJob,
  }
})
