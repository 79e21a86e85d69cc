"""Grid workflows: territories, figures and imports, plans (design, copy, moves, locks, grids,
activation) and design jobs. Each change is validated, written with its audit row, committed,
then published on the `grids` topic.

`Grids` is the runtime: it keeps the squadrons' units cached (rebuilt when anything they are made
of changes: the network version, territories, figures, ratings, settings, accidents, people) and
runs design jobs off the event loop.

Incidents come in all day, so they are kept out of that rebuild: the incident counts per segment
are read again at most every INCIDENT_COUNTS_TTL_S (and always when a design starts or the
figures or units are read), and only when they changed are the difficulty ratings made again on
the cached units (`units.with_incidents`, no geometry). A plan edited meanwhile may see its
difficulty figure follow the incidents within that minute.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import itertools
import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from patrolgrid.core import audit
from patrolgrid.core.audit import Actor
from patrolgrid.core.bus import Bus, Event
from patrolgrid.core.db import Database, utcnow
from patrolgrid.core.errors import AppError, not_found
from patrolgrid.grids import evaluation as ev
from patrolgrid.grids import files, service
from patrolgrid.grids.design import (
    DesignOptions,
    Plan,
    Progress,
    UnitGraph,
    design_grids,
)
from patrolgrid.grids.design.problem import compile_problem
from patrolgrid.grids.evaluation import PlanState
from patrolgrid.grids.models import (
    DEFAULT_WEIGHTS,
    FIGURE_LABELS,
    Accident,
    AccidentsImportResult,
    AreaFigures,
    Comparison,
    CopyIn,
    DesignIn,
    DesignJob,
    DifficultySource,
    DifficultySummary,
    DriversImportResult,
    Evaluation,
    Figure,
    FiguresSummary,
    Granularity,
    GridPlan,
    GridSettings,
    GridUpdate,
    JobOut,
    JobProgress,
    JobStatus,
    Label,
    Located,
    LockIn,
    LockOut,
    MoveIn,
    MoveOut,
    PlanDetail,
    PlanGrid,
    PlanStatus,
    PlanUnit,
    PlanUnitOut,
    PlanUpdate,
    RatingBand,
    RatingsIn,
    SettingsIn,
    SettingsOut,
    TerritoryAreaOut,
    TerritoryIn,
    TerritoryOut,
    UnitRating,
    grid_colour,
    grid_default_name,
)
from patrolgrid.grids.units import (
    DIFFICULTY_LEVELS,
    FIGURES,
    FigureInputs,
    FloatArray,
    IntArray,
    NetworkData,
    UnitSet,
    assign_segments,
    build_units,
    count_by_segment,
    incident_ratings,
    network_data,
    with_incidents,
)
from patrolgrid.incidents.flows import ROAD_SNAP_LIMIT_M
from patrolgrid.incidents.models import CHINA_TIME
from patrolgrid.org import service as org_service
from patrolgrid.org.files import RowError
from patrolgrid.roads.graph import RoutingGraph

log = logging.getLogger(__name__)

TOPIC = "grids"
ACCIDENT_SNAP_M = 100.0  # an accident farther than this from every road is counted nowhere
JOB_HEARTBEAT_S = 0.5
JOB_STALE_S = 15.0
MAX_RUNNING_JOBS = 2
_INSERT_BATCH = 2000
_OVERLAP_SHARE = 0.01  # territory areas may touch, not overlap by more than 1% of the smaller
INCIDENT_COUNTS_TTL_S = 60.0  # incident counts older than this are read again when units are
INCIDENT_PERIOD_DAYS = 365  # without an accident period: the incidents of the last 365 days

PLAN_NOT_FOUND = not_found("网格方案", "Grid plan", "grids.plan_not_found")
JOB_NOT_FOUND = not_found("设计任务", "Design job", "grids.job_not_found")
SQUADRON_NOT_FOUND = not_found("中队", "Squadron", "grids.squadron_not_found")
NO_NETWORK = AppError(404, "geo.no_network", "尚未导入路网", "No road network has been imported")


def _plan_not_draft(plan: GridPlan) -> AppError:
    return AppError(
        409,
        "grids.plan_not_draft",
        "只能修改草稿方案,请先复制为新草稿",
        "Only a draft plan can be changed; copy it to a new draft first",
        {"status": plan.status},
    )


# ---- the runtime ---------------------------------------------------------------------------------


@dataclass
class _LocalJob:
    cancel: threading.Event
    task: asyncio.Task[None] | None = None
    latest: Progress | None = None


@dataclass(frozen=True)
class IncidentCounts:
    """The counted incidents per segment of one network version in one period, as read at
    `taken_at` (monotonic clock). `revision` changes only when the counts do."""

    start: dt.datetime
    end: dt.datetime
    counts: FloatArray
    revision: int
    taken_at: float


@dataclass
class _Cache:
    networks: OrderedDict[int, NetworkData] = field(default_factory=OrderedDict)
    homes: OrderedDict[tuple[Any, ...], tuple[list[str], IntArray]] = field(
        default_factory=OrderedDict
    )
    # fingerprint → the units, and the incident revision their difficulty was made with
    units: OrderedDict[tuple[Any, ...], tuple[UnitSet, int]] = field(default_factory=OrderedDict)
    # (network version, period setting) → counts
    incidents: OrderedDict[tuple[Any, ...], IncidentCounts] = field(default_factory=OrderedDict)
    # incidents received before the network was imported, snapped again: id → segment or -1
    resnapped: dict[int, int] = field(default_factory=dict)
    resnapped_version: int | None = None


def incident_window(
    settings: GridSettings | None, now: dt.datetime
) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of the incidents that rate a squadron's difficulty: its accident period, as
    whole China calendar days; without one, the INCIDENT_PERIOD_DAYS up to now (with one end
    set, the period runs from it to now, or the INCIDENT_PERIOD_DAYS up to it)."""
    first = settings.accidents_from if settings else None
    last = settings.accidents_to if settings else None
    end = (
        dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), CHINA_TIME).astimezone(dt.UTC)
        if last is not None
        else now
    )
    start = (
        dt.datetime.combine(first, dt.time(), CHINA_TIME).astimezone(dt.UTC)
        if first is not None
        else end - dt.timedelta(days=INCIDENT_PERIOD_DAYS)
    )
    return start, end


def _remember(store: OrderedDict[Any, Any], key: Any, value: Any, size: int) -> None:
    store[key] = value
    store.move_to_end(key)
    while len(store) > size:
        store.popitem(last=False)


