"""A small county for the grids API: two subdistricts on either bank of a river joined by one
bridge (and an untagged crossing further west), a town to the east reached by a county road that
runs through no area, and a community inside the north subdistrict (for overlap checks).

```
 30.938 ┌──────── 北区 (subdistrict) ───────┐        ┌─ 东镇 (town) ─┐
        │  rows 30.932/.934/.936            │────────│ county road   │
        │  columns 108.700 … 108.710        │        └───────────────┘
 30.930 ~~~~~~~~ river ~~~~ ford (108.700) ~~ bridge (108.706) ~~~~~~~
        │  rows 30.924/.926/.928            │
 30.921 └──────── 南区 (subdistrict) ───────┘
```
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from patrolgrid.core.audit import SYSTEM
from patrolgrid.core.auth import Role
from patrolgrid.geo.network import Area, AreaKind, Oneway, ParsedNetwork, Road
from patrolgrid.geo.osm import network_from_polylines
from patrolgrid.roads import flows as roads_flows
from tests.conftest import Running

RIVER_LAT = 30.930
RIVER = [[108.690, RIVER_LAT], [108.720, RIVER_LAT]]
COLUMNS = [108.700 + 0.002 * i for i in range(6)]  # 108.700 … 108.710
NORTH_ROWS = [30.932, 30.934, 30.936]
SOUTH_ROWS = [30.924, 30.926, 30.928]
TOWN_COLUMNS = [108.732, 108.734, 108.736, 108.738]
TOWN_ROWS = [30.932, 30.934, 30.936]
CONNECTOR = [(108.714, 30.934), (108.726, 30.934)]


def _box(west: float, south: float, east: float, north: float) -> dict[str, Any]:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


def county(
    *, drop_column: int | None = None, extra_row: bool = False, reverse: bool = False
) -> ParsedNetwork:
    """The network; `drop_column` leaves one north-bank column street out, `extra_row` adds a
    new street in the south (what a re-import of an updated map looks like); `reverse` lists
    the roads backwards (new row ids, same roads)."""
    roads: list[Road] = []
    lines: list[tuple[int, Sequence[tuple[float, float]]]] = []

    def road(name: str, highway: str, points: list[tuple[float, float]], **kw: Any) -> None:
        lines.append((len(roads), points))
        roads.append(Road(f"f{len(roads) + 1}", name, highway, Oneway.no, 40, 2, **kw))

    for n, lat in enumerate(NORTH_ROWS):
        road(f"北{n + 1}路", "residential", [(x, lat) for x in COLUMNS])
    for n, x in enumerate(COLUMNS):
        if n != drop_column:
            road(f"北{n + 1}街", "residential", [(x, lat) for lat in NORTH_ROWS])
    for n, lat in enumerate(SOUTH_ROWS):
        road(f"南{n + 1}路", "residential", [(x, lat) for x in COLUMNS])
    for n, x in enumerate(COLUMNS):
        road(f"南{n + 1}街", "residential", [(x, lat) for lat in SOUTH_ROWS])
    if extra_row:
        road("南新路", "residential", [(x, 30.922) for x in COLUMNS[:2]])
        road("南新街", "residential", [(COLUMNS[0], 30.922), (COLUMNS[0], SOUTH_ROWS[0])])
    # The bridge: from the south bank's last row to the north bank's first, over the river.
    road(
        "长江大桥",
        "primary",
        [(COLUMNS[3], SOUTH_ROWS[-1]), (COLUMNS[3], NORTH_ROWS[0])],
        bridge=True,
    )
    # An untagged crossing (a ford): mostly on the north side, so its unit is the north bank's.
    road("过河便道", "service", [(COLUMNS[0], 30.9295), (COLUMNS[0], NORTH_ROWS[0])])
    road("过河便道", "service", [(COLUMNS[0], SOUTH_ROWS[-1]), (COLUMNS[0], 30.9295)])
    for n, lat in enumerate(TOWN_ROWS):
        road(f"东镇{n + 1}街", "residential", [(x, lat) for x in TOWN_COLUMNS])
    for n, x in enumerate(TOWN_COLUMNS):
        road(f"东镇{n + 1}巷", "residential", [(x, lat) for lat in TOWN_ROWS])
    # The county road: its middle piece runs through no area (a connector).
    road("东镇公路", "tertiary", [(COLUMNS[-1], NORTH_ROWS[1]), CONNECTOR[0]])
    road("东镇公路", "tertiary", [CONNECTOR[0], (108.720, 30.9345), CONNECTOR[1]])
    road("东镇公路", "tertiary", [CONNECTOR[1], (TOWN_COLUMNS[0], TOWN_ROWS[1])])
    if reverse:
        roads = [
            Road(
                f"f{len(roads) - i}", r.name, r.highway, r.oneway, r.maxspeed_kmh, r.lanes, r.bridge
            )
            for i, r in enumerate(reversed(roads))
        ]
        lines = [(len(roads) - 1 - index, points) for index, points in reversed(lines)]
    areas = [
        Area("r1", "北区街道", AreaKind.subdistrict, 8, _box(108.699, RIVER_LAT, 108.711, 30.938)),
        Area("r2", "南区街道", AreaKind.subdistrict, 8, _box(108.699, 30.921, 108.711, 30.929)),
        Area("r3", "东镇", AreaKind.town, 8, _box(108.730, 30.930, 108.740, 30.938)),
        Area("r4", "北一社区", AreaKind.community, 10, _box(108.699, 30.931, 108.703, 30.937)),
    ]
    return network_from_polylines(roads, lines, areas)


@dataclass
class County:
    running: Running
    admin: httpx.AsyncClient  # commander: grids:manage
    squadron_id: int
    other_squadron_id: int

    @property
    def bus(self) -> Any:
        return self.running.app.state.bus  # type: ignore[attr-defined]

    async def load(self, network: ParsedNetwork, source: str = "county.geojson") -> None:
        async with self.running.db.sessions() as session:
            await roads_flows.replace_network(
                session,
                self.bus,
                self.running.app.state.routing_graph,  # type: ignore[attr-defined]
                network,
                source,
                SYSTEM,
            )

    async def set_territory(
        self, areas: list[dict[str, Any]], squadron_id: int | None = None
    ) -> httpx.Response:
        return await self.admin.put(
            f"/api/grids/squadrons/{squadron_id or self.squadron_id}/territory",
            json={"areas": areas},
        )

    async def units(self, plan_id: int | None = None) -> list[dict[str, Any]]:
        params = {} if plan_id is None else {"plan_id": plan_id}
        r = await self.admin.get(f"/api/grids/squadrons/{self.squadron_id}/units", params=params)
        assert r.status_code == 200, r.text
        return [f["properties"] for f in r.json()["features"]]

    async def design(self, k: int, **body: Any) -> dict[str, Any]:
        """Run a design job to the end; returns the finished job."""
        r = await self.admin.post(
            f"/api/grids/squadrons/{self.squadron_id}/design", json={"k": k, **body}
        )
        assert r.status_code == 202, r.text
        job = r.json()
        await self.running.app.state.grids.wait(job["id"])  # type: ignore[attr-defined]
        r = await self.admin.get(f"/api/grids/jobs/{job['id']}")
        assert r.status_code == 200, r.text
        done: dict[str, Any] = r.json()
        assert done["status"] == "done", done
        return done

    async def plan(self, plan_id: int) -> dict[str, Any]:
        r = await self.admin.get(f"/api/grids/plans/{plan_id}")
        assert r.status_code == 200, r.text
        out: dict[str, Any] = r.json()
        return out


@pytest.fixture
async def world(running: Running) -> AsyncIterator[County]:
    admin = await running.login("zhou", Role.commander)
    ids = []
    for name, code in (("城区中队", "SQA"), ("东部中队", "SQB")):
        r = await admin.post("/api/org/squadrons", json={"name": name, "code": code})
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    world = County(running, admin, ids[0], ids[1])
    await world.load(county())
    yield world
    await admin.aclose()


NORTH, SOUTH, TOWN, COMMUNITY = "r1", "r2", "r3", "r4"
