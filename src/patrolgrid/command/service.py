"""Data access for SOS alerts and command groups. No side effects beyond the given session."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from patrolgrid.command.models import (
    CommandGroup,
    GroupDetail,
    GroupMember,
    GroupMessage,
    GroupOrigin,
    GroupOut,
    MemberOut,
    MessageOut,
    ResponderOut,
    SosAlert,
    SosOut,
    SosResponder,
    SosStatus,
    TrailPoint,
    VideoOut,
    VideoSession,
)
from patrolgrid.core.auth.models import User
from patrolgrid.org.models import Person
from patrolgrid.tracking import service as tracking_service
from patrolgrid.tracking.models import PersonState

TRAIL_BEFORE = dt.timedelta(minutes=10)
TRAIL_POINTS = 300


async def get_sos(session: AsyncSession, sos_id: int) -> SosAlert | None:
    return await session.get(SosAlert, sos_id)


async def open_sos_of(session: AsyncSession, person_id: int) -> SosAlert | None:
    found: SosAlert | None = await session.scalar(
        select(SosAlert).where(
            SosAlert.person_id == person_id, SosAlert.status != SosStatus.resolved.value
        )
    )
    return found


async def sos_context(
    session: AsyncSession, whose: ColumnElement[bool], client_ref: str | None
) -> tuple[Person, PersonState | None, SosAlert | None] | None:
    """In one query (an SOS waits on every round trip): the person (`whose`: a condition on
    Person), their live state, and what a new press repeats — their SOS of this `client_ref`
    (a retry, even of one resolved since), else their open SOS. None: no such person."""
    again = SosAlert.status != SosStatus.resolved.value
    if client_ref is not None:
        again = or_(SosAlert.client_ref == client_ref, again)
    rows = (
        await session.execute(
            select(Person, PersonState, SosAlert)
            .outerjoin(PersonState, PersonState.person_id == Person.id)
            .outerjoin(SosAlert, and_(SosAlert.person_id == Person.id, again))
            .where(whose)
        )
    ).all()
    if not rows:
        return None
    person, state = rows[0][0], rows[0][1]
    found = [sos for _, _, sos in rows if sos is not None]
    repeated = next((sos for sos in found if client_ref and sos.client_ref == client_ref), None)
    return person, state, repeated or (found[0] if found else None)


async def open_sos(session: AsyncSession) -> list[SosAlert]:
    rows = await session.scalars(
        select(SosAlert)
        .where(SosAlert.status != SosStatus.resolved.value)
        .order_by(SosAlert.raised_at)
    )
    return list(rows)


async def recent_sos(session: AsyncSession, since: dt.datetime) -> list[SosAlert]:
    rows = await session.scalars(
        select(SosAlert)
        .where((SosAlert.status != SosStatus.resolved.value) | (SosAlert.raised_at >= since))
        .order_by(SosAlert.raised_at.desc())
    )
    return list(rows)


async def unacknowledged_before(
    session: AsyncSession, raised_before: dt.datetime
) -> list[SosAlert]:
    rows = await session.scalars(
        select(SosAlert).where(
            SosAlert.status == SosStatus.active.value,
            SosAlert.raised_at <= raised_before,
            SosAlert.escalated_at.is_(None),
        )
    )
    return list(rows)


async def responders(session: AsyncSession, sos_id: int) -> list[tuple[SosResponder, Person]]:
    rows = await session.execute(
        select(SosResponder, Person)
        .join(Person, Person.id == SosResponder.person_id)
        .where(SosResponder.sos_id == sos_id)
        .order_by(SosResponder.eta_seconds.is_(None), SosResponder.eta_seconds)
    )
    return [(r, p) for r, p in rows]


async def squadron_mates(
    session: AsyncSession, squadron_id: int, among: Sequence[int]
) -> list[int]:
    """Which of `among` (e.g. the people on duty) belong to the squadron."""
    if not among:
        return []
    rows = await session.scalars(
        select(Person.id).where(Person.squadron_id == squadron_id, Person.id.in_(list(among)))
    )
    return list(rows)


async def users_of_people(session: AsyncSession, person_ids: Sequence[int]) -> dict[int, int]:
    """person → user, for the people who sign in."""
    if not person_ids:
        return {}
    rows = await session.execute(
        select(Person.id, Person.user_id).where(
            Person.id.in_(list(person_ids)), Person.user_id.is_not(None)
        )
    )
    return {pid: uid for pid, uid in rows if uid is not None}


async def users_with_roles(session: AsyncSession, roles: Sequence[str]) -> list[User]:
    rows = await session.scalars(
        select(User).where(User.role.in_(list(roles)), User.active.is_(True))
    )
    return list(rows)


async def sos_out(session: AsyncSession, sos: SosAlert) -> SosOut:
    person = await session.get(Person, sos.person_id)
    assert person is not None
    state = await tracking_service.get_state(session, person.id)
    end = dt.datetime.now(dt.UTC)
    points = await tracking_service.track(session, person.id, sos.raised_at - TRAIL_BEFORE, end)
    return build_sos_out(
        sos,
        person,
        state,
        [
            ResponderOut(
                person_id=p.id,
                name=p.name,
                mobile=p.mobile,
                reason=r.reason,
                eta_seconds=r.eta_seconds,
                notified_at=r.notified_at,
                answered_at=r.answered_at,
            )
            for r, p in await responders(session, sos.id)
        ],
        [TrailPoint(ts=p.ts, lon=p.lon, lat=p.lat) for p in points[-TRAIL_POINTS:]],
    )


def build_sos_out(
    sos: SosAlert,
    person: Person,
    state: PersonState | None,
    responders: list[ResponderOut],
    trail: list[TrailPoint],
) -> SosOut:
    """The SOS as clients see it, from rows already loaded (`person` with its squadron)."""
    return SosOut(
        id=sos.id,
        person_id=person.id,
        person_user_id=person.user_id,
        name=person.name,
        badge_no=person.badge_no,
        kind=person.kind,
        post=person.post,
        mobile=person.mobile,
        squadron_name=person.squadron.name,
        status=SosStatus(sos.status),
        source=sos.source,
        lon=state.lon if state and state.lon is not None else sos.lon,
        lat=state.lat if state and state.lat is not None else sos.lat,
        raised_at=sos.raised_at,
        acknowledged_at=sos.acknowledged_at,
        acknowledged_by=sos.acknowledged_by,
        escalated_at=sos.escalated_at,
        resolved_at=sos.resolved_at,
        resolved_by=sos.resolved_by,
        resolution=sos.resolution,
        responders=responders,
        trail=trail,
    )


# ---- groups ------------------------------------------------------------------------------------


async def get_group(session: AsyncSession, group_id: int) -> CommandGroup | None:
    return await session.get(CommandGroup, group_id)


async def members(session: AsyncSession, group_id: int) -> list[GroupMember]:
    rows = await session.scalars(
        select(GroupMember).where(GroupMember.group_id == group_id).order_by(GroupMember.id)
    )
    return list(rows)


async def current_member(session: AsyncSession, group_id: int, user_id: int) -> GroupMember | None:
    found: GroupMember | None = await session.scalar(
        select(GroupMember).where(
            GroupMember.group_id == group_id,
            GroupMember.user_id == user_id,
            GroupMember.left_at.is_(None),
        )
    )
    return found


async def groups_of_user(
    session: AsyncSession, user_id: int, only_open: bool
) -> list[CommandGroup]:
    query = (
        select(CommandGroup)
        .join(GroupMember, GroupMember.group_id == CommandGroup.id)
        .where(GroupMember.user_id == user_id)
        .distinct()
        .order_by(CommandGroup.created_at.desc())
    )
    if only_open:
        query = query.where(CommandGroup.open.is_(True), GroupMember.left_at.is_(None))
    return list(await session.scalars(query))


async def all_groups(session: AsyncSession, only_open: bool, limit: int) -> list[CommandGroup]:
    query = select(CommandGroup).order_by(CommandGroup.created_at.desc()).limit(limit)
    if only_open:
        query = query.where(CommandGroup.open.is_(True))
    return list(await session.scalars(query))


async def messages(session: AsyncSession, group_id: int) -> list[GroupMessage]:
    rows = await session.scalars(
        select(GroupMessage).where(GroupMessage.group_id == group_id).order_by(GroupMessage.id)
    )
    return list(rows)


async def get_message(session: AsyncSession, group_id: int, message_id: int) -> GroupMessage | None:
    """The message with its photo's bytes (deferred elsewhere: lists never need them)."""
    found = await session.get(GroupMessage, message_id, options=[undefer(GroupMessage.photo)])
    return found if found is not None and found.group_id == group_id else None


