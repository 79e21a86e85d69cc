"""见警率 / 管事率 on both databases: the hand-computed value from a track stored through the real
ingest, who counts (post holders, or the roster when there is one), the coverage map, the table
and its XLSX, and bad requests. Plus the pure computation against shapely's own distances."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import AsyncIterator
from typing import Any

import numpy as np
import pytest
import shapely
from openpyxl import load_workbook
from sqlalchemy import update

from patrolgrid.core.audit import Actor
from patrolgrid.core.auth import Role
from patrolgrid.duty.presence import Roads, Slots, Track, coverage
from patrolgrid.incidents.flows import Doer
from patrolgrid.incidents.models import CHINA_TIME, Incident
from tests.conftest import Running
from tests.duty.presence_town import E300, FAR_AWAY, N300, OFF_ROAD, W300, Town, build_town

# The day before today (China time), so that every slot of the 08:00–09:00 shift has begun.
DAY = dt.datetime.now(CHINA_TIME).date() - dt.timedelta(days=1)


def at(hhmm: str, day: dt.date = DAY) -> dt.datetime:
    """A local (China time) moment of DAY."""
    return dt.datetime.combine(day, dt.time.fromisoformat(hhmm), CHINA_TIME)


@pytest.fixture
async def town(running: Running) -> AsyncIterator[Town]:
    built = await build_town(running)
    yield built
    await built.admin.aclose()


async def _presence(town: Town, **params: Any) -> dict[str, Any]:
    r = await town.admin.get(f"/api/duty/squadrons/{town.squadron}/presence", params=params)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_presence_rate_from_a_recorded_track_matches_the_hand_count(town: Town) -> None:
    shift = await town.shift("早班", "08:00", "09:00")
    # 警甲 (the grid's 路警, on duty as its post holder: no roster that day) reports:
    await town.report("警甲", N300, at("07:55"))  # before the shift: not counted
    await town.report("警甲", W300, at("08:12"))  # slot 1 (08:10–08:20): 西路
    await town.report("警甲", E300, at("08:15"))  # slot 1: 东路
    await town.report("警甲", E300, at("08:33"))  # slot 3 (08:30–08:40): 东路
    await town.report("警甲", W300, at("08:36"))  # slot 3: 西路
    await town.report("警甲", OFF_ROAD, at("08:38"))  # slot 3, 150 m from 西路: no road near
    await town.report("警甲", N300, at("09:05"))  # after the shift: not counted
    await town.report("警乙", N300, at("08:45"))  # on 北路 but holds no post here: not counted
    #
    # By hand: 3 segments × 6 slots of 10 minutes = 18 cells. Covered: 西路 and 东路 in slot 1,
    # 西路 and 东路 in slot 3 = 4 cells. 见警率 = 4 / 18 = 0.2222. 北路 has none.
    # 警甲 reported in 5 distinct minutes of the window (08:12, 08:15, 08:33, 08:36, 08:38).
    body = await _presence(town, day=DAY.isoformat(), shift_id=shift)
    assert body["slot_minutes"] == 10 and body["radius_m"] == 100 and body["slots"] == 6
    assert dt.datetime.fromisoformat(body["window_start"]) == at("08:00")
    assert dt.datetime.fromisoformat(body["window_end"]) == at("09:00")
    (grid,) = body["grids"]
    assert grid["grid_id"] == town.grid_id
    assert (grid["segments"], grid["slots"], grid["cells"], grid["covered"]) == (3, 6, 18, 4)
    assert grid["presence_rate"] == pytest.approx(4 / 18, abs=1e-4)
    people = {p["person"]["name"]: p for p in grid["people"]}
    assert sorted(people) == ["警甲", "辅甲"]  # the post holders
    lead = people["警甲"]
    assert lead["role"] == "lead" and lead["rostered"] is False
    assert (lead["points"], lead["minutes_on_duty"], lead["covered"]) == (5, 5, 4)
    assert lead["presence_rate"] == pytest.approx(4 / 18, abs=1e-4)
    assert people["辅甲"]["covered"] == 0 and people["辅甲"]["duty"] == "patrol"

    # The coverage map: each road's share of the 6 slots.
    r = await town.admin.get(
        f"/api/duty/grids/{town.grid_id}/coverage",
        params={"day": DAY.isoformat(), "shift_id": shift},
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/geo+json")
    collection = r.json()
    share = {f["properties"]["name"]: f["properties"] for f in collection["features"]}
    assert share["西路"]["covered"] == share["东路"]["covered"] == 2
    assert share["西路"]["presence"] == pytest.approx(2 / 6, abs=1e-4)
    assert share["北路"]["covered"] == 0 and share["北路"]["presence"] == 0
    assert collection["presence_rate"] == pytest.approx(4 / 18, abs=1e-4)
    assert all(f["geometry"]["type"] == "LineString" for f in collection["features"])


async def test_with_a_roster_only_the_rostered_count(town: Town) -> None:
    shift = await town.shift("早班", "08:00", "09:00")
    r = await town.admin.post(
        "/api/duty/roster",
        json={
            "grid_id": town.grid_id,
            "person_id": town.people["辅甲"],
            "day": DAY.isoformat(),
            "shift_id": shift,
            "duty": "patrol",
        },
    )
    assert r.status_code == 201, r.text
    await town.report("警甲", W300, at("08:12"))  # the 路警 is not rostered that day
    await town.report("辅甲", N300, at("08:45"))  # slot 4: 北路
    await town.report("辅甲", N300, at("08:47"))  # the same cell again
    # By hand: 辅甲 covers 北路 in slot 4 only: 1 / 18.
    (grid,) = (await _presence(town, day=DAY.isoformat(), shift_id=shift))["grids"]
    assert grid["covered"] == 1
    assert grid["presence_rate"] == pytest.approx(1 / 18, abs=1e-4)
    (person,) = grid["people"]
    assert person["person"]["name"] == "辅甲" and person["rostered"] is True
    assert person["role"] == "member" and person["covered"] == 1


async def test_by_default_the_shift_on_now_from_the_day_it_began(town: Town) -> None:
    # A 23-hour shift that began 22 hours ago (an overnight shift, so yesterday's when the clock
    # has passed midnight since): asked without day or shift, that is the one measured.
    now = dt.datetime.now(CHINA_TIME)
    starts, ends = (now + dt.timedelta(hours=h) for h in (2, 1))
    shift = await town.shift("长班", starts.strftime("%H:%M"), ends.strftime("%H:%M"))
    await town.report("警甲", W300, now - dt.timedelta(minutes=30))
    body = await _presence(town)
    assert body["shift"]["id"] == shift
    assert body["day"] == (now - dt.timedelta(hours=22)).date().isoformat()
    assert body["slots"] == 22 * 6 + 1  # the slots begun so far (the 133rd has just begun)
    (grid,) = body["grids"]
    assert grid["covered"] == 1
    # With the shift named and no day, the same.
    assert (await _presence(town, shift_id=shift))["day"] == body["day"]


async def _incident(town: Town, point: tuple[float, float]) -> int:
    r = await town.admin.post(
        "/api/incidents",
        json={"source": "hotline", "type": "blocking", "lon": point[0], "lat": point[1]},
    )
    assert r.status_code == 201, r.text
    incident_id: int = r.json()["id"]
    return incident_id


async def _handle(town: Town, incident_id: int, person: str) -> None:
    """Dispatched to `person`, who accepts, sets off, arrives and finishes: 处置完毕."""
    app: Any = town.running.app
    await town.status(person, "patrolling")
    r = await town.admin.post(
        f"/api/incidents/{incident_id}/dispatch", json={"person_ids": [town.people[person]]}
    )
    assert r.status_code == 200, r.text
    (assignment,) = r.json()["assignments"]
    doer = Doer(Actor(user_id=None, name="test"), person)
    async with town.running.db.sessions() as session:
        for step in ("accept", "depart", "arrive", "handled"):
            await app.state.incidents.step(
                session, assignment["id"], town.people[person], step, doer
            )


async def test_handling_rate_counts_events_handled_by_the_grid_people(town: Town) -> None:
    shift = await town.shift("早班", "08:00", "09:00")
    by_lead = await _incident(town, W300)
    await _handle(town, by_lead, "警甲")  # the grid's 路警: handled by the grid
    by_outsider = await _incident(town, E300)
    await _handle(town, by_outsider, "警乙")  # handled, but by someone with no post here
    await _incident(town, N300)  # never handled
    await _incident(town, FAR_AWAY)  # no road of the grid within 200 m: not the grid's
    cancelled = await _incident(town, N300)
    r = await town.admin.post(f"/api/incidents/{cancelled}/cancel", json={"reason": "误报"})
    assert r.status_code == 200, r.text
    async with town.running.db.sessions() as session:  # received during the shift
        await session.execute(update(Incident).values(created_at=at("08:20")))
        await session.commit()
    # By hand: 3 events in the grid (not the far one, not the cancelled one), 1 handled by the
    # grid's people: 管事率 = 1 / 3.
    (grid,) = (await _presence(town, day=DAY.isoformat(), shift_id=shift))["grids"]
    assert (grid["events"], grid["handled"]) == (3, 1)
    assert grid["handling_rate"] == pytest.approx(1 / 3, abs=1e-4)
    people = {p["person"]["name"]: p for p in grid["people"]}
    assert people["警甲"]["handled"] == 1 and people["辅甲"]["handled"] == 0

    # No events in another shift of the day: 管事率 is null, not 0.
    late = await town.shift("中班", "15:00", "23:00")
    (grid,) = (await _presence(town, day=DAY.isoformat(), shift_id=late))["grids"]
    assert grid["events"] == 0 and grid["handling_rate"] is None


async def test_table_rows_per_grid_and_person_and_the_xlsx(town: Town) -> None:
    shift = await town.shift("早班", "08:00", "09:00")
    await town.report("警甲", W300, at("08:12"))
    params = {"from": DAY.isoformat(), "to": DAY.isoformat()}
    r = await town.admin.get(f"/api/duty/squadrons/{town.squadron}/presence/table", params=params)
    assert r.status_code == 200, r.text
    rows = r.json()["rows"]
    assert [(row["person"] or {}).get("name") for row in rows] == [None, "警甲", "辅甲"]
    grid_row, lead_row, _ = rows
    assert grid_row["shift_id"] == shift and grid_row["cells"] == 18 and grid_row["covered"] == 1
    assert grid_row["presence_rate"] == pytest.approx(1 / 18, abs=1e-4)
    assert grid_row["handling_rate"] is None and grid_row["minutes_on_duty"] == 1
    assert lead_row["role"] == "lead" and lead_row["covered"] == 1

    r = await town.admin.get(
        f"/api/duty/squadrons/{town.squadron}/presence/table", params={**params, "format": "xlsx"}
    )
    assert r.status_code == 200, r.text
    assert "attachment" in r.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(r.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[1][:4] == ["日期", "班次", "网格", "人员"]
    assert values[2][3] == "(网格合计)" and values[3][3] == "警甲"


async def test_bad_requests_are_refused_with_codes_and_both_languages(
    town: Town, running: Running
) -> None:
    r = await town.admin.get(f"/api/duty/squadrons/{town.squadron}/presence")
    assert r.status_code == 404 and r.json()["code"] == "duty.no_shifts"
    shift = await town.shift("早班", "08:00", "09:00")
    elsewhere = await town.shift("早班", "08:00", "09:00", squadron=town.other_squadron)
    base = f"/api/duty/squadrons/{town.squadron}"
    cases = [
        (f"{base}/presence", {"day": "2026-13-01"}, 422, "validation_error"),
        (f"{base}/presence", {"day": "1999-12-31"}, 422, "validation_error"),
        (
            f"{base}/presence",
            {"day": DAY.isoformat(), "shift_id": 999_999},
            404,
            "duty.shift_not_found",
        ),
        (f"{base}/presence", {"shift_id": elsewhere}, 422, "duty.other_squadron"),
        (f"{base}/presence", {"shift_id": "x"}, 422, "validation_error"),
        ("/api/duty/squadrons/999999/presence", {}, 404, "duty.squadron_not_found"),
        (f"/api/duty/squadrons/{town.other_squadron}/presence", {}, 404, "duty.no_plan"),
        ("/api/duty/grids/999999/coverage", {"shift_id": shift}, 404, "duty.grid_not_found"),
        (
            f"/api/duty/grids/{town.grid_id}/coverage",
            {"shift_id": elsewhere},
            422,
            "duty.other_squadron",
        ),
        (
            f"{base}/presence/table",
            {"from": "2026-03-02", "to": "2026-03-01"},
            422,
            "duty.bad_range",
        ),
        (
            f"{base}/presence/table",
            {"from": "2026-01-01", "to": "2026-03-01"},
            422,
            "duty.range_too_long",
        ),
        (f"{base}/presence/table", {"from": "2026-03-01"}, 422, "validation_error"),
        (
            f"{base}/presence/table",
            {"from": "2026-03-01", "to": "2026-03-01", "format": "pdf"},
            422,
            "validation_error",
        ),
    ]
    for path, params, status, code in cases:
        r = await town.admin.get(path, params=params)
        assert r.status_code == status, (path, params, r.text)
        body = r.json()
        assert body["code"] == code, (path, params, body)
        assert body["message"]["zh"] and body["message"]["en"]
    # The day's own rule speaks both languages in the field's details.
    r = await town.admin.get(f"{base}/presence", params={"day": "1999-12-31"})
    (detail,) = r.json()["details"]
    assert detail["code"] == "duty.bad_day" and detail["message"]["zh"]

    field = await running.login("fu", Role.auxiliary)  # no duty:read
    r = await field.get(f"{base}/presence")
    assert r.status_code == 403
    await field.aclose()


# ---- the pure computation ----------------------------------------------------------------------


def test_the_hash_join_finds_exactly_the_pairs_shapely_finds() -> None:
    rng = np.random.default_rng(3)
    keys, coords = [], []
    for i in range(120):
        x, y = 108.70 + rng.uniform(0, 0.02), 30.92 + rng.uniform(0, 0.02)
        line = [(x, y)]
        for _ in range(int(rng.integers(1, 4))):
            x, y = x + rng.normal(0, 0.001), y + rng.normal(0, 0.001)
            line.append((x, y))
        keys.append(f"k{i}")
        coords.append(line)
    roads = Roads.from_lonlat(keys, coords)
    lon = 108.70 + rng.uniform(-0.002, 0.022, 20_000)
    lat = 30.92 + rng.uniform(-0.002, 0.022, 20_000)
    x, y = roads.frame.metres(lon, lat)
    tree = shapely.STRtree(roads.lines())
    for radius in (15.0, 100.0, 400.0):
        point, segment = roads.near(x, y, radius)
        expected = tree.query(shapely.points(x, y), predicate="dwithin", distance=radius)
        assert set(zip(point.tolist(), segment.tolist(), strict=True)) == set(
            zip(expected[0].tolist(), expected[1].tolist(), strict=True)
        )


def test_slots_of_a_shift_in_progress_and_a_short_last_slot() -> None:
    start = dt.datetime(2026, 3, 1, 0, 0, tzinfo=dt.UTC)
    end = start + dt.timedelta(minutes=55)
    assert Slots.of(start, end, 10, start + dt.timedelta(hours=2)).count == 6  # 50–55 is one
    assert Slots.of(start, end, 10, start + dt.timedelta(minutes=21)).count == 3
    assert Slots.of(start, end, 10, start - dt.timedelta(minutes=1)).count == 0
    roads = Roads.from_lonlat(["a"], [[(108.7, 30.93), (108.71, 30.93)]])
    slots = Slots.of(start, end, 10, start)
    track = Track(
        person=np.zeros(1, dtype=np.int64),
        epoch_s=np.array([start.timestamp() + 60]),
        lon=np.array([108.705]),
        lat=np.array([30.93]),
    )
    nothing_yet = coverage(roads, slots, track, 1, 100.0)
    assert nothing_yet.cells == 0 and nothing_yet.covered == 0
