"""Login/logout/me, personal API tokens, and user administration."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from patrolgrid.core.auth import flows, service
from patrolgrid.core.auth.deps import SESSION_COOKIE, client_ip, public, requires
from patrolgrid.core.auth.models import (
    LoginIn,
    MeEnvelope,
    MeOut,
    TokenCreate,
    TokenCreated,
    TokenList,
    TokenOut,
    User,
    UserCreate,
    UserList,
    UserOut,
    UserUpdate,
)
from patrolgrid.core.auth.principal import Principal
from patrolgrid.core.auth.roles import ROLE_PERMISSIONS, Perm, Role
from patrolgrid.core.db import RowId, get_session

router = APIRouter(prefix="/api", tags=["auth"])
Session = Annotated[AsyncSession, Depends(get_session)]

# Domains add fields to /auth/me (e.g. the person linked to the user) without core knowing them.
MeExtension = Callable[[AsyncSession, int], Awaitable[dict[str, Any]]]


async def _me(request: Request, session: AsyncSession, user: User) -> MeEnvelope:
    extra: dict[str, Any] = {}
    for extension in getattr(request.app.state, "me_extensions", []):
        extra.update(await extension(session, user.id))
    role = Role(user.role)
    return MeEnvelope(
        user=MeOut(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            role=role,
            permissions=sorted(p.value for p in ROLE_PERMISSIONS[role]),
            **extra,
        )
    )


@router.post("/auth/login", dependencies=[Depends(public("anyone may try to sign in"))])
async def login(
    body: LoginIn, request: Request, response: Response, session: Session
) -> MeEnvelope:
    settings = request.app.state.settings
    user, token = await flows.login(
        session, settings, body.username, body.password, client_ip(request)
    )
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    return await _me(request, session, user)


@router.post("/auth/logout", status_code=204)
async def logout(
    response: Response,
    session: Session,
    principal: Annotated[Principal, Depends(requires(Perm.self_read))],
) -> None:
    await flows.logout(session, principal.token_id, principal.actor)
    response.delete_cookie(SESSION_COOKIE, path="/")


@router.get("/auth/me")
async def me(
    request: Request,
    session: Session,
    principal: Annotated[Principal, Depends(requires(Perm.self_read))],
) -> MeEnvelope:
    user = await service.get_user(session, principal.user_id)
    assert user is not None  # authenticated just now
    return await _me(request, session, user)


@router.get("/auth/tokens")
async def list_tokens(
    session: Session, principal: Annotated[Principal, Depends(requires(Perm.self_read))]
) -> TokenList:
    rows = await service.list_api_tokens(session, principal.user_id)
    return TokenList(items=[TokenOut.model_validate(r) for r in rows])


@router.post("/auth/tokens", status_code=201)
async def create_token(
    body: TokenCreate,
    request: Request,
    session: Session,
    principal: Annotated[Principal, Depends(requires(Perm.self_read))],
) -> TokenCreated:
    row, token = await flows.create_api_token(
        session,
        request.app.state.settings,
        principal.user_id,
        body.name,
        body.expires_days,
        principal.actor,
    )
    return TokenCreated(token=token, **TokenOut.model_validate(row).model_dump())


@router.delete("/auth/tokens/{token_id}", status_code=204)
async def revoke_token(
    token_id: RowId,
    session: Session,
    principal: Annotated[Principal, Depends(requires(Perm.self_read))],
) -> None:
    await flows.revoke_api_token(session, principal.user_id, token_id, principal.actor)


@router.get("/admin/users")
async def list_users(
    session: Session, _: Annotated[Principal, Depends(requires(Perm.users_manage))]
) -> UserList:
    return UserList(items=[UserOut.model_validate(u) for u in await service.list_users(session)])


@router.post("/admin/users", status_code=201)
async def create_user(
    body: UserCreate,
    session: Session,
    principal: Annotated[Principal, Depends(requires(Perm.users_manage))],
) -> UserOut:
    return UserOut.model_validate(await flows.create_user(session, body, principal.actor))


@router.patch("/admin/users/{user_id}")
async def update_user(
    user_id: RowId,
    body: UserUpdate,
    session: Session,
    principal: Annotated[Principal, Depends(requires(Perm.users_manage))],
) -> UserOut:
    return UserOut.model_validate(await flows.update_user(session, user_id, body, principal.actor))
