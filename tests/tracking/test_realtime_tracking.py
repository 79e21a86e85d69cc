"""The tracking side of the WebSocket: the console's snapshot, the officer app's positions and
statuses, and the one-per-second live updates; plus the PostGIS geometry on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import time

import orjson
import pytest
from sqlalchemy import text

from patrolgrid.core.auth import Role
from tests.conftest import REQUIRE_SERVICES, Running
from tests.core.test_realtime import Server, _next, _subscribe, server  # noqa: F401
from tests.tracking.test_ingest_api import _setup


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_console_snapshot_then_app_positions_over_the_websocket(server: Server) -> None:  # noqa: F811
    from websockets.asyncio.client import connect

    app = server.app
    running = Running(app=app, client=None, db=app.state.db)  # type: ignore[arg-type, attr-defined]
    import httpx

    running.client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]
        base_url="http://testserver",
    )
    _, person_id = await _setup(running)
    officer_id = await running.add_user("wang", Role.officer)
    from patrolgrid.core.audit import SYSTEM
    from patrolgrid.org import flows as org_flows

    async with running.db.sessions() as session:
        await org_flows.link_user(session, app.state.bus, person_id, officer_id, SYSTEM)  # type: ignore[attr-defined]
    officer = await running.login("wang")
    registered = (
        await officer.post("/api/tracking/devices/self", json={"identifier": "app-phone-0001"})
    ).json()
    console_token = await server.token_for("desk", Role.operator)

    async with (
        connect(f"{server.url}?token={console_token}") as console,
        connect(f"{server.url}?token={registered['token']}") as phone,
    ):
        await console.send(orjson.dumps({"type": "subscribe", "topics": ["tracking"]}).decode())
        snapshot = await _next(console, "snapshot")
        assert snapshot["topic"] == "tracking"
        me = next(p for p in snapshot["data"]["items"] if p["person_id"] == person_id)
        assert me["name"] == "王伟" and me["lon"] is None

        await phone.send(orjson.dumps({"type": "status", "id": 1, "status": "patrolling"}).decode())
        assert (await _next(phone, "ack"))["id"] == 1
        status = await _next(console, "event")
        assert status["event"] == "status" and status["data"]["status"] == "patrolling"

        now_ms = int(time.time() * 1000)
        for seq in range(2, 7):
            await phone.send(
                orjson.dumps(
                    {
                        "type": "position",
                        "id": seq,
                        "identifier": "app-phone-0001",
                        "timestamp": now_ms - (7 - seq) * 200,
                        "coords": {
                            "latitude": 30.93 + seq / 1e4,
                            "longitude": 108.70,
                            "accuracy": 5,
                            "speed": 3.0,
                            "heading": 90,
                        },
                        "battery": 0.8,
                    }
                ).decode()
            )
        acks = [(await _next(phone, "ack"))["id"] for _ in range(5)]
        assert acks == [2, 3, 4, 5, 6]
        # Five positions within a second: the console hears the first at once and the
        # newest a second later, never all five.
        first = await _next(console, "event")
        assert first["event"] == "position" and first["data"]["lat"] == pytest.approx(30.9302)
        latest = await _next(console, "event", within=3)
        assert latest["data"]["lat"] == pytest.approx(30.9306)

        await phone.send(
            orjson.dumps(
                {
                    "type": "position",
                    "id": 9,
                    "identifier": "app-phone-0001",
                    "coords": {"latitude": 91, "longitude": 108.7},
                }
            ).decode()
        )
        error = await _next(phone, "error")
        assert error["id"] == 9 and error["code"] == "tracking.bad_position"
        await phone.send(
            orjson.dumps(
                {
                    "type": "position",
                    "id": 10,
                    "identifier": "someone-elses",
                    "coords": {"latitude": 30.9, "longitude": 108.7},
                }
            ).decode()
        )
        assert (await _next(phone, "error"))["code"] == "tracking.unknown_device"


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_history_has_a_postgis_geometry_on_postgresql(running: Running) -> None:
    async with running.db.engine.connect() as conn:
        has_postgis = (
            await conn.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'postgis'"))
        ).first() is not None
    if not has_postgis:
        if REQUIRE_SERVICES:
            pytest.fail("PostGIS is not installed on the CI PostgreSQL")
        pytest.skip("PostGIS not installed here: positions have no geometry column")
    await _setup(running)
    ts = int(dt.datetime.now(dt.UTC).timestamp())
    await running.client.get(
        "/osmand", params={"id": "860001", "lat": 30.93, "lon": 108.70, "timestamp": ts}
    )
    async with running.db.engine.connect() as conn:
        row = (
            await conn.execute(text("SELECT ST_X(geom), ST_Y(geom), ST_SRID(geom) FROM positions"))
        ).one()
        index = (
            await conn.execute(
                text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_positions_geom'")
            )
        ).scalar()
    assert tuple(row) == (108.70, 30.93, 4326)
    assert "gist" in index


async def test_simulator_moves_demo_people_along_roads(running: Running) -> None:
    from patrolgrid.demo.loader import load_demo
    from patrolgrid.demo.simulator import Simulator

    app = running.app
    async with running.db.sessions() as session:
        await load_demo(session, app.state.bus)  # type: ignore[attr-defined]
    simulator = Simulator(running.db, app.state.tracking, app.state.routing_graph)  # type: ignore[attr-defined]
    await simulator._prepare()
    assert len(simulator.walkers) > 50
    await simulator.step(5.0)
    await simulator.step(5.0)
    client = await running.login("root", Role.admin)
    people = (await client.get("/api/tracking/people")).json()["items"]
    placed = [p for p in people if p["lon"] is not None]
    statuses = {p["status"] for p in people}
    assert len(placed) > 40 and {"patrolling", "on_duty"} <= statuses
    async with running.db.sessions() as session:
        router = await app.state.routing_graph.router(session)  # type: ignore[attr-defined]
    for person in placed[:20]:
        snap = router.snap(person["lon"], person["lat"])
        assert snap is not None and snap.distance_m < 15  # on a road (plus post jitter)
