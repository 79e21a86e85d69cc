"""Grid plans through the API, on both databases: automatic design jobs (progress, stop),
moves with live numbers, locks, grids, compare, activation rules (one active, non-contiguous
refused), export formats, barriers and bridges, permissions and audit rows."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from patrolgrid.core.auth import Role
from patrolgrid.core.bus import Event
from patrolgrid.geo.network import Oneway, Road
from patrolgrid.geo.osm import network_from_polylines
from patrolgrid.grids.models import GridPlan
from tests.grids.conftest import NORTH, RIVER, SOUTH, TOWN, County


async def _territory(world: County) -> None:
    r = await world.set_territory([{"key": NORTH}, {"key": SOUTH}, {"key": TOWN}])
    assert r.status_code == 200, r.text


async def _designed(world: County, k: int = 3, **body: Any) -> dict[str, Any]:
    await _territory(world)
    job = await world.design(k, time_limit_s=20, max_rounds=200, **body)
    return await world.plan(job["plan_id"])


def _grid_of(plan: dict[str, Any]) -> dict[str, int]:
    return {u["unit"]: u["grid"] for u in plan["units"]}


async def _audit(world: County, action: str) -> list[dict[str, Any]]:
    r = await world.admin.get("/api/admin/audit", params={"action": action, "limit": 100})
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def test_design_job_makes_a_contiguous_balanced_draft(world: County) -> None:
    await _territory(world)
    events: list[Event] = []
    subscription = await world.bus.subscribe(["grids"])

    async def listen() -> None:
        async for event in subscription:
            events.append(event)

    listener = asyncio.create_task(listen())
    try:
        job = await world.design(3, time_limit_s=20, max_rounds=300, tolerance=0.1)
        await asyncio.sleep(0.05)
    finally:
        listener.cancel()
        await subscription.close()
    assert job["progress"]["phase"] == "finished" and job["progress"]["iteration"] > 0
    assert job["params"]["k"] == 3 and job["params"]["units"] == 60
    names = [e.name for e in events]
    assert names[0] == "design.started" and "design.finished" in names and "plan.created" in names
    plan = await world.plan(job["plan_id"])
    summary = plan["plan"]
    assert summary["status"] == "draft" and summary["k"] == 3 and summary["version"] == 1
    assert [g["number"] for g in summary["grids"]] == [1, 2, 3]
    assert sum(g["units"] for g in summary["grids"]) == 60
    assert summary["params"]["design"]["job_id"] == job["id"]
    evaluation = plan["evaluation"]
    assert evaluation["violations"] == [] and evaluation["unassigned_units"] == []
    assert all(g["contiguous"] for g in evaluation["grids"])
    assert evaluation["summary"]["within_tolerance"] is True
    assert evaluation["summary"]["max_deviation"] <= 0.1 + 1e-9
    assert sum(g["workload"] for g in evaluation["grids"]) == pytest.approx(1.0)
    for grid in evaluation["grids"]:
        assert set(grid["figure_ratios"]) >= {"road_km", "difficulty"}
        assert grid["deviation"] == pytest.approx(grid["workload_ratio"] - 1)
    assert len(await _audit(world, "grids.plan_designed")) == 1
    assert len(await _audit(world, "grids.design_started")) == 1
    jobs = (
        await world.admin.get("/api/grids/jobs", params={"squadron_id": world.squadron_id})
    ).json()
    assert [j["id"] for j in jobs["items"]] == [job["id"]]


async def test_bad_design_requests_are_refused_before_any_job(world: County) -> None:
    path = f"/api/grids/squadrons/{world.squadron_id}/design"
    r = await world.admin.post(path, json={"k": 2})
    assert r.status_code == 422 and r.json()["code"] == "grids.no_units"
    await _territory(world)
    r = await world.admin.post(path, json={"k": 61})
    assert r.status_code == 422 and r.json()["code"] == "grids.design.too_many_grids"
    r = await world.admin.post(path, json={"k": 2, "method": "magic"})
    assert r.status_code == 422
    r = await world.admin.post(path, json={"k": 2, "weights": {"road_km": 0}})
    assert r.status_code == 422
    r = await world.admin.post(path, json={"k": 2, "barriers": [[[108.7, 30.93]]]})
    assert r.status_code == 422
    assert (await world.admin.get("/api/grids/jobs")).json()["items"] == []


def _big_town(size: int) -> Any:
    """A size × size street grid inside one subdistrict (for a design that takes a while)."""
    from patrolgrid.geo.network import Area, AreaKind

    step = 0.001
    xs = [108.6 + step * i for i in range(size)]
    ys = [30.9 + step * i for i in range(size)]
    roads, lines = [], []
    for y in ys:
        lines.append((len(roads), [(x, y) for x in xs]))
        roads.append(Road(f"f{len(roads) + 1}", "", "residential", Oneway.no, 30, 2))
    for x in xs:
        lines.append((len(roads), [(x, y) for y in ys]))
        roads.append(Road(f"f{len(roads) + 1}", "", "residential", Oneway.no, 30, 2))
    ring = [[xs[0] - step, ys[0] - step], [xs[-1] + step, ys[0] - step]]
    ring += [[xs[-1] + step, ys[-1] + step], [xs[0] - step, ys[-1] + step], ring[0]]
    area = Area(
        "r9", "大城街道", AreaKind.subdistrict, 8, {"type": "Polygon", "coordinates": [ring]}
    )
    return network_from_polylines(roads, lines, [area])


async def test_design_job_stops_with_the_best_plan_so_far(world: County) -> None:
    await world.load(_big_town(26), "big.geojson")
    assert (await world.set_territory([{"key": "r9"}])).status_code == 200
    r = await world.admin.post(
        f"/api/grids/squadrons/{world.squadron_id}/design",
        json={"k": 8, "time_limit_s": 300, "max_rounds": 100000, "tolerance": 0.01},
    )
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["status"] == "running"
    # A second job for the same squadron is refused while this one runs.
    again = await world.admin.post(
        f"/api/grids/squadrons/{world.squadron_id}/design", json={"k": 4}
    )
    assert again.status_code == 409 and again.json()["code"] == "grids.job_running"
    for _ in range(400):  # until the search reports progress (the first seed is in)
        current = (await world.admin.get(f"/api/grids/jobs/{job['id']}")).json()
        if current["progress"] is not None:
            break
        await asyncio.sleep(0.05)
    assert current["status"] == "running" and current["progress"]["iteration"] >= 0
    r = await world.admin.post(f"/api/grids/jobs/{job['id']}/stop")
    assert r.status_code == 200 and r.json()["stop_requested"] is True
    await asyncio.wait_for(world.running.app.state.grids.wait(job["id"]), 60)  # type: ignore[attr-defined]
    done = (await world.admin.get(f"/api/grids/jobs/{job['id']}")).json()
    assert done["status"] == "done" and done["progress"]["stopped_early"] is True
    assert done["progress"]["phase"] == "stopped"
    plan = await world.plan(done["plan_id"])
    assert plan["plan"]["params"]["design"]["stopped_early"] is True
    assert plan["evaluation"]["unassigned_units"] == []
    # The best plan so far is as contiguous as any.
    assert all(g["contiguous"] for g in plan["evaluation"]["grids"])
    assert len(await _audit(world, "grids.design_stopped")) == 1


async def test_moves_answer_with_live_numbers(world: County) -> None:
    plan = await _designed(world)
    plan_id = plan["plan"]["id"]
    before = {g["number"]: g for g in plan["evaluation"]["grids"]}
    grid_of = _grid_of(plan)
    units = {u["unit"]: u for u in await world.units()}
    # A unit on the border of grid 1 with another grid: move it over.
    evaluation = plan["evaluation"]
    one = next(u for u in grid_of if grid_of[u] == 1 and units[u]["kind"] == "segment")
    target = 2
    r = await world.admin.post(
        f"/api/grids/plans/{plan_id}/moves", json={"units": [one], "to_grid": target}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["moved"] == [{"unit": one, "grid": target, "locked": False, "locked_grid": None}]
    after = {g["number"]: g for g in body["evaluation"]["grids"]}
    assert after[1]["units"] == before[1]["units"] - 1
    assert after[target]["units"] == before[target]["units"] + 1
    moved_share = units[one]["workload"]
    assert after[1]["workload"] == pytest.approx(before[1]["workload"] - moved_share, abs=1e-6)
    assert after[target]["workload"] == pytest.approx(
        before[target]["workload"] + moved_share, abs=1e-6
    )
    km = units[one]["road_km"]
    assert after[target]["figures"]["road_km"] == pytest.approx(
        before[target]["figures"]["road_km"] + km, abs=1e-6
    )
    assert evaluation["k"] == body["evaluation"]["k"] == 3

    # A lasso: many units at once; moving them all into grid 3 may split grids — reported,
    # not refused.
    lasso = [u for u, g in grid_of.items() if g == 1][:6]
    r = await world.admin.post(
        f"/api/grids/plans/{plan_id}/moves", json={"units": [*lasso, lasso[0]], "to_grid": 3}
    )
    assert r.status_code == 200, r.text
    assert len(r.json()["moved"]) + r.json()["unchanged"] == len(lasso)
    stored = _grid_of(await world.plan(plan_id))
    assert all(stored[u] == 3 for u in lasso)

    # Bad moves change nothing.
    r = await world.admin.post(
        f"/api/grids/plans/{plan_id}/moves", json={"units": ["s:nowhere"], "to_grid": 1}
    )
    assert r.status_code == 422 and r.json()["code"] == "grids.unknown_units"
    r = await world.admin.post(
        f"/api/grids/plans/{plan_id}/moves", json={"units": [one], "to_grid": 4}
    )
    assert r.status_code == 422 and r.json()["code"] == "grids.grid_not_found"
    r = await world.admin.post(
        f"/api/grids/plans/{plan_id}/moves", json={"units": ["garbage"], "to_grid": 1}
    )
    assert r.status_code == 422
    assert _grid_of(await world.plan(plan_id)) == stored
    audit = await _audit(world, "grids.units_moved")
    assert len(audit) == 2 and audit[-1]["before"] == {"units": {one: 1}}


async def test_non_contiguous_move_is_reported_and_blocks_activation(world: County) -> None:
    plan = await _designed(world)
    plan_id = plan["plan"]["id"]
    grid_of = _grid_of(plan)
    # The town (a whole unit, reached only through the county road) moved into a grid that
    # does not hold the county road: that grid is now in two pieces.
    road_grid = next(
        g for u, g in grid_of.items() if u.startswith("s:") and "108.726000,30.934000" in u
    )
    target = next(g for g in (1, 2, 3) if g != road_grid and g != grid_of[f"a:{TOWN}"])
    r = await world.admin.post(
        f"/api/grids/plans/{plan_id}/moves", json={"units": [f"a:{TOWN}"], "to_grid": target}
    )
    assert r.status_code == 200, r.text
    violations = r.json()["evaluation"]["violations"]
    assert any(v["code"] == "not_contiguous" and v["grid"] == target for v in violations)
    broken = next(g for g in r.json()["evaluation"]["grids"] if g["number"] == target)
    assert broken["contiguous"] is False
    assert violations[0]["message"]["zh"] and violations[0]["message"]["en"]

    r = await world.admin.post(f"/api/grids/plans/{plan_id}/activate")
    assert r.status_code == 409 and r.json()["code"] == "grids.plan_invalid"
    assert r.json()["details"]["violations"][0]["code"] == "not_contiguous"
    assert (await world.plan(plan_id))["plan"]["status"] == "draft"
    assert await _audit(world, "grids.plan_activated") == []


async def test_locks_and_design_around_them(world: County) -> None:
    plan = await _designed(world)
    plan_id = plan["plan"]["id"]
    grid_of = _grid_of(plan)
    keep = [u for u, g in grid_of.items() if g == 2][:3]
    r = await world.admin.post(
        f"/api/grids/plans/{plan_id}/locks", json={"units": keep, "locked": True}
    )
    assert r.status_code == 200 and r.json()["changed"] == 3
    locked = [u for u in (await world.plan(plan_id))["units"] if u["locked"]]
    assert {u["unit"]: u["locked_grid"] for u in locked} == dict.fromkeys(keep, 2)
    # A design from this plan keeps them where they are (with their locks).
    job = await world.design(3, time_limit_s=20, max_rounds=100, locks_from=plan_id, seed=5)
    again = await world.plan(job["plan_id"])
    regrid = _grid_of(again)
    assert all(regrid[u] == 2 for u in keep)
    assert {u["unit"] for u in again["units"] if u["locked"]} == set(keep)
    assert again["plan"]["parent_id"] == plan_id
    # Moved away by hand: made, and reported as a broken lock.
    r = await world.admin.post(
        f"/api/grids/plans/{plan_id}/moves", json={"units": [keep[0]], "to_grid": 1}
    )
    assert r.status_code == 200, r.text
    assert r.json()["moved"] == [{"unit": keep[0], "grid": 1, "locked": True, "locked_grid": 2}]
    broken = [v for v in r.json()["evaluation"]["violations"] if v["code"] == "lock_violated"]
    assert [(v["units"], v["grid"]) for v in broken] == [([keep[0]], 2)]
    assert broken[0]["message"]["zh"] and broken[0]["message"]["en"]
    # Unlocked: no longer a violation.
    r = await world.admin.post(
        f"/api/grids/plans/{plan_id}/locks", json={"units": keep[:1], "locked": False}
    )
    assert r.status_code == 200 and r.json()["changed"] == 1
    assert not any(v["code"] == "lock_violated" for v in r.json()["evaluation"]["violations"])
    # Locks beyond the grids asked for refuse the design.
    r = await world.admin.post(
        f"/api/grids/squadrons/{world.squadron_id}/design", json={"k": 1, "locks_from": plan_id}
    )
    assert r.status_code == 422 and r.json()["code"] == "grids.locks_beyond_k"
    assert len(await _audit(world, "grids.units_locked")) == 1
    assert len(await _audit(world, "grids.units_unlocked")) == 1


async def test_rename_recolour_copy_and_compare(world: County) -> None:
    plan = await _designed(world)
    plan_id = plan["plan"]["id"]
    r = await world.admin.patch(
        f"/api/grids/plans/{plan_id}/grids/2", json={"name": "滨江网格", "colour": "#00AA00"}
    )
    assert r.status_code == 200, r.text
    grid = next(g for g in r.json()["grids"] if g["number"] == 2)
    assert grid["name"] == "滨江网格" and grid["colour"] == "#00aa00"
    r = await world.admin.patch(f"/api/grids/plans/{plan_id}/grids/2", json={"colour": "green"})
    assert r.status_code == 422
    r = await world.admin.patch(f"/api/grids/plans/{plan_id}/grids/9", json={"name": "x"})
    assert r.status_code == 404
    r = await world.admin.patch(f"/api/grids/plans/{plan_id}", json={"name": "试行方案"})
    assert r.status_code == 200 and r.json()["name"] == "试行方案"

    r = await world.admin.post(f"/api/grids/plans/{plan_id}/copy", json={})
    assert r.status_code == 201, r.text
    copy = r.json()
    assert copy["version"] == 2 and copy["parent_id"] == plan_id and copy["status"] == "draft"
    assert copy["name"] == "试行方案 副本"
    assert [g["name"] for g in copy["grids"]] == [g["name"] for g in r.json()["grids"]]
    assert _grid_of(await world.plan(copy["id"])) == _grid_of(plan)

    grid_of = _grid_of(plan)
    moving = [u for u, g in grid_of.items() if g == 1][:2]
    r = await world.admin.post(
        f"/api/grids/plans/{copy['id']}/moves", json={"units": moving, "to_grid": 3}
    )
    assert r.status_code == 200
    r = await world.admin.get("/api/grids/plans/compare", params={"a": plan_id, "b": copy["id"]})
    assert r.status_code == 200, r.text
    diff = r.json()
    assert diff["moved_count"] == 2
    assert {(m["unit"], m["from_grid"], m["to_grid"]) for m in diff["moved"]} == {
        (u, 1, 3) for u in moving
    }
    assert diff["transfers"] == [{"from_grid": 1, "to_grid": 3, "units": 2}]
    rows = {g["number"]: g for g in diff["grids"]}
    assert rows[1]["units_b"] == rows[1]["units_a"] - 2
    assert rows[3]["units_b"] == rows[3]["units_a"] + 2
    assert rows[1]["workload_ratio_b"] < rows[1]["workload_ratio_a"]
    assert diff["summary_a"]["max_deviation"] != diff["summary_b"]["max_deviation"]
    assert rows[2]["name_a"] == rows[2]["name_b"] == "滨江网格"

    r = await world.admin.get("/api/grids/plans/compare", params={"a": plan_id, "b": 99999})
    assert r.status_code == 404


async def test_activation_keeps_one_active_plan(world: County) -> None:
    first = await _designed(world)
    first_id = first["plan"]["id"]
    r = await world.admin.post(f"/api/grids/plans/{first_id}/copy", json={"name": "第二版"})
    second_id = r.json()["id"]
    r = await world.admin.post(f"/api/grids/plans/{first_id}/activate")
    assert r.status_code == 200 and r.json()["status"] == "active"
    assert r.json()["activated_at"] is not None
    # An active plan is not edited by hand (copy it) and not deleted.
    grid_of = _grid_of(first)
    unit = next(iter(grid_of))
    r = await world.admin.post(
        f"/api/grids/plans/{first_id}/moves", json={"units": [unit], "to_grid": 1}
    )
    assert r.status_code == 409 and r.json()["code"] == "grids.plan_not_draft"
    assert (await world.admin.delete(f"/api/grids/plans/{first_id}")).status_code == 409
    active = await world.admin.get(f"/api/grids/squadrons/{world.squadron_id}/active-plan")
    assert active.status_code == 200 and active.json()["plan"]["id"] == first_id

    r = await world.admin.post(f"/api/grids/plans/{second_id}/activate")
    assert r.status_code == 200 and r.json()["status"] == "active"
    plans = {
        p["id"]: p
        for p in (
            await world.admin.get("/api/grids/plans", params={"squadron_id": world.squadron_id})
        ).json()["items"]
    }
    assert plans[first_id]["status"] == "retired" and plans[first_id]["retired_at"] is not None
    assert plans[second_id]["status"] == "active"
    retired = await _audit(world, "grids.plan_retired")
    assert [(a["entity_id"], a["after"]["replaced_by"]) for a in retired] == [
        (str(first_id), second_id)
    ]
    assert len(await _audit(world, "grids.plan_activated")) == 2
    # A retired plan stays history.
    r = await world.admin.post(f"/api/grids/plans/{first_id}/activate")
    assert r.status_code == 409 and r.json()["code"] == "grids.plan_retired"
    # Activating the active plan again changes nothing.
    r = await world.admin.post(f"/api/grids/plans/{second_id}/activate")
    assert r.status_code == 200 and len(await _audit(world, "grids.plan_activated")) == 2
    # The database holds the rule too: a second active row is refused.
    async with world.running.db.sessions() as session:
        with pytest.raises(IntegrityError):
            await session.execute(
                update(GridPlan).where(GridPlan.id == first_id).values(status="active")
            )
            await session.commit()
    r = await world.admin.post(f"/api/grids/plans/{second_id}/retire")
    assert r.status_code == 200 and r.json()["status"] == "retired"
    assert (
        await world.admin.get(f"/api/grids/squadrons/{world.squadron_id}/active-plan")
    ).status_code == 404
    # A draft can be deleted.
    r = await world.admin.post(f"/api/grids/plans/{second_id}/copy", json={})
    assert (await world.admin.delete(f"/api/grids/plans/{r.json()['id']}")).status_code == 204
    assert len(await _audit(world, "grids.plan_deleted")) == 1


async def test_river_barrier_and_bridge(world: County) -> None:
    plan = await _designed(world, barriers=[RIVER])
    plan_id = plan["plan"]["id"]
    assert plan["plan"]["params"]["barriers"] == [RIVER]
    assert plan["evaluation"]["violations"] == []
    units = {u["unit"]: u for u in await world.units()}
    grid_of = _grid_of(plan)
    # The ford is not a bridge: its north piece joins the south bank only across the river.
    ford_north = next(u for u, p in units.items() if p["name"] == "过河便道" and p["area"] == NORTH)
    ford_south = next(u for u, p in units.items() if p["name"] == "过河便道" and p["area"] == SOUTH)
    bridge = next(u for u, p in units.items() if p["name"] == "长江大桥")
    grid = grid_of[ford_north]
    # Give that grid only the ford's south piece across the river (the bridge goes elsewhere).
    other = next(g for g in (1, 2, 3) if g != grid)
    moves = [([ford_south], grid)]
    if grid_of[bridge] == grid:
        moves.append(([bridge], other))
    for keys, to in moves:
        r = await world.admin.post(
            f"/api/grids/plans/{plan_id}/moves", json={"units": keys, "to_grid": to}
        )
        assert r.status_code == 200, r.text
    violations = r.json()["evaluation"]["violations"]
    assert any(v["code"] == "crosses_barrier" and v["grid"] == grid for v in violations), violations
    # The same plan without the river is only a (different) matter of contiguity: a copy
    # evaluated with no barrier finds the ford an ordinary link.
    async with world.running.db.sessions() as session:
        await session.execute(
            update(GridPlan).where(GridPlan.id == plan_id).values(params={"barriers": []})
        )
        await session.commit()
    evaluation = (await world.plan(plan_id))["evaluation"]
    assert not any(v["code"] == "crosses_barrier" for v in evaluation["violations"])


async def test_exports(world: County) -> None:
    plan = await _designed(world)
    plan_id = plan["plan"]["id"]
    r = await world.admin.get(f"/api/grids/plans/{plan_id}/export")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/geo+json")
    geo = r.json()
    grids = [f for f in geo["features"] if f["properties"]["feature_type"] == "grid"]
    units = [f for f in geo["features"] if f["properties"]["feature_type"] == "unit"]
    assert len(grids) == 3 and len(units) == 60
    for feature in grids:
        props = feature["properties"]
        assert {"grid", "name", "colour", "workload", "workload_ratio", "road_km"} <= set(props)
        # A grid of street segments and a whole town: lines and the town's polygon.
        assert feature["geometry"]["type"] in {
            "MultiLineString",
            "MultiPolygon",
            "GeometryCollection",
        }
    assert sum(f["properties"]["units"] for f in grids) == 60
    grid_of = _grid_of(plan)
    assert all(f["properties"]["grid"] == grid_of[f["properties"]["unit"]] for f in units)
    town = next(f for f in units if f["properties"]["unit"] == f"a:{TOWN}")
    assert town["geometry"]["type"] == "Polygon"
    only = (
        await world.admin.get(f"/api/grids/plans/{plan_id}/export", params={"layer": "grids"})
    ).json()
    assert len(only["features"]) == 3

    r = await world.admin.get(f"/api/grids/plans/{plan_id}/export", params={"format": "xlsx"})
    assert r.status_code == 200
    assert "spreadsheetml" in r.headers["content-type"]
    book = load_workbook(io.BytesIO(r.content))
    assert book.sheetnames == ["网格", "单元"]
    grid_rows = list(book["网格"].iter_rows(values_only=True))
    assert grid_rows[1][:4] == ("网格编号", "网格名称", "颜色", "单元数")
    assert [row[0] for row in grid_rows[2:]] == [1, 2, 3]
    assert sum(row[3] for row in grid_rows[2:]) == 60
    unit_rows = list(book["单元"].iter_rows(values_only=True))
    assert len(unit_rows) == 61
    assert {row[0]: row[4] for row in unit_rows[1:]} == grid_of
    r = await world.admin.get(f"/api/grids/plans/{plan_id}/export", params={"format": "pdf"})
    assert r.status_code == 422


async def test_permissions(world: County) -> None:
    plan = await _designed(world)
    plan_id = plan["plan"]["id"]
    operator = await world.running.login("lin", Role.operator)
    officer = await world.running.login("yi", Role.officer)
    supervisor = await world.running.login("zheng", Role.supervisor)
    for reader in (operator, supervisor):
        assert (await reader.get(f"/api/grids/plans/{plan_id}")).status_code == 200
        assert (
            await reader.get(f"/api/grids/squadrons/{world.squadron_id}/units")
        ).status_code == 200
        r = await reader.post(f"/api/grids/plans/{plan_id}/activate")
        assert r.status_code == 403 and r.json()["details"] == {"permission": "grids:manage"}
        r = await reader.post(f"/api/grids/squadrons/{world.squadron_id}/design", json={"k": 2})
        assert r.status_code == 403
        r = await reader.put(
            f"/api/grids/squadrons/{world.squadron_id}/territory", json={"areas": []}
        )
        assert r.status_code == 403
    r = await officer.get(f"/api/grids/plans/{plan_id}")
    assert r.status_code == 403 and r.json()["details"] == {"permission": "grids:read"}
    r = await world.running.client.get("/api/grids/plans")
    assert r.status_code == 401
    for client in (operator, officer, supervisor):
        await client.aclose()


async def test_locate_a_point_in_the_active_grid(world: County) -> None:
    # Before any territory: the road is found, nobody's.
    r = await world.admin.get("/api/grids/locate", params={"lon": 108.701, "lat": 30.9321})
    assert r.status_code == 200, r.text
    assert r.json()["squadron_id"] is None and r.json()["grid"] is None
    plan = await _designed(world)
    grid_of = _grid_of(plan)
    r = await world.admin.get("/api/grids/locate", params={"lon": 108.701, "lat": 30.9321})
    located = r.json()
    assert located["squadron_id"] == world.squadron_id and located["plan_id"] is None
    assert located["unit"] in grid_of and located["distance_m"] == pytest.approx(11.1, abs=0.5)
    await world.admin.post(f"/api/grids/plans/{plan['plan']['id']}/activate")
    located = (
        await world.admin.get("/api/grids/locate", params={"lon": 108.735, "lat": 30.9341})
    ).json()
    assert located["unit"] == f"a:{TOWN}" and located["plan_id"] == plan["plan"]["id"]
    assert located["grid"]["number"] == grid_of[f"a:{TOWN}"] and located["grid"]["id"] > 0
    r = await world.admin.get("/api/grids/locate", params={"lon": 108.9, "lat": 30.99})
    assert r.status_code == 404 and r.json()["code"] == "geo.no_segment_nearby"
