"""A small river town for dispatch tests, and the people in it.

Two banks joined by one bridge at the east end: 北岸 (north bank) officer stands straight across
the river from the incident, 445 m away in a straight line but 8 km by road; 南岸 (south bank)
officer is 1.4 km down the same road. Ranking by road must send the south bank officer first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from patrolgrid.core.audit import SYSTEM
from patrolgrid.core.auth import Role
from patrolgrid.geo.network import Oneway, ParsedNetwork, Road
from patrolgrid.geo.osm import network_from_polylines
from patrolgrid.org import flows as org_flows
from patrolgrid.roads import flows as roads_flows
from tests.conftest import Running

SOUTH_Y, NORTH_Y = 30.930, 30.934
INCIDENT = (108.700, SOUTH_Y)  # on 滨江路, the south bank road
NORTH_OFFICER = (108.700, NORTH_Y)  # straight across the river
SOUTH_OFFICER = (108.715, SOUTH_Y)  # down the same road


def river_town() -> ParsedNetwork:
    roads = [
        Road("f1", "滨江路", "secondary", Oneway.no, 40, 2),
        Road("f2", "北岸路", "secondary", Oneway.no, 40, 2),
        Road("f3", "长江大桥", "primary", Oneway.no, 60, 4),
    ]
    xs = [108.690 + 0.005 * i for i in range(11)]  # 108.690 … 108.740
    return network_from_polylines(
        roads,
        [
            (0, [(x, SOUTH_Y) for x in xs]),
            (1, [(x, NORTH_Y) for x in xs]),
            (2, [(108.740, SOUTH_Y), (108.740, NORTH_Y)]),
        ],
    )


@dataclass
class Officer:
    person_id: int
    user_id: int
    device: str
    client: httpx.AsyncClient


@dataclass
class Town:
    running: Running
    console: httpx.AsyncClient  # an operator
    north: Officer
    south: Officer
    squadron_id: int

    async def report(
        self, officer: Officer, lon: float, lat: float, seconds_ago: float = 0
    ) -> None:
        ts = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=seconds_ago)
        r = await self.running.client.get(
            "/osmand",
            params={"id": officer.device, "lat": lat, "lon": lon, "timestamp": ts.isoformat()},
        )
        assert r.status_code == 200, r.text

    async def create_incident(self, **extra: object) -> dict[str, object]:
        body = {
            "source": "hotline",
            "type": "blocking",
            "priority": 2,
            "lon": INCIDENT[0],
            "lat": INCIDENT[1],
            "description": "三轮车堵路",
            "caller_phone": "13800138000",
            **extra,
        }
        r = await self.console.post("/api/incidents", json=body)
        assert r.status_code == 201, r.text
        incident: dict[str, object] = r.json()
        return incident


async def _officer(
    running: Running, commander: httpx.AsyncClient, squadron_id: int, n: int, name: str
) -> Officer:
    person = (
        await commander.post(
            "/api/org/people",
            json={
                "name": name,
                "badge_no": f"P0900{n}",
                "kind": "police",
                "post": "网格路警",
                "mobile": f"1390000000{n}",
                "squadron_id": squadron_id,
            },
        )
    ).json()
    username = f"officer{n}"
    user_id = await running.add_user(username, Role.officer)
    async with running.db.sessions() as session:
        await org_flows.link_user(
            session,
            running.app.state.bus,  # type: ignore[attr-defined]
            person["id"],
            user_id,
            SYSTEM,
        )
    device = f"T9000{n}"
    r = await commander.post(
        "/api/tracking/devices",
        json={"identifier": device, "kind": "tracker", "person_id": person["id"]},
    )
    assert r.status_code == 201, r.text
    client = await running.login(username)
    r = await client.post("/api/tracking/me/status", json={"status": "patrolling"})
    assert r.status_code == 200, r.text
    return Officer(person["id"], user_id, device, client)


@pytest.fixture
async def town(running: Running) -> AsyncIterator[Town]:
    async with running.db.sessions() as session:
        await roads_flows.replace_network(
            session,
            running.app.state.bus,  # type: ignore[attr-defined]
            running.app.state.routing_graph,  # type: ignore[attr-defined]
            river_town(),
            "river-town.geojson",
            SYSTEM,
        )
    commander = await running.login("zhou", Role.commander)
    squadron = (
        await commander.post("/api/org/squadrons", json={"name": "城区一中队", "code": "SQ01"})
    ).json()
    north = await _officer(running, commander, squadron["id"], 1, "北岸")
    south = await _officer(running, commander, squadron["id"], 2, "南岸")
    scene = Town(
        running=running,
        console=await running.login("lin", Role.operator),
        north=north,
        south=south,
        squadron_id=squadron["id"],
    )
    await scene.report(north, *NORTH_OFFICER)
    await scene.report(south, *SOUTH_OFFICER)
    yield scene
    for client in (north.client, south.client, scene.console, commander):
        await client.aclose()
