"""The demo simulator keeps posted people on their own grid's roads, and the 见警率 it gives the
demo grids is a real number: neither nothing nor everything."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest

from patrolgrid.core.db import utcnow
from patrolgrid.demo.loader import load_demo
from patrolgrid.demo.simulator import Simulator
from patrolgrid.duty import presence_service
from patrolgrid.duty.presence import Slots, coverage
from patrolgrid.duty.presence_flows import plan_roads
from patrolgrid.grids import service as grids_service
from tests.conftest import Running

STEP_S = 40.0
STEPS = 45  # half an hour (a device may send 50 reports at once, then 10 a second)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_posted_people_patrol_their_own_grid_and_presence_is_believable(
    running: Running,
) -> None:
    app: Any = running.app
    async with running.db.sessions() as session:
        await load_demo(session, app.state.bus)
    simulator = Simulator(running.db, app.state.tracking, app.state.routing_graph)
    await simulator._prepare()
    posted = [w for w in simulator.walkers if w.grid is not None]
    assert len(posted) > 40
    assert {w.behaviour for w in posted} == {"patrol", "correct", "post"}

    start = utcnow() - dt.timedelta(seconds=STEP_S * STEPS + 60)
    for n in range(STEPS):
        await simulator.step(STEP_S, at=start + dt.timedelta(seconds=STEP_S * n))
    end = start + dt.timedelta(seconds=STEP_S * STEPS)

    rates: list[float] = []
    patrols = 0
    async with running.db.sessions() as session:
        for plan in await grids_service.list_plans(session, None, None):
            if plan.status != "active":
                continue
            roads = await plan_roads(session, app.state.grids, plan)
            for grid in roads.grids:
                walkers = [w for w in posted if w.grid is not None and w.grid.grid_id == grid.id]
                people = [w.person_id for w in walkers]
                track = await presence_service.track(session, people, start, end)
                assert len(track) > 0
                grid_roads = roads.roads[grid.id]
                # Every position lies on the grid's own roads (a post's jitter is ~3 m).
                x, y = grid_roads.frame.metres(track.lon, track.lat)
                on_road, _ = grid_roads.near(x, y, 6.0)
                assert set(on_road.tolist()) == set(range(len(track))), grid.name
                # Patrols move along them, stopping at a crossing now and then: each covered at
                # least half a kilometre in the half hour (unless their phone went quiet: the
                # simulator's phones do, now and then, for longer than this test runs).
                for walker in walkers:
                    mine = track.person == people.index(walker.person_id)
                    if walker.behaviour == "patrol" and mine.sum() >= STEPS // 2:
                        travelled = np.hypot(np.diff(x[mine]), np.diff(y[mine])).sum()
                        assert travelled > 500, (grid.name, walker.person_id, travelled)
                        patrols += 1
                slots = Slots.of(start, end, 10, end)
                rates.append(
                    coverage(grid_roads, slots, track, len(people), 100.0).covered
                    / (grid_roads.count * slots.count)
                )
    assert len(rates) == 18  # 4 + 4 + 3 + 3 + 4 grids
    assert patrols >= 18  # at least a patrol per grid was measured
    assert all(0.0 < r < 1.0 for r in rates), rates
    assert 0.05 < float(np.median(rates)) < 0.9, rates
