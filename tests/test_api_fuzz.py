"""Property-based fuzzing of the whole OpenAPI surface with schemathesis: whatever a client
sends, the server answers without a 5xx, and documented responses match their schema."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import response_schema_conformance

from patrolgrid.app import create_app
from patrolgrid.config import Settings
from patrolgrid.core.audit import SYSTEM
from patrolgrid.core.auth import Role
from patrolgrid.core.auth import flows as auth_flows
from patrolgrid.core.auth.models import UserCreate
from patrolgrid.core.db import Database
from patrolgrid.demo.loader import load_demo

# Calls that would end the fuzzer's own session.
_SELF_DESTRUCTIVE = {("POST", "/api/auth/logout"), ("DELETE", "/api/auth/tokens/{token_id}")}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    data = tmp_path_factory.mktemp("fuzz")
    config = Settings(
        data_dir=data, database_url=f"sqlite+aiosqlite:///{data / 'f.db'}", secret_key="fuzz-secret"
    )

    async def prepare() -> str:
        from patrolgrid.core.bus import MemoryBus

        db = Database(config.resolved_database_url)
        await db.migrate()
        async with db.sessions() as session:
            await load_demo(session, MemoryBus())
            user = await auth_flows.create_user(
                session,
                UserCreate(
                    username="fuzzer",
                    display_name="fuzzer",
                    role=Role.admin,
                    password="fuzz-password-1",
                ),
                SYSTEM,
            )
            _, token = await auth_flows.create_api_token(
                session, config, user.id, "fuzz", None, SYSTEM
            )
        await db.dispose()
        return token

    token = asyncio.run(prepare())
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(config), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", token
    server.should_exit = True
    thread.join(10)


def test_no_request_breaks_the_server(live: tuple[str, str]) -> None:
    base, token = live
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in _SELF_DESTRUCTIVE:
            continue
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def call(case: schemathesis.Case) -> None:
            response = case.call(headers={"Authorization": f"Bearer {token}"})
            assert response.status_code < 500, (case.method, case.path, response.text[:500])
            if response.status_code >= 400:
                body = response.json()
                assert set(body) == {"code", "message", "details"}, body
                assert set(body["message"]) == {"zh", "en"}
            case.validate_response(response, checks=[response_schema_conformance])

        call()
    assert operations > 20