class UnitCache:
    """The squadrons' units, cached until something they are made of changes."""

    def __init__(self, graph: RoutingGraph) -> None:
        self.graph = graph
        self._cache = _Cache()
        self._lock = asyncio.Lock()
        self._revisions = itertools.count(1)

    async def network(self, session: AsyncSession) -> NetworkData | None:
        version = await service.network_version(session)
        if version is None:
            return None
        cached = self._cache.networks.get(version)
        if cached is not None:
            return cached
        async with self._lock:
            cached = self._cache.networks.get(version)
            if cached is None:
                segments, areas = await service.network_rows(session)
                cached = await asyncio.to_thread(network_data, version, segments, areas)
                _remember(self._cache.networks, version, cached, 2)
        return cached

    async def units(
        self, session: AsyncSession, squadron_id: int, *, fresh_incidents: bool = False
    ) -> UnitSet:
        """The squadron's units with their figures (cached until something they use changes;
        the incident counts behind the difficulty ratings are at most INCIDENT_COUNTS_TTL_S
        old, or read now with `fresh_incidents`)."""
        fingerprint = await service.fingerprint(session, squadron_id)
        net = await self.network(session)
        if net is None:
            raise NO_NETWORK
        settings = await service.get_settings(session, squadron_id)
        incidents = await self.incident_counts(session, net, settings, fresh=fresh_incidents)
        cached = self._cache.units.get(fingerprint)
        if cached is not None:
            units, revision = cached
            if revision != incidents.revision:
                units = await asyncio.to_thread(with_incidents, units, incidents.counts)
                _remember(self._cache.units, fingerprint, (units, incidents.revision), 16)
            return units
        territories = await service.all_territories(session)
        keys = [t.area_key for t in territories]
        home_key = (net.version, tuple(keys))
        found = self._cache.homes.get(home_key)
        if found is None:
            home = await asyncio.to_thread(assign_segments, net, keys)
            _remember(self._cache.homes, home_key, (keys, home), 4)
        else:
            home = found[1]
        own = [
            (t.area_key, Granularity(t.granularity))
            for t in territories
            if t.squadron_id == squadron_id
        ]
        police_total = (
            settings.police_total
            if settings is not None and settings.police_total is not None
            else float(await service.people_count(session, squadron_id))
        )
        own_keys = {key for key, _ in own}
        inputs = FigureInputs(
            area_figures={
                key: (row.drivers, row.vehicles)
                for key, row in (await service.area_figures(session)).items()
                if key in own_keys
            },
            segment_accidents=await self._segment_accidents(session, net, settings),
            segment_incidents=incidents.counts,
            ratings={
                r.unit_key: (r.difficulty, r.police)
                for r in await service.ratings(session, squadron_id)
            },
            police_total=police_total,
        )
        units = await asyncio.to_thread(build_units, squadron_id, net, home, keys, own, inputs)
        _remember(self._cache.units, fingerprint, (units, incidents.revision), 16)
        return units

    async def incident_counts(
        self,
        session: AsyncSession,
        net: NetworkData,
        settings: GridSettings | None,
        *,
        fresh: bool = False,
    ) -> IncidentCounts:
        """The counted incidents (not cancelled) per segment in the squadron's period, read
        again when older than INCIDENT_COUNTS_TTL_S or when `fresh`."""
        key = (
            net.version,
            settings.accidents_from if settings else None,
            settings.accidents_to if settings else None,
        )
        cached = self._cache.incidents.get(key)
        if (
            cached is not None
            and not fresh
            and time.monotonic() - cached.taken_at < INCIDENT_COUNTS_TTL_S
        ):
            return cached
        start, end = incident_window(settings, utcnow())
        imported_at = await service.network_imported_at(session)
        counts = np.zeros(len(net.seg_keys))
        # Incidents received since the network was imported name its segment rows; earlier
        # ones were snapped to a network since replaced (its row ids mean other roads now).
        since = start if imported_at is None else max(start, imported_at)
        if since < end:
            for segment_id, n in await service.incidents_by_segment(session, since, end):
                at = net.seg_index_by_id.get(segment_id)
                if at is not None:
                    counts[at] += n
        if imported_at is not None and start < imported_at:
            for at in await self._resnap(session, net, start, min(end, imported_at)):
                counts[at] += 1
        revision = (
            cached.revision
            if cached is not None and np.array_equal(cached.counts, counts)
            else next(self._revisions)
        )
        found = IncidentCounts(start, end, counts, revision, time.monotonic())
        _remember(self._cache.incidents, key, found, 8)
        return found

    async def _resnap(
        self, session: AsyncSession, net: NetworkData, start: dt.datetime, end: dt.datetime
    ) -> list[int]:
        """The segments (of `net`) of the counted incidents received in [start, end) before the
        network was imported, snapped as the incidents domain snaps them; each incident once
        per network version (its place does not change)."""
        if self._cache.resnapped_version != net.version:
            self._cache.resnapped, self._cache.resnapped_version = {}, net.version
        known = self._cache.resnapped
        points = await service.incident_points(session, start, end)
        unknown = [(i, lon, lat) for i, lon, lat in points if i not in known]
        if unknown:
            router = await self.graph.router(session)
            if router is None:
                return []
            snaps = await asyncio.to_thread(
                router.snap_many, [(lon, lat) for _, lon, lat in unknown], ROAD_SNAP_LIMIT_M
            )
            for (i, _, _), snap in zip(unknown, snaps, strict=True):
                known[i] = (
                    net.seg_index_by_id[snap.segment_id]
                    if snap is not None and snap.segment_id in net.seg_index_by_id
                    else -1
                )
        return [known[i] for i, _, _ in points if known[i] >= 0]

    async def _segment_accidents(
        self, session: AsyncSession, net: NetworkData, settings: GridSettings | None
    ) -> Any:
        rows = await service.accident_rows(
            session,
            settings.accidents_from if settings else None,
            settings.accidents_to if settings else None,
        )
        indices: list[int] = []
        stale: list[tuple[float, float]] = []
        for key, version, lon, lat in rows:
            if version == net.version:
                if key is not None and key in net.seg_index:
                    indices.append(net.seg_index[key])
            else:
                stale.append((lon, lat))
        if stale:
            router = await self.graph.router(session)
            if router is not None:
                snaps = await asyncio.to_thread(router.snap_many, stale, ACCIDENT_SNAP_M)
                indices.extend(
                    net.seg_index_by_id[s.segment_id]
                    for s in snaps
                    if s is not None and s.segment_id in net.seg_index_by_id
                )
        return count_by_segment(net, indices)


