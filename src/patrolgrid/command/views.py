"""Command API: SOS (raise, acknowledge, resolve, answer), command groups (create, members,
chat, close), WebRTC configuration; the hub's `command` topic and the `sos`, `rtc` and `video`
WebSocket messages."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from patrolgrid.command import service
from patrolgrid.command.flows import (
    GROUP_NOT_FOUND,
    NO_PERSON,
    NOT_IN_ROOM,
    TOPIC,
    Command,
    doer,
)
from patrolgrid.command.models import (
    GroupDetail,
    GroupIn,
    GroupList,
    MemberPositions,
    MembersIn,
    MessageIn,
    MessageOut,
    ResolveIn,
    RtcConfig,
    SosIn,
    SosList,
    SosOut,
)
from patrolgrid.core.auth import Perm, Principal, requires
from patrolgrid.core.db import RowId, get_session, utcnow
from patrolgrid.core.errors import AppError, not_found, validation_details
from patrolgrid.core.realtime import Hub
from patrolgrid.core.uploads import MAX_PHOTO_BYTES
from patrolgrid.org import service as org_service
from patrolgrid.org.models import Person

router = APIRouter(tags=["command"])
Session = Annotated[AsyncSession, Depends(get_session)]
Anyone = Annotated[Principal, Depends(requires(Perm.self_read))]
Raiser = Annotated[Principal, Depends(requires(Perm.sos_raise))]
Handler = Annotated[Principal, Depends(requires(Perm.sos_handle))]
Watcher = Annotated[Principal, Depends(requires(Perm.tracking_read))]
Commander = Annotated[Principal, Depends(requires(Perm.groups_command))]
RECENT = dt.timedelta(hours=24)


def _command(request: Request) -> Command:
    command: Command = request.app.state.command
    return command


Runtime = Annotated[Command, Depends(_command)]


async def _own_person(session: AsyncSession, principal: Principal) -> Person:
    person = await org_service.person_for_user(session, principal.user_id)
    if person is None:
        raise NO_PERSON
    return person


# ---- SOS ---------------------------------------------------------------------------------------


@router.post("/api/command/sos")
async def raise_sos(body: SosIn, session: Session, runtime: Runtime, principal: Raiser) -> SosOut:
    """Idempotent: the same `client_ref`, or any press while an SOS is open, gives the same SOS."""
    sos = await runtime.raise_own_sos(session, principal.user_id, body, doer(principal))
    return await service.sos_out(session, sos)


@router.get("/api/command/sos")
async def list_sos(
    session: Session, _: Watcher, active: Annotated[bool, Query()] = False
) -> SosList:
    rows = (
        await service.open_sos(session)
        if active
        else await service.recent_sos(session, utcnow() - RECENT)
    )
    return SosList(items=[await service.sos_out(session, s) for s in rows])


@router.get("/api/command/sos/mine")
async def my_sos(session: Session, principal: Anyone) -> SosList:
    """The officer's own open SOS, and the open SOS they were called to."""
    person = await _own_person(session, principal)
    items = []
    for sos in await service.open_sos(session):
        called = {r.person_id for r, _ in await service.responders(session, sos.id)}
        if sos.person_id == person.id or person.id in called:
            items.append(await service.sos_out(session, sos))
    return SosList(items=items)


@router.get("/api/command/sos/{sos_id}")
async def get_sos(sos_id: RowId, session: Session, _: Watcher) -> SosOut:
    sos = await service.get_sos(session, sos_id)
    if sos is None:
        raise not_found("求助", "SOS", "command.sos_not_found")
    return await service.sos_out(session, sos)


@router.post("/api/command/sos/{sos_id}/ack")
async def acknowledge_sos(
    sos_id: RowId, session: Session, runtime: Runtime, principal: Handler
) -> SosOut:
    sos = await runtime.acknowledge(session, sos_id, doer(principal))
    return await service.sos_out(session, sos)


@router.post("/api/command/sos/{sos_id}/resolve")
async def resolve_sos(
    sos_id: RowId, body: ResolveIn, session: Session, runtime: Runtime, principal: Handler
) -> SosOut:
    sos = await runtime.resolve(session, sos_id, body.note, doer(principal))
    return await service.sos_out(session, sos)


@router.post("/api/command/sos/{sos_id}/answer")
async def answer_sos(
    sos_id: RowId, session: Session, runtime: Runtime, principal: Raiser
) -> SosOut:
    person = await _own_person(session, principal)
    sos = await runtime.answer(session, sos_id, person, doer(principal))
    return await service.sos_out(session, sos)


@router.get("/api/command/rtc-config")
async def rtc_config(request: Request, _: Anyone) -> RtcConfig:
    return RtcConfig(ice_servers=request.app.state.settings.webrtc_ice_servers)


# ---- command groups ----------------------------------------------------------------------------


@router.post("/api/command/groups", status_code=201)
async def create_group(
    body: GroupIn, session: Session, runtime: Runtime, principal: Commander
) -> GroupDetail:
    group = await runtime.create_group(session, body, principal)
    return await service.group_detail(session, group)


@router.get("/api/command/groups")
async def list_groups(
    session: Session, principal: Anyone, open: Annotated[bool, Query()] = True
) -> GroupList:
    """Every group for the command center; one's own for everyone else."""
    if principal.can(Perm.tracking_read):
        rows = await service.all_groups(session, open, 200)
    else:
        rows = await service.groups_of_user(session, principal.user_id, open)
    return GroupList(items=[await service.group_out(session, g) for g in rows])