async def videos(session: AsyncSession, room: str) -> list[VideoSession]:
    rows = await session.scalars(
        select(VideoSession).where(VideoSession.room == room).order_by(VideoSession.id)
    )
    return list(rows)


async def live_video(session: AsyncSession, room: str, user_id: int) -> VideoSession | None:
    found: VideoSession | None = await session.scalar(
        select(VideoSession).where(
            VideoSession.room == room,
            VideoSession.user_id == user_id,
            VideoSession.ended_at.is_(None),
        )
    )
    return found


def member_out(member: GroupMember) -> MemberOut:
    return MemberOut(
        id=member.id,
        user_id=member.user_id,
        person_id=member.person_id,
        name=member.name,
        role=member.role,
        joined_at=member.joined_at,
        left_at=member.left_at,
    )


def message_out(message: GroupMessage) -> MessageOut:
    return MessageOut(
        id=message.id,
        group_id=message.group_id,
        sender_user_id=message.sender_user_id,
        sender_name=message.sender_name,
        kind=message.kind,
        text=message.text,
        lon=message.lon,
        lat=message.lat,
        photo_url=(
            f"/api/command/groups/{message.group_id}/messages/{message.id}/photo"
            if message.kind == "photo"
            else None
        ),
        created_at=message.created_at,
    )


async def group_out(session: AsyncSession, group: CommandGroup) -> GroupOut:
    return GroupOut(
        id=group.id,
        name=group.name,
        origin=GroupOrigin(group.origin),
        incident_id=group.incident_id,
        sos_id=group.sos_id,
        open=group.open,
        created_by=group.created_by,
        created_at=group.created_at,
        closed_at=group.closed_at,
        closed_by=group.closed_by,
        members=[member_out(m) for m in await members(session, group.id)],
    )


async def group_detail(session: AsyncSession, group: CommandGroup) -> GroupDetail:
    summary = await group_out(session, group)
    return GroupDetail(
        **summary.model_dump(),
        messages=[message_out(m) for m in await messages(session, group.id)],
        videos=[VideoOut.model_validate(v) for v in await videos(session, f"group:{group.id}")],
    )
