"""Login, logout, tokens and user administration: each change audited in its own transaction."""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from patrolgrid.config import Settings
from patrolgrid.core import audit
from patrolgrid.core.audit import Actor
from patrolgrid.core.auth import service
from patrolgrid.core.auth.models import AuthToken, TokenKind, User, UserCreate, UserUpdate
from patrolgrid.core.auth.passwords import hash_password, needs_rehash, verify_password
from patrolgrid.core.db import utcnow
from patrolgrid.core.errors import AppError

log = logging.getLogger(__name__)

INVALID_CREDENTIALS = AppError(
    401, "auth.invalid_credentials", "用户名或密码错误", "Wrong username or password"
)


def _locked_error(until: dt.datetime) -> AppError:
    return AppError(
        423,
        "auth.account_locked",
        "登录失败次数过多,账号已暂时锁定",
        "Too many failed logins; the account is locked for now",
        {"locked_until": until.isoformat()},
    )


async def login(
    session: AsyncSession, settings: Settings, username: str, password: str, ip: str | None
) -> tuple[User, str]:
    """Check the password and open a web session; returns the user and the cookie token."""
    user = await service.get_user_by_username(session, username)
    now = utcnow()
    if user is None:
        verify_password(None, password)
        log.info("login for unknown user %r from %s", username, ip)
        raise INVALID_CREDENTIALS
    actor = Actor(user_id=user.id, name=user.username, ip=ip)
    if user.locked_until is not None and user.locked_until > now:
        raise _locked_error(user.locked_until)
    if not verify_password(user.password_hash, password):
        await _count_failure(session, settings, user, actor)
        if user.locked_until is not None and user.locked_until > now:
            raise _locked_error(user.locked_until)
        raise INVALID_CREDENTIALS
    if not user.active:
        raise AppError(403, "auth.account_disabled", "账号已停用", "This account is disabled")

    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    token = service.new_token()
    secret = settings.ensure_secret_key()
    expires = now + dt.timedelta(hours=settings.session_hours)
    row = await service.add_token(
        session, user.id, TokenKind.session, service.hash_token(secret, token), "web", expires
    )
    audit.record(session, actor, "auth.login", "user", user.id, after={"session_id": row.id})
    await session.commit()
    return user, token


async def _count_failure(
    session: AsyncSession, settings: Settings, user: User, actor: Actor
) -> None:
    # Increment in SQL so that concurrent failures are all counted.
    await session.execute(
        update(User).where(User.id == user.id).values(failed_logins=User.failed_logins + 1)
    )
    await session.refresh(user)
    audit.record(
        session,
        actor,
        "auth.login_failed",
        "user",
        user.id,
        after={"failed_logins": user.failed_logins},
    )
    if user.failed_logins >= settings.login_max_failures:
        user.locked_until = utcnow() + dt.timedelta(minutes=settings.login_lockout_minutes)
        user.failed_logins = 0
        audit.record(
            session,
            actor,
            "auth.locked",
            "user",
            user.id,
            after={"locked_until": user.locked_until.isoformat()},
        )
    await session.commit()


async def logout(session: AsyncSession, token_id: int, actor: Actor) -> None:
    token = await session.get(AuthToken, token_id)
    if token is not None and token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(
            session, actor, "auth.logout", "user", token.user_id, before={"session_id": token.id}
        )
        await session.commit()


async def create_api_token(
    session: AsyncSession,
    settings: Settings,
    user_id: int,
    name: str,
    expires_days: int | None,
    actor: Actor,
) -> tuple[AuthToken, str]:
    token = service.new_token()
    expires = utcnow() + dt.timedelta(days=expires_days) if expires_days else None
    row = await service.add_token(
        session,
        user_id,
        TokenKind.api,
        service.hash_token(settings.ensure_secret_key(), token),
        name,
        expires,
    )
    audit.record(
        session,
        actor,
        "auth.token_created",
        "auth_token",
        row.id,
        after={"name": name, "user_id": user_id},
    )
    await session.commit()
    return row, token


async def revoke_api_token(
    session: AsyncSession, user_id: int | None, token_id: int, actor: Actor
) -> None:
    """Revoke one of `user_id`'s API tokens (None: whoever's it is, for system flows such as a
    phone moving to another officer)."""
    token = await session.get(AuthToken, token_id)
    if (
        token is None
        or token.kind != TokenKind.api.value
        or (user_id is not None and token.user_id != user_id)
    ):
        raise AppError(404, "auth.token_not_found", "令牌不存在", "Token not found")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(
            session,
            actor,
            "auth.token_revoked",
            "auth_token",
            token.id,
            before={"name": token.name},
        )
        await session.commit()


async def create_user(session: AsyncSession, data: UserCreate, actor: Actor) -> User:
    if await service.get_user_by_username(session, data.username) is not None:
        raise AppError(
            409,
            "auth.username_taken",
            "用户名已存在",
            "Username already exists",
            {"username": data.username},
        )
    user = User(
        username=data.username,
        display_name=data.display_name,
        role=data.role.value,
        password_hash=hash_password(data.password),
        active=True,
        failed_logins=0,
    )
    session.add(user)
    await session.flush()
    audit.record(session, actor, "user.created", "user", user.id, after=service.user_snapshot(user))
    await session.commit()
    return user


async def update_user(session: AsyncSession, user_id: int, data: UserUpdate, actor: Actor) -> User:
    user = await service.get_user(session, user_id)
    if user is None:
        raise AppError(404, "auth.user_not_found", "用户不存在", "User not found")
    if user.id == actor.user_id and (
        data.active is False or (data.role and data.role != user.role)
    ):
        raise AppError(
            409,
            "auth.cannot_demote_self",
            "不能停用自己或修改自己的角色",
            "You cannot disable yourself or change your own role",
        )
    before = service.user_snapshot(user)
    if data.display_name is not None:
        user.display_name = data.display_name
    if data.role is not None:
        user.role = data.role.value
    if data.active is not None:
        user.active = data.active
    if data.unlock:
        user.locked_until = None
        user.failed_logins = 0
    password_changed = data.password is not None
    if data.password is not None:
        user.password_hash = hash_password(data.password)
    if password_changed or data.active is False:
        await service.revoke_user_tokens(session, user.id, TokenKind.session)
    after = service.user_snapshot(user)
    if password_changed:
        after["password"] = "changed"  # noqa: S105 - a marker, never the password
    audit.record(session, actor, "user.updated", "user", user.id, before=before, after=after)
    await session.commit()
    return user