class Grids(UnitCache):
    """The runtime: the unit cache, and the design jobs this process runs."""

    def __init__(self, db: Database, bus: Bus, graph: RoutingGraph) -> None:
        super().__init__(graph)
        self.db = db
        self.bus = bus
        self._jobs: dict[int, _LocalJob] = {}

    async def stop(self) -> None:
        for job in self._jobs.values():
            job.cancel.set()
        tasks = [job.task for job in self._jobs.values() if job.task is not None]
        if tasks:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 30)

    # -- design jobs ------------------------------------------------------------------------------

    def running_here(self) -> int:
        return sum(1 for job in self._jobs.values() if job.task is not None and not job.task.done())

    def stop_local(self, job_id: int) -> None:
        job = self._jobs.get(job_id)
        if job is not None:
            job.cancel.set()

    def launch(
        self,
        job_id: int,
        squadron_id: int,
        graph: UnitGraph,
        k: int,
        options: DesignOptions,
        plan_params: dict[str, Any],
        name: str,
        network_version: int,
        actor: Actor,
    ) -> None:
        job = _LocalJob(cancel=threading.Event())
        self._jobs[job_id] = job
        job.task = asyncio.create_task(
            self._run(
                job_id,
                job,
                squadron_id,
                graph,
                k,
                options,
                plan_params,
                name,
                network_version,
                actor,
            ),
            name=f"grid-design-{job_id}",
        )

    async def wait(self, job_id: int) -> None:
        """For tests and the demo: until the local job has finished."""
        job = self._jobs.get(job_id)
        if job is not None and job.task is not None:
            await job.task

    async def _run(
        self,
        job_id: int,
        job: _LocalJob,
        squadron_id: int,
        graph: UnitGraph,
        k: int,
        options: DesignOptions,
        plan_params: dict[str, Any],
        name: str,
        network_version: int,
        actor: Actor,
    ) -> None:
        def progress(report: Progress) -> None:  # called in the worker thread
            job.latest = report

        work = asyncio.ensure_future(
            asyncio.to_thread(
                functools.partial(design_grids, progress=progress, cancel=job.cancel),
                graph,
                k,
                options,
            )
        )
        published: Progress | None = None
        try:
            while not work.done():
                await asyncio.wait({work}, timeout=JOB_HEARTBEAT_S)
                if work.done():
                    break
                published = await self._heartbeat(job_id, job, published)
            plan = work.result()
        except AppError as exc:
            await self._finish(job_id, squadron_id, error=exc.envelope())
            return
        except Exception as exc:
            log.exception("grid design job %s failed", job_id)
            await self._finish(
                job_id,
                squadron_id,
                error={
                    "code": "internal_error",
                    "message": {"zh": "设计失败", "en": f"Design failed: {exc.__class__.__name__}"},
                    "details": None,
                },
            )
            return
        finally:
            if not work.done():
                job.cancel.set()
                with contextlib.suppress(Exception):
                    await work
            self._jobs.pop(job_id, None)
        try:
            async with self.db.sessions() as session:
                saved = await save_designed_plan(
                    session,
                    self.bus,
                    squadron_id,
                    plan,
                    plan_params,
                    name,
                    network_version,
                    job_id,
                    actor,
                )
        except Exception:
            log.exception("saving the plan of grid design job %s failed", job_id)
            await self._finish(
                job_id,
                squadron_id,
                error={
                    "code": "internal_error",
                    "message": {"zh": "保存方案失败", "en": "Saving the plan failed"},
                    "details": None,
                },
            )
            return
        await self._finish(job_id, squadron_id, plan=plan, plan_id=saved.id)

    async def _heartbeat(
        self, job_id: int, job: _LocalJob, published: Progress | None
    ) -> Progress | None:
        report = job.latest
        async with self.db.sessions() as session:
            row = await service.get_job(session, job_id)
            if row is None:
                job.cancel.set()
                return published
            if row.stop_requested:
                job.cancel.set()
            row.heartbeat_at = utcnow()
            if report is not None:
                row.progress = _progress_json(report)
            await session.commit()
            out = job_out(row)
        if report is not None and report is not published:
            await self.bus.publish(
                Event(TOPIC, "design.progress", out.model_dump(mode="json"), key=f"design:{job_id}")
            )
        return report

    async def _finish(
        self,
        job_id: int,
        squadron_id: int,
        *,
        plan: Plan | None = None,
        plan_id: int | None = None,
        error: dict[str, Any] | None = None,
    ) -> None:
        async with self.db.sessions() as session:
            row = await service.get_job(session, job_id)
            if row is None:
                return
            row.status = (JobStatus.failed if error else JobStatus.done).value
            row.error = error
            row.plan_id = plan_id
            row.finished_at = row.heartbeat_at = utcnow()
            if plan is not None:
                row.progress = {
                    "method": plan.method,
                    "phase": "stopped" if plan.stopped_early else "finished",
                    "iteration": plan.iterations,
                    "best_objective": _finite(plan.objective),
                    "best_excess": _finite(plan.excess),
                    "elapsed_s": round(plan.elapsed_s, 3),
                    "stopped_early": plan.stopped_early,
                }
            await session.commit()
            out = job_out(row)
        await self.bus.publish(
            Event(TOPIC, "design.finished", out.model_dump(mode="json"), key=f"design:{job_id}")
        )


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _progress_json(report: Progress) -> dict[str, Any]:
    return {
        "method": report.method,
        "phase": report.phase,
        "iteration": report.iteration,
        "best_objective": _finite(report.best_objective),
        "best_excess": _finite(report.best_excess),
        "elapsed_s": round(report.elapsed_s, 3),
    }


def job_out(job: DesignJob) -> JobOut:
    status = JobStatus(job.status)
    error = job.error
    if status is JobStatus.running and utcnow() - job.heartbeat_at > dt.timedelta(
        seconds=JOB_STALE_S
    ):
        status = JobStatus.failed
        error = {
            "code": "grids.job_interrupted",
            "message": {"zh": "设计任务已中断(服务重启)", "en": "The design job was interrupted"},
            "details": None,
        }
    progress = job.progress
    return JobOut(
        id=job.id,
        squadron_id=job.squadron_id,
        status=status,
        stop_requested=job.stop_requested,
        progress=None
        if progress is None
        else JobProgress(**{k: progress[k] for k in JobProgress.model_fields if k in progress}),
        plan_id=job.plan_id,
        error=error,
        params=job.params,
        created_by=job.created_by,
        created_at=job.created_at,
        finished_at=job.finished_at,
    )


# ---- helpers -------------------------------------------------------------------------------------


async def require_squadron(session: AsyncSession, squadron_id: int) -> None:
    if await org_service.get_squadron(session, squadron_id) is None:
        raise SQUADRON_NOT_FOUND


async def _plan(session: AsyncSession, plan_id: int, *, lock: bool = False) -> GridPlan:
    plan = await service.get_plan(session, plan_id, lock=lock)
    if plan is None:
        raise PLAN_NOT_FOUND
    return plan


async def plan_state(session: AsyncSession, plan: GridPlan) -> PlanState:
    grids = (await service.plan_grids(session, [plan.id]))[plan.id]
    units = await service.plan_units(session, plan.id)
    return PlanState.of(
        plan.id,
        plan.k,
        [(g.number, g.name, g.colour) for g in grids],
        [(u.unit_key, u.grid_number, u.locked_grid) for u in units],
        plan.params,
    )


def stored_weights(settings: GridSettings | None) -> dict[str, float]:
    if settings is None:
        return dict(DEFAULT_WEIGHTS)
    return {f: float(settings.weights.get(f, 0.0)) for f in FIGURES}


async def _publish(bus: Bus, name: str, data: dict[str, Any]) -> None:
    await bus.publish(Event(TOPIC, name, data))


# ---- territory -----------------------------------------------------------------------------------


async def territory_out(session: AsyncSession, squadron_id: int) -> TerritoryOut:
    rows = await service.territory_of(session, squadron_id)
    areas = await service.areas_by_key(session, [r.area_key for r in rows])
    return TerritoryOut(
        squadron_id=squadron_id,
        areas=[
            TerritoryAreaOut(
                key=r.area_key,
                name=areas[r.area_key].name if r.area_key in areas else None,
                kind=areas[r.area_key].kind if r.area_key in areas else None,
                granularity=Granularity(r.granularity),
                present=r.area_key in areas,
            )
            for r in rows
        ],
    )


def _default_granularity(kind: str) -> Granularity:
    return Granularity.segments if kind == "subdistrict" else Granularity.area


async def set_territory(
    session: AsyncSession, bus: Bus, squadron_id: int, body: TerritoryIn, actor: Actor
) -> TerritoryOut:
    """Replace the squadron's areas. Each must exist in the current network, belong to no
    other squadron and not overlap another squadron's (or another of its own) areas."""
    await require_squadron(session, squadron_id)
    keys = [a.key for a in body.areas]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise AppError(
            422, "grids.area_repeated", "区域重复", "An area is listed twice", {"areas": repeated}
        )
    areas = await service.areas_by_key(session, keys)
    unknown = [k for k in keys if k not in areas]
    if unknown:
        raise AppError(
            422,
            "grids.unknown_area",
            "路网中没有这些区域",
            "These areas are not in the road network",
            {"areas": unknown},
        )
    others = [t for t in await service.all_territories(session) if t.squadron_id != squadron_id]
    taken = {t.area_key: t.squadron_id for t in others if t.area_key in areas}
    if taken:
        raise AppError(
            409,
            "grids.area_taken",
            "区域已属于其他中队",
            "These areas already belong to another squadron",
            {"areas": taken},
        )
    other_areas = await service.areas_by_key(session, [t.area_key for t in others])
    overlaps = _overlaps(list(areas.values()), list(other_areas.values()))
    if overlaps:
        raise AppError(
            409,
            "grids.territory_overlap",
            "区域之间相互重叠(如镇与其下辖社区),同一地方只能属于一个中队的一个区域",
            "These areas overlap (e.g. a town and one of its communities): a place can belong "
            "to one area of one squadron only",
            {"pairs": overlaps},
        )
    before = (await territory_out(session, squadron_id)).model_dump(mode="json")
    rows = [
        (a.key, (a.granularity or _default_granularity(areas[a.key].kind)).value)
        for a in body.areas
    ]
    await service.replace_territory(session, squadron_id, rows)
    out = await territory_out(session, squadron_id)
    audit.record(
        session,
        actor,
        "grids.territory_set",
        "squadron",
        squadron_id,
        before,
        out.model_dump(mode="json"),
    )
    await session.commit()
    await _publish(bus, "territory.updated", out.model_dump(mode="json"))
    return out


