"""见警率 / 管事率 per grid and shift, the coverage map and the table: loads the grid's roads (from
the grids runtime's unit cache), who was on duty, their positions and the incidents, then
computes with `presence.py` off the event loop. Read-only: nothing here changes state.

Who counts for a grid, day and shift: the people rostered there; for a grid with no roster
entries at all that day, its post holders. An incident belongs to the grid whose unit holds the
road it was snapped to when received, else to the grid of the nearest of the plan's roads within
`EVENT_REACH_M`; it is handled when it reached 处置完毕/结案 with an assignee who holds a post in
that grid or was on duty there in that shift.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from openpyxl import Workbook
from sqlalchemy.ext.asyncio import AsyncSession

from patrolgrid.config import Settings
from patrolgrid.core.db import utcnow
from patrolgrid.core.errors import AppError
from patrolgrid.core.text import spreadsheet_row
from patrolgrid.duty import flows as duty_flows
from patrolgrid.duty import presence_service
from patrolgrid.duty import service as duty_service
from patrolgrid.duty.models import (
    ROLE_LABELS,
    Duty,
    DutyShift,
    PlanRef,
    ShiftOut,
    local_today,
    shift_window,
)
from patrolgrid.duty.presence import Coverage, Roads, Slots, Track, coverage, rate
from patrolgrid.duty.presence_models import (
    MAX_TABLE_DAYS,
    GeoJSON,
    PresenceGrid,
    PresenceOut,
    PresencePerson,
    TableOut,
    TableRow,
)
from patrolgrid.duty.presence_service import EventRow, OnDuty
from patrolgrid.grids import service as grids_service
from patrolgrid.grids.flows import UnitCache
from patrolgrid.grids.models import GridPlan, PlanGrid
from patrolgrid.grids.units import NetworkData
from patrolgrid.org.models import Person

# An incident whose stored road is none of the plan's counts for the grid of the nearest of the
# plan's roads within this distance (the grids domain's "locate" reach), else for no grid.
EVENT_REACH_M = 200.0

NO_SHIFTS = AppError(404, "duty.no_shifts", "该中队尚未设置班次", "The squadron has no shifts yet")
BAD_RANGE = AppError(
    422, "duty.bad_range", "结束日期早于开始日期", "The period ends before it starts"
)
RANGE_TOO_LONG = AppError(
    422,
    "duty.range_too_long",
    f"一次最多统计 {MAX_TABLE_DAYS} 天",
    f"A table covers at most {MAX_TABLE_DAYS} days",
    {"max_days": MAX_TABLE_DAYS},
)


def _other_squadron(what_zh: str, what_en: str) -> AppError:
    return AppError(
        422,
        "duty.other_squadron",
        f"{what_zh}不属于该中队",
        f"The {what_en} belongs to another squadron",
    )


# ---- what a computation needs ------------------------------------------------------------------


@dataclass(frozen=True)
class PlanRoads:
    """A plan's grids with their roads, and every planned road for placing events."""

    grids: list[PlanGrid]
    roads: dict[int, Roads]  # grid id → its segments
    segment_names: dict[int, list[str]]  # grid id → road name of each of its segments
    segment_coords: dict[int, list[list[list[float]]]]  # grid id → each segment's lon/lat
    all_roads: Roads  # every segment of the plan, for "nearest road"
    grid_of_road: list[int]  # all_roads index → grid id
    grid_of_segment_id: dict[int, int]  # stored segment row id → grid id


async def plan_roads(session: AsyncSession, runtime: UnitCache, plan: GridPlan) -> PlanRoads:
    units = await runtime.units(session, plan.squadron_id)
    grids = (await grids_service.plan_grids(session, [plan.id]))[plan.id]
    grid_of_number = {g.number: g.id for g in grids}
    unit_grid = await duty_service.unit_grids(session, plan.id)
    segments: dict[int, list[int]] = {g.id: [] for g in grids}
    for i, unit in enumerate(units.ids):
        number = unit_grid.get(unit)
        if number is not None and number in grid_of_number:
            segments[grid_of_number[number]].extend(int(s) for s in units.segments[i])
    return await asyncio.to_thread(_build_plan_roads, units.network, grids, segments)


def _build_plan_roads(
    net: NetworkData, grids: list[PlanGrid], segments: dict[int, list[int]]
) -> PlanRoads:
    def roads_of(indices: Sequence[int]) -> Roads:
        return Roads.from_lonlat(
            [net.seg_keys[s] for s in indices], [net.coords[s] for s in indices]
        )

    every = [(grid_id, s) for grid_id, chosen in segments.items() for s in chosen]
    return PlanRoads(
        grids=grids,
        roads={grid_id: roads_of(chosen) for grid_id, chosen in segments.items()},
        segment_names={
            grid_id: [net.road_names[s] for s in chosen] for grid_id, chosen in segments.items()
        },
        segment_coords={
            grid_id: [net.coords[s] for s in chosen] for grid_id, chosen in segments.items()
        },
        all_roads=roads_of([s for _, s in every]),
        grid_of_road=[grid_id for grid_id, _ in every],
        grid_of_segment_id={int(net.seg_ids[s]): grid_id for grid_id, s in every},
    )


