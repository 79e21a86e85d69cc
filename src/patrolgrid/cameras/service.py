"""Data access for cameras. No side effects beyond the session it is given."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from patrolgrid.cameras.models import Camera, CameraOut


async def list_cameras(
    session: AsyncSession,
    *,
    q: str | None = None,
    squadron_id: int | None = None,
    enabled: bool | None = None,
) -> list[Camera]:
    query = select(Camera)
    if q:
        pattern = f"%{q.strip()}%"
        query = query.where(
            or_(Camera.name.ilike(pattern), Camera.code.ilike(pattern), Camera.note.ilike(pattern))
        )
    if squadron_id is not None:
        query = query.where(Camera.squadron_id == squadron_id)
    if enabled is not None:
        query = query.where(Camera.enabled.is_(enabled))
    return list(await session.scalars(query.order_by(Camera.code, Camera.id)))


async def get_camera(session: AsyncSession, camera_id: int) -> Camera | None:
    return await session.get(Camera, camera_id)


async def all_codes(session: AsyncSession) -> set[str]:
    return set(await session.scalars(select(Camera.code)))


async def count_cameras(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count(Camera.id))) or 0)


def snapshot(camera: Camera) -> dict[str, Any]:
    """The camera as the audit log keeps it (without the timestamps)."""
    data = CameraOut.of(camera).model_dump(mode="json")
    for noisy in ("created_at", "updated_at"):
        data.pop(noisy)
    return data