def _overlaps(mine: Sequence[Any], others: Sequence[Any]) -> list[list[str]]:
    shapes = [shapely.make_valid(shapely.geometry.shape(a.geometry)) for a in mine]
    other_shapes = [shapely.make_valid(shapely.geometry.shape(a.geometry)) for a in others]
    pairs = []
    candidates = [
        (i, j, shapes[j], mine[j]) for i in range(len(mine)) for j in range(i + 1, len(mine))
    ]
    candidates += [
        (i, -1, other_shapes[j], others[j]) for i in range(len(mine)) for j in range(len(others))
    ]
    for i, _, shape, other in candidates:
        first = shapes[i]
        if not first.intersects(shape):
            continue
        smaller = min(first.area, shape.area)
        if smaller > 0 and first.intersection(shape).area > _OVERLAP_SHARE * smaller:
            pairs.append([mine[i].key, other.key])
    return pairs


# ---- settings and ratings ------------------------------------------------------------------------


async def settings_out(session: AsyncSession, squadron_id: int) -> SettingsOut:
    settings = await service.get_settings(session, squadron_id)
    return SettingsOut(
        squadron_id=squadron_id,
        weights=stored_weights(settings),
        police_total=settings.police_total if settings else None,
        police_people=await service.people_count(session, squadron_id),
        accidents_from=settings.accidents_from if settings else None,
        accidents_to=settings.accidents_to if settings else None,
        figures={f.value: Label(zh=zh, en=en) for f, (zh, en) in FIGURE_LABELS.items()},
    )


async def update_settings(
    session: AsyncSession, bus: Bus, squadron_id: int, body: SettingsIn, actor: Actor
) -> SettingsOut:
    await require_squadron(session, squadron_id)
    before = (await settings_out(session, squadron_id)).model_dump(mode="json")
    weights = (
        dict(DEFAULT_WEIGHTS)
        if body.weights is None
        else {f: float(body.weights.get(Figure(f), 0.0)) for f in FIGURES}
    )
    settings = await service.get_settings(session, squadron_id)
    if settings is None:
        settings = GridSettings(squadron_id=squadron_id, weights=weights)
        session.add(settings)
    settings.weights = weights
    settings.police_total = body.police_total
    settings.accidents_from = body.accidents_from
    settings.accidents_to = body.accidents_to
    settings.updated_at = utcnow()
    await session.flush()
    after = (await settings_out(session, squadron_id)).model_dump(mode="json")
    audit.record(session, actor, "grids.settings_updated", "squadron", squadron_id, before, after)
    await session.commit()
    await _publish(bus, "settings.updated", after)
    return SettingsOut.model_validate(after)


async def set_ratings(
    session: AsyncSession,
    bus: Bus,
    runtime: UnitCache,
    squadron_id: int,
    body: RatingsIn,
    actor: Actor,
) -> int:
    """Upsert difficulty/police per unit (or per area: `a:<area key>`); both null deletes."""
    await require_squadron(session, squadron_id)
    units = await runtime.units(session, squadron_id)
    own_areas = {f"a:{t.area_key}" for t in await service.territory_of(session, squadron_id)}
    unknown = sorted(
        {i.unit for i in body.items if i.unit not in units.index and i.unit not in own_areas}
    )
    if unknown:
        raise AppError(
            422,
            "grids.unknown_units",
            "这些单元不属于该中队",
            "These units are not the squadron's",
            {"units": unknown[:100]},
        )
    existing = {r.unit_key: r for r in await service.ratings(session, squadron_id)}
    changes = []
    now = utcnow()
    for item in body.items:
        row = existing.get(item.unit)
        before = None if row is None else [row.difficulty, row.police]
        if item.difficulty is None and item.police is None:
            if row is not None:
                await session.delete(row)
                existing.pop(item.unit)
        elif row is None:
            row = UnitRating(
                squadron_id=squadron_id,
                unit_key=item.unit,
                difficulty=item.difficulty,
                police=item.police,
                updated_at=now,
            )
            session.add(row)
            existing[item.unit] = row
        else:
            row.difficulty, row.police, row.updated_at = item.difficulty, item.police, now
        changes.append(
            {"unit": item.unit, "before": before, "after": [item.difficulty, item.police]}
        )
    await session.flush()
    audit.record(
        session, actor, "grids.ratings_set", "squadron", squadron_id, after={"changes": changes}
    )
    await session.commit()
    await _publish(bus, "figures.updated", {"squadron_id": squadron_id})
    return len(changes)


# ---- imports -------------------------------------------------------------------------------------


def _import_invalid(errors: Sequence[RowError]) -> AppError:
    return AppError(
        422,
        "grids.import_invalid",
        f"有 {len(errors)} 处错误,未导入任何数据",
        f"{len(errors)} problems found; nothing was imported",
        {"errors": [e.as_dict() for e in errors]},
    )


async def import_area_figures(
    session: AsyncSession, bus: Bus, filename: str, content: bytes, actor: Actor
) -> DriversImportResult:
    """Drivers/vehicles per area, all or nothing; listed areas are replaced, others kept."""
    areas = await service.list_areas(session)
    names: dict[str, list[str]] = {}
    for area in areas:
        names.setdefault(area.name, []).append(area.key)
    rows, errors = files.parse_area_figures(
        filename, content, {a.key: a.name for a in areas}, names
    )
    if errors:
        raise _import_invalid(errors)
    existing = await service.area_figures(session)
    now = utcnow()
    before = {}
    for row in rows:
        stored = existing.get(row.area_key)
        if stored is None:
            stored = AreaFigures(area_key=row.area_key)
            session.add(stored)
        else:
            before[row.area_key] = [stored.drivers, stored.vehicles]
        stored.drivers, stored.vehicles = row.drivers, row.vehicles
        stored.source, stored.generated, stored.updated_at = filename[:255], False, now
    await session.flush()
    audit.record(
        session,
        actor,
        "grids.area_figures_imported",
        "area_figures",
        None,
        before={"figures": before},
        after={
            "file": filename,
            "figures": {r.area_key: [r.drivers, r.vehicles] for r in rows},
        },
    )
    await session.commit()
    await _publish(bus, "figures.updated", {"areas": [r.area_key for r in rows]})
    return DriversImportResult(imported=len(rows), areas=[r.area_key for r in rows])