def place_events(plan: PlanRoads, rows: Sequence[EventRow]) -> dict[int, int]:
    """incident id → grid id, for the incidents in one of the plan's grids."""
    placed: dict[int, int] = {}
    loose: list[EventRow] = []
    for row in rows:
        grid = plan.grid_of_segment_id.get(row.road_segment_id or -1)
        if grid is not None:
            placed[row.id] = grid
        else:
            loose.append(row)
    if loose:
        roads = plan.all_roads
        x, y = roads.frame.metres(
            np.array([r.lon for r in loose]), np.array([r.lat for r in loose])
        )
        nearest = roads.nearest(x, y, EVENT_REACH_M)
        for row, road in zip(loose, nearest.tolist(), strict=True):
            if road >= 0:
                placed[row.id] = plan.grid_of_road[road]
    return placed


@dataclass(frozen=True)
class GridResult:
    grid: PlanGrid
    people: list[OnDuty]  # in the order of the coverage's person arrays
    coverage: Coverage
    events: int
    handled: int
    handled_by: dict[int, int]  # person → events of this grid they handled


@dataclass(frozen=True)
class ShiftResult:
    shift: DutyShift
    day: dt.date
    slots: Slots
    grids: list[GridResult]


async def compute_shift(
    session: AsyncSession,
    settings: Settings,
    plan: PlanRoads,
    day: dt.date,
    shift: DutyShift,
    now: dt.datetime,
) -> ShiftResult:
    start, end = shift_window(day, shift.starts, shift.ends)
    slots = Slots.of(start, end, settings.presence_slot_minutes, now)
    grid_ids = [g.id for g in plan.grids]
    duty = await presence_service.on_duty(session, grid_ids, day, shift.id)
    people = sorted({d.person_id for d in duty})
    track = await presence_service.track(session, people, start, end)
    events = await presence_service.events(session, start, end)
    holders = await presence_service.post_holders(session, grid_ids)
    return await asyncio.to_thread(
        _compute,
        plan,
        shift,
        day,
        slots,
        duty,
        people,
        track,
        events,
        holders,
        settings.presence_radius_m,
    )


def _compute(
    plan: PlanRoads,
    shift: DutyShift,
    day: dt.date,
    slots: Slots,
    duty: list[OnDuty],
    people: list[int],
    track: Track,
    events: list[EventRow],
    holders: dict[int, set[int]],
    radius: float,
) -> ShiftResult:
    placed = place_events(plan, events)
    index = {pid: i for i, pid in enumerate(people)}
    results = []
    for grid in plan.grids:
        mine = [d for d in duty if d.grid_id == grid.id]
        local = np.full(len(people), -1, dtype=np.int64)
        for i, d in enumerate(mine):
            local[index[d.person_id]] = i
        keep = local[track.person] >= 0 if len(track) else np.zeros(0, dtype=np.bool_)
        grid_track = Track(
            person=local[track.person[keep]],
            epoch_s=track.epoch_s[keep],
            lon=track.lon[keep],
            lat=track.lat[keep],
        )
        covered = coverage(plan.roads[grid.id], slots, grid_track, len(mine), radius)
        grid_people = holders.get(grid.id, set()) | {d.person_id for d in mine}
        in_grid = [e for e in events if placed.get(e.id) == grid.id]
        handled = [e for e in in_grid if e.handled and e.handled_by & grid_people]
        handled_by = {
            d.person_id: sum(1 for e in handled if d.person_id in e.handled_by) for d in mine
        }
        results.append(GridResult(grid, mine, covered, len(in_grid), len(handled), handled_by))
    return ShiftResult(shift, day, slots, results)


# ---- the answers -------------------------------------------------------------------------------


async def _active_plan(session: AsyncSession, squadron_id: int, plan_id: int | None) -> GridPlan:
    await duty_flows.require_squadron(session, squadron_id)
    if plan_id is None:
        plan = await grids_service.active_plan(session, squadron_id)
        if plan is None:
            raise duty_flows.NO_PLAN
        return plan
    plan = await grids_service.get_plan(session, plan_id)
    if plan is None:
        raise duty_flows.PLAN_NOT_FOUND
    if plan.squadron_id != squadron_id:
        raise _other_squadron("网格方案", "grid plan")
    return plan


