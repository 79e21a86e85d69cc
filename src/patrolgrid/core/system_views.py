"""Health, system information and the audit log viewer."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from patrolgrid import __version__
from patrolgrid.core import audit
from patrolgrid.core.auth import Perm, Principal, public, requires
from patrolgrid.core.db import MAX_ID, get_session

router = APIRouter(prefix="/api", tags=["system"])


class Health(BaseModel):
    status: str


class SystemInfo(BaseModel):
    version: str
    database: str
    bus: str
    locale: str
    started_at: dt.datetime


@router.get("/health", dependencies=[Depends(public("load balancers probe it unauthenticated"))])
async def health() -> Health:
    return Health(status="ok")


@router.get("/system/info")
async def system_info(
    request: Request, _: Annotated[Principal, Depends(requires(Perm.settings_read))]
) -> SystemInfo:
    state = request.app.state
    return SystemInfo(
        version=__version__,
        database=state.db.backend,
        bus=state.bus.backend,
        locale=state.settings.locale,
        started_at=state.started_at,
    )


@router.get("/admin/audit")
async def list_audit(
    session: Annotated[AsyncSession, Depends(get_session)],
    _: Annotated[Principal, Depends(requires(Perm.audit_read))],
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    entity_type: Annotated[str | None, Query(max_length=64)] = None,
    actor: Annotated[str | None, Query(max_length=100)] = None,
    action: Annotated[str | None, Query(max_length=64)] = None,
) -> audit.AuditPage:
    rows, total = await audit.list_entries(
        session, limit=limit, offset=offset, entity_type=entity_type, actor=actor, action=action
    )
    return audit.AuditPage(items=[audit.AuditOut.model_validate(r) for r in rows], total=total)