async def import_accidents(
    session: AsyncSession,
    bus: Bus,
    runtime: UnitCache,
    filename: str,
    content: bytes,
    actor: Actor,
    coords: files.CoordSystem = files.CoordSystem.wgs84,
    replace: bool = False,
) -> AccidentsImportResult:
    """All or nothing. Each accident is snapped to the nearest segment within ACCIDENT_SNAP_M
    (kept unsnapped, and counted nowhere, when no road is that close)."""
    rows, errors = files.parse_accidents(filename, content, coords)
    if errors:
        raise _import_invalid(errors)
    net = await runtime.network(session)
    router = await runtime.graph.router(session) if net is not None else None
    keys: list[str | None] = [None] * len(rows)
    distances: list[float | None] = [None] * len(rows)
    if net is not None and router is not None:
        snaps = await asyncio.to_thread(
            router.snap_many, [(r.lon, r.lat) for r in rows], ACCIDENT_SNAP_M
        )
        for i, snap in enumerate(snaps):
            if snap is not None and snap.segment_id in net.seg_index_by_id:
                keys[i] = net.seg_keys[net.seg_index_by_id[snap.segment_id]]
                distances[i] = round(snap.distance_m, 2)
    replaced = 0
    if replace:
        replaced, _ = await service.accident_counts(session)
        await session.execute(delete(Accident))
    now = utcnow()
    version = net.version if net is not None else None
    values = [
        {
            "occurred_on": r.occurred_on,
            "occurred_time": r.occurred_time,
            "lon": r.lon,
            "lat": r.lat,
            "deaths": r.deaths,
            "injuries": r.injuries,
            "station": r.station,
            "ref": r.ref,
            "source": filename[:255],
            "generated": False,
            "segment_key": keys[i],
            "snap_m": distances[i],
            "snap_version": version,
            "imported_at": now,
        }
        for i, r in enumerate(rows)
    ]
    for start in range(0, len(values), _INSERT_BATCH):
        await session.execute(insert(Accident), values[start : start + _INSERT_BATCH])
    by_year: dict[str, int] = {}
    for r in rows:
        by_year[str(r.occurred_on.year)] = by_year.get(str(r.occurred_on.year), 0) + 1
    snapped = sum(1 for k in keys if k is not None)
    result = AccidentsImportResult(
        imported=len(rows),
        replaced=replaced,
        by_year=dict(sorted(by_year.items())),
        snapped=snapped,
        unsnapped=len(rows) - snapped,
        network_version=version,
    )
    audit.record(
        session,
        actor,
        "grids.accidents_imported",
        "accidents",
        None,
        after={"file": filename, "coords": coords.value, **result.model_dump()},
    )
    await session.commit()
    await _publish(bus, "accidents.imported", result.model_dump())
    return result


# ---- figures -------------------------------------------------------------------------------------


def unit_shares(units: UnitSet, weights: Mapping[str, float]) -> Any:
    totals = units.figures.sum(axis=0)
    raw = np.array([float(weights.get(f, 0.0)) for f in FIGURES])
    raw = np.where(totals > 0, raw, 0.0)
    if raw.sum() <= 0:
        return np.zeros(units.n)
    shares = np.divide(units.figures, totals, out=np.zeros_like(units.figures), where=totals > 0)
    return shares @ (raw / raw.sum())


async def figures_summary(
    session: AsyncSession, runtime: UnitCache, squadron_id: int
) -> FiguresSummary:
    await require_squadron(session, squadron_id)
    units = await runtime.units(session, squadron_id, fresh_incidents=True)
    settings = await service.get_settings(session, squadron_id)
    incidents = await runtime.incident_counts(session, units.network, settings)
    own = {t.area_key for t in await service.territory_of(session, squadron_id)}
    figures = await service.area_figures(session)
    _, generated_accidents = await service.accident_counts(session)
    generated = generated_accidents > 0 or any(
        row.generated for key, row in figures.items() if key in own
    )
    totals = units.figures.sum(axis=0)
    return FiguresSummary(
        squadron_id=squadron_id,
        network_version=units.network.version,
        units=units.n,
        segment_units=sum(1 for k in units.kinds if k == "segment"),
        area_units=sum(1 for k in units.kinds if k == "area"),
        totals={f: round(float(t), 4) for f, t in zip(FIGURES, totals.tolist(), strict=True)},
        weights=stored_weights(settings),
        missing_areas=units.missing_areas,
        notes=[Label(zh=zh, en=en) for zh, en in units.notes],
        generated=generated,
        difficulty=difficulty_summary(units, incidents),
    )


def difficulty_summary(units: UnitSet, incidents: IncidentCounts) -> DifficultySummary:
    """Where the ratings come from, and the incidents per road km behind each rating the
    incidents give (every unit with incidents sets the quintiles, hand-rated ones included)."""
    sources = dict.fromkeys((s.value for s in DifficultySource), 0)
    for source in units.difficulty_source:
        sources[source] += 1
    road_km = units.figures[:, FIGURES.index(Figure.road_km.value)]
    scored = (road_km > 0) & (units.incidents > 0)
    derived = incident_ratings(road_km, units.incidents)
    density = np.divide(units.incidents, road_km, out=np.zeros(units.n), where=road_km > 0)
    bands = []
    for rating in range(1, DIFFICULTY_LEVELS + 1):
        members = density[scored & (derived == rating)]
        if members.size:
            bands.append(
                RatingBand(
                    rating=rating,
                    units=int(members.size),
                    min_per_km=round(float(members.min()), 4),
                    max_per_km=round(float(members.max()), 4),
                )
            )
    return DifficultySummary(
        sources=sources,
        incidents=int(units.incidents.sum()),
        incidents_from=incidents.start,
        incidents_to=incidents.end,
        bands=bands,
    )


def unit_geometry(units: UnitSet, i: int) -> dict[str, Any] | None:
    net = units.network
    if units.kinds[i] == "segment":
        coords = net.coords[int(units.segments[i][0])]
        return {"type": "LineString", "coordinates": [[round(c, 7) for c in p] for p in coords]}
    area = net.areas[net.area_index[units.area_keys[i]]]
    return area.geometry


async def units_geojson(
    session: AsyncSession, runtime: UnitCache, squadron_id: int, plan_id: int | None
) -> dict[str, Any]:
    await require_squadron(session, squadron_id)
    units = await runtime.units(session, squadron_id, fresh_incidents=True)
    settings = await service.get_settings(session, squadron_id)
    weights = stored_weights(settings)
    grid_of: dict[str, tuple[int, bool]] = {}
    if plan_id is not None:
        plan = await _plan(session, plan_id)
        if plan.squadron_id != squadron_id:
            raise AppError(
                422,
                "grids.plan_other_squadron",
                "方案不属于该中队",
                "The plan is another squadron's",
            )
        grid_of = {
            u.unit_key: (u.grid_number, u.locked_grid is not None)
            for u in await service.plan_units(session, plan_id)
        }
    shares = unit_shares(units, weights)
    areas = units.network.area_index
    features = []
    for i, uid in enumerate(units.ids):
        grid = grid_of.get(uid)
        features.append(
            {
                "type": "Feature",
                "id": uid,
                "geometry": unit_geometry(units, i),
                "properties": {
                    "unit": uid,
                    "kind": units.kinds[i],
                    "name": units.names[i],
                    "area": units.area_keys[i],
                    "area_name": units.network.areas[areas[units.area_keys[i]]].name,
                    "workload": round(float(shares[i]), 8),
                    "grid": None if grid is None else grid[0],
                    "locked": False if grid is None else grid[1],
                    "difficulty_rating": int(units.difficulty_rating[i]),
                    "difficulty_source": units.difficulty_source[i],
                    "incidents": int(units.incidents[i]),
                    **{
                        f: round(float(v), 6)
                        for f, v in zip(FIGURES, units.figures[i].tolist(), strict=True)
                    },
                },
            }
        )
    return {
        "type": "FeatureCollection",
        "features": features,
        "squadron_id": squadron_id,
        "network_version": units.network.version,
        "weights": weights,
        "missing_areas": units.missing_areas,
    }


# ---- plans: reading ------------------------------------------------------------------------------


async def evaluate_plan(session: AsyncSession, runtime: UnitCache, plan: GridPlan) -> Evaluation:
    units = await runtime.units(session, plan.squadron_id)
    state = await plan_state(session, plan)
    return await asyncio.to_thread(ev.evaluate, units, state)


async def plan_detail(session: AsyncSession, runtime: UnitCache, plan_id: int) -> PlanDetail:
    plan = await _plan(session, plan_id)
    summary = (await service.summaries(session, [plan]))[0]
    rows = await service.plan_units(session, plan.id)
    return PlanDetail(
        plan=summary,
        units=[_unit_out(u) for u in rows],
        evaluation=await evaluate_plan(session, runtime, plan),
    )


