"""Grids API (`/api/grids`): territories, figures and their imports, automatic design jobs, plans
(moves, locks, grids, compare, activate, export), and the hub's `grids` topic."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Path, Query, Request, Response, UploadFile
from sqlalchemy.ext.asyncio import AsyncSession

from patrolgrid.core.auth import Perm, Principal, requires
from patrolgrid.core.db import RowId, get_session
from patrolgrid.core.jsonutil import JSONResponse
from patrolgrid.core.realtime import Hub
from patrolgrid.core.web import GEOJSON, XLSX, BusDep
from patrolgrid.grids import files, flows, service
from patrolgrid.grids.flows import Grids
from patrolgrid.grids.models import (
    MAX_GRIDS,
    AccidentsImportResult,
    AccidentSummary,
    AccidentYear,
    AreaList,
    AreaOut,
    Comparison,
    CopyIn,
    DesignIn,
    DriversImportResult,
    FiguresSummary,
    Granularity,
    GridUpdate,
    JobList,
    JobOut,
    Located,
    LockIn,
    LockOut,
    MoveIn,
    MoveOut,
    PlanDetail,
    PlanList,
    PlanStatus,
    PlanSummary,
    PlanUpdate,
    RatingList,
    RatingOut,
    RatingsIn,
    SettingsIn,
    SettingsOut,
    TerritoryIn,
    TerritoryOut,
)
from patrolgrid.org.files import MAX_BYTES

router = APIRouter(prefix="/api/grids", tags=["grids"])
Session = Annotated[AsyncSession, Depends(get_session)]
Reader = Annotated[Principal, Depends(requires(Perm.grids_read))]
Manager = Annotated[Principal, Depends(requires(Perm.grids_manage))]


def _grids(request: Request) -> Grids:
    grids: Grids = request.app.state.grids
    return grids


Runtime = Annotated[Grids, Depends(_grids)]


async def _summary(session: AsyncSession, plan_id: int) -> PlanSummary:
    plan = await service.get_plan(session, plan_id)
    if plan is None:
        raise flows.PLAN_NOT_FOUND
    return (await service.summaries(session, [plan]))[0]


# ---- areas, territory, settings, ratings, figures ------------------------------------------------


@router.get("/areas")
async def list_areas(session: Session, _: Reader) -> AreaList:
    """Every area of the network, with the squadron it belongs to and its drivers/vehicles."""
    territories = {t.area_key: t for t in await service.all_territories(session)}
    figures = await service.area_figures(session)
    items = []
    for area in await service.list_areas(session):
        owner = territories.get(area.key)
        row = figures.get(area.key)
        items.append(
            AreaOut(
                key=area.key,
                name=area.name,
                kind=area.kind,
                admin_level=area.admin_level,
                squadron_id=owner.squadron_id if owner else None,
                granularity=Granularity(owner.granularity) if owner else None,
                drivers=row.drivers if row else None,
                vehicles=row.vehicles if row else None,
                figures_source=row.source if row else None,
                generated=bool(row and row.generated),
            )
        )
    return AreaList(items=items)


@router.get("/squadrons/{squadron_id}/territory")
async def get_territory(squadron_id: RowId, session: Session, _: Reader) -> TerritoryOut:
    await flows.require_squadron(session, squadron_id)
    return await flows.territory_out(session, squadron_id)


@router.put("/squadrons/{squadron_id}/territory")
async def set_territory(
    squadron_id: RowId, body: TerritoryIn, session: Session, bus: BusDep, principal: Manager
) -> TerritoryOut:
    return await flows.set_territory(session, bus, squadron_id, body, principal.actor)


@router.get("/squadrons/{squadron_id}/settings")
async def get_settings(squadron_id: RowId, session: Session, _: Reader) -> SettingsOut:
    await flows.require_squadron(session, squadron_id)
    return await flows.settings_out(session, squadron_id)


@router.put("/squadrons/{squadron_id}/settings")
async def update_settings(
    squadron_id: RowId, body: SettingsIn, session: Session, bus: BusDep, principal: Manager
) -> SettingsOut:
    return await flows.update_settings(session, bus, squadron_id, body, principal.actor)


@router.get("/squadrons/{squadron_id}/ratings")
async def list_ratings(squadron_id: RowId, session: Session, _: Reader) -> RatingList:
    await flows.require_squadron(session, squadron_id)
    return RatingList(
        items=[
            RatingOut(unit=r.unit_key, difficulty=r.difficulty, police=r.police)
            for r in await service.ratings(session, squadron_id)
        ]
    )


@router.put("/squadrons/{squadron_id}/ratings")
async def set_ratings(
    squadron_id: RowId,
    body: RatingsIn,
    session: Session,
    bus: BusDep,
    runtime: Runtime,
    principal: Manager,
) -> RatingList:
    """Difficulty (1-5) and/or police strength per unit, or per area as `a:<area key>`; an item
    with both null removes the setting."""
    await flows.set_ratings(session, bus, runtime, squadron_id, body, principal.actor)
    return await list_ratings(squadron_id, session, principal)


@router.get("/squadrons/{squadron_id}/figures")
async def figures(
    squadron_id: RowId, session: Session, runtime: Runtime, _: Reader
) -> FiguresSummary:
    return await flows.figures_summary(session, runtime, squadron_id)


@router.get(
    "/squadrons/{squadron_id}/units",
    response_class=JSONResponse,
    responses={200: {"content": {GEOJSON: {}}}},
)
async def units(
    squadron_id: RowId,
    session: Session,
    runtime: Runtime,
    _: Reader,
    plan_id: RowId | None = None,
) -> JSONResponse:
    """The squadron's units as GeoJSON with their figures and workload share (and, with
    `plan_id`, the grid each unit is in and whether it is locked)."""
    return JSONResponse(
        await flows.units_geojson(session, runtime, squadron_id, plan_id), media_type=GEOJSON
    )


@router.get("/squadrons/{squadron_id}/active-plan")
async def active_plan(
    squadron_id: RowId, session: Session, runtime: Runtime, _: Reader
) -> PlanDetail:
    await flows.require_squadron(session, squadron_id)
    plan = await service.active_plan(session, squadron_id)
    if plan is None:
        raise flows.PLAN_NOT_FOUND
    return await flows.plan_detail(session, runtime, plan.id)


@router.get("/locate")
async def locate(
    session: Session,
    runtime: Runtime,
    _: Reader,
    lon: Annotated[float, Query(ge=-180, le=180, allow_inf_nan=False)],
    lat: Annotated[float, Query(ge=-90, le=90, allow_inf_nan=False)],
) -> Located:
    """Which squadron, unit and active grid a point (WGS-84) is in, by its nearest road."""
    return await flows.locate(session, runtime, lon, lat)


@router.post("/figures/import")
async def import_area_figures(
    session: Session, bus: BusDep, principal: Manager, file: Annotated[UploadFile, File()]
) -> DriversImportResult:
    """Registered drivers/vehicles per area (CSV or XLSX: 区域/area, 驾驶人/drivers,
    机动车/vehicles); all rows or none."""
    content = await file.read(MAX_BYTES + 1)
    return await flows.import_area_figures(
        session, bus, file.filename or "", content, principal.actor
    )


@router.post("/accidents/import")
async def import_accidents(
    session: Session,
    bus: BusDep,
    runtime: Runtime,
    principal: Manager,
    file: Annotated[UploadFile, File()],
    coords: files.CoordSystem = files.CoordSystem.wgs84,
    replace: bool = False,
) -> AccidentsImportResult:
    """Accident records (CSV or XLSX with date, lat, lon; the Japanese NPA open-data headers
    発生日/緯度/経度 are read too), snapped to the nearest road; all rows or none. `replace`
    deletes the stored accidents first (in the same transaction)."""
    content = await file.read(MAX_BYTES + 1)
    return await flows.import_accidents(
        session, bus, runtime, file.filename or "", content, principal.actor, coords, replace
    )


@router.get("/accidents/summary")
async def accident_summary(session: Session, _: Reader) -> AccidentSummary:
    total, generated = await service.accident_counts(session)
    return AccidentSummary(
        total=total,
        generated=generated,
        years=[
            AccidentYear(year=y, accidents=n, snapped=s, deaths=d, injuries=i)
            for y, n, s, d, i in await service.accident_years(session)
        ],
    )


# ---- design jobs ---------------------------------------------------------------------------------


@router.post("/squadrons/{squadron_id}/design", status_code=202)
async def design(
    squadron_id: RowId,
    body: DesignIn,
    session: Session,
    bus: BusDep,
    runtime: Runtime,
    principal: Manager,
) -> JobOut:
    """Start an automatic design; poll `/jobs/{id}` (or listen on the `grids` topic). The
    result is saved as a draft plan."""
    job = await flows.start_design(session, bus, runtime, squadron_id, body, principal.actor)
    return flows.job_out(job)


@router.get("/jobs")
async def list_jobs(
    session: Session,
    _: Reader,
    squadron_id: RowId | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> JobList:
    return JobList(
        items=[flows.job_out(j) for j in await service.list_jobs(session, squadron_id, limit)]
    )


@router.get("/jobs/{job_id}")
async def get_job(job_id: RowId, session: Session, _: Reader) -> JobOut:
    job = await service.get_job(session, job_id)
    if job is None:
        raise flows.JOB_NOT_FOUND
    return flows.job_out(job)


@router.post("/jobs/{job_id}/stop")
async def stop_job(job_id: RowId, session: Session, runtime: Runtime, principal: Manager) -> JobOut:
    """Stop the search; the best plan found so far is saved as a draft."""
    return flows.job_out(await flows.stop_design(session, runtime, job_id, principal.actor))


# ---- plans ---------------------------------------------------------------------------------------


@router.get("/plans")
async def list_plans(
    session: Session,
    _: Reader,
    squadron_id: RowId | None = None,
    status: PlanStatus | None = None,
) -> PlanList:
    plans = await service.list_plans(session, squadron_id, status)
    return PlanList(items=await service.summaries(session, plans))


@router.get("/plans/compare")
async def compare(session: Session, runtime: Runtime, _: Reader, a: RowId, b: RowId) -> Comparison:
    """What moved from which grid to which between plan `a` and plan `b`, and the balance of
    each, both measured on the squadron's current units."""
    return await flows.compare_plans(session, runtime, a, b)


