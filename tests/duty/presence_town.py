"""A grid small enough to count by hand, for 见警率 / 管事率 and the alone alerts.

Three streets meet at one crossing C = (108.700, 30.930), each 600 m long: 西路 to the west,
东路 to the east, 北路 to the north. They are the three road units of 十字街道 (a subdistrict,
so one unit per segment), designed into one grid (k = 1) and activated. A point 300 m along an
arm is 300 m from the other two arms, so with the default 100 m radius it is near its own arm
only.

```
              N300 ●   北路 (600 m)
                   │
 西路 ──── W300 ●──C──● E300 ──── 东路
```

People of 城区中队: 警甲 (police, the grid's 路警), 辅甲 (auxiliary, 路员 on patrol), 警乙 (police,
no post) and 辅乙 (auxiliary, no post); each has a tracker (`tracker(name)`) reporting
through /osmand.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import httpx

from patrolgrid.core.audit import SYSTEM
from patrolgrid.core.auth import Role
from patrolgrid.geo.network import Area, AreaKind, Oneway, ParsedNetwork, Road
from patrolgrid.geo.osm import network_from_polylines
from patrolgrid.roads import flows as roads_flows
from patrolgrid.tracking.models import Status
from tests.conftest import Running

CENTRE = (108.700, 30.930)
# 1° of longitude at 30.93° N is 95,475 m; 1° of latitude 110,574 m (the projection's figures).
_LON_M = 111_320.0 * 0.857665
_LAT_M = 110_574.0


def east(metres: float, north: float = 0.0) -> tuple[float, float]:
    """The point `metres` east and `north` metres north of the crossing."""
    return (CENTRE[0] + metres / _LON_M, CENTRE[1] + north / _LAT_M)


W300, E300, N300 = east(-300), east(300), east(0, 300)
OFF_ROAD = east(-300, -150)  # 150 m south of 西路: beyond the 100 m radius
FAR_AWAY = east(3000, 3000)  # no road within 500 m


def cross_town() -> ParsedNetwork:
    roads = [
        Road("f1", "西路", "residential", Oneway.no, 30, 2),
        Road("f2", "东路", "residential", Oneway.no, 30, 2),
        Road("f3", "北路", "residential", Oneway.no, 30, 2),
    ]
    ring = [[108.690, 30.925], [108.710, 30.925], [108.710, 30.940], [108.690, 30.940]]
    area = Area(
        "x1",
        "十字街道",
        AreaKind.subdistrict,
        8,
        {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
    )
    return network_from_polylines(
        roads,
        [(0, [CENTRE, east(-600)]), (1, [CENTRE, east(600)]), (2, [CENTRE, east(0, 600)])],
        [area],
    )


@dataclass
class Town:
    running: Running
    admin: httpx.AsyncClient  # commander: grids, duty and incident rights
    squadron: int
    other_squadron: int
    people: dict[str, int]
    plan_id: int
    grid_id: int
    units: dict[str, str]  # road name → unit key

    async def report(self, name: str, point: tuple[float, float], at: dt.datetime) -> None:
        r = await self.running.client.get(
            "/osmand",
            params={
                "id": tracker(name),
                "lon": point[0],
                "lat": point[1],
                "timestamp": at.timestamp(),
            },
        )
        assert r.status_code == 200, r.text

    async def status(self, name: str, status: str) -> None:
        app: Any = self.running.app
        async with self.running.db.sessions() as session:
            await app.state.tracking.set_status(
                session, self.people[name], Status(status), SYSTEM, allowed=None
            )

    async def shift(self, name: str, starts: str, ends: str, squadron: int | None = None) -> int:
        r = await self.admin.post(
            f"/api/duty/squadrons/{squadron or self.squadron}/shifts",
            json={"name": name, "starts": starts, "ends": ends},
        )
        assert r.status_code == 201, r.text
        shift_id: int = r.json()["id"]
        return shift_id


PEOPLE = [("警甲", "police"), ("辅甲", "auxiliary"), ("警乙", "police"), ("辅乙", "auxiliary")]


def tracker(name: str) -> str:
    """The identifier of the person's tracker (identifiers are ASCII)."""
    return f"T-{[n for n, _ in PEOPLE].index(name) + 1}"


async def build_town(running: Running) -> Town:
    app: Any = running.app
    async with running.db.sessions() as session:
        await roads_flows.replace_network(
            session, app.state.bus, app.state.routing_graph, cross_town(), "cross.geojson", SYSTEM
        )
    admin = await running.login("zhou", Role.commander)
    squadrons = []
    for name, code in (("城区中队", "SQA"), ("东部中队", "SQB")):
        r = await admin.post("/api/org/squadrons", json={"name": name, "code": code})
        assert r.status_code == 201, r.text
        squadrons.append(r.json()["id"])
    people: dict[str, int] = {}
    for n, (name, kind) in enumerate(PEOPLE, start=1):
        r = await admin.post(
            "/api/org/people",
            json={
                "name": name,
                "badge_no": f"X{n:04d}",
                "kind": kind,
                "post": "",
                "mobile": f"1370000{n:04d}",
                "squadron_id": squadrons[0],
            },
        )
        assert r.status_code == 201, r.text
        people[name] = r.json()["id"]
        r = await admin.post(
            "/api/tracking/devices",
            json={"identifier": tracker(name), "kind": "tracker", "person_id": people[name]},
        )
        assert r.status_code == 201, r.text

    r = await admin.put(
        f"/api/grids/squadrons/{squadrons[0]}/territory", json={"areas": [{"key": "x1"}]}
    )
    assert r.status_code == 200, r.text
    r = await admin.post(
        f"/api/grids/squadrons/{squadrons[0]}/design",
        json={"k": 1, "time_limit_s": 5, "max_rounds": 10},
    )
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    await app.state.grids.wait(job_id)
    job = (await admin.get(f"/api/grids/jobs/{job_id}")).json()
    assert job["status"] == "done", job
    plan_id = job["plan_id"]
    r = await admin.post(f"/api/grids/plans/{plan_id}/activate")
    assert r.status_code == 200, r.text
    plan = (await admin.get(f"/api/grids/plans/{plan_id}")).json()
    grid_id = plan["plan"]["grids"][0]["id"]
    features = (
        await admin.get(f"/api/grids/squadrons/{squadrons[0]}/units", params={"plan_id": plan_id})
    ).json()["features"]
    units = {f["properties"]["name"]: f["properties"]["unit"] for f in features}
    assert sorted(units) == ["东路", "北路", "西路"], units

    for body in (
        {"grid_id": grid_id, "person_id": people["警甲"], "role": "lead"},
        {"grid_id": grid_id, "person_id": people["辅甲"], "role": "member", "duty": "patrol"},
    ):
        r = await admin.post("/api/duty/posts", json=body)
        assert r.status_code == 201, r.text
    return Town(running, admin, squadrons[0], squadrons[1], people, plan_id, grid_id, units)
