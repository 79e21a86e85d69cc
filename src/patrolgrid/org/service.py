"""Data access for the organisation. No side effects beyond the session it is given."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from patrolgrid.org.models import Brigade, Person, PersonKind, PersonOut, Squadron


async def get_brigade(session: AsyncSession) -> Brigade | None:
    brigade: Brigade | None = await session.scalar(select(Brigade).order_by(Brigade.id).limit(1))
    return brigade


async def list_squadrons(session: AsyncSession) -> list[tuple[Squadron, int]]:
    counts = (
        select(Person.squadron_id, func.count(Person.id).label("n"))
        .group_by(Person.squadron_id)
        .subquery()
    )
    rows = await session.execute(
        select(Squadron, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.squadron_id == Squadron.id)
        .order_by(Squadron.code, Squadron.id)
    )
    return [(squadron, int(n)) for squadron, n in rows]


async def get_squadron(session: AsyncSession, squadron_id: int) -> Squadron | None:
    return await session.get(Squadron, squadron_id)


async def squadron_lookup(session: AsyncSession) -> dict[str, Squadron]:
    """Squadrons by name and by code, for importers."""
    lookup: dict[str, Squadron] = {}
    for squadron in await session.scalars(select(Squadron)):
        lookup[squadron.name] = squadron
        lookup[squadron.code] = squadron
    return lookup


async def count_people_in(session: AsyncSession, squadron_id: int) -> int:
    return int(
        await session.scalar(select(func.count(Person.id)).where(Person.squadron_id == squadron_id))
        or 0
    )


async def list_people(
    session: AsyncSession,
    *,
    q: str | None,
    squadron_id: int | None,
    kind: PersonKind | None,
    active: bool | None,
    limit: int | None,
    offset: int,
) -> tuple[list[Person], int]:
    query = select(Person)
    if q:
        pattern = f"%{q.strip()}%"
        query = query.where(
            or_(
                Person.name.ilike(pattern),
                Person.badge_no.ilike(pattern),
                Person.mobile.like(pattern),
            )
        )
    if squadron_id is not None:
        query = query.where(Person.squadron_id == squadron_id)
    if kind is not None:
        query = query.where(Person.kind == kind.value)
    if active is not None:
        query = query.where(Person.active.is_(active))
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    kind_order = case({k.value: i for i, k in enumerate(PersonKind)}, value=Person.kind)
    query = query.order_by(Person.squadron_id, kind_order, Person.badge_no).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return list(await session.scalars(query)), int(total or 0)


async def get_person(session: AsyncSession, person_id: int) -> Person | None:
    return await session.get(Person, person_id)


async def person_for_user(session: AsyncSession, user_id: int) -> Person | None:
    person: Person | None = await session.scalar(select(Person).where(Person.user_id == user_id))
    return person


async def all_badges(session: AsyncSession) -> set[str]:
    return set(await session.scalars(select(Person.badge_no)))


async def me_extension(session: AsyncSession, user_id: int) -> dict[str, Any]:
    """Adds `person_id` to /api/auth/me for users who are a person of the brigade."""
    person = await person_for_user(session, user_id)
    return {"person_id": person.id if person else None}


def snapshot(person: Person) -> dict[str, Any]:
    data = PersonOut.of(person).model_dump(mode="json")
    for noisy in ("created_at", "updated_at"):
        data.pop(noisy)
    return data
