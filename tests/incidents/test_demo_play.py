"""The demo plays the whole incident flow by itself: raise, dispatch, accept, drive, arrive (by
the real arrival watch), handle, close."""

from __future__ import annotations

import asyncio

from patrolgrid.demo.incident_play import Pace
from patrolgrid.demo.loader import load_demo
from patrolgrid.demo.simulator import Simulator
from patrolgrid.incidents import service
from tests.conftest import Running

AT_ONCE = Pace(
    raise_every=(3600.0, 3600.0),
    dispatch_after=0.0,
    close_after=0.0,
    answer_after=(0.0, 0.0),
    on_scene_for=(0.0, 0.0),
    ignore_chance=0.0,
)


async def _incident_status(running: Running) -> str:
    async with running.db.sessions() as session:
        rows, _ = await service.list_incidents(session, service.Filters(), 10, 0)
    assert len(rows) == 1
    return rows[0].status


async def test_the_demo_plays_an_incident_from_call_to_close(running: Running) -> None:
    app = running.app
    async with running.db.sessions() as session:
        await load_demo(session, app.state.bus)  # type: ignore[attr-defined]
    simulator = Simulator(
        running.db,
        app.state.tracking,  # type: ignore[attr-defined]
        app.state.routing_graph,  # type: ignore[attr-defined]
        app.state.incidents,  # type: ignore[attr-defined]
    )
    assert simulator.play is not None
    simulator.play.pace = AT_ONCE
    await simulator._prepare()
    await simulator.step(5.0)  # positions in; an incident raised, dispatched and accepted
    assert await _incident_status(running) == "en_route"
    for _ in range(100):  # drive there (a long step covers the whole route) ...
        await simulator.step(600.0)
        if await _incident_status(running) == "on_scene":
            break
        await asyncio.sleep(0.1)  # ... until the arrival watch hears the position
    assert await _incident_status(running) == "on_scene"
    for _ in range(3):
        await simulator.step(5.0)
    assert await _incident_status(running) == "closed"
    async with running.db.sessions() as session:
        (incident,), _ = await service.list_incidents(session, service.Filters(), 1, 0)
        kinds = [e.kind for e in await service.timeline(session, incident.id)]
    assert kinds == [
        "created",
        "dispatched",
        "accepted",
        "en_route",
        "arrived",
        "handled",
        "closed",
    ]
