"""Database core on both backends: migrations, SQLite pragmas, UTC times, durability."""

from __future__ import annotations

import asyncio
import datetime as dt

from sqlalchemy import inspect, text

from patrolgrid.app import create_app
from patrolgrid.config import Settings
from patrolgrid.core.auth import Role
from patrolgrid.core.db import Database, WriteGate
from patrolgrid.models import metadata
from tests.conftest import PASSWORD, Running


async def test_migrations_create_the_whole_schema_and_are_idempotent(database_url: str) -> None:
    db = Database(database_url)
    await db.migrate()
    await db.migrate()  # a second start changes nothing
    async with db.engine.connect() as conn:
        tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
        version = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    await db.dispose()
    assert set(metadata.tables) <= tables
    assert version is not None


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    async with db.engine.connect() as conn:
        assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
    await db.dispose()


async def test_times_come_back_as_utc_on_every_backend(running: Running) -> None:
    await running.add_user("zhou", Role.commander)
    client = await running.login("zhou")
    tokens = await client.post("/api/auth/tokens", json={"name": "t", "expires_days": 1})
    expires = dt.datetime.fromisoformat(tokens.json()["expires_at"])
    assert expires.utcoffset() == dt.timedelta(0)
    assert dt.timedelta(hours=23) < expires - dt.datetime.now(dt.UTC) <= dt.timedelta(days=1)


async def test_foreign_keys_are_enforced(running: Running) -> None:
    client = await running.login("zhou", Role.commander)
    squadron = (await client.post("/api/org/squadrons", json={"name": "一", "code": "A"})).json()
    r = await client.post(
        "/api/org/people",
        json={
            "name": "王伟",
            "badge_no": "P1",
            "kind": "police",
            "mobile": "13800138000",
            "squadron_id": squadron["id"],
        },
    )
    assert r.status_code == 201
    from sqlalchemy.exc import IntegrityError

    async with running.db.sessions() as session:
        try:
            await session.execute(text("DELETE FROM squadrons"))
            await session.commit()
        except IntegrityError:
            await session.rollback()
        else:
            raise AssertionError("a squadron with people was deleted")


async def test_acknowledged_writes_survive_a_restart(settings: Settings) -> None:
    import httpx

    async def run_app() -> tuple[object, httpx.AsyncClient]:
        app = create_app(settings)
        return app, httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        )

    app, client = await run_app()
    async with app.router.lifespan_context(app):  # type: ignore[attr-defined]
        running = Running(app=app, client=client, db=app.state.db)  # type: ignore[attr-defined]
        admin = await running.login("root", Role.admin)
        r = await admin.post("/api/org/squadrons", json={"name": "滨江中队", "code": "SQ03"})
        assert r.status_code == 201
    app, client = await run_app()
    async with app.router.lifespan_context(app):  # type: ignore[attr-defined]
        r = await client.post("/api/auth/login", json={"username": "root", "password": PASSWORD})
        assert r.status_code == 200
        names = [s["name"] for s in (await client.get("/api/org/squadrons")).json()["items"]]
        assert names == ["滨江中队"]


async def test_write_gate_lets_an_urgent_write_go_between_bulk_batches() -> None:
    """The running batch finishes; the urgent write goes next; the next batch waits for it."""
    gate = WriteGate(enabled=True)
    order: list[str] = []
    first_batch_in = asyncio.Event()
    release_first = asyncio.Event()

    async def batch(name: str, hold: asyncio.Event | None = None) -> None:
        async with gate.bulk():
            order.append(f"{name} start")
            if hold is not None:
                first_batch_in.set()
                await hold.wait()
            order.append(f"{name} end")

    async def urgent() -> None:
        async with gate.urgent():
            order.append("urgent")
            await asyncio.sleep(0.01)
            order.append("urgent end")

    first = asyncio.create_task(batch("b1", release_first))
    await first_batch_in.wait()
    sos = asyncio.create_task(urgent())
    await asyncio.sleep(0)
    second = asyncio.create_task(batch("b2"))
    await asyncio.sleep(0.01)
    assert order == ["b1 start"]  # the urgent write waits for the running batch, b2 for both
    release_first.set()
    await asyncio.gather(first, sos, second)
    assert order == ["b1 start", "b1 end", "urgent", "urgent end", "b2 start", "b2 end"]


async def test_write_gate_does_nothing_where_writers_do_not_exclude_each_other() -> None:
    gate = WriteGate(enabled=False)
    async with gate.bulk(), gate.urgent():
        pass
    assert Database("postgresql+psycopg://u@127.0.0.1/x").write_gate.enabled is False
    assert Database("sqlite+aiosqlite:///:memory:").write_gate.enabled is True
