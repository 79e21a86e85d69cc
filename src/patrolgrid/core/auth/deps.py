"""Every endpoint declares its permission through one of these dependencies.

`requires(perm)` authenticates (session cookie, else `Authorization: Bearer`) and checks the
permission; `public(reason)` marks an endpoint open to anyone. The route-table test fails on any
endpoint carrying neither marker.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from patrolgrid.core.auth import service
from patrolgrid.core.auth.models import TokenKind
from patrolgrid.core.auth.principal import Principal
from patrolgrid.core.auth.roles import Perm, Role
from patrolgrid.core.db import Database, get_session, utcnow
from patrolgrid.core.errors import AppError

SESSION_COOKIE = "pg_session"
PERMISSION_MARKER = "__patrolgrid_permission__"
PUBLIC = "public"
# Writing last_used_at on every request would turn each read into a write.
_TOUCH_INTERVAL = dt.timedelta(minutes=5)
log = logging.getLogger(__name__)
_touches: set[asyncio.Task[None]] = set()  # held until done: the loop keeps only weak refs

AUTH_REQUIRED = AppError(
    401,
    "auth.required",
    "请先登录",
    "Authentication required",
    headers={"WWW-Authenticate": "Bearer"},
)


def client_ip(conn: HTTPConnection) -> str | None:
    return conn.client.host if conn.client else None


def presented_token(conn: HTTPConnection) -> tuple[str, TokenKind] | None:
    cookie = conn.cookies.get(SESSION_COOKIE)
    if cookie:
        return cookie, TokenKind.session
    header = conn.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip(), TokenKind.api
    return None


async def authenticate(
    conn: HTTPConnection, session: AsyncSession, token: tuple[str, TokenKind] | None = None
) -> Principal | None:
    token = token or presented_token(conn)
    if token is None:
        return None
    secret: str = conn.app.state.settings.ensure_secret_key()
    found = await service.find_token(session, service.hash_token(secret, token[0]), token[1])
    if found is None:
        return None
    row, user = found
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > _TOUCH_INTERVAL:
        # Recorded beside the request, not in it: the request (an SOS) must not wait for this
        # write, which on SQLite queues behind every other writer (the position group commits).
        task = asyncio.create_task(_touch(conn.app.state.db, row.id, now))
        _touches.add(task)
        task.add_done_callback(_touches.discard)
    return Principal(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role),
        token_id=row.id,
        ip=client_ip(conn),
    )


async def _touch(db: Database, token_id: int, now: dt.datetime) -> None:
    try:
        async with db.sessions() as session:
            await service.touch_token(session, token_id, now)
    except Exception:  # a usage hint only; the app may be stopping
        log.debug("could not record the use of token %s", token_id, exc_info=True)


def requires(perm: Perm) -> Callable[..., Awaitable[Principal]]:
    async def dependency(
        request: Request, session: AsyncSession = Depends(get_session)
    ) -> Principal:
        principal = await authenticate(request, session)
        if principal is None:
            raise AUTH_REQUIRED
        if not principal.can(perm):
            raise AppError(
                403,
                "auth.forbidden",
                "没有权限执行此操作",
                "You do not have permission to do this",
                {"permission": perm.value},
            )
        request.state.principal = principal
        return principal

    setattr(dependency, PERMISSION_MARKER, perm.value)
    return dependency


def public(reason: str) -> Callable[..., Awaitable[None]]:
    """Marks an endpoint as open to anyone; `reason` documents why in the code."""

    async def dependency() -> None:
        return None

    setattr(dependency, PERMISSION_MARKER, PUBLIC)
    dependency.__doc__ = reason
    return dependency


def checked_by_handler(perm: Perm) -> Callable[..., Awaitable[None]]:
    """Declares the permission of a WebSocket route whose handler authenticates the handshake
    itself (it must answer with a denial response rather than an HTTP error)."""

    async def dependency() -> None:
        return None

    setattr(dependency, PERMISSION_MARKER, perm.value)
    return dependency


def declared_permission(dependency_call: Any) -> str | None:
    return getattr(dependency_call, PERMISSION_MARKER, None)
