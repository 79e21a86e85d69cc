"""The demo county's duty: every grid of every active plan has one 路警 (a police officer) and
路员 with varied duties, every squadron has the three shifts (the night one not required to
cover every grid), the current and next week are rostered, with no empty grid flagged at night;
loading again changes nothing."""

from __future__ import annotations

import datetime as dt

import httpx
from sqlalchemy import func, select

from patrolgrid.core.auth import Role
from patrolgrid.core.bus import MemoryBus
from patrolgrid.core.db import utcnow
from patrolgrid.demo import data
from patrolgrid.demo.loader import load_demo
from patrolgrid.duty.models import DutyPost, DutyShift, RosterEntry, local_today, week_start
from tests.conftest import Running


async def _counts(running: Running) -> tuple[int, int, int]:
    async with running.db.sessions() as session:
        return (
            int(await session.scalar(select(func.count(DutyPost.id))) or 0),
            int(await session.scalar(select(func.count(DutyShift.id))) or 0),
            int(await session.scalar(select(func.count(RosterEntry.id))) or 0),
        )


async def test_demo_has_posts_shifts_and_a_roster(running: Running) -> None:
    bus = MemoryBus()
    async with running.db.sessions() as session:
        assert await load_demo(session, bus) is True
    client = await running.login("zhou", Role.commander)
    this_week = week_start(local_today(utcnow()))
    next_week = this_week + dt.timedelta(days=7)
    plans = (await client.get("/api/grids/plans", params={"status": "active"})).json()["items"]
    assert plans
    duties: set[str] = set()
    for plan in plans:
        squadron = plan["squadron_id"]
        r = await client.get(f"/api/duty/squadrons/{squadron}/posts")
        assert r.status_code == 200, r.text
        view = r.json()
        assert view["plan"]["id"] == plan["id"]
        assert len(view["grids"]) == plan["k"]
        for grid in view["grids"]:
            assert grid["lead"] is not None and grid["lead"]["kind"] == "police", grid
            assert grid["members"], grid
            assert all(m["person"]["kind"] != "police" for m in grid["members"])
            assert grid["flags"] == []
            duties.update(m["duty"] for m in grid["members"])
        assert all(p["kind"] == "police" for p in view["unposted"])  # every 路员 has a grid

        shifts = (await client.get(f"/api/duty/squadrons/{squadron}/shifts")).json()["items"]
        assert [(s["name"], s["starts"], s["ends"], s["coverage_required"]) for s in shifts] == [
            ("早班", "07:00", "15:00", True),
            ("中班", "15:00", "23:00", True),
            ("夜班", "23:00", "07:00", False),  # worked by the 夜巡 patrols, not every grid
        ]
        day_shifts = {s["id"] for s in shifts if s["coverage_required"]}
        for monday in (this_week, next_week):
            r = await client.get(
                f"/api/duty/squadrons/{squadron}/roster", params={"week": monday.isoformat()}
            )
            week = r.json()
            leads = {g["lead"]["id"] for g in view["grids"]}
            rostered = {e["person"]["id"] for e in week["entries"]}
            assert leads <= rostered
            assert not [c for c in week["conflicts"] if c["code"] == "duty.conflict.double_booked"]
            for grid in view["grids"]:
                days_with_lead = {
                    e["day"]
                    for e in week["entries"]
                    if e["grid_id"] == grid["grid_id"] and e["person"]["id"] == grid["lead"]["id"]
                }
                assert len(days_with_lead) == 7
            # No empty grid flagged at night; by day each grid's team works one of the two
            # shifts together, so each grid is flagged once a day, in the other one.
            uncovered = [c for c in week["conflicts"] if c["code"] == "duty.conflict.uncovered"]
            assert {c["shift_id"] for c in uncovered} <= day_shifts
            assert len(uncovered) == 7 * len(view["grids"])
            assert {(c["grid_id"], c["day"]) for c in uncovered} == {
                (g["grid_id"], day) for g in view["grids"] for day in week["days"]
            }
    assert duties >= {"patrol", "correct", "post", "peak", "night"}

    # The demo officer's phone shows their grid and shift.
    officer = httpx.AsyncClient(transport=running.client._transport, base_url="http://testserver")
    r = await officer.post(
        "/api/auth/login", json={"username": "officer", "password": data.DEMO_PASSWORD}
    )
    assert r.status_code == 200, r.text
    me = (await officer.get("/api/duty/me")).json()
    assert me["role"] == "lead" and me["grid"] is not None and me["members"]
    assert me["shifts"] and all(s["grid_id"] == me["grid"]["grid_id"] for s in me["shifts"])
    await officer.aclose()

    counts = await _counts(running)
    async with running.db.sessions() as session:
        assert await load_demo(session, bus) is False
    assert await _counts(running) == counts
    await client.aclose()
