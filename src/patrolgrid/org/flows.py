"""Organisation workflows: validate, persist with an audit row, commit, then publish."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from patrolgrid.core import audit
from patrolgrid.core.audit import Actor
from patrolgrid.core.bus import Bus, Event
from patrolgrid.core.errors import AppError, field_error, not_found
from patrolgrid.org import files, service
from patrolgrid.org.models import (
    Brigade,
    BrigadeUpdate,
    Person,
    PersonIn,
    PersonOut,
    PersonUpdate,
    Squadron,
    SquadronIn,
    SquadronOut,
    SquadronUpdate,
)

TOPIC = "org"
DEFAULT_BRIGADE_NAME = "交巡警大队"

BADGE_TAKEN = AppError(409, "org.badge_taken", "警号已存在", "Badge number already exists")
SQUADRON_NOT_FOUND = not_found("中队", "Squadron", "org.squadron_not_found")
PERSON_NOT_FOUND = not_found("人员", "Person", "org.person_not_found")


async def ensure_brigade(session: AsyncSession, actor: Actor = audit.SYSTEM) -> Brigade:
    """The brigade row every squadron hangs from; created on first start."""
    brigade = await service.get_brigade(session)
    if brigade is None:
        brigade = Brigade(name=DEFAULT_BRIGADE_NAME, code="")
        session.add(brigade)
        await session.flush()
        audit.record(
            session,
            actor,
            "brigade.created",
            "brigade",
            brigade.id,
            after={"name": brigade.name, "code": brigade.code},
        )
        await session.commit()
    return brigade


async def update_brigade(
    session: AsyncSession, bus: Bus, data: BrigadeUpdate, actor: Actor
) -> Brigade:
    brigade = await ensure_brigade(session)
    before = {"name": brigade.name, "code": brigade.code}
    if data.name is not None:
        brigade.name = data.name
    if data.code is not None:
        brigade.code = data.code
    after = {"name": brigade.name, "code": brigade.code}
    audit.record(session, actor, "brigade.updated", "brigade", brigade.id, before, after)
    await session.commit()
    await bus.publish(Event(TOPIC, "brigade.updated", {"id": brigade.id, **after}))
    return brigade


async def _squadron_event(bus: Bus, name: str, squadron: Squadron, count: int) -> None:
    out = SquadronOut(id=squadron.id, name=squadron.name, code=squadron.code, person_count=count)
    await bus.publish(Event(TOPIC, name, out.model_dump(mode="json")))


def _squadron_conflict() -> AppError:
    return AppError(
        409,
        "org.squadron_taken",
        "中队名称或编号已存在",
        "A squadron with this name or code already exists",
    )


async def create_squadron(
    session: AsyncSession, bus: Bus, data: SquadronIn, actor: Actor
) -> Squadron:
    brigade = await ensure_brigade(session)
    squadron = Squadron(brigade_id=brigade.id, name=data.name, code=data.code)
    session.add(squadron)
    try:
        await session.flush()
    except IntegrityError as exc:
        await session.rollback()
        raise _squadron_conflict() from exc
    audit.record(
        session,
        actor,
        "squadron.created",
        "squadron",
        squadron.id,
        after={"name": squadron.name, "code": squadron.code},
    )
    await session.commit()
    await _squadron_event(bus, "squadron.created", squadron, 0)
    return squadron


async def update_squadron(
    session: AsyncSession, bus: Bus, squadron_id: int, data: SquadronUpdate, actor: Actor
) -> Squadron:
    squadron = await service.get_squadron(session, squadron_id)
    if squadron is None:
        raise SQUADRON_NOT_FOUND
    before = {"name": squadron.name, "code": squadron.code}
    if data.name is not None:
        squadron.name = data.name
    if data.code is not None:
        squadron.code = data.code
    try:
        await session.flush()
    except IntegrityError as exc:
        await session.rollback()
        raise _squadron_conflict() from exc
    audit.record(
        session,
        actor,
        "squadron.updated",
        "squadron",
        squadron.id,
        before,
        {"name": squadron.name, "code": squadron.code},
    )
    await session.commit()
    await _squadron_event(
        bus, "squadron.updated", squadron, await service.count_people_in(session, squadron.id)
    )
    return squadron


async def delete_squadron(session: AsyncSession, bus: Bus, squadron_id: int, actor: Actor) -> None:
    squadron = await service.get_squadron(session, squadron_id)
    if squadron is None:
        raise SQUADRON_NOT_FOUND
    people = await service.count_people_in(session, squadron_id)
    if people:
        raise AppError(
            409,
            "org.squadron_not_empty",
            f"中队内还有 {people} 名人员,不能删除",
            f"The squadron still has {people} people",
            {"people": people},
        )
    audit.record(
        session,
        actor,
        "squadron.deleted",
        "squadron",
        squadron.id,
        before={"name": squadron.name, "code": squadron.code},
    )
    await session.delete(squadron)
    await session.commit()
    await bus.publish(Event(TOPIC, "squadron.deleted", {"id": squadron_id}))


async def _require_squadron(session: AsyncSession, squadron_id: int) -> None:
    if await service.get_squadron(session, squadron_id) is None:
        raise field_error("org.unknown_squadron", "中队不存在", "No such squadron", "squadron_id")


async def _publish_person(bus: Bus, name: str, person: Person) -> None:
    data = PersonOut.of(person).model_dump(mode="json")
    await bus.publish(Event(TOPIC, name, data, key=f"person:{person.id}"))


async def create_person(session: AsyncSession, bus: Bus, data: PersonIn, actor: Actor) -> Person:
    await _require_squadron(session, data.squadron_id)
    person = Person(**data.model_dump(mode="json"))
    session.add(person)
    try:
        await session.flush()
    except IntegrityError as exc:
        await session.rollback()
        raise BADGE_TAKEN from exc
    await session.refresh(person, ["squadron"])
    audit.record(
        session, actor, "person.created", "person", person.id, after=service.snapshot(person)
    )
    await session.commit()
    await _publish_person(bus, "person.created", person)
    return person


async def update_person(
    session: AsyncSession, bus: Bus, person_id: int, data: PersonUpdate, actor: Actor
) -> Person:
    person = await service.get_person(session, person_id)
    if person is None:
        raise PERSON_NOT_FOUND
    changes = data.model_dump(mode="json", exclude_unset=True, exclude_none=True)
    if "squadron_id" in changes:
        await _require_squadron(session, changes["squadron_id"])
    before = service.snapshot(person)
    for field, value in changes.items():
        setattr(person, field, value)
    try:
        await session.flush()
    except IntegrityError as exc:
        await session.rollback()
        raise BADGE_TAKEN from exc
    await session.refresh(person, ["squadron"])
    audit.record(
        session, actor, "person.updated", "person", person.id, before, service.snapshot(person)
    )
    await session.commit()
    await _publish_person(bus, "person.updated", person)
    return person


async def delete_person(session: AsyncSession, bus: Bus, person_id: int, actor: Actor) -> None:
    person = await service.get_person(session, person_id)
    if person is None:
        raise PERSON_NOT_FOUND
    audit.record(
        session, actor, "person.deleted", "person", person.id, before=service.snapshot(person)
    )
    await session.delete(person)
    await session.commit()
    await bus.publish(Event(TOPIC, "person.deleted", {"id": person_id}, key=f"person:{person_id}"))


async def import_people(
    session: AsyncSession, bus: Bus, filename: str, content: bytes, actor: Actor
) -> int:
    """All or nothing: any bad row rejects the file, with every bad row reported by line."""
    squadrons = await service.squadron_lookup(session)
    people, errors = files.parse_people(
        filename, content, squadrons, await service.all_badges(session)
    )
    if errors:
        raise AppError(
            422,
            "org.import_invalid",
            f"有 {len(errors)} 处错误,未导入任何数据",
            f"{len(errors)} problems found; nothing was imported",
            {"errors": [e.as_dict() for e in errors]},
        )
    rows = [
        Person(
            name=p.name,
            badge_no=p.badge_no,
            kind=p.kind.value,
            post=p.post,
            mobile=p.mobile,
            squadron_id=p.squadron_id,
        )
        for p in people
    ]
    session.add_all(rows)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent insert took a badge after our check
        await session.rollback()
        raise BADGE_TAKEN from exc
    audit.record(
        session,
        actor,
        "person.imported",
        "person",
        None,
        after={
            "file": filename,
            "count": len(rows),
            "ids": [r.id for r in rows],
            "badges": [r.badge_no for r in rows],
        },
    )
    await session.commit()
    await bus.publish(Event(TOPIC, "people.imported", {"count": len(rows)}))
    return len(rows)


async def link_user(
    session: AsyncSession, bus: Bus, person_id: int, user_id: int | None, actor: Actor
) -> Person:
    """Ties a login account to the person it belongs to (an officer's own phone app)."""
    person = await service.get_person(session, person_id)
    if person is None:
        raise PERSON_NOT_FOUND
    before = service.snapshot(person)
    person.user_id = user_id
    try:
        await session.flush()
    except IntegrityError as exc:
        await session.rollback()
        raise AppError(
            409,
            "org.user_already_linked",
            "该账号已关联其他人员",
            "This account already belongs to another person",
        ) from exc
    audit.record(
        session, actor, "person.user_linked", "person", person.id, before, service.snapshot(person)
    )
    await session.commit()
    await _publish_person(bus, "person.updated", person)
    return person
