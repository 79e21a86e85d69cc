"""Camera workflows: validate, persist with an audit row, commit, then publish on `cameras`."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from patrolgrid.cameras import files, service
from patrolgrid.cameras.models import (
    Camera,
    CameraIn,
    CameraOut,
    CameraUpdate,
    StreamKind,
    guess_kind,
    resolve_kind,
    stream_problem,
)
from patrolgrid.core import audit
from patrolgrid.core.audit import Actor
from patrolgrid.core.bus import Bus, Event
from patrolgrid.core.errors import AppError, field_error, not_found
from patrolgrid.org import service as org_service

TOPIC = "cameras"

CAMERA_NOT_FOUND = not_found("摄像头", "Camera", "cameras.not_found")
CODE_TAKEN = AppError(409, "cameras.code_taken", "摄像头编号已存在", "Camera code already exists")
# Fields a PATCH may set to null; for the others null means "unchanged".
_NULLABLE = {"heading", "squadron_id"}


async def _require_squadron(session: AsyncSession, squadron_id: int | None) -> None:
    if squadron_id is not None and await org_service.get_squadron(session, squadron_id) is None:
        raise field_error(
            "cameras.unknown_squadron", "中队不存在", "No such squadron", "squadron_id"
        )


def _check_stream(url: str, kind: StreamKind) -> None:
    problem = stream_problem(url, kind)
    if problem is not None:
        raise field_error(*problem, "stream_kind")


async def _publish(bus: Bus, name: str, camera: Camera) -> None:
    data = CameraOut.of(camera).model_dump(mode="json")
    await bus.publish(Event(TOPIC, name, data, key=f"camera:{camera.id}"))


async def create_camera(session: AsyncSession, bus: Bus, data: CameraIn, actor: Actor) -> Camera:
    await _require_squadron(session, data.squadron_id)
    kind = resolve_kind(data.stream_url, data.stream_kind)
    _check_stream(data.stream_url, kind)
    camera = Camera(**{**data.model_dump(mode="json"), "stream_kind": kind.value})
    session.add(camera)
    try:
        await session.flush()
    except IntegrityError as exc:
        await session.rollback()
        raise CODE_TAKEN from exc
    await session.refresh(camera, ["squadron"])
    audit.record(
        session, actor, "camera.created", "camera", camera.id, after=service.snapshot(camera)
    )
    await session.commit()
    await _publish(bus, "camera.created", camera)
    return camera


async def update_camera(
    session: AsyncSession, bus: Bus, camera_id: int, data: CameraUpdate, actor: Actor
) -> Camera:
    camera = await service.get_camera(session, camera_id)
    if camera is None:
        raise CAMERA_NOT_FOUND
    changes: dict[str, Any] = {
        field: value
        for field, value in data.model_dump(mode="json", exclude_unset=True).items()
        if value is not None or field in _NULLABLE
    }
    if "squadron_id" in changes:
        await _require_squadron(session, changes["squadron_id"])
    url = changes.get("stream_url", camera.stream_url)
    if "stream_kind" in changes:
        kind = StreamKind(changes["stream_kind"])
    elif "stream_url" in changes:
        # A new URL that tells its kind brings it along; otherwise the kind stays.
        kind = guess_kind(url) or StreamKind(camera.stream_kind)
        changes["stream_kind"] = kind.value
    else:
        kind = StreamKind(camera.stream_kind)
    _check_stream(url, kind)
    changes = {f: v for f, v in changes.items() if getattr(camera, f) != v}
    if not changes:  # nothing changes: no audit row, no event
        return camera
    before = service.snapshot(camera)
    for field, value in changes.items():
        setattr(camera, field, value)
    try:
        await session.flush()
    except IntegrityError as exc:
        await session.rollback()
        raise CODE_TAKEN from exc
    await session.refresh(camera, ["squadron"])
    after = service.snapshot(camera)
    audit.record(session, actor, "camera.updated", "camera", camera.id, before, after)
    await session.commit()
    await _publish(bus, "camera.updated", camera)
    return camera


async def delete_camera(session: AsyncSession, bus: Bus, camera_id: int, actor: Actor) -> None:
    camera = await service.get_camera(session, camera_id)
    if camera is None:
        raise CAMERA_NOT_FOUND
    audit.record(
        session, actor, "camera.deleted", "camera", camera.id, before=service.snapshot(camera)
    )
    await session.delete(camera)
    await session.commit()
    await bus.publish(Event(TOPIC, "camera.deleted", {"id": camera_id}, key=f"camera:{camera_id}"))


async def import_cameras(
    session: AsyncSession,
    bus: Bus,
    filename: str,
    content: bytes,
    actor: Actor,
    coords: files.CoordSystem = files.CoordSystem.wgs84,
) -> int:
    """All or nothing: any bad row rejects the file, with every bad row reported by line."""
    cameras, errors = files.parse_cameras(
        filename,
        content,
        await org_service.squadron_lookup(session),
        await service.all_codes(session),
        coords,
    )
    if errors:
        raise AppError(
            422,
            "cameras.import_invalid",
            f"有 {len(errors)} 处错误,未导入任何数据",
            f"{len(errors)} problems found; nothing was imported",
            {"errors": [e.as_dict() for e in errors]},
        )
    rows = [
        Camera(
            code=c.code,
            name=c.name,
            lon=c.lon,
            lat=c.lat,
            heading=c.heading,
            stream_url=c.stream_url,
            stream_kind=c.stream_kind.value,
            squadron_id=c.squadron_id,
            note=c.note,
            enabled=c.enabled,
        )
        for c in cameras
    ]
    session.add_all(rows)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent insert took a code after our check
        await session.rollback()
        raise CODE_TAKEN from exc
    audit.record(
        session,
        actor,
        "camera.imported",
        "camera",
        None,
        after={
            "file": filename,
            "coords": coords.value,
            "count": len(rows),
            "ids": [r.id for r in rows],
            "codes": [r.code for r in rows],
        },
    )
    await session.commit()
    await bus.publish(Event(TOPIC, "cameras.imported", {"count": len(rows)}))
    return len(rows)
