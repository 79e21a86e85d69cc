"""The SMS outbox as the console's settings page shows it: what was sent, to whom, and how."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession

from patrolgrid.core.auth import Perm, Principal, requires
from patrolgrid.core.db import get_session
from patrolgrid.sms import flows
from patrolgrid.sms.models import SmsOut, SmsPage

router = APIRouter(tags=["sms"])
Session = Annotated[AsyncSession, Depends(get_session)]
Auditor = Annotated[Principal, Depends(requires(Perm.audit_read))]


@router.get("/api/sms")
async def list_sms(
    session: Session,
    _: Auditor,
    purpose: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> SmsPage:
    rows, total = await flows.list_messages(session, purpose, limit, offset)
    return SmsPage(items=[SmsOut.model_validate(r) for r in rows], total=total)
