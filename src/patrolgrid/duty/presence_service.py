"""Data access for 见警率 / 管事率 and the alone alerts: who was on duty where, their positions,
the incidents and who handled them, the alerts. No side effects beyond the session it is given."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import String, cast, func, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncSession

from patrolgrid.duty.models import (
    DutyAlert,
    DutyPost,
    DutyShift,
    PostRole,
    RosterEntry,
    local_today,
    role_of_kind,
    shift_window,
)
from patrolgrid.duty.presence import FloatArray, IntArray, Track
from patrolgrid.grids.models import GridPlan, PlanStatus
from patrolgrid.incidents.models import Assignment, AssignmentStatus, Incident, IncidentStatus
from patrolgrid.org.models import Person
from patrolgrid.tracking.models import Position

# An incident counts as handled once it reached 处置完毕 or 结案.
HANDLED = (IncidentStatus.handled.value, IncidentStatus.closed.value)


@dataclass(frozen=True, slots=True)
class OnDuty:
    """A person on duty in a grid for a shift, and in what part."""

    grid_id: int
    person_id: int
    role: PostRole
    duty: str | None
    rostered: bool  # False: counted as a post holder (the grid had no roster that day)
    since: dt.datetime | None = None  # when the rostered shift began (on_duty_now)


async def on_duty(
    session: AsyncSession, grid_ids: Sequence[int], day: dt.date, shift_id: int
) -> list[OnDuty]:
    """Who is on duty in each grid for the shift worked on `day`: the people rostered there;
    for a grid with no roster entries at all that day, its post holders."""
    if not grid_ids:
        return []
    rostered = (
        await session.execute(
            select(RosterEntry.grid_id, RosterEntry.person_id, RosterEntry.duty, Person.kind)
            .join(Person, Person.id == RosterEntry.person_id)
            .where(
                RosterEntry.grid_id.in_(list(grid_ids)),
                RosterEntry.day == day,
                RosterEntry.shift_id == shift_id,
            )
            .order_by(RosterEntry.grid_id, RosterEntry.person_id)
        )
    ).all()
    with_roster = set(
        await session.scalars(
            select(RosterEntry.grid_id)
            .where(RosterEntry.grid_id.in_(list(grid_ids)), RosterEntry.day == day)
            .distinct()
        )
    )
    found = [
        OnDuty(grid, person, role_of_kind(kind), duty, True)
        for grid, person, duty, kind in rostered
    ]
    unrostered = [g for g in grid_ids if g not in with_roster]
    if unrostered:
        posts = await session.execute(
            select(DutyPost.grid_id, DutyPost.person_id, DutyPost.role, DutyPost.duty)
            .join(Person, Person.id == DutyPost.person_id)
            .where(DutyPost.grid_id.in_(unrostered), Person.active.is_(True))
            .order_by(DutyPost.grid_id, DutyPost.person_id)
        )
        found.extend(
            OnDuty(grid, person, PostRole(role), duty, False) for grid, person, role, duty in posts
        )
    return found


async def on_duty_now(session: AsyncSession, now: dt.datetime) -> list[OnDuty]:
    """Everyone on duty at `now`: rostered in a shift running now (a night shift began
    yesterday), and the post holders of active plans' grids that have no roster today."""
    today = local_today(now)
    rows = (
        await session.execute(
            select(
                RosterEntry.grid_id,
                RosterEntry.person_id,
                RosterEntry.duty,
                RosterEntry.day,
                DutyShift.starts,
                DutyShift.ends,
                Person.kind,
            )
            .join(DutyShift, DutyShift.id == RosterEntry.shift_id)
            .join(Person, Person.id == RosterEntry.person_id)
            .where(
                RosterEntry.day >= today - dt.timedelta(days=1),
                RosterEntry.day <= today,
                Person.active.is_(True),
            )
            .order_by(RosterEntry.grid_id, RosterEntry.person_id)
        )
    ).all()
    found: list[OnDuty] = []
    with_roster: set[int] = set()
    for grid, person, duty, day, starts, ends, kind in rows:
        start, end = shift_window(day, starts, ends)
        if start <= now < end:
            found.append(OnDuty(grid, person, role_of_kind(kind), duty, True, start))
            with_roster.add(grid)
        elif day == today:
            with_roster.add(grid)
    posts = await session.execute(
        select(DutyPost.grid_id, DutyPost.person_id, DutyPost.role, DutyPost.duty)
        .join(GridPlan, GridPlan.id == DutyPost.plan_id)
        .join(Person, Person.id == DutyPost.person_id)
        .where(GridPlan.status == PlanStatus.active.value, Person.active.is_(True))
        .order_by(DutyPost.grid_id, DutyPost.person_id)
    )
    found.extend(
        OnDuty(grid, person, PostRole(role), duty, False)
        for grid, person, role, duty in posts
        if grid not in with_roster
    )
    return found


async def grid_leads(session: AsyncSession, grid_ids: Iterable[int]) -> dict[int, int]:
    """grid → the person holding its 路警 post."""
    wanted = sorted(set(grid_ids))
    if not wanted:
        return {}
    rows = await session.execute(
        select(DutyPost.grid_id, DutyPost.person_id).where(
            DutyPost.grid_id.in_(wanted), DutyPost.role == PostRole.lead.value
        )
    )
    return {int(grid): int(person) for grid, person in rows}