@router.get("/plans/{plan_id}")
async def get_plan(plan_id: RowId, session: Session, runtime: Runtime, _: Reader) -> PlanDetail:
    return await flows.plan_detail(session, runtime, plan_id)


@router.patch("/plans/{plan_id}")
async def update_plan(
    plan_id: RowId, body: PlanUpdate, session: Session, bus: BusDep, principal: Manager
) -> PlanSummary:
    plan = await flows.update_plan(session, bus, plan_id, body, principal.actor)
    return await _summary(session, plan.id)


@router.delete("/plans/{plan_id}", status_code=204)
async def delete_plan(plan_id: RowId, session: Session, bus: BusDep, principal: Manager) -> None:
    await flows.delete_plan(session, bus, plan_id, principal.actor)


@router.post("/plans/{plan_id}/copy", status_code=201)
async def copy_plan(
    plan_id: RowId, body: CopyIn, session: Session, bus: BusDep, principal: Manager
) -> PlanSummary:
    plan = await flows.copy_plan(session, bus, plan_id, body, principal.actor)
    return await _summary(session, plan.id)


@router.post("/plans/{plan_id}/moves")
async def move_units(
    plan_id: RowId,
    body: MoveIn,
    session: Session,
    bus: BusDep,
    runtime: Runtime,
    principal: Manager,
) -> MoveOut:
    """Move one or many units (a lasso) to a grid; the answer carries the plan's new workload
    and figure balance per grid and the rules it now breaks."""
    return await flows.move_units(session, bus, runtime, plan_id, body, principal.actor)