async def _readable_group(session: AsyncSession, group_id: int, principal: Principal) -> Any:
    group = await service.get_group(session, group_id)
    if group is None:
        raise GROUP_NOT_FOUND
    if not principal.can(Perm.tracking_read) and principal.user_id not in {
        m.user_id for m in await service.members(session, group.id)
    }:
        raise NOT_IN_ROOM
    return group


@router.get("/api/command/groups/{group_id}")
async def get_group(group_id: RowId, session: Session, principal: Anyone) -> GroupDetail:
    group = await _readable_group(session, group_id, principal)
    return await service.group_detail(session, group)


@router.post("/api/command/groups/{group_id}/members")
async def add_members(
    group_id: RowId, body: MembersIn, session: Session, runtime: Runtime, principal: Anyone
) -> GroupDetail:
    group = await runtime.add_members(session, group_id, body.person_ids, principal)
    return await service.group_detail(session, group)


@router.post("/api/command/groups/{group_id}/join")
async def join_group(
    group_id: RowId, session: Session, runtime: Runtime, principal: Commander
) -> GroupDetail:
    group = await runtime.join(session, group_id, principal)
    return await service.group_detail(session, group)


@router.get("/api/command/groups/{group_id}/positions")
async def member_positions(
    group_id: RowId, session: Session, runtime: Runtime, principal: Anyone
) -> MemberPositions:
    """The current members' latest positions, for everyone in the group (officers cannot read
    the whole brigade's tracking, but may see their own group's)."""
    group = await _readable_group(session, group_id, principal)
    return MemberPositions(items=runtime.member_positions(await service.members(session, group.id)))


@router.post("/api/command/groups/{group_id}/leave")
async def leave_group(
    group_id: RowId, session: Session, runtime: Runtime, principal: Anyone
) -> GroupDetail:
    group = await runtime.leave(session, group_id, principal)
    return await service.group_detail(session, group)


@router.post("/api/command/groups/{group_id}/close")
async def close_group(
    group_id: RowId, session: Session, runtime: Runtime, principal: Anyone
) -> GroupDetail:
    group = await runtime.close_group(session, group_id, principal)
    return await service.group_detail(session, group)


@router.post("/api/command/groups/{group_id}/messages", status_code=201)
async def post_message(
    group_id: RowId, body: MessageIn, session: Session, runtime: Runtime, principal: Anyone
) -> MessageOut:
    message = await runtime.post(session, group_id, body, principal)
    return service.message_out(message)


@router.post("/api/command/groups/{group_id}/photos", status_code=201)
async def post_photo(
    group_id: RowId,
    session: Session,
    runtime: Runtime,
    principal: Anyone,
    file: Annotated[UploadFile, File(description="JPEG, PNG or WebP, at most 8 MB")],
    text: Annotated[str, Form(max_length=500)] = "",
) -> MessageOut:
    content = await file.read(MAX_PHOTO_BYTES + 1)
    message = await runtime.post_photo(session, group_id, content, text, principal)
    return service.message_out(message)


@router.get(
    "/api/command/groups/{group_id}/messages/{message_id}/photo",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}}},
)
async def message_photo(
    group_id: RowId, message_id: RowId, session: Session, principal: Anyone
) -> Response:
    await _readable_group(session, group_id, principal)
    message = await service.get_message(session, group_id, message_id)
    if message is None or message.kind != "photo" or message.photo is None:
        raise not_found("照片", "Photo", "command.photo_not_found")
    return Response(
        message.photo,
        media_type=message.content_type or "application/octet-stream",
        headers={"Cache-Control": "private, max-age=86400"},
    )


# ---- the WebSocket side ------------------------------------------------------------------------


def register_realtime(hub: Hub, runtime: Command) -> None:
    async def snapshot(_: Principal) -> dict[str, Any]:
        """A console that (re)connects gets every open SOS and group at once."""
        async with runtime.db.sessions() as session:
            sos = [
                (await service.sos_out(session, s)).model_dump(mode="json")
                for s in await service.open_sos(session)
            ]
            groups = [
                (await service.group_out(session, g)).model_dump(mode="json")
                for g in await service.all_groups(session, True, 200)
            ]
        return {"sos": sos, "groups": groups}

    async def sos(principal: Principal, message: dict[str, Any]) -> dict[str, Any]:
        """The app's SOS over its socket (it also posts it over HTTP: whichever arrives)."""
        try:
            data = SosIn.model_validate(
                {k: v for k, v in message.items() if k not in ("type", "id")}
            )
        except ValidationError as exc:
            raise AppError(
                422,
                "validation_error",
                "请求数据无效",
                "Invalid request data",
                validation_details(exc.errors()),
            ) from None
        async with runtime.db.sessions() as session:
            alert = await runtime.raise_own_sos(session, principal.user_id, data, doer(principal))
        return {"type": "ack", "sos_id": alert.id}

    async def rtc(principal: Principal, message: dict[str, Any]) -> dict[str, Any]:
        await runtime.relay(principal, message)
        return {"type": "ack"}

    async def video(principal: Principal, message: dict[str, Any]) -> dict[str, Any]:
        return await runtime.video(principal, message)

    hub.register_topic(TOPIC, Perm.tracking_read, snapshot=snapshot)
    hub.register_handler("sos", Perm.sos_raise, sos)
    hub.register_handler("rtc", Perm.self_read, rtc)
    hub.register_handler("video", Perm.self_read, video)
