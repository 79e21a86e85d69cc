"""Data access for tracking. No side effects beyond the session it is given."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from patrolgrid.org.models import Person, Squadron
from patrolgrid.tracking.models import (
    Alarm,
    Device,
    DeviceKind,
    DeviceOut,
    LivePerson,
    PersonState,
    Position,
    Status,
)

MAX_TRACK_POINTS = 50_000


async def get_device(session: AsyncSession, device_id: int) -> Device | None:
    return await session.get(Device, device_id)


async def device_by_identifier(session: AsyncSession, identifier: str) -> Device | None:
    device: Device | None = await session.scalar(
        select(Device).where(Device.identifier == identifier)
    )
    return device


async def list_devices(session: AsyncSession) -> list[DeviceOut]:
    rows = await session.execute(
        select(Device, Person).join(Person, Person.id == Device.person_id).order_by(Device.id)
    )
    return [device_out(device, person) for device, person in rows]


def device_out(device: Device, person: Person) -> DeviceOut:
    return DeviceOut(
        id=device.id,
        identifier=device.identifier,
        kind=DeviceKind(device.kind),
        name=device.name,
        person_id=device.person_id,
        person_name=person.name,
        person_badge=person.badge_no,
        squadron_name=person.squadron.name,
        enabled=device.enabled,
        last_seen_at=device.last_seen_at,
        created_at=device.created_at,
    )


async def get_state(session: AsyncSession, person_id: int) -> PersonState | None:
    return await session.get(PersonState, person_id)


_LIVE_STATE = ("lon", "lat", "ts", "speed_kmh", "heading", "accuracy_m", "battery", "device_id")


async def live_rows(session: AsyncSession, person_id: int | None = None) -> list[dict[str, Any]]:
    """Every active person with their latest state (people who never reported included), as
    `LivePerson` fields in plain dicts: the console's snapshot sends them as they are.

    Columns, not ORM objects and models: a console subscribing to `tracking` gets everyone,
    and loading 5,000 people and their states as objects, then models, then dumping them took
    ~150 ms of the event loop's CPU per subscriber; this takes ~25 ms."""
    query = (
        select(
            Person.id,
            Person.name,
            Person.badge_no,
            Person.kind,
            Person.post,
            Person.mobile,
            Person.squadron_id,
            Squadron.name,
            PersonState.status,
            *(getattr(PersonState, name) for name in _LIVE_STATE),
        )
        .join(Squadron, Squadron.id == Person.squadron_id)
        .outerjoin(PersonState, PersonState.person_id == Person.id)
        .where(Person.active.is_(True))
        .order_by(Person.squadron_id, Person.badge_no)
    )
    if person_id is not None:
        query = query.where(Person.id == person_id)
    off_duty = Status.off_duty.value
    return [
        {
            "person_id": pid,
            "name": name,
            "badge_no": badge_no,
            "kind": kind,
            "post": post,
            "mobile": mobile,
            "squadron_id": squadron_id,
            "squadron_name": squadron_name,
            "status": status or off_duty,
            **dict(zip(_LIVE_STATE, state, strict=True)),
        }
        for pid, name, badge_no, kind, post, mobile, squadron_id, squadron_name, status, *state in (
            await session.execute(query)
        )
    ]


async def live_people(session: AsyncSession, person_id: int | None = None) -> list[LivePerson]:
    """`live_rows` as models."""
    return [LivePerson(**row) for row in await live_rows(session, person_id)]


async def track(
    session: AsyncSession, person_id: int, start: dt.datetime, end: dt.datetime
) -> list[Position]:
    rows = await session.scalars(
        select(Position)
        .where(Position.person_id == person_id, Position.ts >= start, Position.ts <= end)
        .order_by(Position.ts, Position.id)
        .limit(MAX_TRACK_POINTS)
    )
    return list(rows)


async def overdue(session: AsyncSession, before: dt.datetime) -> list[PersonState]:
    """On-duty people whose last report is older than `before` (or who never reported)."""
    query = select(PersonState).where(
        PersonState.status.in_(
            [s.value for s in (Status.on_duty, Status.patrolling, Status.en_route, Status.on_scene)]
        ),
        (PersonState.ts < before)
        | (PersonState.ts.is_(None) & (PersonState.status_changed_at < before)),
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(await session.scalars(query))


async def list_alarms(session: AsyncSession, active: bool | None) -> list[Alarm]:
    query = select(Alarm).order_by(Alarm.id.desc()).limit(500)
    if active is True:
        query = query.where(Alarm.acknowledged_at.is_(None))
    elif active is False:
        query = query.where(Alarm.acknowledged_at.is_not(None))
    return list(await session.scalars(query))
