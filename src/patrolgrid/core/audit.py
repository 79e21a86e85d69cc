"""Audit log: who changed what, when, with the record before and after.

Flows call `record` inside the transaction that makes the change, so the change and its audit
row commit or roll back together.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import JSON, ForeignKey, Index, Integer, String, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from patrolgrid.core.db import Base, UTCDateTime, utcnow


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    # Kept as text too, so the row still says who it was after the user is gone.
    actor_name: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    ip: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Actor(BaseModel):
    """Who is acting: a signed-in user, or the system itself (CLI, demo loader, sweepers)."""

    model_config = ConfigDict(frozen=True)
    user_id: int | None
    name: str
    ip: str | None = None


SYSTEM = Actor(user_id=None, name="system")


def record(
    session: AsyncSession,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: object | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditEntry(
            actor_id=actor.user_id,
            actor_name=actor.name,
            action=action,
            entity_type=entity_type,
            entity_id=None if entity_id is None else str(entity_id),
            before=before,
            after=after,
            ip=actor.ip,
        )
    )


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    at: dt.datetime
    actor_id: int | None
    actor_name: str
    action: str
    entity_type: str
    entity_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    ip: str | None


class AuditPage(BaseModel):
    items: list[AuditOut]
    total: int


async def list_entries(
    session: AsyncSession,
    *,
    limit: int,
    offset: int,
    entity_type: str | None = None,
    actor: str | None = None,
    action: str | None = None,
) -> tuple[list[AuditEntry], int]:
    query = select(AuditEntry)
    if entity_type:
        query = query.where(AuditEntry.entity_type == entity_type)
    if actor:
        query = query.where(AuditEntry.actor_name == actor)
    if action:
        query = query.where(AuditEntry.action == action)
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    rows = await session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit).offset(offset))
    return list(rows), int(total or 0)
