"""Data access for users and tokens. No side effects beyond the session it is given."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from patrolgrid.core.auth.models import AuthToken, TokenKind, User
from patrolgrid.core.db import utcnow


def hash_token(secret: str, token: str) -> str:
    return hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def user_snapshot(user: User) -> dict[str, Any]:
    """What the audit log keeps of a user: never the password hash."""
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "active": user.active,
        "locked_until": user.locked_until.isoformat() if user.locked_until else None,
    }


async def get_user(session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def get_user_by_username(session: AsyncSession, username: str) -> User | None:
    result: User | None = await session.scalar(select(User).where(User.username == username))
    return result


async def list_users(session: AsyncSession) -> list[User]:
    return list(await session.scalars(select(User).order_by(User.id)))


async def touch_token(session: AsyncSession, token_id: int, now: dt.datetime) -> None:
    await session.execute(
        update(AuthToken).where(AuthToken.id == token_id).values(last_used_at=now)
    )
    await session.commit()


async def find_token(
    session: AsyncSession, token_hash: str, kind: TokenKind
) -> tuple[AuthToken, User] | None:
    now = utcnow()
    row = (
        await session.execute(
            select(AuthToken, User)
            .join(User, User.id == AuthToken.user_id)
            .where(
                AuthToken.token_hash == token_hash,
                AuthToken.kind == kind.value,
                AuthToken.revoked_at.is_(None),
                User.active.is_(True),
            )
        )
    ).first()
    if row is None:
        return None
    token, user = row
    if token.expires_at is not None and token.expires_at <= now:
        return None
    return token, user


async def add_token(
    session: AsyncSession,
    user_id: int,
    kind: TokenKind,
    token_hash: str,
    name: str,
    expires_at: dt.datetime | None,
) -> AuthToken:
    token = AuthToken(
        user_id=user_id, kind=kind.value, token_hash=token_hash, name=name, expires_at=expires_at
    )
    session.add(token)
    await session.flush()
    return token


async def list_api_tokens(session: AsyncSession, user_id: int) -> list[AuthToken]:
    rows = await session.scalars(
        select(AuthToken)
        .where(
            AuthToken.user_id == user_id,
            AuthToken.kind == TokenKind.api.value,
            AuthToken.revoked_at.is_(None),
        )
        .order_by(AuthToken.id)
    )
    return list(rows)


async def revoke_user_tokens(session: AsyncSession, user_id: int, kind: TokenKind) -> None:
    await session.execute(
        update(AuthToken)
        .where(
            AuthToken.user_id == user_id,
            AuthToken.kind == kind.value,
            AuthToken.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )
