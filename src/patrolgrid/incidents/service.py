"""Data access for incidents. No side effects beyond the session it is given."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from patrolgrid.geo.coords import amap_navigation_url, baidu_navigation_url
from patrolgrid.incidents.models import (
    FINISHED,
    LIVE,
    Assignment,
    AssignmentOut,
    AssignmentStatus,
    Durations,
    Incident,
    IncidentDetail,
    IncidentEvent,
    IncidentOut,
    IncidentPhoto,
    IncidentSource,
    IncidentStatus,
    IncidentType,
    NavigationLinks,
    PhotoOut,
    Priority,
    TimelineEntry,
)
from patrolgrid.org.models import Person, Squadron
from patrolgrid.tracking.models import Status

# Who may be recommended: on duty and free to go (not en route, on scene, SOS or offline).
AVAILABLE = (Status.on_duty.value, Status.patrolling.value)


@dataclass(frozen=True, slots=True)
class Filters:
    status: Sequence[str] = ()
    type: Sequence[str] = ()
    squadron_id: int | None = None
    active: bool | None = None  # True: not closed or cancelled
    since: dt.datetime | None = None
    until: dt.datetime | None = None


async def get_incident(session: AsyncSession, incident_id: int) -> Incident | None:
    return await session.get(Incident, incident_id)


async def get_assignment(session: AsyncSession, assignment_id: int) -> Assignment | None:
    return await session.get(Assignment, assignment_id)


Query = TypeVar("Query", bound=Select[Any])


def _filtered(query: Query, filters: Filters) -> Query:
    if filters.status:
        query = query.where(Incident.status.in_(filters.status))
    if filters.type:
        query = query.where(Incident.type.in_(filters.type))
    if filters.squadron_id is not None:
        query = query.where(Incident.squadron_id == filters.squadron_id)
    if filters.active is True:
        query = query.where(Incident.status.not_in(FINISHED))
    elif filters.active is False:
        query = query.where(Incident.status.in_(FINISHED))
    if filters.since is not None:
        query = query.where(Incident.created_at >= filters.since)
    if filters.until is not None:
        query = query.where(Incident.created_at < filters.until)
    return query


async def list_incidents(
    session: AsyncSession, filters: Filters, limit: int, offset: int
) -> tuple[list[Incident], int]:
    query = _filtered(select(Incident), filters)
    counted = _filtered(select(func.count(Incident.id)), filters)
    total = int(await session.scalar(counted) or 0)
    rows = await session.scalars(
        query.order_by(Incident.created_at.desc(), Incident.id.desc()).limit(limit).offset(offset)
    )
    return list(rows), total


async def incidents_created_between(
    session: AsyncSession, start: dt.datetime, end: dt.datetime
) -> list[Incident]:
    rows = await session.scalars(
        select(Incident).where(Incident.created_at >= start, Incident.created_at < end)
    )
    return list(rows)


async def assignments_with_people(
    session: AsyncSession, incident_ids: Iterable[int]
) -> dict[int, list[tuple[Assignment, Person]]]:
    ids = list(incident_ids)
    found: dict[int, list[tuple[Assignment, Person]]] = defaultdict(list)
    if not ids:
        return found
    rows = await session.execute(
        select(Assignment, Person)
        .join(Person, Person.id == Assignment.person_id)
        .where(Assignment.incident_id.in_(ids))
        .order_by(Assignment.dispatched_at, Assignment.id)
    )
    for assignment, person in rows:
        found[assignment.incident_id].append((assignment, person))
    return found


async def live_assignments_of(session: AsyncSession, person_id: int) -> list[Assignment]:
    rows = await session.scalars(
        select(Assignment).where(
            Assignment.person_id == person_id, Assignment.status.in_([s.value for s in LIVE])
        )
    )
    return list(rows)


async def own_assignments(session: AsyncSession, person_id: int) -> list[Assignment]:
    """The person's live assignments, and those handled in the last hour (so the app can show
    what was just done)."""
    recent = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    rows = await session.scalars(
        select(Assignment)
        .where(
            Assignment.person_id == person_id,
            Assignment.status.in_([s.value for s in LIVE])
            | (
                (Assignment.status == AssignmentStatus.handled.value)
                & (Assignment.handled_at >= recent)
            ),
        )
        .order_by(Assignment.dispatched_at.desc())
    )
    return list(rows)


async def all_live_assignments(session: AsyncSession) -> list[tuple[Assignment, Incident]]:
    rows = await session.execute(
        select(Assignment, Incident)
        .join(Incident, Incident.id == Assignment.incident_id)
        .where(Assignment.status.in_([s.value for s in LIVE]))
    )
    return [(a, i) for a, i in rows]


async def overdue_dispatches(session: AsyncSession, now: dt.datetime) -> list[Assignment]:
    """Dispatches still waiting for acceptance past their deadline, not yet alerted."""
    rows = await session.scalars(
        select(Assignment).where(
            Assignment.status == AssignmentStatus.dispatched.value,
            Assignment.accept_due_at <= now,
            Assignment.timeout_alerted_at.is_(None),
        )
    )
    return list(rows)


async def overdue_unanswered(
    session: AsyncSession, alerted_before: dt.datetime
) -> list[Assignment]:
    """Dispatches still unanswered whose timeout alert went out before `alerted_before`."""
    rows = await session.scalars(
        select(Assignment).where(
            Assignment.status == AssignmentStatus.dispatched.value,
            Assignment.timeout_alerted_at <= alerted_before,
        )
    )
    return list(rows)


async def busy_person_ids(session: AsyncSession) -> set[int]:
    rows = await session.scalars(
        select(Assignment.person_id).where(Assignment.status.in_([s.value for s in LIVE]))
    )
    return set(rows)


async def sent_to_incident(session: AsyncSession, incident_id: int) -> list[Assignment]:
    rows = await session.scalars(select(Assignment).where(Assignment.incident_id == incident_id))
    return list(rows)


async def active_people(session: AsyncSession, person_ids: Sequence[int]) -> dict[int, Person]:
    if not person_ids:
        return {}
    rows = await session.scalars(
        select(Person).where(Person.id.in_(list(person_ids)), Person.active.is_(True))
    )
    return {p.id: p for p in rows}


async def squadron_names(session: AsyncSession) -> dict[int, str]:
    return {i: n for i, n in await session.execute(select(Squadron.id, Squadron.name))}


async def timeline(session: AsyncSession, incident_id: int) -> list[IncidentEvent]:
    rows = await session.scalars(
        select(IncidentEvent)
        .where(IncidentEvent.incident_id == incident_id)
        .order_by(IncidentEvent.at, IncidentEvent.id)
    )
    return list(rows)


async def photo_rows(session: AsyncSession, incident_id: int) -> list[IncidentPhoto]:
    """Photos without their bytes (the list only needs their addresses)."""
    rows = await session.scalars(
        select(IncidentPhoto)
        .options(defer(IncidentPhoto.data))
        .where(IncidentPhoto.incident_id == incident_id)
        .order_by(IncidentPhoto.id)
    )
    return list(rows)


async def get_photo(session: AsyncSession, incident_id: int, photo_id: int) -> IncidentPhoto | None:
    photo = await session.get(IncidentPhoto, photo_id)
    return photo if photo is not None and photo.incident_id == incident_id else None


# ---- shaping rows into answers ---------------------------------------------------------------


def _seconds(start: dt.datetime | None, end: dt.datetime | None) -> float | None:
    return None if start is None or end is None else (end - start).total_seconds()


def durations(incident: Incident) -> Durations:
    return Durations(
        receive_to_dispatch=_seconds(incident.created_at, incident.dispatched_at),
        dispatch_to_accept=_seconds(incident.dispatched_at, incident.accepted_at),
        dispatch_to_arrive=_seconds(incident.dispatched_at, incident.arrived_at),
        arrive_to_handled=_seconds(incident.arrived_at, incident.handled_at),
    )


def assignment_out(assignment: Assignment, person: Person, now: dt.datetime) -> AssignmentOut:
    return AssignmentOut(
        id=assignment.id,
        incident_id=assignment.incident_id,
        person_id=person.id,
        person_name=person.name,
        badge_no=person.badge_no,
        mobile=person.mobile,
        support=assignment.support,
        status=AssignmentStatus(assignment.status),
        dispatched_by=assignment.dispatched_by,
        dispatched_at=assignment.dispatched_at,
        accept_due_at=assignment.accept_due_at,
        overdue=assignment.status == AssignmentStatus.dispatched.value
        and assignment.accept_due_at <= now,
        eta_seconds=assignment.eta_seconds,
        distance_m=assignment.distance_m,
        accepted_at=assignment.accepted_at,
        en_route_at=assignment.en_route_at,
        arrived_at=assignment.arrived_at,
        arrived_how=assignment.arrived_how,
        handled_at=assignment.handled_at,
        ended_at=assignment.ended_at,
        end_reason=assignment.end_reason,
    )


def needs_attention(incident: Incident, assignments: Sequence[AssignmentOut]) -> bool:
    """The console highlights an incident that waits on the operator: an officer has not
    accepted in time, or everyone sent declined or was withdrawn."""
    if incident.status in FINISHED:
        return False
    if any(a.overdue for a in assignments):
        return True
    return bool(assignments) and incident.status == IncidentStatus.new.value


def incident_out(
    incident: Incident,
    assigned: Sequence[tuple[Assignment, Person]],
    squadrons: dict[int, str],
    now: dt.datetime,
) -> IncidentOut:
    assignments = [assignment_out(a, p, now) for a, p in assigned]
    return IncidentOut(
        id=incident.id,
        code=incident.code,
        source=IncidentSource(incident.source),
        type=IncidentType(incident.type),
        priority=Priority(incident.priority),
        status=IncidentStatus(incident.status),
        lon=incident.lon,
        lat=incident.lat,
        address=incident.address,
        road_name=incident.road_name,
        description=incident.description,
        caller_name=incident.caller_name,
        caller_phone=incident.caller_phone,
        camera_id=incident.camera_id,
        squadron_id=incident.squadron_id,
        squadron_name=squadrons.get(incident.squadron_id) if incident.squadron_id else None,
        reporter_person_id=incident.reporter_person_id,
        created_by=incident.created_by,
        created_at=incident.created_at,
        dispatched_at=incident.dispatched_at,
        accepted_at=incident.accepted_at,
        arrived_at=incident.arrived_at,
        handled_at=incident.handled_at,
        closed_at=incident.closed_at,
        cancelled_at=incident.cancelled_at,
        outcome=incident.outcome,
        durations=durations(incident),
        assignments=assignments,
        alert=needs_attention(incident, assignments),
    )


def place_name(incident: Incident) -> str:
    return incident.address or incident.road_name or incident.code


def navigation(incident: Incident) -> NavigationLinks:
    name = place_name(incident)
    return NavigationLinks(
        amap=amap_navigation_url(incident.lon, incident.lat, name),
        baidu=baidu_navigation_url(incident.lon, incident.lat, name),
    )


async def incident_detail(
    session: AsyncSession, incident: Incident, now: dt.datetime
) -> IncidentDetail:
    assigned = (await assignments_with_people(session, [incident.id]))[incident.id]
    summary = incident_out(incident, assigned, await squadron_names(session), now)
    photos = await photo_rows(session, incident.id)
    return IncidentDetail(
        **summary.model_dump(),
        timeline=[TimelineEntry.model_validate(e) for e in await timeline(session, incident.id)],
        photos=[
            PhotoOut(
                id=p.id,
                stage=p.stage,
                url=f"/api/incidents/{incident.id}/photos/{p.id}",
                uploaded_by=p.uploaded_by,
                created_at=p.created_at,
            )
            for p in photos
        ],
        navigation=navigation(incident),
    )