async def _shift_and_day(
    session: AsyncSession,
    squadron_id: int,
    shift_id: int | None,
    day: dt.date | None,
    now: dt.datetime,
) -> tuple[DutyShift, dt.date]:
    """The shift asked for, else the one on now, else the squadron's first; and the day asked
    for, else the day the shift on now began (a 夜班 at 02:00 began yesterday), else today."""
    if shift_id is not None:
        shift = await duty_service.get_shift(session, shift_id)
        if shift is None:
            raise duty_flows.SHIFT_NOT_FOUND
        if shift.squadron_id != squadron_id:
            raise _other_squadron("班次", "shift")
        candidates = [shift]
    else:
        candidates = await duty_service.shifts_of(session, squadron_id)
        if not candidates:
            raise NO_SHIFTS
    today = local_today(now)
    for start_day in [day] if day is not None else [today, today - dt.timedelta(days=1)]:
        for shift in candidates:
            start, end = shift_window(start_day, shift.starts, shift.ends)
            if start <= now < end:
                return shift, start_day
    return candidates[0], day or today


def _plan_ref(plan: GridPlan) -> PlanRef:
    return PlanRef(id=plan.id, name=plan.name, status=plan.status, version=plan.version)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


async def presence(
    session: AsyncSession,
    settings: Settings,
    runtime: UnitCache,
    squadron_id: int,
    day: dt.date | None,
    shift_id: int | None,
    plan_id: int | None = None,
) -> PresenceOut:
    now = utcnow()
    plan = await _active_plan(session, squadron_id, plan_id)
    shift, day = await _shift_and_day(session, squadron_id, shift_id, day, now)
    roads = await plan_roads(session, runtime, plan)
    result = await compute_shift(session, settings, roads, day, shift, now)
    people = await duty_service.people_by_id(
        session, {d.person_id for g in result.grids for d in g.people}
    )
    return PresenceOut(
        day=day,
        shift=ShiftOut.of(shift),
        plan=_plan_ref(plan),
        window_start=result.slots.start,
        window_end=result.slots.end,
        slot_minutes=settings.presence_slot_minutes,
        radius_m=settings.presence_radius_m,
        slots=result.slots.count,
        grids=[_grid_out(g, people) for g in result.grids],
    )


def _grid_out(result: GridResult, people: dict[int, Person]) -> PresenceGrid:
    cov = result.coverage
    return PresenceGrid(
        grid_id=result.grid.id,
        number=result.grid.number,
        name=result.grid.name,
        colour=result.grid.colour,
        segments=cov.segments,
        slots=cov.slots,
        cells=cov.cells,
        covered=cov.covered,
        presence_rate=_rounded(rate(cov.covered, cov.cells)),
        events=result.events,
        handled=result.handled,
        handling_rate=_rounded(rate(result.handled, result.events)),
        people=[
            PresencePerson(
                person=duty_service.person_ref(people[d.person_id]),
                role=d.role,
                duty=None if d.duty is None else Duty(d.duty),
                rostered=d.rostered,
                points=int(cov.person_points[i]),
                minutes_on_duty=int(cov.person_minutes[i]),
                covered=int(cov.person_covered[i]),
                presence_rate=_rounded(rate(int(cov.person_covered[i]), cov.cells)),
                handled=result.handled_by.get(d.person_id, 0),
            )
            for i, d in enumerate(result.people)
        ],
    )


async def grid_coverage(
    session: AsyncSession,
    settings: Settings,
    runtime: UnitCache,
    grid_id: int,
    day: dt.date | None,
    shift_id: int | None,
) -> GeoJSON:
    """The grid's roads as GeoJSON, each with the share of the shift's slots it was covered."""
    now = utcnow()
    found = await duty_service.grid_with_plan(session, grid_id)
    if found is None:
        raise duty_flows.GRID_NOT_FOUND
    grid, plan = found
    shift, day = await _shift_and_day(session, plan.squadron_id, shift_id, day, now)
    roads = await plan_roads(session, runtime, plan)
    only = PlanRoads(
        grids=[grid],
        roads={grid.id: roads.roads[grid.id]},
        segment_names={grid.id: roads.segment_names[grid.id]},
        segment_coords={grid.id: roads.segment_coords[grid.id]},
        all_roads=roads.all_roads,
        grid_of_road=roads.grid_of_road,
        grid_of_segment_id=roads.grid_of_segment_id,
    )
    result = (await compute_shift(session, settings, only, day, shift, now)).grids[0]
    return _coverage_geojson(result, only, day, shift, settings)


