"""Territories, units and their figures, and the drivers/accidents importers (good files, every
kind of bad file with nothing stored, the real Fukui accident file), on both databases."""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from typing import Any

import httpx
import numpy as np
import pytest
import shapely
from openpyxl import Workbook
from sqlalchemy import select

from patrolgrid.core.audit import SYSTEM
from patrolgrid.core.auth import Role
from patrolgrid.geo.network import Oneway, Road
from patrolgrid.geo.osm import network_from_polylines
from patrolgrid.grids.models import Accident
from patrolgrid.roads import flows as roads_flows
from patrolgrid.roads.keys import segment_keys
from tests.conftest import SHARED, Running
from tests.grids.conftest import COMMUNITY, NORTH, SOUTH, TOWN, County, county

FUKUI = SHARED / "data" / "accidents" / "fukui-2019-2020.csv"
COLUMNS_MID = 108.706  # the bridge's longitude


def _csv(rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def _upload(
    client: httpx.AsyncClient, path: str, name: str, content: bytes, **params: Any
) -> httpx.Response:
    return await client.post(path, files={"file": (name, content)}, params=params)


async def _standard_territory(world: County) -> None:
    r = await world.set_territory(
        [{"key": NORTH}, {"key": SOUTH}, {"key": TOWN, "granularity": "area"}]
    )
    assert r.status_code == 200, r.text


async def test_territory_rules(world: County) -> None:
    r = await world.set_territory([{"key": NORTH}, {"key": TOWN}])
    assert r.status_code == 200, r.text
    areas = {a["key"]: a for a in r.json()["areas"]}
    # By kind: a subdistrict by its segments, a town as a whole.
    assert areas[NORTH]["granularity"] == "segments" and areas[NORTH]["name"] == "北区街道"
    assert areas[TOWN]["granularity"] == "area" and areas[TOWN]["present"]

    r = await world.set_territory([{"key": "r404"}, {"key": SOUTH}])
    assert r.status_code == 422 and r.json()["code"] == "grids.unknown_area"
    assert r.json()["details"] == {"areas": ["r404"]}
    r = await world.set_territory([{"key": SOUTH}, {"key": SOUTH}])
    assert r.status_code == 422 and r.json()["code"] == "grids.area_repeated"
    # An area of another squadron, and an area inside one of another squadron's areas.
    r = await world.set_territory([{"key": TOWN}], world.other_squadron_id)
    assert r.status_code == 409 and r.json()["code"] == "grids.area_taken"
    r = await world.set_territory([{"key": COMMUNITY}], world.other_squadron_id)
    assert r.status_code == 409 and r.json()["code"] == "grids.territory_overlap"
    assert r.json()["details"]["pairs"] == [[COMMUNITY, NORTH]]
    # Nothing of the refused requests was stored.
    got = (await world.admin.get(f"/api/grids/squadrons/{world.squadron_id}/territory")).json()
    assert [a["key"] for a in got["areas"]] == [NORTH, TOWN]
    other = f"/api/grids/squadrons/{world.other_squadron_id}/territory"
    assert (await world.admin.get(other)).json()["areas"] == []
    r = await world.admin.get("/api/grids/squadrons/99999/territory")
    assert r.status_code == 404

    areas_out = (await world.admin.get("/api/grids/areas")).json()["items"]
    owners = {a["key"]: a["squadron_id"] for a in areas_out}
    assert owners == {
        NORTH: world.squadron_id,
        TOWN: world.squadron_id,
        SOUTH: None,
        COMMUNITY: None,
    }


async def test_units_road_km_and_adjacency(world: County) -> None:
    await _standard_territory(world)
    units = await world.units()
    network = county()
    keys = segment_keys(network)
    kinds = Counter(u["kind"] for u in units)
    # Every segment is somebody's: both banks' streets, the bridge, the ford, the county road's
    # piece in the north subdistrict and (nearest along the road) its middle piece; the town's
    # streets and its piece are one unit.
    assert kinds == {"segment": 59, "area": 1}
    seg_units = {u["unit"] for u in units if u["kind"] == "segment"}
    assert seg_units <= {f"s:{k}" for k in keys}
    total_km = sum(s.length_m for s in network.segments) / 1000
    assert sum(u["road_km"] for u in units) == pytest.approx(total_km, abs=0.005)
    # The bridge is the north bank's (it runs longer over it), the connector piece of the county
    # road is someone's, and the ford's two pieces are one on each bank.
    by_name: dict[str, list[dict[str, Any]]] = {}
    for u in units:
        by_name.setdefault(u["name"], []).append(u)
    assert [u["area"] for u in by_name["长江大桥"]] == [NORTH]
    assert sorted(u["area"] for u in by_name["过河便道"]) == [NORTH, SOUTH]
    # Workload shares sum to 1 over the squadron.
    assert sum(u["workload"] for u in units) == pytest.approx(1.0, abs=1e-6)

    summary = (await world.admin.get(f"/api/grids/squadrons/{world.squadron_id}/figures")).json()
    assert summary["units"] == len(units) and summary["area_units"] == 1
    assert summary["totals"]["road_km"] == pytest.approx(total_km, abs=1e-3)
    assert summary["missing_areas"] == [] and summary["generated"] is False


async def test_area_figures_import_spreads_by_length(world: County) -> None:
    await _standard_territory(world)
    content = _csv([["区域", "驾驶人", "机动车"], ["北区街道", "12,000", "9000"], [TOWN, 3000, ""]])
    r = await _upload(world.admin, "/api/grids/figures/import", "drivers.csv", content)
    assert r.status_code == 200, r.text
    assert r.json() == {"imported": 2, "areas": [NORTH, TOWN]}
    units = await world.units()
    north = [u for u in units if u["area"] == NORTH]
    assert sum(u["drivers"] for u in north) == pytest.approx(12_000)
    assert sum(u["vehicles"] for u in north) == pytest.approx(9_000)
    # Spread by length: drivers per km the same on every north unit.
    per_km = [u["drivers"] / u["road_km"] for u in north]
    assert max(per_km) / min(per_km) < 1.001  # (the answer's figures are rounded)
    town = next(u for u in units if u["unit"] == f"a:{TOWN}")
    assert town["drivers"] == pytest.approx(3000) and town["vehicles"] == 0
    assert all(u["drivers"] == 0 for u in units if u["area"] == SOUTH)

    # XLSX, English headers, by key; replaces the figures of the areas it lists.
    content = _xlsx([["area", "drivers"], [NORTH, 10_000.0]])
    r = await _upload(world.admin, "/api/grids/figures/import", "d.xlsx", content)
    assert r.status_code == 200, r.text
    items = {a["key"]: a for a in (await world.admin.get("/api/grids/areas")).json()["items"]}
    assert items[NORTH]["drivers"] == 10_000 and items[NORTH]["vehicles"] is None
    assert items[TOWN]["drivers"] == 3000 and items[NORTH]["figures_source"] == "d.xlsx"


@pytest.mark.parametrize(
    ("name", "content", "code", "problems"),
    [
        (
            "bad.csv",
            _csv(
                [
                    ["区域", "驾驶人", "机动车"],
                    ["北区街道", "1000", "800"],
                    ["不存在", "1", "1"],
                    ["南区街道", "-5", "x"],
                    ["东镇", "", ""],
                    ["北区街道", "2", "2"],
                    ["", "3", "3"],
                    ["r2", "1.5", ""],
                ]
            ),
            "grids.import_invalid",
            [
                (3, "area", "grids.unknown_area"),
                (4, "drivers", "grids.bad_count"),
                (4, "vehicles", "grids.bad_count"),
                (5, "drivers", "grids.no_figures"),
                (6, "area", "grids.area_duplicate_in_file"),
                (7, "area", "grids.area_required"),
                (8, "drivers", "grids.bad_count"),
            ],
        ),
        (
            "missing.csv",
            _csv([["区域", "人口"], ["北区街道", 1]]),
            "grids.import_missing_columns",
            [],
        ),
        ("empty.csv", _csv([["区域", "驾驶人"]]), "grids.import_empty", []),
        ("notes.txt", b"area,drivers\n", "org.import_bad_format", []),
        ("broken.xlsx", b"PK\x03\x04 not really", "org.import_bad_format", []),
    ],
)
async def test_area_figures_bad_files_store_nothing(
    world: County, name: str, content: bytes, code: str, problems: list[tuple[int, str, str]]
) -> None:
    await _standard_territory(world)
    r = await _upload(world.admin, "/api/grids/figures/import", name, content)
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == code
    if problems:
        got = [(e["line"], e["column"], e["code"]) for e in body["details"]["errors"]]
        assert got == problems
        assert all(e["message"]["zh"] and e["message"]["en"] for e in body["details"]["errors"])
    items = (await world.admin.get("/api/grids/areas")).json()["items"]
    assert all(a["drivers"] is None and a["vehicles"] is None for a in items)


def _point_on(network: Any, index: int, fraction: float, offset_m: float) -> tuple[float, float]:
    coords = network.segments[index].coords
    line = shapely.LineString(coords)
    p = line.interpolate(fraction, normalized=True)
    return p.x, p.y + offset_m / 110_574


async def test_accidents_import_snaps_to_segments(world: County) -> None:
    await _standard_territory(world)
    network = county()
    keys = segment_keys(network)
    names = [network.roads[s.road_index].name for s in network.segments]
    first = names.index("北1路")
    bridge = names.index("长江大桥")
    rows = [["日期", "时间", "经度", "纬度", "死亡人数", "受伤人数", "编号"]]
    for n in range(3):
        lon, lat = _point_on(network, first, 0.5, 8.0 * (n - 1))
        rows.append([f"2024-0{n + 1}-15", "08:30", lon, lat, 0, 1, f"A{n}"])
    rows.append(["2024/7/1", "23:05", COLUMNS_MID, 30.930, 1, 2, "B1"])  # on the bridge
    rows.append(["20250101", "", 108.600, 30.800, 0, 0, "far"])  # nowhere near a road
    r = await _upload(world.admin, "/api/grids/accidents/import", "acc.csv", _csv(rows))
    assert r.status_code == 200, r.text
    result = r.json()
    assert result["imported"] == 5 and result["snapped"] == 4 and result["unsnapped"] == 1
    assert result["by_year"] == {"2024": 4, "2025": 1}
    units = {u["unit"]: u for u in await world.units()}
    assert units[f"s:{keys[first]}"]["accidents"] == 3
    assert units[f"s:{keys[bridge]}"]["accidents"] == 1
    assert sum(u["accidents"] for u in units.values()) == 4
    summary = (await world.admin.get("/api/grids/accidents/summary")).json()
    assert summary["total"] == 5 and summary["generated"] == 0
    assert [(y["year"], y["accidents"], y["snapped"]) for y in summary["years"]] == [
        (2024, 4, 4),
        (2025, 1, 0),
    ]
    # The accident period (squadron settings) narrows the figure.
    r = await world.admin.put(
        f"/api/grids/squadrons/{world.squadron_id}/settings",
        json={"accidents_from": "2024-02-01", "accidents_to": "2024-12-31"},
    )
    assert r.status_code == 200, r.text
    units = {u["unit"]: u for u in await world.units()}
    assert units[f"s:{keys[first]}"]["accidents"] == 2

    # replace=true swaps the stored records in one transaction.
    again = _csv([rows[0], rows[1]])
    r = await _upload(world.admin, "/api/grids/accidents/import", "acc2.csv", again, replace="true")
    assert r.status_code == 200 and r.json()["replaced"] == 5
    assert (await world.admin.get("/api/grids/accidents/summary")).json()["total"] == 1


@pytest.mark.parametrize(
    ("rows", "problems"),
    [
        (
            [
                ["date", "lat", "lon", "time", "deaths"],
                ["2024-01-01", "30.93", "108.70", "08:00", "0"],
                ["2024-02-30", "30.93", "108.70", "", ""],
                ["yesterday", "30.93", "108.70", "", ""],
                ["2999-01-01", "30.93", "108.70", "", ""],
                ["2024-01-01", "91", "108.70", "", ""],
                ["2024-01-01", "30.93", "east", "", ""],
                ["2024-01-01", "30.93", "108.70", "25:00", ""],
                ["2024-01-01", "30.93", "108.70", "", "-1"],
            ],
            [
                (3, "date"),
                (4, "date"),
                (5, "date"),
                (6, "lat"),
                (7, "lon"),
                (8, "time"),
                (9, "deaths"),
            ],
        ),
    ],
)
async def test_accidents_bad_rows_store_nothing(
    world: County, rows: list[list[str]], problems: list[tuple[int, str]]
) -> None:
    r = await _upload(world.admin, "/api/grids/accidents/import", "a.csv", _csv(rows))
    assert r.status_code == 422 and r.json()["code"] == "grids.import_invalid"
    got = [(e["line"], e["column"]) for e in r.json()["details"]["errors"]]
    assert got == problems
    r = await _upload(
        world.admin,
        "/api/grids/accidents/import",
        "a.csv",
        _csv([["日期", "经度"], ["2024-01-01", "1"]]),
    )
    assert r.status_code == 422 and r.json()["code"] == "grids.import_missing_columns"
    assert r.json()["details"]["missing"] == ["lat"]
    assert (await world.admin.get("/api/grids/accidents/summary")).json()["total"] == 0


# ---- the real Fukui file ----------------------------------------------------------------------

FUKUI_WEST, FUKUI_EAST, FUKUI_SOUTH, FUKUI_NORTH = 136.18, 136.25, 36.03, 36.09
FUKUI_STEP = 0.005


def fukui_grid() -> Any:
    """A street grid over central Fukui (generated lines, every 0.005°)."""
    lons = [
        FUKUI_WEST + FUKUI_STEP * i
        for i in range(round((FUKUI_EAST - FUKUI_WEST) / FUKUI_STEP) + 1)
    ]
    lats = [
        FUKUI_SOUTH + FUKUI_STEP * i
        for i in range(round((FUKUI_NORTH - FUKUI_SOUTH) / FUKUI_STEP) + 1)
    ]
    roads, lines = [], []
    for lat in lats:
        lines.append((len(roads), [(lon, lat) for lon in lons]))
        roads.append(Road(f"f{len(roads) + 1}", "", "residential", Oneway.no, 40, 2))
    for lon in lons:
        lines.append((len(roads), [(lon, lat) for lat in lats]))
        roads.append(Road(f"f{len(roads) + 1}", "", "residential", Oneway.no, 40, 2))
    return network_from_polylines(roads, lines), lons, lats


async def test_fukui_accidents_by_year_and_snapping(running: Running) -> None:
    network, _, _ = fukui_grid()
    async with running.db.sessions() as session:
        await roads_flows.replace_network(
            session,
            running.app.state.bus,  # type: ignore[attr-defined]
            running.app.state.routing_graph,  # type: ignore[attr-defined]
            network,
            "fukui-grid.geojson",
            SYSTEM,
        )
    admin = await running.login("zhou", Role.commander)
    content = FUKUI.read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, Japanese headers
    r = await _upload(admin, "/api/grids/accidents/import", FUKUI.name, content)
    assert r.status_code == 200, r.text
    result = r.json()
    assert result["imported"] == 2948
    assert result["by_year"] == {"2018": 68, "2019": 1143, "2020": 876, "2021": 861}

    # Independently: each accident's distance to the grid's lines, in a local metric plane.
    with FUKUI.open(encoding="utf-8-sig") as handle:
        records = list(csv.DictReader(handle))
    points = np.array([(float(r["経度"]), float(r["緯度"])) for r in records])
    lines = [shapely.LineString(s.coords) for s in network.segments]
    grid = _metric(shapely.MultiLineString(lines))
    dist = shapely.distance(_metric(shapely.points(points)), grid)
    near, far = int((dist < 99).sum()), int((dist > 101).sum())
    assert near > 300  # central Fukui has hundreds of them
    assert near <= result["snapped"] <= len(records) - far
    assert result["snapped"] + result["unsnapped"] == 2948
    summary = (await admin.get("/api/grids/accidents/summary")).json()
    assert {y["year"]: y["accidents"] for y in summary["years"]} == {
        2018: 68,
        2019: 1143,
        2020: 876,
        2021: 861,
    }
    assert sum(y["snapped"] for y in summary["years"]) == result["snapped"]
    assert sum(y["deaths"] for y in summary["years"]) == sum(int(r["死者数"]) for r in records)
    # Each snapped accident went to its nearest segment (by the same independent measure).
    keyed = dict(zip(segment_keys(network), lines, strict=True))
    async with running.db.sessions() as session:
        stored = (
            await session.execute(
                select(Accident.lon, Accident.lat, Accident.segment_key, Accident.snap_m)
            )
        ).all()
    checked = 0
    for a_lon, a_lat, key, snap_m in stored:
        if key is None:
            continue
        own = shapely.distance(_metric(shapely.Point(a_lon, a_lat)), _metric(keyed[key]))
        nearest = shapely.distance(_metric(shapely.Point(a_lon, a_lat)), grid)
        assert own == pytest.approx(nearest, abs=1.0)
        assert snap_m == pytest.approx(own, rel=0.01, abs=0.5) and snap_m <= 100
        checked += 1
    assert checked == result["snapped"]


def _metric(geometry: Any) -> Any:
    """Lon/lat to metres around central Fukui (equirectangular; fine over a few km)."""
    lat0 = math.radians(36.06)
    m_lat = 111_132.954 - 559.822 * math.cos(2 * lat0)
    m_lon = 111_412.84 * math.cos(lat0)
    return shapely.transform(
        geometry, lambda xy: np.column_stack([xy[:, 0] * m_lon, xy[:, 1] * m_lat])
    )


async def test_weights_make_the_workload(world: County) -> None:
    await _standard_territory(world)
    content = _csv([["区域", "驾驶人"], ["北区街道", 9000], ["南区街道", 1000], ["东镇", 5000]])
    assert (
        await _upload(world.admin, "/api/grids/figures/import", "d.csv", content)
    ).status_code == 200
    path = f"/api/grids/squadrons/{world.squadron_id}/settings"
    settings = (await world.admin.get(path)).json()
    assert settings["weights"] == {
        "road_km": 1.0,
        "drivers": 1.0,
        "vehicles": 0.0,
        "accidents": 1.0,
        "difficulty": 1.0,
        "police": 0.0,
    }
    assert set(settings["figures"]) == set(settings["weights"])

    def check(units: list[dict[str, Any]], weights: dict[str, float]) -> None:
        totals = {f: sum(u[f] for u in units) for f in weights}
        live = {f: w for f, w in weights.items() if totals[f] > 0 and w > 0}
        scale = sum(live.values())
        for u in units:
            expected = sum(w / scale * u[f] / totals[f] for f, w in live.items())
            assert u["workload"] == pytest.approx(expected, rel=1e-4, abs=1e-7)

    check(await world.units(), settings["weights"])
    r = await world.admin.put(path, json={"weights": {"drivers": 3, "road_km": 1}})
    assert r.status_code == 200, r.text
    assert r.json()["weights"]["drivers"] == 3 and r.json()["weights"]["accidents"] == 0
    units = await world.units()
    check(units, r.json()["weights"])
    # Drivers weigh 3 of 4: the north bank (9,000 of 15,000 drivers) carries more than its km.
    north = sum(u["workload"] for u in units if u["area"] == NORTH)
    north_km = sum(u["road_km"] for u in units if u["area"] == NORTH) / sum(
        u["road_km"] for u in units
    )
    assert north == pytest.approx(0.75 * 9000 / 15000 + 0.25 * north_km, abs=1e-6)

    r = await world.admin.put(path, json={"weights": {"drivers": -1}})
    assert r.status_code == 422
    r = await world.admin.put(path, json={"weights": {"road_km": 0}})
    assert r.status_code == 422 and r.json()["details"][0]["code"] == "grids.bad_weights"
    r = await world.admin.put(path, json={"weights": {"speed": 1}})
    assert r.status_code == 422
    r = await world.admin.put(
        path, json={"accidents_from": "2025-01-01", "accidents_to": "2024-01-01"}
    )
    assert r.status_code == 422 and r.json()["details"][0]["code"] == "grids.bad_period"


async def test_difficulty_and_police_ratings(world: County) -> None:
    await _standard_territory(world)
    units = await world.units()
    one = next(u for u in units if u["area"] == SOUTH)
    path = f"/api/grids/squadrons/{world.squadron_id}/ratings"
    r = await world.admin.put(
        path,
        json={
            "items": [
                {"unit": f"a:{NORTH}", "difficulty": 4, "police": 6},
                {"unit": one["unit"], "difficulty": 5, "police": 2.5},
            ]
        },
    )
    assert r.status_code == 200, r.text
    assert {i["unit"] for i in r.json()["items"]} == {f"a:{NORTH}", one["unit"]}
    after = {u["unit"]: u for u in await world.units()}
    north = [u for u in after.values() if u["area"] == NORTH]
    for u in north:
        assert u["difficulty"] == pytest.approx(4 * u["road_km"], abs=1e-5)
    assert sum(u["police"] for u in north) == pytest.approx(6)
    assert after[one["unit"]]["difficulty"] == pytest.approx(5 * one["road_km"], abs=1e-5)
    assert after[one["unit"]]["police"] == pytest.approx(2.5)
    # Unrated units: difficulty 1 × km.
    town = after[f"a:{TOWN}"]
    assert town["difficulty"] == pytest.approx(town["road_km"], abs=1e-5)

    r = await world.admin.put(path, json={"items": [{"unit": "s:nope", "difficulty": 3}]})
    assert r.status_code == 422 and r.json()["code"] == "grids.unknown_units"
    r = await world.admin.put(path, json={"items": [{"unit": one["unit"], "difficulty": 6}]})
    assert r.status_code == 422
    r = await world.admin.put(path, json={"items": [{"unit": one["unit"]}]})  # both null: removed
    assert r.status_code == 200 and [i["unit"] for i in r.json()["items"]] == [f"a:{NORTH}"]
