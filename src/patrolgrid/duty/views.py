"""Duty API (`/api/duty`): posts (定岗), shifts, the weekly roster (排班) and its fill, one's own
duty (the officer app), a person's duty (the console's person card), and the hub's `duty`
topic."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from patrolgrid.config import Settings
from patrolgrid.core.auth import Perm, Principal, requires
from patrolgrid.core.db import RowId, get_session, utcnow
from patrolgrid.core.jsonutil import JSONResponse
from patrolgrid.core.realtime import Hub
from patrolgrid.core.web import GEOJSON, XLSX, BusDep
from patrolgrid.duty import flows
from patrolgrid.duty.alone import AloneWatch, list_alerts
from patrolgrid.duty.models import (
    CopyOut,
    Day,
    FillIn,
    MyDuty,
    PersonDuty,
    PostIn,
    PostOut,
    PostsOut,
    PostUpdate,
    RosterEntryOut,
    RosterIn,
    RosterWeek,
    ShiftIn,
    ShiftList,
    ShiftOut,
    ShiftUpdate,
    local_today,
)
from patrolgrid.duty.presence_flows import grid_coverage, presence, table, table_file
from patrolgrid.duty.presence_models import AlertList, AlertOut, PresenceOut, TableFormat, TableOut
from patrolgrid.grids.flows import UnitCache

router = APIRouter(prefix="/api/duty", tags=["duty"])
Session = Annotated[AsyncSession, Depends(get_session)]
Reader = Annotated[Principal, Depends(requires(Perm.duty_read))]
Manager = Annotated[Principal, Depends(requires(Perm.duty_manage))]


# ---- posts ---------------------------------------------------------------------------------------


@router.get("/squadrons/{squadron_id}/posts")
async def list_posts(
    squadron_id: RowId, session: Session, _: Reader, plan_id: RowId | None = None
) -> PostsOut:
    """The plan's grids (default: the active plan) with their 路警 and 路员, and who is unposted."""
    return await flows.posts_view(session, squadron_id, plan_id)


@router.post("/posts", status_code=201)
async def create_post(body: PostIn, session: Session, bus: BusDep, principal: Manager) -> PostOut:
    return await flows.create_post(session, bus, body, principal.actor)


@router.patch("/posts/{post_id}")
async def update_post(
    post_id: RowId, body: PostUpdate, session: Session, bus: BusDep, principal: Manager
) -> PostOut:
    return await flows.update_post(session, bus, post_id, body, principal.actor)


@router.delete("/posts/{post_id}", status_code=204)
async def delete_post(post_id: RowId, session: Session, bus: BusDep, principal: Manager) -> None:
    await flows.delete_post(session, bus, post_id, principal.actor)


@router.post("/plans/{plan_id}/posts/copy-from/{other_plan_id}")
async def copy_posts(
    plan_id: RowId, other_plan_id: RowId, session: Session, bus: BusDep, principal: Manager
) -> CopyOut:
    """Carries another plan's posts over to this one, by largest unit overlap."""
    return await flows.copy_posts(session, bus, plan_id, other_plan_id, principal.actor)


# ---- shifts --------------------------------------------------------------------------------------


@router.get("/squadrons/{squadron_id}/shifts")
async def list_shifts(squadron_id: RowId, session: Session, _: Reader) -> ShiftList:
    return await flows.list_shifts(session, squadron_id)


@router.post("/squadrons/{squadron_id}/shifts", status_code=201)
async def create_shift(
    squadron_id: RowId, body: ShiftIn, session: Session, bus: BusDep, principal: Manager
) -> ShiftOut:
    return await flows.create_shift(session, bus, squadron_id, body, principal.actor)


@router.patch("/shifts/{shift_id}")
async def update_shift(
    shift_id: RowId, body: ShiftUpdate, session: Session, bus: BusDep, principal: Manager
) -> ShiftOut:
    return await flows.update_shift(session, bus, shift_id, body, principal.actor)


@router.delete("/shifts/{shift_id}", status_code=204)
async def delete_shift(shift_id: RowId, session: Session, bus: BusDep, principal: Manager) -> None:
    await flows.delete_shift(session, bus, shift_id, principal.actor)


# ---- roster --------------------------------------------------------------------------------------


@router.get("/squadrons/{squadron_id}/roster")
async def roster_week(
    squadron_id: RowId,
    session: Session,
    _: Reader,
    week: Annotated[Day | None, Query(description="any day of the week; default today")] = None,
) -> RosterWeek:
    """The week (Monday to Sunday, China time) holding `week`, with its conflicts."""
    return await flows.roster_week(session, squadron_id, week or local_today(utcnow()))


@router.post("/roster", status_code=201)
async def add_entry(
    body: RosterIn, session: Session, bus: BusDep, principal: Manager
) -> RosterEntryOut:
    return await flows.add_entry(session, bus, body, principal.actor)


