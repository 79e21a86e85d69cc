"""Order-keeping difficulty derived from incidents: incidents per road km rated 1-5 by the
squadron's quintiles where no hand rating is set, cancelled incidents not counted, the period,
the unit cache's refresh, and a re-imported network; on both databases."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest

from patrolgrid.grids import flows as grids_flows
from patrolgrid.grids.flows import incident_window
from patrolgrid.grids.models import GridSettings
from patrolgrid.grids.units import incident_ratings
from tests.grids.conftest import COLUMNS, NORTH, SOUTH, SOUTH_ROWS, TOWN, County, county

# The five pieces of 南1路 (the south bank's first row), west to east: equal lengths, so their
# incidents per km order as their incident counts.
ROW = SOUTH_ROWS[0]
PIECE_MIDDLES = [((COLUMNS[i] + COLUMNS[i + 1]) / 2, ROW) for i in range(5)]


async def _territory(world: County) -> None:
    r = await world.set_territory(
        [{"key": NORTH}, {"key": SOUTH}, {"key": TOWN, "granularity": "area"}]
    )
    assert r.status_code == 200, r.text


async def _incident(world: County, lon: float, lat: float) -> int:
    r = await world.admin.post(
        "/api/incidents",
        json={"source": "hotline", "type": "congestion", "lon": lon, "lat": lat},
    )
    assert r.status_code == 201, r.text
    incident_id: int = r.json()["id"]
    return incident_id


async def _cancel(world: County, incident_id: int) -> None:
    r = await world.admin.post(f"/api/incidents/{incident_id}/cancel", json={"reason": "重复报警"})
    assert r.status_code == 200, r.text


async def _unit_at(world: County, point: tuple[float, float]) -> str:
    r = await world.admin.get("/api/grids/locate", params={"lon": point[0], "lat": point[1]})
    assert r.status_code == 200, r.text
    unit: str = r.json()["unit"]
    return unit


async def _by_unit(world: County) -> dict[str, dict[str, Any]]:
    return {u["unit"]: u for u in await world.units()}


def test_quintile_rule_by_hand() -> None:
    # Incidents per km: a 2/1 = 2, b 6/2 = 3, c 1/1 = 1, d 4/1 = 4, e 2/2 = 1 (ties with c),
    # f 0 (no incidents), g no road, h 5/0.5 = 10. The six units with road and incidents, by
    # density: 1, 1, 2, 3, 4, 10. A unit's rating is ⌈5 × (units at most as dense) / 6⌉:
    # c, e: ⌈5·2/6⌉ = 2 (ties share the higher); a: ⌈5·3/6⌉ = 3; b: ⌈5·4/6⌉ = 4;
    # d: ⌈5·5/6⌉ = 5; h: ⌈5·6/6⌉ = 5; f and g: 1.
    road_km = np.array([1.0, 2.0, 1.0, 1.0, 2.0, 1.0, 0.0, 0.5])
    incidents = np.array([2.0, 6.0, 1.0, 4.0, 2.0, 0.0, 0.0, 5.0])
    assert incident_ratings(road_km, incidents).tolist() == [3, 4, 2, 5, 2, 1, 1, 5]
    # Five units of distinct densities get 1..5; a lone unit with incidents gets 5.
    assert incident_ratings(np.ones(5), np.array([3.0, 1, 5, 2, 4])).tolist() == [3, 1, 5, 2, 4]
    assert incident_ratings(np.ones(3), np.array([0.0, 7, 0])).tolist() == [1, 5, 1]
    assert incident_ratings(np.ones(2), np.zeros(2)).tolist() == [1, 1]
    # Ten units: two per fifth.
    ten = incident_ratings(np.ones(10), np.arange(1.0, 11.0))
    assert ten.tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_incident_window() -> None:
    now = dt.datetime(2026, 3, 10, 4, 0, tzinfo=dt.UTC)
    start, end = incident_window(None, now)
    assert (start, end) == (now - dt.timedelta(days=365), now)
    period = GridSettings(
        squadron_id=1,
        weights={},
        accidents_from=dt.date(2025, 1, 1),
        accidents_to=dt.date(2025, 12, 31),
    )
    # Whole China calendar days: 2025-01-01 00:00 +08 to 2026-01-01 00:00 +08.
    start, end = incident_window(period, now)
    assert start == dt.datetime(2024, 12, 31, 16, 0, tzinfo=dt.UTC)
    assert end == dt.datetime(2025, 12, 31, 16, 0, tzinfo=dt.UTC)
    only_from = GridSettings(squadron_id=1, weights={}, accidents_from=dt.date(2026, 1, 1))
    assert incident_window(only_from, now) == (dt.datetime(2025, 12, 31, 16, tzinfo=dt.UTC), now)


async def test_incidents_rate_units_without_a_hand_rating(world: County) -> None:
    await _territory(world)
    busy, quiet, cancelled_only = [await _unit_at(world, p) for p in PIECE_MIDDLES[:3]]
    for _ in range(3):
        await _incident(world, *PIECE_MIDDLES[0])
    # A cancelled incident (a false or duplicate report) does not count.
    await _cancel(world, await _incident(world, *PIECE_MIDDLES[0]))
    await _cancel(world, await _incident(world, *PIECE_MIDDLES[2]))

    units = await _by_unit(world)
    assert units[busy]["incidents"] == 3
    assert units[busy]["difficulty_source"] == "incidents"
    assert units[busy]["difficulty_rating"] == 5  # the squadron's only unit with incidents
    assert units[busy]["difficulty"] == pytest.approx(5 * units[busy]["road_km"], abs=1e-5)
    for key in (quiet, cancelled_only):
        assert units[key]["incidents"] == 0
        assert units[key]["difficulty_source"] == "default"
        assert units[key]["difficulty_rating"] == 1
        assert units[key]["difficulty"] == pytest.approx(units[key]["road_km"], abs=1e-5)
    assert units[busy]["difficulty_rating"] > units[quiet]["difficulty_rating"]
    # The busy unit carries more of the workload than its twin with none.
    assert units[busy]["workload"] > units[quiet]["workload"]

    summary = (await world.admin.get(f"/api/grids/squadrons/{world.squadron_id}/figures")).json()
    difficulty = summary["difficulty"]
    assert difficulty["incidents"] == 3
    assert difficulty["sources"] == {
        "unit": 0,
        "area": 0,
        "incidents": 1,
        "default": len(units) - 1,
    }
    per_km = 3 / units[busy]["road_km"]
    assert difficulty["bands"] == [
        {
            "rating": 5,
            "units": 1,
            "min_per_km": pytest.approx(per_km, rel=1e-3),
            "max_per_km": pytest.approx(per_km, rel=1e-3),
        }
    ]
    start = dt.datetime.fromisoformat(difficulty["incidents_from"])
    end = dt.datetime.fromisoformat(difficulty["incidents_to"])
    assert end - start == dt.timedelta(days=365)


async def test_hand_rating_wins_over_incidents(world: County) -> None:
    await _territory(world)
    busy = await _unit_at(world, PIECE_MIDDLES[0])
    for _ in range(4):
        await _incident(world, *PIECE_MIDDLES[0])
    path = f"/api/grids/squadrons/{world.squadron_id}/ratings"

    # The area's rating wins over incidents...
    r = await world.admin.put(path, json={"items": [{"unit": f"a:{SOUTH}", "difficulty": 2}]})
    assert r.status_code == 200, r.text
    unit = (await _by_unit(world))[busy]
    assert (unit["difficulty_rating"], unit["difficulty_source"]) == (2, "area")
    assert unit["incidents"] == 4  # still shown, so a user sees what the hand rating overrides
    assert unit["difficulty"] == pytest.approx(2 * unit["road_km"], abs=1e-5)

    # ...and the unit's own rating wins over the area's.
    r = await world.admin.put(path, json={"items": [{"unit": busy, "difficulty": 1}]})
    assert r.status_code == 200, r.text
    units = await _by_unit(world)
    assert (units[busy]["difficulty_rating"], units[busy]["difficulty_source"]) == (1, "unit")
    south = [u for u in units.values() if u["area"] == SOUTH and u["unit"] != busy]
    assert {(u["difficulty_rating"], u["difficulty_source"]) for u in south} == {(2, "area")}
    summary = (await world.admin.get(f"/api/grids/squadrons/{world.squadron_id}/figures")).json()
    assert summary["difficulty"]["sources"]["unit"] == 1
    assert summary["difficulty"]["sources"]["area"] == len(south)
    assert summary["difficulty"]["sources"]["incidents"] == 0
    # The hand-rated unit still sets the quintiles: its incidents would rate it 5.
    assert [b["rating"] for b in summary["difficulty"]["bands"]] == [5]

    # Without the hand ratings the incidents rate it again.
    r = await world.admin.put(
        path, json={"items": [{"unit": busy}, {"unit": f"a:{SOUTH}", "difficulty": None}]}
    )
    assert r.status_code == 200, r.text
    unit = (await _by_unit(world))[busy]
    assert (unit["difficulty_rating"], unit["difficulty_source"]) == (5, "incidents")


async def test_quintiles_over_the_squadron(world: County) -> None:
    await _territory(world)
    pieces = [await _unit_at(world, p) for p in PIECE_MIDDLES]
    # 1, 2, 3, 4, 5 incidents on five pieces of equal length: one unit per fifth.
    for count, place in zip(range(1, 6), PIECE_MIDDLES, strict=True):
        for _ in range(count):
            await _incident(world, *place)
    units = await _by_unit(world)
    assert [units[p]["incidents"] for p in pieces] == [1, 2, 3, 4, 5]
    assert [units[p]["difficulty_rating"] for p in pieces] == [1, 2, 3, 4, 5]
    assert {units[p]["difficulty_source"] for p in pieces} == {"incidents"}
    bands = (await world.admin.get(f"/api/grids/squadrons/{world.squadron_id}/figures")).json()[
        "difficulty"
    ]["bands"]
    assert [(b["rating"], b["units"]) for b in bands] == [(r, 1) for r in range(1, 6)]
    km = units[pieces[0]]["road_km"]
    assert bands[2]["min_per_km"] == pytest.approx(3 / km, rel=1e-3)


async def test_period_cache_and_reimport(world: County, monkeypatch: pytest.MonkeyPatch) -> None:
    await _territory(world)
    busy = await _unit_at(world, PIECE_MIDDLES[0])
    await _incident(world, *PIECE_MIDDLES[0])
    runtime = world.running.app.state.grids  # type: ignore[attr-defined]

    async def rating(*, fresh: bool) -> tuple[int, float]:
        async with world.running.db.sessions() as session:
            units = await runtime.units(session, world.squadron_id, fresh_incidents=fresh)
        i = units.index[busy]
        return int(units.difficulty_rating[i]), float(units.incidents[i])

    assert await rating(fresh=True) == (5, 1.0)
    # Within the TTL a new incident is not read yet by the hot paths (moves, locate)...
    await _incident(world, *PIECE_MIDDLES[0])
    assert await rating(fresh=False) == (5, 1.0)
    # ...when the figures are read, or once the counts are older than the TTL, it is.
    assert await rating(fresh=True) == (5, 2.0)
    await _incident(world, *PIECE_MIDDLES[0])
    monkeypatch.setattr(grids_flows, "INCIDENT_COUNTS_TTL_S", 0.0)
    assert await rating(fresh=False) == (5, 3.0)

    # A re-imported network renumbers the segment rows: incidents received before it are
    # snapped again, and stay on the same road.
    await world.load(county(reverse=True), "county-again.geojson")
    assert (await _by_unit(world))[busy]["incidents"] == 3

    # An accident period that ended before these incidents: none counts.
    path = f"/api/grids/squadrons/{world.squadron_id}/settings"
    r = await world.admin.put(
        path, json={"accidents_from": "2020-01-01", "accidents_to": "2020-12-31"}
    )
    assert r.status_code == 200, r.text
    unit = (await _by_unit(world))[busy]
    assert (unit["incidents"], unit["difficulty_source"]) == (0, "default")
