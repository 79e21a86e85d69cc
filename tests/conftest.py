"""Shared fixtures. Services (PostgreSQL, Redis) are used for real where reachable; where not,
their tests skip with the reason, unless PATROLGRID_REQUIRE_SERVICES=1 (set by CI), which turns
an unreachable service into a failure so CI can never pass by skipping."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest

from patrolgrid.app import create_app
from patrolgrid.config import Settings
from patrolgrid.core.audit import SYSTEM
from patrolgrid.core.auth import Role
from patrolgrid.core.auth import flows as auth_flows
from patrolgrid.core.auth.models import UserCreate
from patrolgrid.core.db import Database

PG_ADMIN_URL = os.environ.get("PATROLGRID_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("PATROLGRID_TEST_REDIS", "redis://127.0.0.1:6379/15")
REQUIRE_SERVICES = os.environ.get("PATROLGRID_REQUIRE_SERVICES") == "1"
SHARED = Path(__file__).resolve().parents[2] / "shared"
PASSWORD = "correct-horse-9"


def service_unavailable(what: str, error: Exception) -> None:
    message = f"{what} not reachable ({error.__class__.__name__}: {error})"
    if REQUIRE_SERVICES:
        pytest.fail(message + " and PATROLGRID_REQUIRE_SERVICES=1", pytrace=False)
    pytest.skip(message + "; start it to run this test")


def _pg_execute(sql: str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def _pg_url(database: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    return f"{base}/{database}"


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A migrated database that each test clones (CREATE DATABASE ... TEMPLATE is fast)."""
    name = f"pg_tpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    try:
        _pg_execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        service_unavailable("PostgreSQL at " + PG_ADMIN_URL, exc)
    db = Database(_pg_url(name))

    async def migrate() -> None:
        await db.migrate()
        await db.dispose()

    asyncio.run(migrate())
    yield name
    _pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    template = request.getfixturevalue("pg_template")
    name = f"pg_t_{uuid.uuid4().hex[:12]}"
    _pg_execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield _pg_url(name)
    _pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "var",
        database_url=database_url,
        bus_url="memory://",
        secret_key="test-secret-key",
        ws_heartbeat_seconds=0.5,
        freeze_startup_heap=False,
    )


@dataclass
class Running:
    """The app with its lifespan running, and a client that talks to it in-process."""

    app: object
    client: httpx.AsyncClient
    db: Database

    async def add_user(self, username: str, role: Role) -> int:
        async with self.db.sessions() as session:
            user = await auth_flows.create_user(
                session,
                UserCreate(
                    username=username,
                    display_name=username.title(),
                    role=role,
                    password=PASSWORD,
                ),
                SYSTEM,
            )
            return user.id

    async def login(self, username: str, role: Role | None = None) -> httpx.AsyncClient:
        """A new client carrying the session cookie of `username` (created when `role` given)."""
        if role is not None:
            await self.add_user(username, role)
        client = httpx.AsyncClient(transport=self.client._transport, base_url="http://testserver")
        response = await client.post(
            "/api/auth/login", json={"username": username, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        return client


@pytest.fixture
async def running(settings: Settings) -> AsyncIterator[Running]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield Running(app=app, client=client, db=app.state.db)