@router.post("/plans/{plan_id}/locks")
async def lock_units(
    plan_id: RowId,
    body: LockIn,
    session: Session,
    bus: BusDep,
    runtime: Runtime,
    principal: Manager,
) -> LockOut:
    return await flows.lock_units(session, bus, runtime, plan_id, body, principal.actor)


@router.patch("/plans/{plan_id}/grids/{number}")
async def update_grid(
    plan_id: RowId,
    number: Annotated[int, Path(ge=1, le=MAX_GRIDS)],
    body: GridUpdate,
    session: Session,
    bus: BusDep,
    principal: Manager,
) -> PlanSummary:
    await flows.update_grid(session, bus, plan_id, number, body, principal.actor)
    return await _summary(session, plan_id)


@router.post("/plans/{plan_id}/activate")
async def activate_plan(
    plan_id: RowId, session: Session, bus: BusDep, runtime: Runtime, principal: Manager
) -> PlanSummary:
    """Draft → active, retiring the squadron's active plan in the same transaction. Refused
    (409 grids.plan_invalid) while a grid is not contiguous or empty, or a unit has no grid."""
    plan = await flows.activate_plan(session, bus, runtime, plan_id, principal.actor)
    return await _summary(session, plan.id)


@router.post("/plans/{plan_id}/retire")
async def retire_plan(
    plan_id: RowId, session: Session, bus: BusDep, principal: Manager
) -> PlanSummary:
    plan = await flows.retire_plan(session, bus, plan_id, principal.actor)
    return await _summary(session, plan.id)


@router.get(
    "/plans/{plan_id}/export",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}, XLSX: {}}}},
)
async def export_plan(
    plan_id: RowId,
    session: Session,
    runtime: Runtime,
    _: Reader,
    format: Literal["geojson", "xlsx"] = "geojson",
    layer: Literal["all", "grids", "units"] = "all",
) -> Response:
    """GeoJSON (grids as features with their figures, units with their grid) or XLSX (a grid
    sheet and a unit sheet)."""
    content = await flows.export_plan(session, runtime, plan_id, format, layer)
    if isinstance(content, bytes):
        return Response(
            content,
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="grid-plan-{plan_id}.xlsx"'},
        )
    return JSONResponse(
        content,
        media_type=GEOJSON,
        headers={"Content-Disposition": f'attachment; filename="grid-plan-{plan_id}.geojson"'},
    )


def register_realtime(hub: Hub) -> None:
    hub.register_topic(flows.TOPIC, Perm.grids_read)