async def post_holders(session: AsyncSession, grid_ids: Sequence[int]) -> dict[int, set[int]]:
    """grid → the people holding a post in it."""
    out: dict[int, set[int]] = {g: set() for g in grid_ids}
    if grid_ids:
        rows = await session.execute(
            select(DutyPost.grid_id, DutyPost.person_id).where(DutyPost.grid_id.in_(list(grid_ids)))
        )
        for grid, person in rows:
            out[grid].add(person)
    return out


async def track(
    session: AsyncSession, person_ids: Sequence[int], start: dt.datetime, end: dt.datetime
) -> Track:
    """The positions of these people in [start, end), in time order per person; `person` in
    the track is the index into `person_ids`.

    A shift of a dozen people reporting every second is ~350,000 rows, and making a Python
    object per row and value costs several times the whole computation (bench/presence.py).
    So each person's range (the `(person_id, ts)` index) comes back as one row of three
    comma-joined texts, aggregated by the database, which numpy parses: the time as stored
    (SQLite's UTC text) or as epoch seconds (PostgreSQL), the coordinates as the database
    prints them (PostgreSQL: exactly; SQLite: to 15 significant digits, under a micrometre)."""
    postgres = session.get_bind().dialect.name == "postgresql"
    moment = func.extract("epoch", Position.ts) if postgres else type_coerce(Position.ts, String)
    query = select(
        _joined(moment, postgres),
        _joined(Position.lon, postgres),
        _joined(Position.lat, postgres),
        func.count(),
    )
    people: list[IntArray] = []
    epochs: list[FloatArray] = []
    lons: list[FloatArray] = []
    lats: list[FloatArray] = []
    for index, person_id in enumerate(person_ids):
        times, lon, lat, count = (
            await session.execute(
                query.where(
                    Position.person_id == person_id, Position.ts >= start, Position.ts < end
                )
            )
        ).one()
        if not count:
            continue
        if postgres:
            epoch = np.fromstring(times, sep=",")
        else:  # UTC text, "YYYY-MM-DD HH:MM:SS.ffffff"
            epoch = np.array(times.split(","), dtype="datetime64[us]").astype(np.int64) / 1e6
        order = np.argsort(epoch, kind="stable")
        epochs.append(epoch[order])
        lons.append(np.fromstring(lon, sep=",")[order])
        lats.append(np.fromstring(lat, sep=",")[order])
        people.append(np.full(int(count), index, dtype=np.int64))
    if not people:
        empty = np.zeros(0)
        return Track(np.zeros(0, dtype=np.int64), empty, empty, empty)
    return Track(
        person=np.concatenate(people),
        epoch_s=np.concatenate(epochs),
        lon=np.concatenate(lons),
        lat=np.concatenate(lats),
    )


def _joined(column: Any, postgres: bool) -> Any:
    """A group's values of the column as one comma-joined text."""
    return func.string_agg(cast(column, String), ",") if postgres else func.group_concat(column)


@dataclass(frozen=True, slots=True)
class EventRow:
    """An incident as 管事率 sees it: where, which road it was snapped to, and who handled it."""

    id: int
    lon: float
    lat: float
    road_segment_id: int | None
    road_distance_m: float | None
    handled: bool
    handled_by: frozenset[int]  # people whose assignment reached 处置完毕


async def events(session: AsyncSession, start: dt.datetime, end: dt.datetime) -> list[EventRow]:
    """Incidents received in [start, end) (cancelled ones are no events: nothing to handle)."""
    incidents = (
        await session.execute(
            select(
                Incident.id,
                Incident.lon,
                Incident.lat,
                Incident.road_segment_id,
                Incident.road_distance_m,
                Incident.status,
            )
            .where(
                Incident.created_at >= start,
                Incident.created_at < end,
                Incident.status != IncidentStatus.cancelled.value,
            )
            .order_by(Incident.id)
        )
    ).all()
    handlers: dict[int, set[int]] = {}
    ids = [row[0] for row in incidents]
    if ids:
        done = await session.execute(
            select(Assignment.incident_id, Assignment.person_id).where(
                Assignment.incident_id.in_(ids),
                Assignment.status == AssignmentStatus.handled.value,
            )
        )
        for incident_id, person_id in done:
            handlers.setdefault(incident_id, set()).add(person_id)
    return [
        EventRow(
            id=i,
            lon=lon,
            lat=lat,
            road_segment_id=segment,
            road_distance_m=distance,
            handled=status in HANDLED,
            handled_by=frozenset(handlers.get(i, ())),
        )
        for i, lon, lat, segment, distance, status in incidents
    ]


# ---- alone alerts --------------------------------------------------------------------------------


async def alerts(session: AsyncSession, only_open: bool | None, limit: int) -> list[DutyAlert]:
    query = select(DutyAlert)
    if only_open is True:
        query = query.where(DutyAlert.ended_at.is_(None))
    elif only_open is False:
        query = query.where(DutyAlert.ended_at.is_not(None))
    return list(await session.scalars(query.order_by(DutyAlert.id.desc()).limit(limit)))


async def get_alert(session: AsyncSession, alert_id: int) -> DutyAlert | None:
    return await session.get(DutyAlert, alert_id)


async def open_alerts(session: AsyncSession) -> dict[int, DutyAlert]:
    """person → their open alert."""
    rows = await session.scalars(select(DutyAlert).where(DutyAlert.ended_at.is_(None)))
    return {a.person_id: a for a in rows}


async def end_alert(session: AsyncSession, alert_id: int, at: dt.datetime) -> bool:
    """Ends the alert unless someone (another process) already has: True when this call did."""
    result = await session.execute(
        update(DutyAlert)
        .where(DutyAlert.id == alert_id, DutyAlert.ended_at.is_(None))
        .values(ended_at=at)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1