async def compare_plans(
    session: AsyncSession, runtime: UnitCache, a_id: int, b_id: int
) -> Comparison:
    a, b = await _plan(session, a_id), await _plan(session, b_id)
    if a.squadron_id != b.squadron_id:
        raise AppError(
            422,
            "grids.compare_other_squadron",
            "只能比较同一中队的方案",
            "Only plans of the same squadron can be compared",
        )
    units = await runtime.units(session, a.squadron_id)
    state_a, state_b = await plan_state(session, a), await plan_state(session, b)
    eval_a = await asyncio.to_thread(ev.evaluate, units, state_a)
    eval_b = await asyncio.to_thread(ev.evaluate, units, state_b)
    moved, transfers, grids = ev.compare(units, state_a, state_b, eval_a, eval_b)
    summary_a, summary_b = await service.summaries(session, [a, b])
    return Comparison(
        a=summary_a,
        b=summary_b,
        moved=moved,
        moved_count=len(moved),
        transfers=transfers,
        grids=grids,
        summary_a=eval_a.summary,
        summary_b=eval_b.summary,
    )


async def export_plan(
    session: AsyncSession, runtime: UnitCache, plan_id: int, fmt: str, layer: str
) -> bytes | dict[str, Any]:
    plan = await _plan(session, plan_id)
    units = await runtime.units(session, plan.squadron_id)
    state = await plan_state(session, plan)
    evaluation = await asyncio.to_thread(ev.evaluate, units, state)
    areas = units.network.area_index
    rows = [
        files.ExportUnit(
            key=uid,
            kind=units.kinds[i],
            name=units.names[i],
            area=units.network.areas[areas[units.area_keys[i]]].name,
            grid=state.assignment.get(uid),
            locked=uid in state.locks,
            figures=dict(zip(FIGURES, units.figures[i].tolist(), strict=True)),
            geometry=unit_geometry(units, i),
        )
        for i, uid in enumerate(units.ids)
    ]
    summary = (await service.summaries(session, [plan]))[0]
    if fmt == "xlsx":
        title = f"{summary.name}(第 {plan.version} 版,{PlanStatus(plan.status).value})"
        return await asyncio.to_thread(files.plan_xlsx, evaluation, rows, title)
    header = summary.model_dump(mode="json", exclude={"params"})
    return files.plan_geojson(header, evaluation, rows, layer)


LOCATE_SNAP_M = 200.0


async def locate(session: AsyncSession, runtime: UnitCache, lon: float, lat: float) -> Located:
    """The grid of a point (a person's position, an incident): the nearest segment within
    LOCATE_SNAP_M, the squadron whose unit it is, and that unit's grid in the active plan."""
    net = await runtime.network(session)
    router = await runtime.graph.router(session) if net is not None else None
    if net is None or router is None:
        raise NO_NETWORK
    snap = router.snap(lon, lat, LOCATE_SNAP_M)
    if snap is None or snap.segment_id not in net.seg_index_by_id:
        raise AppError(
            404,
            "geo.no_segment_nearby",
            "附近没有道路",
            "No road near this point",
            {"max_distance_m": LOCATE_SNAP_M},
        )
    segment = net.seg_index_by_id[snap.segment_id]
    found = Located(
        segment_key=net.seg_keys[segment],
        distance_m=round(snap.distance_m, 2),
        squadron_id=None,
        unit=None,
        plan_id=None,
        grid=None,
    )
    for territory in sorted({t.squadron_id for t in await service.all_territories(session)}):
        units = await runtime.units(session, territory)
        at = int(units.unit_of_segment[segment]) if units.unit_of_segment.size else -1
        if at < 0:
            continue
        unit = units.ids[at]
        found = found.model_copy(update={"squadron_id": territory, "unit": unit})
        plan = await service.active_plan(session, territory)
        if plan is None:
            break
        row = next(
            (u for u in await service.plan_units(session, plan.id) if u.unit_key == unit), None
        )
        summary = (await service.summaries(session, [plan]))[0]
        grid = next((g for g in summary.grids if row and g.number == row.grid_number), None)
        found = found.model_copy(update={"plan_id": plan.id, "grid": grid})
        break
    return found


# ---- plans: changes ------------------------------------------------------------------------------


async def _insert_plan(
    session: AsyncSession,
    *,
    squadron_id: int,
    name: str | None,
    k: int,
    method: str,
    params: dict[str, Any],
    grids: Sequence[tuple[int, str, str]],
    units: Sequence[tuple[str, int, int | None]],  # key, grid, the grid it is locked to
    parent_id: int | None,
    network_version: int | None,
    actor: Actor,
    action: str,
) -> GridPlan:
    version = await service.next_version(session, squadron_id)
    plan = GridPlan(
        squadron_id=squadron_id,
        version=version,
        name=(name or f"方案 {version}")[:100],
        status=PlanStatus.draft.value,
        k=k,
        method=method,
        params=params,
        parent_id=parent_id,
        network_version=network_version,
        created_by=actor.name,
    )
    session.add(plan)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent plan took the version number
        await session.rollback()
        raise AppError(
            409, "grids.plan_conflict", "方案版本冲突,请重试", "Plan version conflict; try again"
        ) from exc
    session.add_all(PlanGrid(plan_id=plan.id, number=n, name=nm, colour=c) for n, nm, c in grids)
    values = [
        {"plan_id": plan.id, "unit_key": key, "grid_number": grid, "locked_grid": locked}
        for key, grid, locked in units
    ]
    for start in range(0, len(values), _INSERT_BATCH):
        await session.execute(insert(PlanUnit), values[start : start + _INSERT_BATCH])
    await session.flush()
    audit.record(
        session,
        actor,
        action,
        "grid_plan",
        plan.id,
        after={**service.plan_snapshot(plan), "units": len(values)},
    )
    return plan


async def save_designed_plan(
    session: AsyncSession,
    bus: Bus,
    squadron_id: int,
    plan: Plan,
    params: dict[str, Any],
    name: str,
    network_version: int,
    job_id: int | None,
    actor: Actor,
) -> GridPlan:
    locked = set(params.get("locked_units") or [])
    report = {
        "job_id": job_id,
        "method": plan.method,
        "iterations": plan.iterations,
        "elapsed_s": round(plan.elapsed_s, 3),
        "stopped_early": plan.stopped_early,
        "objective": _finite(plan.objective),
        "excess": _finite(plan.excess),
        "max_deviation": plan.metrics.max_deviation,
        "notes": list(plan.notes),
    }
    stored = await _insert_plan(
        session,
        squadron_id=squadron_id,
        name=name,
        k=plan.k,
        method=plan.method,
        params={**{k: v for k, v in params.items() if k != "locked_units"}, "design": report},
        grids=[(n, grid_default_name(n), grid_colour(n)) for n in range(1, plan.k + 1)],
        units=[
            (key, grid + 1, grid + 1 if key in locked else None)
            for key, grid in sorted(plan.assignment.items())
        ],
        parent_id=params.get("locks_from"),
        network_version=network_version,
        actor=actor,
        action="grids.plan_designed",
    )
    await session.commit()
    summary = (await service.summaries(session, [stored]))[0]
    await _publish(bus, "plan.created", summary.model_dump(mode="json"))
    return stored


async def copy_plan(
    session: AsyncSession, bus: Bus, plan_id: int, body: CopyIn, actor: Actor
) -> GridPlan:
    source = await _plan(session, plan_id)
    state = await plan_state(session, source)
    params = {**source.params, "copied_from": source.id}
    copy = await _insert_plan(
        session,
        squadron_id=source.squadron_id,
        name=body.name or f"{source.name} 副本"[:100],
        k=source.k,
        method="copy",
        params=params,
        grids=list(state.grids),
        units=[(key, grid, state.locks.get(key)) for key, grid in sorted(state.assignment.items())],
        parent_id=source.id,
        network_version=await service.network_version(session),
        actor=actor,
        action="grids.plan_copied",
    )
    await session.commit()
    summary = (await service.summaries(session, [copy]))[0]
    await _publish(bus, "plan.created", summary.model_dump(mode="json"))
    return copy


