"""Traccar Client's default server address is http://host:5055/: with PATROLGRID_OSMAND_PORT
set, the same protocol is answered there, unchanged."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket

import httpx
import pytest

from patrolgrid.app import create_app
from patrolgrid.config import Settings
from tests.conftest import Running
from tests.tracking.test_ingest_api import _latest, _setup


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_osmand_port_takes_traccar_client_reports(settings: Settings) -> None:
    port = _free_port()
    settings.osmand_port = port
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as api:
            running = Running(app=app, client=api, db=app.state.db)
            client, person_id = await _setup(running)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as phone:
                for _ in range(50):  # the listener starts alongside the app
                    try:
                        await phone.get("/", params={"id": "probe"})
                        break
                    except httpx.TransportError:
                        await asyncio.sleep(0.05)
                ts = int(dt.datetime.now(dt.UTC).timestamp())
                r = await phone.post(
                    "/",
                    params={
                        "id": "860001",
                        "timestamp": ts,
                        "lat": 30.9311,
                        "lon": 108.6988,
                        "batt": 64,
                    },
                )
                assert r.status_code == 200
                unknown = await phone.get("/", params={"id": "stranger", "lat": 30, "lon": 108})
                assert unknown.status_code == 404
                assert unknown.json()["code"] == "tracking.unknown_device"
                bad = await phone.get("/", params={"id": "860001", "lat": "x", "lon": 108})
                assert bad.status_code == 400 and bad.json()["code"] == "tracking.bad_position"
            latest = await _latest(client, person_id)
            assert (latest["lat"], latest["lon"], latest["battery"]) == (30.9311, 108.6988, 0.64)