@router.delete("/roster/{entry_id}", status_code=204)
async def remove_entry(entry_id: RowId, session: Session, bus: BusDep, principal: Manager) -> None:
    await flows.remove_entry(session, bus, entry_id, principal.actor)


@router.post("/squadrons/{squadron_id}/roster/fill")
async def fill_week(
    squadron_id: RowId, body: FillIn, session: Session, bus: BusDep, principal: Manager
) -> RosterWeek:
    """Fills the week from the active plan's posts (the rule: docs/duty.md)."""
    return await flows.fill_week(session, bus, squadron_id, body, principal.actor)


# ---- a person's duty -----------------------------------------------------------------------------


@router.get("/me")
async def my_duty(
    session: Session, principal: Annotated[Principal, Depends(requires(Perm.self_read))]
) -> MyDuty:
    """The signed-in person's grid, team and shifts (the officer app)."""
    return await flows.my_duty(session, principal.user_id, utcnow())


@router.get("/people/{person_id}")
async def person_duty(
    person_id: RowId,
    session: Session,
    _: Annotated[Principal, Depends(requires(Perm.tracking_read))],
) -> PersonDuty:
    """A person's grid and current shift (the console's person card)."""
    return await flows.person_duty(session, person_id, utcnow())


def register_realtime(hub: Hub) -> None:
    hub.register_topic(flows.TOPIC, Perm.duty_read)


# ---- 见警率 / 管事率 and the alone alerts (presence_flows.py, alone.py) --------------------------


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _units(request: Request) -> UnitCache:
    units: UnitCache = request.app.state.grids
    return units


def _alone(request: Request) -> AloneWatch:
    watch: AloneWatch = request.app.state.alone
    return watch


SettingsDep = Annotated[Settings, Depends(_settings)]
UnitsDep = Annotated[UnitCache, Depends(_units)]
AloneDep = Annotated[AloneWatch, Depends(_alone)]
ShiftDay = Annotated[
    Day | None, Query(description="the local day the shift starts on; default today")
]


@router.get("/squadrons/{squadron_id}/presence")
async def squadron_presence(
    squadron_id: RowId,
    session: Session,
    settings: SettingsDep,
    units: UnitsDep,
    _: Reader,
    day: ShiftDay = None,
    shift_id: Annotated[RowId | None, Query(description="default: the shift on now")] = None,
    plan_id: Annotated[RowId | None, Query(description="default: the active plan")] = None,
) -> PresenceOut:
    """见警率 (presence) and 管事率 (handling) of every grid for one shift, with each person's
    share (definitions: docs/duty.md)."""
    return await presence(session, settings, units, squadron_id, day, shift_id, plan_id)


@router.get(
    "/grids/{grid_id}/coverage",
    response_class=JSONResponse,
    responses={200: {"content": {GEOJSON: {}}}},
)
async def coverage(
    grid_id: RowId,
    session: Session,
    settings: SettingsDep,
    units: UnitsDep,
    _: Reader,
    day: ShiftDay = None,
    shift_id: Annotated[RowId | None, Query(description="default: the shift on now")] = None,
) -> JSONResponse:
    """The grid's roads as GeoJSON, each with the share of the shift's slots it had presence."""
    body = await grid_coverage(session, settings, units, grid_id, day, shift_id)
    return JSONResponse(body, media_type=GEOJSON)


@router.get(
    "/squadrons/{squadron_id}/presence/table",
    response_model=TableOut,
    responses={200: {"content": {XLSX: {}}}},
)
async def presence_table(
    squadron_id: RowId,
    session: Session,
    settings: SettingsDep,
    units: UnitsDep,
    _: Reader,
    start: Annotated[Day, Query(alias="from")],
    end: Annotated[Day, Query(alias="to")],
    format: TableFormat = TableFormat.json,
    plan_id: Annotated[RowId | None, Query(description="default: the active plan")] = None,
) -> Response:
    """Rows per day, shift and grid, and per person on duty; `format=xlsx` downloads them."""
    out = await table(session, settings, units, squadron_id, start, end, plan_id)
    if format is TableFormat.xlsx:
        name = f"presence-{squadron_id}-{start.isoformat()}-{end.isoformat()}.xlsx"
        return Response(
            await table_file(out),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return JSONResponse(out.model_dump(mode="json"))


@router.get("/alerts")
async def alerts(
    session: Session,
    _: Reader,
    only_open: Annotated[
        bool | None, Query(alias="open", description="true: open only; false: ended only")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AlertList:
    """Alerts of 路员 patrolling with no police officer of their grid near, newest first."""
    return await list_alerts(session, only_open, limit)


@router.post("/alerts/{alert_id}/ack")
async def acknowledge_alert(
    alert_id: RowId, session: Session, watch: AloneDep, principal: Reader
) -> AlertOut:
    return await watch.acknowledge(session, alert_id, principal.actor)
