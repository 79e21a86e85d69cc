"""The demo county's grids: territories from the demo data, generated figures labelled as such,
and an activated designed plan per squadron, loaded once."""

from __future__ import annotations

from sqlalchemy import func, select

from patrolgrid.core.auth import Role
from patrolgrid.core.bus import MemoryBus
from patrolgrid.demo import data
from patrolgrid.demo.loader import load_demo
from patrolgrid.grids.models import Accident, GridPlan
from tests.conftest import Running


async def test_demo_has_territories_figures_and_an_active_plan_per_squadron(
    running: Running,
) -> None:
    bus = MemoryBus()
    async with running.db.sessions() as session:
        assert await load_demo(session, bus) is True
    client = await running.login("zhou", Role.commander)
    squadrons = {
        s["code"]: s["id"] for s in (await client.get("/api/org/squadrons")).json()["items"]
    }
    areas = {a["name"]: a for a in (await client.get("/api/grids/areas")).json()["items"]}
    for code, names in data.SQUADRON_AREAS.items():
        for name in names:
            assert areas[name]["squadron_id"] == squadrons[code]
            assert areas[name]["generated"] is True and areas[name]["drivers"] > 0
    assert areas["双江街道"]["granularity"] == "segments"
    assert areas["黄石镇"]["granularity"] == "area"

    accidents = (await client.get("/api/grids/accidents/summary")).json()
    assert accidents["total"] == accidents["generated"] > 0
    assert [y["year"] for y in accidents["years"]] == [2024, 2025]
    assert all(y["snapped"] == y["accidents"] for y in accidents["years"])

    plans = (await client.get("/api/grids/plans", params={"status": "active"})).json()["items"]
    assert sorted(p["squadron_id"] for p in plans) == sorted(squadrons.values())
    for plan in plans:
        code = next(c for c, i in squadrons.items() if i == plan["squadron_id"])
        assert plan["k"] == data.DEMO_GRIDS[code]
        detail = (await client.get(f"/api/grids/plans/{plan['id']}")).json()
        evaluation = detail["evaluation"]
        assert evaluation["unassigned_units"] == [] and evaluation["vanished_units"] == []
        assert all(g["contiguous"] for g in evaluation["grids"]), (code, evaluation)
        figures = (await client.get(f"/api/grids/squadrons/{plan['squadron_id']}/figures")).json()
        assert figures["generated"] is True and figures["totals"]["accidents"] > 0
        if code in ("SQ01", "SQ02"):  # town centres, split by road segment
            assert evaluation["summary"]["max_deviation"] <= 0.06
    # The river is the designs' barrier.
    assert all(p["params"]["barriers"] for p in plans)

    async with running.db.sessions() as session:
        assert await load_demo(session, bus) is False
        assert await session.scalar(select(func.count(GridPlan.id))) == len(plans)
        assert await session.scalar(select(func.count(Accident.id))) == accidents["total"]
    await client.aclose()
