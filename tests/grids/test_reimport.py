"""Stable keys: a re-import of the road network renumbers every row, and grid plans, ratings and
accident snaps keep working; units that vanished are reported, new ones are unassigned."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from patrolgrid.core.audit import SYSTEM
from patrolgrid.geo.network import ParsedNetwork, Segment
from patrolgrid.roads import flows as roads_flows
from patrolgrid.roads.keys import segment_keys
from patrolgrid.roads.models import Road, RoadSegment
from tests.conftest import SHARED, Running
from tests.grids.conftest import NORTH, SOUTH, TOWN, County, county

HELSINKI = SHARED / "data" / "osm" / "Helsinki.osm.pbf"


def _grid_of(plan: dict[str, Any]) -> dict[str, int]:
    return {u["unit"]: u["grid"] for u in plan["units"]}


async def _plan_with_figures(world: County) -> tuple[dict[str, Any], set[str]]:
    r = await world.set_territory([{"key": NORTH}, {"key": SOUTH}, {"key": TOWN}])
    assert r.status_code == 200, r.text
    job = await world.design(3, time_limit_s=20, max_rounds=150)
    plan_id = job["plan_id"]
    assert (await world.admin.post(f"/api/grids/plans/{plan_id}/activate")).status_code == 200
    return await world.plan(plan_id), {u["unit"] for u in await world.units()}


async def test_reordered_reimport_changes_nothing(world: County) -> None:
    plan, before = await _plan_with_figures(world)
    rated = sorted(before)[5]
    path = f"/api/grids/squadrons/{world.squadron_id}/ratings"
    r = await world.admin.put(path, json={"items": [{"unit": rated, "difficulty": 5}]})
    assert r.status_code == 200
    plan = await world.plan(plan["plan"]["id"])  # measured with the rating
    old_ids = await _segment_ids(world)

    await world.load(county(reverse=True))
    assert await _segment_ids(world) != old_ids  # every row renumbered...
    units = {u["unit"]: u for u in await world.units()}
    assert set(units) == before  # ...and every unit key kept
    again = await world.plan(plan["plan"]["id"])
    assert again["evaluation"]["vanished_units"] == []
    assert again["evaluation"]["unassigned_units"] == []
    assert again["evaluation"]["violations"] == []
    for field in ("max_deviation", "workload_min_ratio", "workload_max_ratio", "cut_edges"):
        assert again["evaluation"]["summary"][field] == pytest.approx(
            plan["evaluation"]["summary"][field]
        )
    assert units[rated]["difficulty"] == pytest.approx(5 * units[rated]["road_km"], abs=1e-5)
    # Still a plan that can be the active one: a copy activates.
    r = await world.admin.post(f"/api/grids/plans/{plan['plan']['id']}/copy", json={})
    assert (
        await world.admin.post(f"/api/grids/plans/{r.json()['id']}/activate")
    ).status_code == 200


async def _segment_ids(world: County) -> dict[str, int]:
    r = await world.admin.get(
        "/api/roads/segments", params={"bbox": "108.69,30.91,108.75,30.95", "zoom": 16}
    )
    return {f["properties"]["key"]: f["properties"]["id"] for f in r.json()["features"]}


async def test_changed_map_reports_vanished_and_new_units(world: County) -> None:
    plan, before = await _plan_with_figures(world)
    plan_id = plan["plan"]["id"]
    network = county()
    names = [network.roads[s.road_index].name for s in network.segments]
    kept_street = segment_keys(network)[names.index("南3街")]
    accidents = "日期,经度,纬度\n" + "\n".join(
        f"2024-05-0{n},{108.7101 - 0.0002 * n},30.928" for n in range(1, 4)
    )
    r = await world.admin.post(
        "/api/grids/accidents/import", files={"file": ("a.csv", accidents.encode())}
    )
    assert r.status_code == 200 and r.json()["snapped"] == 3
    with_accidents = {u["unit"]: u["accidents"] for u in await world.units() if u["accidents"]}

    # The updated map: one north-bank street gone (the rows it crossed now run through in one
    # piece each), a new street in the south.
    await world.load(county(drop_column=2, extra_row=True))
    after = {u["unit"]: u for u in await world.units()}
    vanished, new = before - set(after), set(after) - before
    assert len(vanished) == 2 + 6 and len(new) == 3 + 2
    evaluation = (await world.plan(plan_id))["evaluation"]
    assert evaluation["vanished_units"] == sorted(vanished)
    assert set(evaluation["unassigned_units"]) == new
    assert f"s:{kept_street}" in after
    # The kept units keep their grids: the stored plan is untouched.
    assert _grid_of(await world.plan(plan_id)) == _grid_of(plan)
    # Accidents snapped on the old network are counted on the new one (re-snapped).
    assert {u: p["accidents"] for u, p in after.items() if p["accidents"]} == with_accidents

    # A copy of the plan cannot be activated while new units have no grid; give each the grid
    # of a neighbour and the plan is complete again.
    copy = (await world.admin.post(f"/api/grids/plans/{plan_id}/copy", json={})).json()
    r = await world.admin.post(f"/api/grids/plans/{copy['id']}/activate")
    assert r.status_code == 409 and r.json()["code"] == "grids.plan_invalid"
    assert set(r.json()["details"]["unassigned_units"]) == new
    grid_of = {u: g for u, g in _grid_of(plan).items() if u not in vanished}
    waiting = sorted(new)
    while waiting:  # a new street may touch only another new one: place those after it
        unit = next(u for u in waiting if _neighbour_grid(u, grid_of) is not None)
        grid = _neighbour_grid(unit, grid_of)
        r = await world.admin.post(
            f"/api/grids/plans/{copy['id']}/moves", json={"units": [unit], "to_grid": grid}
        )
        assert r.status_code == 200, r.text
        grid_of[unit] = grid
        waiting.remove(unit)
    evaluation = r.json()["evaluation"]
    assert evaluation["unassigned_units"] == []
    assert sum(g["units"] for g in evaluation["grids"]) == len(after)


def _neighbour_grid(unit: str, grid_of: dict[str, int]) -> int | None:
    """The grid of a kept unit that shares an end point with `unit` (keys carry the ends)."""
    ends = set(unit.removeprefix("s:c:").split(";"))
    for other, grid in grid_of.items():
        if other.startswith("s:c:") and ends & set(other.removeprefix("s:c:").split(";")):
            return grid
    return None


async def test_osm_keys_survive_a_reordered_import(running: Running) -> None:
    parsed = roads_flows.read_file(HELSINKI)
    keys = segment_keys(parsed)
    assert all(k.startswith("w") for k in keys) and len(set(keys)) == len(keys)
    assert sum(r.bridge for r in parsed.roads) > 0  # bridge=yes ways are kept as bridges
    # The same data listed in another order: other row ids, the same keys.
    reordered = ParsedNetwork(
        roads=parsed.roads,
        nodes=dict(reversed(list(parsed.nodes.items()))),
        segments=[
            Segment(s.road_index, s.from_node, s.to_node, s.coords, s.length_m)
            for s in reversed(parsed.segments)
        ],
        areas=parsed.areas,
    )
    assert sorted(segment_keys(reordered)) == sorted(keys)
    async with running.db.sessions() as session:
        for network in (parsed, reordered):
            await roads_flows.replace_network(
                session,
                running.app.state.bus,  # type: ignore[attr-defined]
                None,
                network,
                "Helsinki.osm.pbf",
                SYSTEM,
            )
            stored = dict((await session.execute(select(RoadSegment.key, RoadSegment.id))).all())
            bridges = await session.scalar(select(Road.id).where(Road.bridge.is_(True)).limit(1))
            assert set(stored) == set(keys) and bridges is not None
        assert stored[keys[0]] == len(keys)  # the first segment is now the last row
