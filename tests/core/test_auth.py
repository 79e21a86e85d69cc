from __future__ import annotations

from fastapi import FastAPI
from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts
from sqlalchemy import func, select

from patrolgrid.app import create_app
from patrolgrid.config import Settings
from patrolgrid.core.audit import AuditEntry
from patrolgrid.core.auth import Role
from patrolgrid.core.auth.deps import PUBLIC, SESSION_COOKIE, declared_permission
from patrolgrid.core.auth.models import AuthToken
from tests.conftest import PASSWORD, Running


def _api_routes(app: FastAPI) -> list[APIRoute | APIWebSocketRoute]:
    """Every endpoint, including those of included routers."""
    return [
        ctx.original_route
        for ctx in iter_route_contexts(app.routes)
        if isinstance(ctx.original_route, APIRoute | APIWebSocketRoute)
    ]


def _declared(route: APIRoute | APIWebSocketRoute) -> list[str]:
    found = []
    stack = [route.dependant]
    while stack:
        dependant = stack.pop()
        if (perm := declared_permission(dependant.call)) is not None:
            found.append(perm)
        stack.extend(dependant.dependencies)
    return found


def test_every_endpoint_declares_a_permission(tmp_path) -> None:
    app = create_app(Settings(data_dir=tmp_path, secret_key="k"))
    routes = _api_routes(app)
    assert len(routes) > 15
    undeclared = [
        f"{getattr(r, 'methods', 'WS')} {r.path}"
        for r in routes
        if r.path not in ("/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc")
        and not _declared(r)
    ]
    assert undeclared == []


async def test_protected_endpoints_refuse_anonymous_callers_with_the_envelope(
    running: Running,
) -> None:
    routes = [r for r in _api_routes(running.app) if isinstance(r, APIRoute)]  # type: ignore[arg-type]
    checked = 0
    for route in routes:
        if PUBLIC in _declared(route) or not _declared(route):
            continue
        path = (
            route.path.replace("{person_id}", "1")
            .replace("{squadron_id}", "1")
            .replace("{user_id}", "1")
            .replace("{token_id}", "1")
        )
        for method in route.methods:
            response = await running.client.request(method, path)
            assert response.status_code == 401, (method, path, response.text)
            body = response.json()
            assert body["code"] == "auth.required"
            assert body["message"]["zh"] and body["message"]["en"]
            checked += 1
    assert checked > 15


async def test_login_sets_an_httponly_lax_session_cookie(running: Running) -> None:
    await running.add_user("zhou", Role.commander)
    response = await running.client.post(
        "/api/auth/login", json={"username": "zhou", "password": PASSWORD}
    )
    assert response.status_code == 200
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    me = (await running.client.get("/api/auth/me")).json()["user"]
    assert me["username"] == "zhou" and me["role"] == "commander"
    assert "people:write" in me["permissions"]


async def test_bad_login_gets_the_envelope_and_opens_no_session(running: Running) -> None:
    await running.add_user("zhou", Role.commander)
    for username in ("zhou", "nobody"):
        response = await running.client.post(
            "/api/auth/login", json={"username": username, "password": "wrong-password"}
        )
        assert response.status_code == 401
        assert response.json()["code"] == "auth.invalid_credentials"
        assert "set-cookie" not in response.headers
    async with running.db.sessions() as session:
        assert await session.scalar(select(func.count(AuthToken.id))) == 0
        actions = list(await session.scalars(select(AuditEntry.action)))
        assert actions.count("auth.login_failed") == 1  # only the real account counts failures