async def update_plan(
    session: AsyncSession, bus: Bus, plan_id: int, body: PlanUpdate, actor: Actor
) -> GridPlan:
    plan = await _plan(session, plan_id, lock=True)
    changes = {f: v for f, v in body.model_dump(exclude_unset=True).items() if v is not None}
    changes = {f: v for f, v in changes.items() if getattr(plan, f) != v}
    if not changes:
        return plan
    before = {f: getattr(plan, f) for f in changes}
    for f, v in changes.items():
        setattr(plan, f, v)
    plan.updated_at = utcnow()
    audit.record(session, actor, "grids.plan_updated", "grid_plan", plan.id, before, changes)
    await session.commit()
    await _publish(bus, "plan.updated", {"id": plan.id, "squadron_id": plan.squadron_id, **changes})
    return plan


async def delete_plan(session: AsyncSession, bus: Bus, plan_id: int, actor: Actor) -> None:
    plan = await _plan(session, plan_id, lock=True)
    if plan.status != PlanStatus.draft.value:
        raise AppError(
            409,
            "grids.plan_not_draft",
            "只能删除草稿方案",
            "Only a draft plan can be deleted",
            {"status": plan.status},
        )
    audit.record(
        session,
        actor,
        "grids.plan_deleted",
        "grid_plan",
        plan.id,
        before=service.plan_snapshot(plan),
    )
    squadron_id = plan.squadron_id
    await session.delete(plan)
    await session.commit()
    await _publish(bus, "plan.deleted", {"id": plan_id, "squadron_id": squadron_id})


async def update_grid(
    session: AsyncSession, bus: Bus, plan_id: int, number: int, body: GridUpdate, actor: Actor
) -> PlanGrid:
    """Rename or recolour a grid (draft or active plans; a retired plan is history)."""
    plan = await _plan(session, plan_id, lock=True)
    if plan.status == PlanStatus.retired.value:
        raise AppError(
            409, "grids.plan_retired", "已停用的方案不能修改", "A retired plan cannot be changed"
        )
    grid = next(
        (g for g in (await service.plan_grids(session, [plan.id]))[plan.id] if g.number == number),
        None,
    )
    if grid is None:
        raise not_found("网格", "Grid", "grids.grid_not_found")
    changes = {f: v for f, v in body.model_dump(exclude_unset=True).items() if v is not None}
    changes = {f: v for f, v in changes.items() if getattr(grid, f) != v}
    if not changes:
        return grid
    before = {f: getattr(grid, f) for f in changes}
    for f, v in changes.items():
        setattr(grid, f, v)
    plan.updated_at = utcnow()
    audit.record(
        session,
        actor,
        "grids.grid_updated",
        "grid_plan",
        plan.id,
        {"grid": number, **before},
        {"grid": number, **changes},
    )
    await session.commit()
    await _publish(
        bus,
        "plan.updated",
        {"id": plan.id, "squadron_id": plan.squadron_id, "grid": number, **changes},
    )
    return grid


def _unit_out(row: PlanUnit) -> PlanUnitOut:
    return PlanUnitOut(
        unit=row.unit_key,
        grid=row.grid_number,
        locked=row.locked_grid is not None,
        locked_grid=row.locked_grid,
    )


async def _check_units(
    session: AsyncSession, runtime: UnitCache, plan: GridPlan, keys: Sequence[str]
) -> dict[str, PlanUnit]:
    rows = {u.unit_key: u for u in await service.plan_units(session, plan.id)}
    units = await runtime.units(session, plan.squadron_id)
    unknown = sorted({k for k in keys if k not in rows and k not in units.index})
    if unknown:
        raise AppError(
            422,
            "grids.unknown_units",
            "这些单元不属于该中队",
            "These units are not the squadron's",
            {"units": unknown[:100]},
        )
    return rows


async def move_units(
    session: AsyncSession, bus: Bus, runtime: UnitCache, plan_id: int, body: MoveIn, actor: Actor
) -> MoveOut:
    """Move units (one, or a lasso's worth) to a grid and answer with the plan's new figures.
    A move that breaks a rule (contiguity, a barrier, a town split, a lock) is made and the
    violation reported in the answer."""
    plan = await _plan(session, plan_id, lock=True)
    if plan.status != PlanStatus.draft.value:
        raise _plan_not_draft(plan)
    if body.to_grid > plan.k:
        raise AppError(
            422,
            "grids.grid_not_found",
            f"网格 {body.to_grid} 不存在(共 {plan.k} 个)",
            f"There is no grid {body.to_grid} (the plan has {plan.k})",
            {"k": plan.k},
        )
    keys = list(dict.fromkeys(body.units))
    rows = await _check_units(session, runtime, plan, keys)
    moved = []
    before: dict[str, int | None] = {}
    unchanged = 0
    for key in keys:
        row = rows.get(key)
        if row is not None and row.grid_number == body.to_grid:
            unchanged += 1
            continue
        before[key] = None if row is None else row.grid_number
        if row is None:
            row = PlanUnit(plan_id=plan.id, unit_key=key, grid_number=body.to_grid)
            session.add(row)
        else:
            row.grid_number = body.to_grid
        moved.append(_unit_out(row))
    if moved:
        plan.updated_at = utcnow()
        audit.record(
            session,
            actor,
            "grids.units_moved",
            "grid_plan",
            plan.id,
            {"units": before},
            {"units": dict.fromkeys(before, body.to_grid)},
        )
        await session.commit()
    evaluation = await evaluate_plan(session, runtime, plan)
    if moved:
        await _publish(
            bus,
            "plan.updated",
            {
                "id": plan.id,
                "squadron_id": plan.squadron_id,
                "moved": [m.unit for m in moved],
                "to_grid": body.to_grid,
            },
        )
    return MoveOut(moved=moved, unchanged=unchanged, evaluation=evaluation)


async def lock_units(
    session: AsyncSession, bus: Bus, runtime: UnitCache, plan_id: int, body: LockIn, actor: Actor
) -> LockOut:
    """Lock units to the grid they are in (a design from this plan keeps them there; moving
    one away by hand is reported as a broken lock), or unlock them. A unit must have a grid to
    be locked."""
    plan = await _plan(session, plan_id, lock=True)
    if plan.status != PlanStatus.draft.value:
        raise _plan_not_draft(plan)
    keys = list(dict.fromkeys(body.units))
    rows = await _check_units(session, runtime, plan, keys)
    without = sorted(k for k in keys if k not in rows)
    if without:
        raise AppError(
            422,
            "grids.unit_unassigned",
            "单元尚未分到网格,不能锁定",
            "These units have no grid yet, so they cannot be locked",
            {"units": without[:100]},
        )
    changes: dict[str, list[int | None]] = {}
    for key in keys:
        row = rows[key]
        target = row.grid_number if body.locked else None
        if row.locked_grid != target:
            changes[key] = [row.locked_grid, target]
            row.locked_grid = target
    if changes:
        plan.updated_at = utcnow()
        audit.record(
            session,
            actor,
            "grids.units_locked" if body.locked else "grids.units_unlocked",
            "grid_plan",
            plan.id,
            {"units": {k: v[0] for k, v in changes.items()}},
            {"units": {k: v[1] for k, v in changes.items()}},
        )
        await session.commit()
        await _publish(
            bus,
            "plan.updated",
            {
                "id": plan.id,
                "squadron_id": plan.squadron_id,
                "locked": body.locked,
                "units": list(changes),
            },
        )
    return LockOut(changed=len(changes), evaluation=await evaluate_plan(session, runtime, plan))