def _coverage_geojson(
    result: GridResult,
    roads: PlanRoads,
    day: dt.date,
    shift: DutyShift,
    settings: Settings,
) -> GeoJSON:
    grid = result.grid
    cov = result.coverage
    keys = roads.roads[grid.id].keys
    names = roads.segment_names[grid.id]
    coords = roads.segment_coords[grid.id]
    features: list[dict[str, Any]] = []
    for i, key in enumerate(keys):
        covered = int(cov.segment_covered[i])
        features.append(
            {
                "type": "Feature",
                "id": key,
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[round(c, 7) for c in p[:2]] for p in coords[i]],
                },
                "properties": {
                    "key": key,
                    "name": names[i],
                    "presence": _rounded(rate(covered, cov.slots)),
                    "slots": cov.slots,
                    "covered": covered,
                },
            }
        )
    return {
        "type": "FeatureCollection",
        "features": features,
        "grid_id": grid.id,
        "grid_name": grid.name,
        "colour": grid.colour,
        "day": day.isoformat(),
        "shift_id": shift.id,
        "slot_minutes": settings.presence_slot_minutes,
        "radius_m": settings.presence_radius_m,
        "cells": cov.cells,
        "covered": cov.covered,
        "presence_rate": _rounded(rate(cov.covered, cov.cells)),
    }


async def table(
    session: AsyncSession,
    settings: Settings,
    runtime: UnitCache,
    squadron_id: int,
    start: dt.date,
    end: dt.date,
    plan_id: int | None = None,
) -> TableOut:
    """Rows per day, shift and grid (the grid's own row, then one per person on duty)."""
    if end < start:
        raise BAD_RANGE
    if (end - start).days + 1 > MAX_TABLE_DAYS:
        raise RANGE_TOO_LONG
    now = utcnow()
    plan = await _active_plan(session, squadron_id, plan_id)
    shifts = await duty_service.shifts_of(session, squadron_id)
    roads = await plan_roads(session, runtime, plan)
    results: list[ShiftResult] = []
    day = start
    while day <= end:
        for shift in shifts:
            results.append(await compute_shift(session, settings, roads, day, shift, now))
        day += dt.timedelta(days=1)
    people = await duty_service.people_by_id(
        session, {d.person_id for r in results for g in r.grids for d in g.people}
    )
    rows: list[TableRow] = []
    for result in results:
        for grid in result.grids:
            cov = grid.coverage
            common = {
                "day": result.day,
                "shift_id": result.shift.id,
                "shift_name": result.shift.name,
                "grid_id": grid.grid.id,
                "grid_name": grid.grid.name,
                "cells": cov.cells,
                "events": grid.events,
            }
            rows.append(
                TableRow(
                    **common,
                    person=None,
                    role=None,
                    covered=cov.covered,
                    presence_rate=_rounded(rate(cov.covered, cov.cells)),
                    handled=grid.handled,
                    handling_rate=_rounded(rate(grid.handled, grid.events)),
                    minutes_on_duty=int(cov.person_minutes.sum()),
                )
            )
            for i, d in enumerate(grid.people):
                handled = grid.handled_by.get(d.person_id, 0)
                rows.append(
                    TableRow(
                        **common,
                        person=duty_service.person_ref(people[d.person_id]),
                        role=d.role,
                        covered=int(cov.person_covered[i]),
                        presence_rate=_rounded(rate(int(cov.person_covered[i]), cov.cells)),
                        handled=handled,
                        handling_rate=_rounded(rate(handled, grid.events)),
                        minutes_on_duty=int(cov.person_minutes[i]),
                    )
                )
    return TableOut(
        start=start,
        end=end,
        plan=_plan_ref(plan),
        slot_minutes=settings.presence_slot_minutes,
        radius_m=settings.presence_radius_m,
        rows=rows,
    )


async def table_file(out: TableOut) -> bytes:
    """The table as an XLSX workbook (written off the event loop)."""
    return await asyncio.to_thread(_table_xlsx, out)


def _table_xlsx(out: TableOut) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "见警率管事率"
    sheet.append(
        spreadsheet_row(
            [
                f"{out.plan.name} {out.start.isoformat()} 至 {out.end.isoformat()}"
                f"(时段 {out.slot_minutes} 分钟,距离 {out.radius_m:g} 米)"
            ]
        )
    )
    sheet.append(
        [
            "日期",
            "班次",
            "网格",
            "人员",
            "警号",
            "角色",
            "单元格",
            "见警单元格",
            "见警率",
            "事件",
            "已处置",
            "管事率",
            "在岗分钟",
        ]
    )
    for row in out.rows:
        sheet.append(
            spreadsheet_row(
                [
                    row.day.isoformat(),
                    row.shift_name,
                    row.grid_name,
                    "(网格合计)" if row.person is None else row.person.name,
                    "" if row.person is None else row.person.badge_no,
                    "" if row.role is None else ROLE_LABELS[row.role][0],
                    row.cells,
                    row.covered,
                    "" if row.presence_rate is None else row.presence_rate,
                    row.events,
                    row.handled,
                    "" if row.handling_rate is None else row.handling_rate,
                    row.minutes_on_duty,
                ]
            )
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
