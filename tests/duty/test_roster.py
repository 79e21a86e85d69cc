"""Shifts and the weekly roster through the API, on both databases: shift rules (times, night
shifts, names, in use), roster entries and what they refuse, every conflict code (double booking
across midnight and across weeks, uncovered grids, 路员 outside their grid or without police),
the fill rule, one's own duty and a person's card, events and audit rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from patrolgrid.core.audit import SYSTEM
from patrolgrid.core.auth import Role
from patrolgrid.duty import flows
from patrolgrid.duty.models import CHINA_TIME, RosterEntry, local_today, shift_window
from patrolgrid.org import flows as org_flows
from tests.duty.conftest import Duty

MONDAY = dt.date(2030, 3, 4)  # ISO week 10
WEEK = [(MONDAY + dt.timedelta(days=i)).isoformat() for i in range(7)]


def _code(response: Any) -> str:
    code: str = response.json()["code"]
    return code


async def _entry_count(duty: Duty) -> int:
    async with duty.running.db.sessions() as session:
        return int(await session.scalar(select(func.count(RosterEntry.id))) or 0)


async def _team(duty: Duty) -> None:
    """警一 + 辅一 (patrol), 辅二 (night) in grid 1; 警二 + 辅三 in grid 2; grid 3 empty."""
    grid1, grid2, _ = duty.grids["active"]
    assert (await duty.lead(grid1, "警一")).status_code == 201
    assert (await duty.member(grid1, "辅一", "patrol")).status_code == 201
    assert (await duty.member(grid1, "辅二", "night")).status_code == 201
    assert (await duty.lead(grid2, "警二")).status_code == 201
    assert (await duty.member(grid2, "辅三", "correct")).status_code == 201


def _conflicts(week: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [c for c in week["conflicts"] if c["code"] == code]


def test_shift_windows_in_china_time() -> None:
    start, end = shift_window(MONDAY, "23:00", "07:00")
    assert start == dt.datetime(2030, 3, 4, 23, 0, tzinfo=CHINA_TIME)
    assert end == dt.datetime(2030, 3, 5, 7, 0, tzinfo=CHINA_TIME)
    assert end.astimezone(dt.UTC) == dt.datetime(2030, 3, 4, 23, 0, tzinfo=dt.UTC)
    start, end = shift_window(MONDAY, "08:00", "08:00")  # a 24-hour duty
    assert end - start == dt.timedelta(hours=24)
    start, end = shift_window(MONDAY, "07:00", "15:00")
    assert end - start == dt.timedelta(hours=8)
    # The local day, not the UTC one: 01:00 in Beijing is still the previous day in UTC.
    assert local_today(dt.datetime(2030, 3, 4, 17, 0, tzinfo=dt.UTC)) == dt.date(2030, 3, 5)


async def test_shifts(duty: Duty) -> None:
    await duty.add_shifts()
    url = f"/api/duty/squadrons/{duty.squadron}/shifts"
    r = await duty.admin.get(url)
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [(s["name"], s["starts"], s["ends"], s["overnight"], s["position"]) for s in items] == [
        ("早班", "07:00", "15:00", False, 0),
        ("中班", "15:00", "23:00", False, 1),
        ("夜班", "23:00", "07:00", True, 2),
    ]
    assert set(items[0]) == {
        "id",
        "name",
        "starts",
        "ends",
        "colour",
        "position",
        "overnight",
        "coverage_required",
    }
    assert all(s["coverage_required"] is True for s in items)  # the default

    for body, code in (
        ({"name": "早班", "starts": "06:00", "ends": "14:00"}, "duty.shift_name_taken"),
    ):
        r = await duty.admin.post(url, json=body)
        assert r.status_code == 409 and _code(r) == code, r.text
    bad: list[tuple[dict[str, Any], str]] = [
        ({"name": "x", "starts": "24:00", "ends": "08:00"}, "duty.bad_time"),
        ({"name": "x", "starts": "7:00", "ends": "08:00"}, "string_too_short"),
        ({"name": "x", "starts": "07:60", "ends": "08:00"}, "duty.bad_time"),
        ({"name": "x", "starts": "07:00", "ends": "ab:cd"}, "duty.bad_time"),
        ({"name": "  ", "starts": "07:00", "ends": "08:00"}, "duty.name_required"),
        ({"name": "a\nb", "starts": "07:00", "ends": "08:00"}, "text.control_characters"),
        ({"name": "x" * 21, "starts": "07:00", "ends": "08:00"}, "string_too_long"),
        ({"name": "x", "starts": "07:00", "ends": "08:00", "colour": "red"}, "grids.bad_colour"),
        ({"name": "x", "starts": "07:00", "ends": "08:00", "position": -1}, "greater_than_equal"),
        ({"name": "x", "starts": "07:00"}, "missing"),
        # A yes/no, not a word or a number that could mean one.
        ({"name": "x", "starts": "07:00", "ends": "08:00", "coverage_required": "no"}, "bool_type"),
        ({"name": "x", "starts": "07:00", "ends": "08:00", "coverage_required": 0}, "bool_type"),
        ({"name": "x", "starts": "07:00", "ends": "08:00", "coverage_required": None}, "bool_type"),
    ]
    for body, code in bad:
        r = await duty.admin.post(url, json=body)
        assert r.status_code == 422, (body, r.text)
        assert code in {d["code"] for d in r.json()["details"]}, (body, r.text)
    assert (
        await duty.admin.post(
            "/api/duty/squadrons/999999/shifts",
            json={"name": "x", "starts": "07:00", "ends": "08:00"},
        )
    ).status_code == 404

    early = duty.shifts["早班"]
    r = await duty.admin.patch(
        f"/api/duty/shifts/{early}", json={"starts": "06:30", "colour": "#ABCDEF"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["starts"] == "06:30" and r.json()["colour"] == "#abcdef"
    r = await duty.admin.patch(f"/api/duty/shifts/{early}", json={"name": "中班"})
    assert r.status_code == 409 and _code(r) == "duty.shift_name_taken"
    r = await duty.admin.patch(f"/api/duty/shifts/{early}", json={"ends": "25:00"})
    assert r.status_code == 422
    night = duty.shifts["夜班"]
    r = await duty.admin.patch(f"/api/duty/shifts/{night}", json={"coverage_required": "false"})
    assert r.status_code == 422 and r.json()["details"][0]["code"] == "bool_type", r.text
    r = await duty.admin.patch(f"/api/duty/shifts/{night}", json={"coverage_required": False})
    assert r.status_code == 200 and r.json()["coverage_required"] is False, r.text
    r = await duty.admin.patch(f"/api/duty/shifts/{night}", json={"name": "夜巡班"})
    assert r.json()["coverage_required"] is False  # a change of something else keeps it
    assert (
        await duty.admin.patch("/api/duty/shifts/999999", json={"name": "y"})
    ).status_code == 404

    # At most MAX_SHIFTS per squadron.
    for n in range(9):
        r = await duty.admin.post(
            url, json={"name": f"加班{n}", "starts": "08:00", "ends": "09:00"}
        )
        assert r.status_code == 201, r.text
    r = await duty.admin.post(url, json={"name": "再加", "starts": "08:00", "ends": "09:00"})
    assert r.status_code == 409 and _code(r) == "duty.too_many_shifts"

    extra_id = (await duty.admin.get(url)).json()["items"][-1]["id"]
    assert (await duty.admin.delete(f"/api/duty/shifts/{extra_id}")).status_code == 204
    assert (await duty.admin.delete(f"/api/duty/shifts/{extra_id}")).status_code == 404
    # A shift with roster entries is a record: it stays.
    await _team(duty)
    assert (await duty.roster(duty.grids["active"][0], "警一", WEEK[0], "早班")).status_code == 201
    r = await duty.admin.delete(f"/api/duty/shifts/{early}")
    assert r.status_code == 409 and _code(r) == "duty.shift_in_use"
    assert r.json()["details"] == {"entries": 1}

    assert len(await duty.audit("duty.shift_created")) == 12
    updated = await duty.audit("duty.shift_updated")
    assert len(updated) == 3
    assert [
        (e["before"]["coverage_required"], e["after"]["coverage_required"])
        for e in updated
        if e["entity_id"] == str(night)
    ] == [(False, False), (True, False)]  # newest first: the rename, then coverage off
    deleted = await duty.audit("duty.shift_deleted")
    assert len(deleted) == 1 and deleted[0]["before"]["name"] == "加班8"

    operator = await duty.running.login("lin", Role.operator)
    try:
        assert (await operator.get(url)).status_code == 200
        r = await operator.post(url, json={"name": "y", "starts": "08:00", "ends": "09:00"})
        assert r.status_code == 403
    finally:
        await operator.aclose()


async def test_roster_entries_and_what_they_refuse(duty: Duty) -> None:
    await duty.add_shifts()
    await _team(duty)
    grid1 = duty.grids["active"][0]
    r = await duty.roster(grid1, "警一", WEEK[0], "早班")
    assert r.status_code == 201, r.text
    lead = r.json()
    assert lead["role"] == "lead" and lead["duty"] is None and lead["day"] == WEEK[0]
    assert lead["person"]["name"] == "警一" and lead["shift_id"] == duty.shifts["早班"]
    r = await duty.roster(grid1, "辅一", WEEK[0], "早班")  # duty from the post
    assert r.status_code == 201 and r.json()["duty"] == "patrol" and r.json()["role"] == "member"
    r = await duty.roster(grid1, "辅二", WEEK[0], "早班", duty="peak")  # a different duty today
    assert r.status_code == 201 and r.json()["duty"] == "peak"
    before = await _entry_count(duty)

    r = await duty.roster(grid1, "警一", WEEK[0], "早班")
    assert r.status_code == 409 and _code(r) == "duty.roster_duplicate"
    cases: list[tuple[int, str, str, dict[str, Any], int, str]] = [
        (grid1, "警一", WEEK[1], {"duty": "patrol"}, 422, "duty.duty_not_for_lead"),
        (grid1, "辅四", WEEK[1], {}, 422, "duty.duty_required"),  # no post, no duty given
        (grid1, "东辅", WEEK[1], {"duty": "patrol"}, 422, "duty.wrong_squadron"),
        (grid1, "停用警", WEEK[1], {}, 422, "duty.person_inactive"),
        (duty.grids["draft"][0], "警一", WEEK[1], {}, 409, "duty.plan_not_active"),
        (duty.grids["retired"][0], "警一", WEEK[1], {}, 409, "duty.plan_retired"),
        (999_999, "警一", WEEK[1], {}, 404, "duty.grid_not_found"),
    ]
    for grid, person, day, extra, status, code in cases:
        r = await duty.roster(grid, person, day, "早班", **extra)
        assert r.status_code == status and _code(r) == code, (person, r.text)
    # A shift of another squadron, an unknown shift or person.
    r = await duty.admin.post(
        f"/api/duty/squadrons/{duty.other_squadron}/shifts",
        json={"name": "东早", "starts": "07:00", "ends": "15:00"},
    )
    other_shift = r.json()["id"]
    body = {"grid_id": grid1, "person_id": duty.people["警一"], "day": WEEK[2]}
    for shift_id, status, code in (
        (other_shift, 422, "duty.wrong_squadron"),
        (999_999, 404, "duty.shift_not_found"),
    ):
        r = await duty.admin.post("/api/duty/roster", json={**body, "shift_id": shift_id})
        assert r.status_code == status and _code(r) == code, r.text
    r = await duty.admin.post(
        "/api/duty/roster", json={**body, "shift_id": duty.shifts["早班"], "person_id": 999_999}
    )
    assert r.status_code == 404 and _code(r) == "duty.person_not_found"
    for day, code in (
        ("2030-02-30", "date_from_datetime_parsing"),
        ("1999-12-31", "duty.bad_day"),
        ("2100-01-01", "duty.bad_day"),
        ("yesterday", "date_from_datetime_parsing"),
        ("", "date_from_datetime_parsing"),
    ):
        r = await duty.admin.post(
            "/api/duty/roster", json={**body, "day": day, "shift_id": duty.shifts["早班"]}
        )
        assert r.status_code == 422, (day, r.text)
        assert code in {d["code"] for d in r.json()["details"]}, (day, r.text)
    r = await duty.admin.post(
        "/api/duty/roster",
        json={**body, "shift_id": duty.shifts["早班"], "duty": "dance"},
    )
    assert r.status_code == 422 and _code(r) == "validation_error"
    assert await _entry_count(duty) == before

    added = await duty.audit("duty.roster_added")
    assert len(added) == 3 and added[-1]["entity_type"] == "duty_roster"
    assert added[-1]["after"] == {
        "grid_id": grid1,
        "person_id": duty.people["警一"],
        "day": WEEK[0],
        "shift_id": duty.shifts["早班"],
        "duty": None,
    }
    r = await duty.admin.delete(f"/api/duty/roster/{lead['id']}")
    assert r.status_code == 204
    r = await duty.admin.delete(f"/api/duty/roster/{lead['id']}")
    assert r.status_code == 404 and _code(r) == "duty.entry_not_found"
    removed = await duty.audit("duty.roster_removed")
    assert len(removed) == 1 and removed[0]["before"]["person_id"] == duty.people["警一"]
    assert await _entry_count(duty) == before - 1


async def test_the_week_and_every_conflict(duty: Duty) -> None:
    await duty.add_shifts()
    await _team(duty)
    grid1, grid2, grid3 = duty.grids["active"]
    tuesday_morning = (
        await duty.admin.post(
            f"/api/duty/squadrons/{duty.squadron}/shifts",
            json={"name": "长白班", "starts": "06:00", "ends": "10:00"},
        )
    ).json()["id"]
    duty.shifts["长白班"] = tuesday_morning
    ok = [
        (grid1, "警一", WEEK[0], "早班"),
        (grid1, "辅一", WEEK[0], "早班"),  # fine: posted here, with their 路警
        (grid2, "辅一", WEEK[0], "中班"),  # outside their grid, and grid 2 has no police then
        (grid2, "警四", WEEK[1], "早班"),  # a stand-in officer, no post
        (grid2, "辅三", WEEK[1], "早班"),  # with the stand-in: not without police
        (grid1, "辅二", WEEK[0], "夜班"),  # Monday 23:00 to Tuesday 07:00 ...
        (grid1, "辅二", WEEK[1], "长白班"),  # ... and Tuesday 06:00-10:00: overlap
        (grid1, "辅二", WEEK[2], "早班"),
        (grid3, "辅二", WEEK[2], "早班"),  # the same shift in two grids
        (grid1, "公二", WEEK[3], "早班"),  # 路员 without any post in the plan
        (grid1, "警一", WEEK[3], "早班"),
    ]
    for grid, person, day, shift in ok:
        r = await duty.roster(
            grid, person, day, shift, **({"duty": "post"} if person == "公二" else {})
        )
        assert r.status_code == 201, (person, day, r.text)
    # Sunday night of the week before reaches into Monday's 06:00-10:00 long shift, which also
    # overlaps 辅一's Monday early shift.
    r = await duty.roster(grid1, "辅一", (MONDAY - dt.timedelta(days=1)).isoformat(), "夜班")
    assert r.status_code == 201
    sunday_night = r.json()["id"]
    r = await duty.roster(grid3, "辅一", WEEK[0], "长白班")
    assert r.status_code == 201
    monday_long = r.json()["id"]
    # The night shift Monday to Tuesday 07:00 does not clash with Tuesday's 07:00 early shift.
    r = await duty.roster(grid1, "警一", WEEK[0], "夜班")
    assert r.status_code == 201
    r = await duty.roster(grid1, "警一", WEEK[1], "早班")
    assert r.status_code == 201

    week = await duty.week(WEEK[3])  # any day of the week
    assert week["week_start"] == WEEK[0] and week["days"] == WEEK
    assert week["plan"] == {"id": duty.plans["active"], "name": "方案1"}
    assert [s["name"] for s in week["shifts"]] == ["早班", "中班", "夜班", "长白班"]
    assert [g["grid_id"] for g in week["grids"]] == [grid1, grid2, grid3]
    assert all(g["plan_id"] == duty.plans["active"] for g in week["grids"])
    assert len(week["entries"]) == len(ok) + 3  # not the Sunday before
    ids = {
        (e["person"]["name"], e["day"], e["shift_id"], e["grid_id"]): e["id"]
        for e in week["entries"]
    }
    shift = duty.shifts

    double = {tuple(c["entry_ids"]): c for c in _conflicts(week, "duty.conflict.double_booked")}
    night_then_long = tuple(
        sorted(
            (
                ids[("辅二", WEEK[0], shift["夜班"], grid1)],
                ids[("辅二", WEEK[1], shift["长白班"], grid1)],
            )
        )
    )
    two_grids = tuple(
        sorted(
            (
                ids[("辅二", WEEK[2], shift["早班"], grid1)],
                ids[("辅二", WEEK[2], shift["早班"], grid3)],
            )
        )
    )
    long_and_early = tuple(sorted((monday_long, ids[("辅一", WEEK[0], shift["早班"], grid1)])))
    from_last_week = tuple(sorted((sunday_night, monday_long)))
    # Not 警一's night shift then early shift, which only touch at 07:00.
    assert set(double) == {night_then_long, two_grids, long_and_early, from_last_week}
    crossing = double[night_then_long]
    assert crossing["day"] == WEEK[0] and crossing["shift_id"] == shift["夜班"]
    assert crossing["person_ids"] == [duty.people["辅二"]] and crossing["grid_id"] is None
    assert "辅二" in crossing["message"]["zh"] and "辅二" in crossing["message"]["en"]
    # Reported on the day of this week's entry.
    assert double[from_last_week]["day"] == WEEK[0]
    assert double[from_last_week]["shift_id"] == tuesday_morning

    outside = {
        (c["person_ids"][0], c["grid_id"], c["day"])
        for c in _conflicts(week, "duty.conflict.member_outside_grid")
    }
    assert outside == {
        (duty.people["辅一"], grid2, WEEK[0]),
        (duty.people["辅一"], grid3, WEEK[0]),
        (duty.people["辅二"], grid3, WEEK[2]),
        (duty.people["公二"], grid1, WEEK[3]),
    }
    without = {
        (c["person_ids"][0], c["grid_id"], c["day"], c["shift_id"])
        for c in _conflicts(week, "duty.conflict.member_without_lead")
    }
    assert without == {
        (duty.people["辅一"], grid2, WEEK[0], duty.shifts["中班"]),
        (duty.people["辅一"], grid3, WEEK[0], tuesday_morning),
        (duty.people["辅二"], grid1, WEEK[1], tuesday_morning),
        (duty.people["辅二"], grid1, WEEK[2], duty.shifts["早班"]),
        (duty.people["辅二"], grid3, WEEK[2], duty.shifts["早班"]),
    }
    uncovered = _conflicts(week, "duty.conflict.uncovered")
    covered = {(e["day"], e["shift_id"], e["grid_id"]) for e in week["entries"]}
    assert len(uncovered) == 7 * 4 * 3 - len(covered)
    assert all(c["person_ids"] == [] and c["entry_ids"] == [] for c in uncovered)
    first = next(c for c in uncovered if c["grid_id"] == grid3 and c["day"] == WEEK[0])
    assert first["message"]["zh"] == "网格3在早班无人值守"

    # Another week's view leaves these out; an empty squadron's week is just uncovered cells.
    later = await duty.week((MONDAY + dt.timedelta(days=7)).isoformat())
    assert later["entries"] == [] and len(later["conflicts"]) == 7 * 4 * 3
    for params, status in (
        ({"week": "2030-13-01"}, 422),
        ({"week": "1999-01-01"}, 422),
        ({"week": "9999-12-31"}, 422),
    ):
        r = await duty.admin.get(f"/api/duty/squadrons/{duty.squadron}/roster", params=params)
        assert r.status_code == status, (params, r.text)
    assert (await duty.admin.get("/api/duty/squadrons/999999/roster")).status_code == 404
    r = await duty.admin.get(f"/api/duty/squadrons/{duty.squadron}/roster")  # this week
    assert r.status_code == 200 and dt.date.fromisoformat(r.json()["week_start"]).weekday() == 0


async def test_a_shift_without_required_coverage_flags_no_empty_grid(duty: Duty) -> None:
    """The night worked by the 夜巡 patrols, not by every grid: its empty grids are not flagged,
    but the other rules still hold in it (a 路员 on without police)."""
    await duty.add_shifts()
    await _team(duty)
    grid1 = duty.grids["active"][0]
    night = duty.shifts["夜班"]
    r = await duty.admin.patch(f"/api/duty/shifts/{night}", json={"coverage_required": False})
    assert r.status_code == 200 and r.json()["coverage_required"] is False
    r = await duty.admin.post(
        f"/api/duty/squadrons/{duty.squadron}/shifts",
        json={"name": "午高峰", "starts": "11:00", "ends": "13:00", "coverage_required": False},
    )
    assert r.status_code == 201 and r.json()["coverage_required"] is False, r.text
    peak = r.json()["id"]
    assert (await duty.roster(grid1, "辅二", WEEK[0], "夜班")).status_code == 201

    week = await duty.week(WEEK[0])
    assert [s["coverage_required"] for s in week["shifts"]] == [True, True, False, False]
    uncovered = _conflicts(week, "duty.conflict.uncovered")
    assert {c["shift_id"] for c in uncovered} == {duty.shifts["早班"], duty.shifts["中班"]}
    assert len(uncovered) == 7 * 3 * 2  # days × grids × the two day shifts; none at night
    assert peak not in {c["shift_id"] for c in week["conflicts"]}
    without = _conflicts(week, "duty.conflict.member_without_lead")
    assert [(c["person_ids"], c["shift_id"]) for c in without] == [([duty.people["辅二"]], night)]

    # Required again: every grid's empty night is flagged (not grid 1's Monday night).
    r = await duty.admin.patch(f"/api/duty/shifts/{night}", json={"coverage_required": True})
    assert r.status_code == 200
    uncovered = _conflicts(await duty.week(WEEK[0]), "duty.conflict.uncovered")
    nights = [c for c in uncovered if c["shift_id"] == night]
    assert len(nights) == 7 * 3 - 1
    assert not [c for c in nights if c["grid_id"] == grid1 and c["day"] == WEEK[0]]


async def test_fill_a_week_from_the_posts(duty: Duty) -> None:
    await duty.add_shifts()
    await _team(duty)
    grid1, grid2, _ = duty.grids["active"]
    url = f"/api/duty/squadrons/{duty.squadron}/roster/fill"
    # A midday peak shift that need not cover every grid: the teams do not rotate into it, or
    # a team there would leave one of the shifts that must be covered empty.
    r = await duty.admin.post(
        f"/api/duty/squadrons/{duty.squadron}/shifts",
        json={"name": "午高峰", "starts": "11:00", "ends": "13:00", "coverage_required": False},
    )
    assert r.status_code == 201, r.text
    # A hand-made entry first: 辅三 works in grid 1 on Wednesday; the fill leaves that day.
    assert (await duty.roster(grid1, "辅三", WEEK[2], "早班")).status_code == 201

    r = await duty.admin.post(url, json={"week": WEEK[4]})
    assert r.status_code == 200, r.text
    week = r.json()
    assert week["week_start"] == WEEK[0]
    by_person: dict[str, list[dict[str, Any]]] = {}
    for e in week["entries"]:
        by_person.setdefault(e["person"]["name"], []).append(e)
    early, late, night = duty.shifts["早班"], duty.shifts["中班"], duty.shifts["夜班"]
    # ISO week 10: grid 1 on the late shift, grid 2 on the early one.
    assert {(e["grid_id"], e["shift_id"]) for e in by_person["警一"]} == {(grid1, late)}
    assert {(e["grid_id"], e["shift_id"], e["duty"]) for e in by_person["辅一"]} == {
        (grid1, late, "patrol")
    }
    assert {(e["grid_id"], e["shift_id"], e["duty"]) for e in by_person["辅二"]} == {
        (grid1, night, "night")
    }
    assert {(e["grid_id"], e["shift_id"]) for e in by_person["警二"]} == {(grid2, early)}
    assert [e["day"] for e in by_person["警一"]] == WEEK
    assert sorted(e["day"] for e in by_person["辅三"]) == WEEK  # Wednesday: the hand-made one
    assert [e["grid_id"] for e in by_person["辅三"] if e["day"] == WEEK[2]] == [grid1]
    assert set(by_person) == {"警一", "辅一", "辅二", "警二", "辅三"}
    codes = {c["code"] for c in week["conflicts"]}
    assert "duty.conflict.double_booked" not in codes
    # What one officer per grid cannot cover is flagged: grid 3 has no posts, the night 路员
    # works without police, the other day shift of each grid is uncovered.
    without = _conflicts(week, "duty.conflict.member_without_lead")
    assert {c["person_ids"][0] for c in without} == {duty.people["辅二"], duty.people["辅三"]}
    assert len(_conflicts(week, "duty.conflict.member_outside_grid")) == 1
    filled = await duty.audit("duty.roster_filled")
    assert filled[0]["after"] == {
        "plan_id": duty.plans["active"],
        "week_start": WEEK[0],
        "replace": False,
        "added": 34,
        "removed": 0,
    }

    # Again without replace: nothing to add. With replace: the same week made afresh.
    count = await _entry_count(duty)
    r = await duty.admin.post(url, json={"week": WEEK[0]})
    assert r.status_code == 200 and await _entry_count(duty) == count
    r = await duty.admin.post(url, json={"week": WEEK[0], "replace": True})
    assert r.status_code == 200
    assert await _entry_count(duty) == count
    assert (await duty.audit("duty.roster_filled"))[0]["after"]["removed"] == 35
    after = {e["person"]["name"]: e for e in r.json()["entries"] if e["day"] == WEEK[2]}
    assert after["辅三"]["grid_id"] == grid2

    # The next week turns the day shifts over.
    nxt = (
        await duty.admin.post(url, json={"week": (MONDAY + dt.timedelta(days=7)).isoformat()})
    ).json()
    assert {e["shift_id"] for e in nxt["entries"] if e["person"]["name"] == "警一"} == {early}
    assert {e["shift_id"] for e in nxt["entries"] if e["person"]["name"] == "警二"} == {late}

    for body in (
        {},
        {"week": "2030-02-30"},
        {"week": WEEK[0], "replace": "sometimes"},
        {"week": WEEK[0], "x": 1},
    ):
        r = await duty.admin.post(url, json=body)
        assert r.status_code == 422, (body, r.text)
    r = await duty.admin.post("/api/org/squadrons", json={"name": "新中队", "code": "SQC"})
    r = await duty.admin.post(
        f"/api/duty/squadrons/{r.json()['id']}/roster/fill", json={"week": WEEK[0]}
    )
    assert r.status_code == 404 and _code(r) == "duty.no_plan"
    r = await duty.admin.post(
        f"/api/duty/squadrons/{duty.other_squadron}/roster/fill", json={"week": WEEK[0]}
    )
    assert r.status_code == 409 and _code(r) == "duty.no_shifts"


async def test_my_duty_and_a_persons_card(duty: Duty) -> None:
    await duty.add_shifts()
    await _team(duty)
    grid1 = duty.grids["active"][0]
    full_day = (
        await duty.admin.post(
            f"/api/duty/squadrons/{duty.squadron}/shifts",
            json={"name": "全天", "starts": "00:00", "ends": "00:00"},
        )
    ).json()["id"]
    duty.shifts["全天"] = full_day
    user_id = await duty.running.add_user("fu", Role.auxiliary)
    async with duty.running.db.sessions() as session:
        await org_flows.link_user(
            session,
            duty.running.app.state.bus,  # type: ignore[attr-defined]
            duty.people["辅一"],
            user_id,
            SYSTEM,
        )
    today = local_today(dt.datetime.now(dt.UTC))
    assert (await duty.roster(grid1, "辅一", today.isoformat(), "全天")).status_code == 201
    in_three_days = (today + dt.timedelta(days=3)).isoformat()
    assert (await duty.roster(grid1, "辅一", in_three_days, "早班")).status_code == 201
    week_on = (today + dt.timedelta(days=7)).isoformat()
    assert (await duty.roster(grid1, "辅一", week_on, "早班")).status_code == 201

    phone = await duty.running.login("fu")
    try:
        r = await phone.get("/api/duty/me")
        assert r.status_code == 200, r.text
        me = r.json()
        assert me["person"]["name"] == "辅一" and me["squadron"]["id"] == duty.squadron
        assert me["grid"]["grid_id"] == grid1 and me["grid"]["plan_id"] == duty.plans["active"]
        assert me["role"] == "member" and me["duty"] == "patrol"
        assert me["lead"]["name"] == "警一"
        assert [(m["person"]["name"], m["duty"]) for m in me["members"]] == [
            ("辅一", "patrol"),
            ("辅二", "night"),
        ]
        assert [(s["day"], s["shift"]["name"], s["on_now"]) for s in me["shifts"]] == [
            (today.isoformat(), "全天", True),
            (in_three_days, "早班", False),
        ]
        assert me["on_duty_now"] is True
        # The person card needs tracking:read, which a phone account does not have.
        assert (await phone.get(f"/api/duty/people/{duty.people['辅一']}")).status_code == 403
    finally:
        await phone.aclose()

    r = await duty.admin.get(f"/api/duty/people/{duty.people['辅一']}")
    assert r.status_code == 200, r.text
    card = r.json()
    assert card["grid"]["grid_id"] == grid1 and card["role"] == "member"
    assert card["shift_now"]["shift"]["name"] == "全天" and card["shift_now"]["grid_id"] == grid1
    r = await duty.admin.get(f"/api/duty/people/{duty.people['警三']}")
    assert r.json() == {
        "person_id": duty.people["警三"],
        "grid": None,
        "role": None,
        "duty": None,
        "shift_now": None,
    }
    assert (await duty.admin.get("/api/duty/people/999999")).status_code == 404
    r = await duty.admin.get("/api/duty/me")  # the commander is nobody's person
    assert r.status_code == 404 and _code(r) == "duty.no_person"


async def test_last_nights_shift_is_on_until_morning(duty: Duty) -> None:
    await duty.add_shifts()
    await _team(duty)
    grid1 = duty.grids["active"][0]
    assert (await duty.roster(grid1, "辅二", WEEK[0], "夜班")).status_code == 201
    user_id = await duty.running.add_user("ye", Role.auxiliary)
    async with duty.running.db.sessions() as session:
        await org_flows.link_user(
            session,
            duty.running.app.state.bus,  # type: ignore[attr-defined]
            duty.people["辅二"],
            user_id,
            SYSTEM,
        )
        tuesday_2am = dt.datetime(2030, 3, 5, 2, 0, tzinfo=CHINA_TIME)
        me = await flows.my_duty(session, user_id, tuesday_2am)
        assert [(s.day, s.on_now) for s in me.shifts] == [(MONDAY, True)]
        assert me.on_duty_now
        card = await flows.person_duty(session, duty.people["辅二"], tuesday_2am)
        assert card.shift_now is not None and card.shift_now.shift.name == "夜班"
        tuesday_8am = dt.datetime(2030, 3, 5, 8, 0, tzinfo=CHINA_TIME)
        me = await flows.my_duty(session, user_id, tuesday_8am)
        assert me.shifts == [] and not me.on_duty_now
        monday_noon = dt.datetime(2030, 3, 4, 12, 0, tzinfo=CHINA_TIME)
        me = await flows.my_duty(session, user_id, monday_noon)
        assert [(s.day, s.on_now) for s in me.shifts] == [(MONDAY, False)]
