"""An SOS reaches the raiser's grid members (posted to the same grid in the active plan) even
when they are off duty, besides the squadron's people on duty; posts in a retired plan do not
count. On both databases, in the river town."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from patrolgrid.core.audit import SYSTEM
from patrolgrid.core.auth import Role
from patrolgrid.duty.models import DutyPost
from patrolgrid.grids.models import GridPlan, PlanGrid
from patrolgrid.org import flows as org_flows
from tests.river_town import INCIDENT, Town


async def _person(commander: httpx.AsyncClient, town: Town, badge: str, name: str) -> int:
    r = await commander.post(
        "/api/org/people",
        json={
            "name": name,
            "badge_no": badge,
            "kind": "auxiliary",
            "post": "巡逻",
            "mobile": f"1370000{badge[-4:]}",
            "squadron_id": town.squadron_id,
        },
    )
    assert r.status_code == 201, r.text
    person_id: int = r.json()["id"]
    return person_id


async def _grid(town: Town, version: int, status: str) -> int:
    async with town.running.db.sessions() as session:
        plan = GridPlan(
            squadron_id=town.squadron_id,
            version=version,
            name=f"方案{version}",
            status=status,
            k=1,
            method="copy",
            params={},
            created_by="test",
        )
        session.add(plan)
        await session.flush()
        grid = PlanGrid(plan_id=plan.id, number=1, name="滨江网格", colour="#3cb44b")
        session.add(grid)
        await session.commit()
        return grid.id


async def test_an_sos_reaches_the_grid_members(town: Town) -> None:
    commander = await town.running.login("zhou")
    teammate = await _person(commander, town, "A0001", "网格辅警")
    former = await _person(commander, town, "A0002", "旧网格辅警")
    user_id = await town.running.add_user("fujing", Role.auxiliary)
    async with town.running.db.sessions() as session:
        await org_flows.link_user(
            session,
            town.running.app.state.bus,  # type: ignore[attr-defined]
            teammate,
            user_id,
            SYSTEM,
        )
    active_grid = await _grid(town, 1, "active")
    retired_grid = await _grid(town, 2, "retired")
    posts: list[dict[str, Any]] = [
        {"grid_id": active_grid, "person_id": town.south.person_id, "role": "lead"},
        {"grid_id": active_grid, "person_id": teammate, "role": "member", "duty": "patrol"},
    ]
    for body in posts:
        r = await commander.post("/api/duty/posts", json=body)
        assert r.status_code == 201, r.text
    # A post the retired plan held (inserted as history: a retired plan takes no new posts).
    async with town.running.db.sessions() as session:
        retired = await session.get(PlanGrid, retired_grid)
        assert retired is not None
        plan_id = retired.plan_id
        session.add(
            DutyPost(
                plan_id=plan_id,
                grid_id=retired_grid,
                person_id=former,
                role="member",
                duty="patrol",
                created_by="test",
            )
        )
        await session.commit()

    phone = await town.running.app.state.bus.subscribe([f"user.{user_id}"])  # type: ignore[attr-defined]
    r = await town.south.client.post(
        "/api/command/sos",
        json={"client_ref": "press-9001", "lon": INCIDENT[0], "lat": INCIDENT[1]},
    )
    assert r.status_code == 200, r.text
    responders = {p["person_id"]: p["reason"] for p in r.json()["responders"]}
    # The teammate is off duty (no status at all) and still told; the squadron's officer on
    # duty as before; the former grid member is not.
    assert responders == {teammate: "grid", town.north.person_id: "group"}
    while True:
        event = await asyncio.wait_for(phone.get(), 5)
        if event.name == "sos.alert":
            break
    assert event.critical and event.data["person_id"] == town.south.person_id
    await phone.close()
    await commander.aclose()