async def activate_plan(
    session: AsyncSession, bus: Bus, runtime: UnitCache, plan_id: int, actor: Actor
) -> GridPlan:
    """Draft → active; the squadron's active plan (if any) is retired in the same transaction.
    Refused while a grid is not contiguous (or only across a barrier), empty, or a unit of the
    squadron has no grid."""
    plan = await _plan(session, plan_id, lock=True)
    if plan.status == PlanStatus.active.value:
        return plan
    if plan.status != PlanStatus.draft.value:
        raise AppError(
            409,
            "grids.plan_retired",
            "已停用的方案不能再启用,请复制为新草稿",
            "A retired plan cannot be activated again; copy it to a new draft",
        )
    evaluation = await evaluate_plan(session, runtime, plan)
    blocking = ev.blocking(evaluation)
    if blocking or evaluation.unassigned_units:
        raise AppError(
            409,
            "grids.plan_invalid",
            "方案有不连片或空的网格、或有未分配的单元,不能启用",
            "The plan has a grid that is not contiguous or empty, or units without a grid; it "
            "cannot be activated",
            {
                "violations": [v.model_dump(mode="json") for v in blocking],
                "unassigned_units": evaluation.unassigned_units[:100],
            },
        )
    now = utcnow()
    previous = await service.active_plan(session, plan.squadron_id)
    if previous is not None:
        previous.status = PlanStatus.retired.value
        previous.retired_at = previous.updated_at = now
        audit.record(
            session,
            actor,
            "grids.plan_retired",
            "grid_plan",
            previous.id,
            before={"status": PlanStatus.active.value},
            after={"status": PlanStatus.retired.value, "replaced_by": plan.id},
        )
        await session.flush()
    plan.status = PlanStatus.active.value
    plan.activated_at = plan.updated_at = now
    audit.record(
        session,
        actor,
        "grids.plan_activated",
        "grid_plan",
        plan.id,
        before={"status": PlanStatus.draft.value},
        after={
            "status": PlanStatus.active.value,
            "retired": None if previous is None else previous.id,
            "max_deviation": None
            if evaluation.summary is None
            else evaluation.summary.max_deviation,
        },
    )
    try:
        await session.commit()
    except IntegrityError as exc:  # another activation for this squadron won the race
        await session.rollback()
        raise AppError(
            409,
            "grids.activate_conflict",
            "该中队刚启用了另一个方案,请刷新后重试",
            "Another plan of this squadron was just activated; reload and try again",
        ) from exc
    await _publish(
        bus,
        "plan.activated",
        {
            "id": plan.id,
            "squadron_id": plan.squadron_id,
            "retired": None if previous is None else previous.id,
        },
    )
    return plan


async def retire_plan(session: AsyncSession, bus: Bus, plan_id: int, actor: Actor) -> GridPlan:
    plan = await _plan(session, plan_id, lock=True)
    if plan.status != PlanStatus.active.value:
        raise AppError(
            409,
            "grids.plan_not_active",
            "只能停用正在使用的方案",
            "Only the active plan can be retired",
            {"status": plan.status},
        )
    plan.status = PlanStatus.retired.value
    plan.retired_at = plan.updated_at = utcnow()
    audit.record(
        session,
        actor,
        "grids.plan_retired",
        "grid_plan",
        plan.id,
        before={"status": PlanStatus.active.value},
        after={"status": PlanStatus.retired.value},
    )
    await session.commit()
    await _publish(bus, "plan.retired", {"id": plan.id, "squadron_id": plan.squadron_id})
    return plan


# ---- design jobs ---------------------------------------------------------------------------------


async def start_design(
    session: AsyncSession, bus: Bus, runtime: Grids, squadron_id: int, body: DesignIn, actor: Actor
) -> DesignJob:
    """Check the request (a bad one is refused here, not in the job), then run the engine in a
    worker thread; progress goes out on the `grids` topic and into the job row."""
    await require_squadron(session, squadron_id)
    alive = utcnow() - dt.timedelta(seconds=JOB_STALE_S)
    running = await service.running_jobs(session, alive)
    if any(j.squadron_id == squadron_id for j in running):
        raise AppError(
            409,
            "grids.job_running",
            "该中队已有设计任务在运行",
            "A design job is already running for this squadron",
            {"jobs": [j.id for j in running if j.squadron_id == squadron_id]},
        )
    if runtime.running_here() >= MAX_RUNNING_JOBS:
        raise AppError(
            409,
            "grids.designer_busy",
            "设计任务过多,请稍后再试",
            "Too many design jobs are running; try again shortly",
        )
    units = await runtime.units(session, squadron_id, fresh_incidents=True)
    if units.n == 0:
        raise AppError(
            422,
            "grids.no_units",
            "该中队没有可划分的单元(请先设置辖区)",
            "The squadron has no units to divide (set its territory first)",
        )
    settings = await service.get_settings(session, squadron_id)
    weights = (
        {f: float(body.weights.get(Figure(f), 0.0)) for f in FIGURES}
        if body.weights is not None
        else stored_weights(settings)
    )
    locked: dict[str, int] = {}
    if body.locks_from is not None:
        base = await _plan(session, body.locks_from)
        if base.squadron_id != squadron_id:
            raise AppError(
                422,
                "grids.plan_other_squadron",
                "方案不属于该中队",
                "The plan is another squadron's",
            )
        locked = {
            u.unit_key: u.locked_grid - 1
            for u in await service.plan_units(session, base.id)
            if u.locked_grid is not None and u.unit_key in units.index
        }
        beyond = sorted({g + 1 for g in locked.values() if g >= body.k})
        if beyond:
            raise AppError(
                422,
                "grids.locks_beyond_k",
                f"锁定的单元属于网格 {beyond},超出了 {body.k} 个网格",
                f"Units are locked to grids {beyond}, beyond the {body.k} grids asked for",
                {"grids": beyond},
            )
    barriers = [[[lon, lat] for lon, lat in line] for line in body.barriers]
    graph = await asyncio.to_thread(
        units.graph, barriers=barriers, town_whole=body.town_whole, locked=locked
    )
    options = DesignOptions(
        figure_weights=weights,
        tolerance=body.tolerance,
        seed=body.seed,
        time_limit_s=body.time_limit_s,
        max_rounds=body.max_rounds,
        patience=min(300, max(body.max_rounds, 1)),
        method=body.method,
    )
    await asyncio.to_thread(compile_problem, graph, body.k, options)  # DesignInputError → 422
    params = {
        "k": body.k,
        "weights": weights,
        "tolerance": body.tolerance,
        "method": body.method,
        "time_limit_s": body.time_limit_s,
        "max_rounds": body.max_rounds,
        "seed": body.seed,
        "town_whole": body.town_whole,
        "barriers": barriers,
        "locks_from": body.locks_from,
    }
    job = DesignJob(
        squadron_id=squadron_id,
        status=JobStatus.running.value,
        params={**params, "barriers": len(barriers), "units": units.n},
        created_by=actor.name,
    )
    session.add(job)
    await session.flush()
    audit.record(
        session, actor, "grids.design_started", "grid_design_job", job.id, after=job.params
    )
    await session.commit()
    name = (
        body.name
        or f"自动设计 {utcnow().astimezone(dt.timezone(dt.timedelta(hours=8))):%m-%d %H:%M}"
    )
    runtime.launch(
        job.id,
        squadron_id,
        graph,
        body.k,
        options,
        {**params, "locked_units": sorted(locked)},
        name,
        units.network.version,
        actor,
    )
    await bus.publish(
        Event(TOPIC, "design.started", job_out(job).model_dump(mode="json"), key=f"design:{job.id}")
    )
    return job


async def stop_design(
    session: AsyncSession, runtime: Grids, job_id: int, actor: Actor
) -> DesignJob:
    """Ask the job to stop: it saves the best plan found so far as a draft."""
    job = await service.get_job(session, job_id)
    if job is None:
        raise JOB_NOT_FOUND
    if job.status != JobStatus.running.value:
        return job
    if not job.stop_requested:
        job.stop_requested = True
        audit.record(session, actor, "grids.design_stopped", "grid_design_job", job.id)
        await session.commit()
    runtime.stop_local(job_id)
    return job
