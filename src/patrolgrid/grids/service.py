"""Data access for the grids domain. No side effects beyond the session it is given."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from patrolgrid.grids.models import (
    Accident,
    AreaFigures,
    DesignJob,
    GridOut,
    GridPlan,
    GridSettings,
    JobStatus,
    PlanGrid,
    PlanStatus,
    PlanSummary,
    PlanUnit,
    Territory,
    UnitRating,
)
from patrolgrid.grids.units import AreaRow, SegmentRow
from patrolgrid.incidents.models import Incident, IncidentStatus
from patrolgrid.org.models import Person
from patrolgrid.roads.models import Area, Road, RoadNetwork, RoadSegment

# ---- the network ---------------------------------------------------------------------------------


async def network_version(session: AsyncSession) -> int | None:
    version: int | None = await session.scalar(select(RoadNetwork.version).limit(1))
    return version


async def network_imported_at(session: AsyncSession) -> dt.datetime | None:
    imported: dt.datetime | None = await session.scalar(select(RoadNetwork.imported_at).limit(1))
    return imported


async def network_rows(session: AsyncSession) -> tuple[list[SegmentRow], list[AreaRow]]:
    segments = await session.execute(
        select(
            RoadSegment.id,
            RoadSegment.key,
            RoadSegment.from_node_id,
            RoadSegment.to_node_id,
            RoadSegment.length_m,
            RoadSegment.coords,
            Road.bridge,
            Road.name,
        )
        .join(Road, Road.id == RoadSegment.road_id)
        .order_by(RoadSegment.id)
    )
    areas = await session.execute(
        select(Area.key, Area.name, Area.kind, Area.admin_level, Area.geometry).order_by(Area.id)
    )
    return (
        [(i, k, f, t, length, c, bool(b), name) for i, k, f, t, length, c, b, name in segments],
        [(k, name, kind, level, geometry) for k, name, kind, level, geometry in areas],
    )


async def list_areas(session: AsyncSession) -> list[Area]:
    return list(await session.scalars(select(Area).order_by(Area.admin_level, Area.name)))


async def areas_by_key(session: AsyncSession, keys: Sequence[str]) -> dict[str, Area]:
    if not keys:
        return {}
    rows = await session.scalars(select(Area).where(Area.key.in_(list(keys))))
    return {area.key: area for area in rows}


async def segment_keys_by_id(session: AsyncSession, ids: Sequence[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(
        select(RoadSegment.id, RoadSegment.key).where(RoadSegment.id.in_(list(ids)))
    )
    return {int(i): key for i, key in rows}


# ---- territory, figures, ratings, settings -------------------------------------------------------


async def all_territories(session: AsyncSession) -> list[Territory]:
    return list(await session.scalars(select(Territory).order_by(Territory.id)))


async def territory_of(session: AsyncSession, squadron_id: int) -> list[Territory]:
    return list(
        await session.scalars(
            select(Territory).where(Territory.squadron_id == squadron_id).order_by(Territory.id)
        )
    )


async def replace_territory(
    session: AsyncSession, squadron_id: int, rows: Sequence[tuple[str, str]]
) -> None:
    await session.execute(delete(Territory).where(Territory.squadron_id == squadron_id))
    await session.flush()
    session.add_all(
        Territory(squadron_id=squadron_id, area_key=key, granularity=granularity)
        for key, granularity in rows
    )
    await session.flush()


async def area_figures(session: AsyncSession) -> dict[str, AreaFigures]:
    return {row.area_key: row for row in await session.scalars(select(AreaFigures))}


async def accident_rows(
    session: AsyncSession, start: dt.date | None, end: dt.date | None
) -> list[tuple[str | None, int | None, float, float]]:
    query = select(Accident.segment_key, Accident.snap_version, Accident.lon, Accident.lat)
    if start is not None:
        query = query.where(Accident.occurred_on >= start)
    if end is not None:
        query = query.where(Accident.occurred_on <= end)
    return [(key, version, lon, lat) for key, version, lon, lat in await session.execute(query)]


async def accident_years(session: AsyncSession) -> list[tuple[int, int, int, int, int]]:
    """(year, accidents, snapped, deaths, injuries) per year."""
    year = func.extract("year", Accident.occurred_on)
    rows = await session.execute(
        select(
            year,
            func.count(Accident.id),
            func.count(Accident.segment_key),
            func.coalesce(func.sum(Accident.deaths), 0),
            func.coalesce(func.sum(Accident.injuries), 0),
        )
        .group_by(year)
        .order_by(year)
    )
    return [(int(y), int(n), int(s), int(d), int(i)) for y, n, s, d, i in rows]


async def accident_counts(session: AsyncSession) -> tuple[int, int]:
    total, generated = (
        await session.execute(
            select(
                func.count(Accident.id),
                func.count(Accident.id).filter(Accident.generated.is_(True)),
            )
        )
    ).one()
    return int(total), int(generated)


def _counted_incidents(start: dt.datetime, end: dt.datetime) -> Any:
    """Incidents received in [start, end) that count towards difficulty: all but the cancelled
    (a false or duplicate report is no sign of a hard road)."""
    return (
        Incident.created_at >= start,
        Incident.created_at < end,
        Incident.status != IncidentStatus.cancelled.value,
    )


async def incidents_by_segment(
    session: AsyncSession, start: dt.datetime, end: dt.datetime
) -> list[tuple[int, int]]:
    """(road segment row id, incidents) of the counted incidents received in [start, end); the
    caller makes sure the stored network was imported before `start` (row ids are the current
    network's)."""
    rows = await session.execute(
        select(Incident.road_segment_id, func.count(Incident.id))
        .where(*_counted_incidents(start, end), Incident.road_segment_id.is_not(None))
        .group_by(Incident.road_segment_id)
    )
    return [(int(segment), int(n)) for segment, n in rows if segment is not None]


async def incident_points(
    session: AsyncSession, start: dt.datetime, end: dt.datetime
) -> list[tuple[int, float, float]]:
    """(id, lon, lat) of the counted incidents received in [start, end)."""
    rows = await session.execute(
        select(Incident.id, Incident.lon, Incident.lat)
        .where(*_counted_incidents(start, end))
        .order_by(Incident.id)
    )
    return [(int(i), float(lon), float(lat)) for i, lon, lat in rows]


async def ratings(session: AsyncSession, squadron_id: int) -> list[UnitRating]:
    return list(
        await session.scalars(
            select(UnitRating)
            .where(UnitRating.squadron_id == squadron_id)
            .order_by(UnitRating.unit_key)
        )
    )


async def get_settings(session: AsyncSession, squadron_id: int) -> GridSettings | None:
    return await session.get(GridSettings, squadron_id)


async def people_count(session: AsyncSession, squadron_id: int) -> int:
    return int(
        await session.scalar(
            select(func.count(Person.id)).where(
                Person.squadron_id == squadron_id, Person.active.is_(True)
            )
        )
        or 0
    )


async def fingerprint(session: AsyncSession, squadron_id: int) -> tuple[Any, ...]:
    """Changes whenever anything a squadron's units or figures are made of changes."""

    def scalar(column: Any, *where: Any) -> Any:
        return select(column).where(*where).scalar_subquery()

    row = (
        await session.execute(
            select(
                scalar(func.max(RoadNetwork.version)),
                scalar(func.count(Territory.id)),
                scalar(func.max(Territory.updated_at)),
                scalar(func.max(Territory.id)),
                scalar(func.count(AreaFigures.id)),
                scalar(func.max(AreaFigures.updated_at)),
                scalar(func.count(Accident.id)),
                scalar(func.max(Accident.id)),
                scalar(func.count(UnitRating.id), UnitRating.squadron_id == squadron_id),
                scalar(func.max(UnitRating.updated_at), UnitRating.squadron_id == squadron_id),
                scalar(GridSettings.updated_at, GridSettings.squadron_id == squadron_id),
                scalar(
                    func.count(Person.id),
                    Person.squadron_id == squadron_id,
                    Person.active.is_(True),
                ),
            )
        )
    ).one()
    return (squadron_id, *(str(v) for v in row))


# ---- plans ---------------------------------------------------------------------------------------


async def list_plans(
    session: AsyncSession, squadron_id: int | None, status: PlanStatus | None
) -> list[GridPlan]:
    query = select(GridPlan)
    if squadron_id is not None:
        query = query.where(GridPlan.squadron_id == squadron_id)
    if status is not None:
        query = query.where(GridPlan.status == status.value)
    return list(await session.scalars(query.order_by(GridPlan.squadron_id, GridPlan.version)))


async def get_plan(session: AsyncSession, plan_id: int, *, lock: bool = False) -> GridPlan | None:
    query = select(GridPlan).where(GridPlan.id == plan_id)
    if lock:
        query = query.with_for_update()
    plan: GridPlan | None = await session.scalar(query)
    return plan


async def active_plan(session: AsyncSession, squadron_id: int) -> GridPlan | None:
    plan: GridPlan | None = await session.scalar(
        select(GridPlan).where(
            GridPlan.squadron_id == squadron_id, GridPlan.status == PlanStatus.active.value
        )
    )
    return plan


async def next_version(session: AsyncSession, squadron_id: int) -> int:
    current = await session.scalar(
        select(func.max(GridPlan.version)).where(GridPlan.squadron_id == squadron_id)
    )
    return int(current or 0) + 1


async def plan_grids(session: AsyncSession, plan_ids: Sequence[int]) -> dict[int, list[PlanGrid]]:
    out: dict[int, list[PlanGrid]] = {i: [] for i in plan_ids}
    if not plan_ids:
        return out
    rows = await session.scalars(
        select(PlanGrid)
        .where(PlanGrid.plan_id.in_(list(plan_ids)))
        .order_by(PlanGrid.plan_id, PlanGrid.number)
    )
    for grid in rows:
        out[grid.plan_id].append(grid)
    return out


async def plan_units(session: AsyncSession, plan_id: int) -> list[PlanUnit]:
    return list(
        await session.scalars(
            select(PlanUnit).where(PlanUnit.plan_id == plan_id).order_by(PlanUnit.unit_key)
        )
    )


async def unit_counts(session: AsyncSession, plan_ids: Sequence[int]) -> dict[tuple[int, int], int]:
    if not plan_ids:
        return {}
    rows = await session.execute(
        select(PlanUnit.plan_id, PlanUnit.grid_number, func.count(PlanUnit.id))
        .where(PlanUnit.plan_id.in_(list(plan_ids)))
        .group_by(PlanUnit.plan_id, PlanUnit.grid_number)
    )
    return {(int(p), int(g)): int(n) for p, g, n in rows}


def plan_summary(
    plan: GridPlan, grids: Sequence[PlanGrid], counts: dict[tuple[int, int], int]
) -> PlanSummary:
    return PlanSummary(
        id=plan.id,
        squadron_id=plan.squadron_id,
        version=plan.version,
        name=plan.name,
        status=PlanStatus(plan.status),
        k=plan.k,
        method=plan.method,
        note=plan.note,
        parent_id=plan.parent_id,
        network_version=plan.network_version,
        created_by=plan.created_by,
        created_at=plan.created_at,
        updated_at=plan.updated_at,
        activated_at=plan.activated_at,
        retired_at=plan.retired_at,
        grids=[
            GridOut(
                id=g.id,
                number=g.number,
                name=g.name,
                colour=g.colour,
                units=counts.get((plan.id, g.number), 0),
            )
            for g in grids
        ],
        params=plan.params,
    )


async def summaries(session: AsyncSession, plans: Sequence[GridPlan]) -> list[PlanSummary]:
    ids = [p.id for p in plans]
    grids = await plan_grids(session, ids)
    counts = await unit_counts(session, ids)
    return [plan_summary(p, grids[p.id], counts) for p in plans]


def plan_snapshot(plan: GridPlan) -> dict[str, Any]:
    """The plan as the audit log keeps it."""
    return {
        "squadron_id": plan.squadron_id,
        "version": plan.version,
        "name": plan.name,
        "status": plan.status,
        "k": plan.k,
        "method": plan.method,
        "parent_id": plan.parent_id,
    }


# ---- design jobs ---------------------------------------------------------------------------------


async def get_job(session: AsyncSession, job_id: int) -> DesignJob | None:
    return await session.get(DesignJob, job_id)


async def list_jobs(session: AsyncSession, squadron_id: int | None, limit: int) -> list[DesignJob]:
    query = select(DesignJob)
    if squadron_id is not None:
        query = query.where(DesignJob.squadron_id == squadron_id)
    return list(await session.scalars(query.order_by(DesignJob.id.desc()).limit(limit)))


async def running_jobs(session: AsyncSession, alive_after: dt.datetime) -> list[DesignJob]:
    """Jobs still running somewhere (their heartbeat is recent)."""
    return list(
        await session.scalars(
            select(DesignJob).where(
                DesignJob.status == JobStatus.running.value, DesignJob.heartbeat_at >= alive_after
            )
        )
    )