async def test_malformed_login_is_a_validation_error(running: Running) -> None:
    response = await running.client.post("/api/auth/login", json={"username": "x"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["details"][0]["loc"] == ["body", "password"]
    assert body["details"][0]["message"] == {"zh": "必填项", "en": "Field required"}


async def test_repeated_failures_lock_the_account_until_an_admin_unlocks(
    running: Running,
) -> None:
    user_id = await running.add_user("li", Role.operator)
    for _ in range(4):
        r = await running.client.post("/api/auth/login", json={"username": "li", "password": "no"})
        assert r.status_code == 401
    r = await running.client.post("/api/auth/login", json={"username": "li", "password": "no"})
    assert r.status_code == 423 and r.json()["code"] == "auth.account_locked"
    assert r.json()["details"]["locked_until"]
    # Even the right password is refused while locked.
    r = await running.client.post("/api/auth/login", json={"username": "li", "password": PASSWORD})
    assert r.status_code == 423
    admin = await running.login("root", Role.admin)
    r = await admin.patch(f"/api/admin/users/{user_id}", json={"unlock": True})
    assert r.status_code == 200 and r.json()["locked_until"] is None
    r = await running.client.post("/api/auth/login", json={"username": "li", "password": PASSWORD})
    assert r.status_code == 200


async def test_bearer_tokens_for_devices_and_revocation(running: Running) -> None:
    web = await running.login("wang", Role.officer)
    created = await web.post("/api/auth/tokens", json={"name": "tracker"})
    assert created.status_code == 201
    token = created.json()["token"]
    device = {"Authorization": f"Bearer {token}"}
    r = await running.client.get("/api/auth/me", headers=device)
    assert r.status_code == 200 and r.json()["user"]["username"] == "wang"
    listed = (await web.get("/api/auth/tokens")).json()["items"]
    assert [t["name"] for t in listed] == ["tracker"] and "token" not in listed[0]
    assert (await web.delete(f"/api/auth/tokens/{created.json()['id']}")).status_code == 204
    r = await running.client.get("/api/auth/me", headers=device)
    assert r.status_code == 401
    # A session token is not accepted as a bearer token.
    r = await running.client.get("/api/auth/me", headers={"Authorization": "Bearer nonsense"})
    assert r.status_code == 401


async def test_roles_limit_what_a_user_may_do(running: Running) -> None:
    officer = await running.login("wang", Role.officer)
    r = await officer.get("/api/org/people")
    assert r.status_code == 403 and r.json()["code"] == "auth.forbidden"
    assert r.json()["details"] == {"permission": "people:read"}
    r = await officer.get("/api/admin/users")
    assert r.status_code == 403
    operator = await running.login("lin", Role.operator)
    assert (await operator.get("/api/org/people")).status_code == 200
    r = await operator.post("/api/org/squadrons", json={"name": "x", "code": "x"})
    assert r.status_code == 403


async def test_logout_ends_the_session(running: Running) -> None:
    client = await running.login("zhou", Role.commander)
    assert (await client.post("/api/auth/logout")).status_code == 204
    # The server revoked it: replaying the old cookie no longer works.
    old = client.cookies.get(SESSION_COOKIE)
    assert (
        old is None
        or (await running.client.get("/api/auth/me", cookies={SESSION_COOKIE: old})).status_code
        == 401
    )


async def test_user_administration_is_audited_without_password_hashes(running: Running) -> None:
    admin = await running.login("root", Role.admin)
    r = await admin.post(
        "/api/admin/users",
        json={
            "username": "xu",
            "display_name": "许文斌",
            "role": "legal",
            "password": "long-enough-1",
        },
    )
    assert r.status_code == 201
    user_id = r.json()["id"]
    r = await admin.post(
        "/api/admin/users",
        json={
            "username": "xu",
            "display_name": "dup",
            "role": "legal",
            "password": "long-enough-1",
        },
    )
    assert r.status_code == 409 and r.json()["code"] == "auth.username_taken"
    r = await admin.post(
        "/api/admin/users",
        json={"username": "bad name!", "display_name": "x", "role": "boss", "password": "short"},
    )
    assert r.status_code == 422
    codes = {d["code"] for d in r.json()["details"]}
    assert {"auth.bad_username", "auth.weak_password", "enum"} <= codes
    r = await admin.patch(
        f"/api/admin/users/{user_id}", json={"role": "supervisor", "password": "another-long-2"}
    )
    assert r.status_code == 200 and r.json()["role"] == "supervisor"
    audit = (await admin.get("/api/admin/audit", params={"entity_type": "user"})).json()
    update = next(e for e in audit["items"] if e["action"] == "user.updated")
    assert update["actor_name"] == "root"
    assert update["before"]["role"] == "legal" and update["after"]["role"] == "supervisor"
    assert update["after"]["password"] == "changed"
    assert "hash" not in str(audit)


async def test_admin_cannot_lock_themselves_out(running: Running) -> None:
    admin = await running.login("root", Role.admin)
    me = (await admin.get("/api/auth/me")).json()["user"]
    r = await admin.patch(f"/api/admin/users/{me['id']}", json={"active": False})
    assert r.status_code == 409 and r.json()["code"] == "auth.cannot_demote_self"
