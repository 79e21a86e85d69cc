"""辅警单独巡逻 on both databases, over a real socket: a 路员 patrolling with no police officer of
their grid near raises an alert once it has lasted `duty_alone_after_seconds`, a console hears it
(critical on the bus), and it ends when the officer comes near or the 路员 goes off duty."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import httpx
import numpy as np
import pytest
from websockets.asyncio.client import connect

from patrolgrid.config import Settings
from patrolgrid.core.auth import Role
from patrolgrid.core.bus import Event
from patrolgrid.core.db import utcnow
from patrolgrid.duty.alone import together
from tests.conftest import Running
from tests.core.test_realtime import Server, _next, _subscribe, server  # noqa: F401
from tests.duty.presence_town import Town, build_town, east

AFTER_S = 30.0


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.duty_alone_after_seconds = AFTER_S
    settings.duty_alone_sweep_seconds = 3600.0  # the test sweeps by itself
    return settings


@pytest.fixture
async def town(server: Server) -> AsyncIterator[Town]:  # noqa: F811
    app: Any = server.app
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    built = await build_town(Running(app=app, client=client, db=app.state.db))
    yield built
    await built.admin.aclose()
    await client.aclose()


async def _walk(town: Town, name: str, start_m: float, seconds: list[float]) -> None:
    """Reports `seconds` ago, walking east along 西路/东路 at 1.5 m/s from `start_m`."""
    now = utcnow()
    for ago in seconds:
        metres = start_m + 1.5 * (seconds[0] - ago)
        await town.report(name, east(metres), now - dt.timedelta(seconds=ago))


async def test_alone_for_the_set_time_opens_a_critical_alert_and_an_officer_near_ends_it(
    server: Server,  # noqa: F811
    town: Town,
) -> None:
    app: Any = server.app
    watch = app.state.alone
    events: list[Event] = []
    subscription = await app.state.bus.subscribe(["duty"])
    await town.status("辅甲", "patrolling")
    await town.status("警甲", "patrolling")
    token = await server.token_for("desk", Role.operator)
    async with connect(f"{server.url}?token={token}") as console:
        await _subscribe(console, "duty")

        # 10 s of reports, 辅甲 on 西路 and 警甲 1 km away on 东路: not alone for 30 s yet.
        await _walk(town, "辅甲", -550, [10, 5, 0])
        await _walk(town, "警甲", 450, [10, 5, 0])
        assert await watch.sweep() == ([], [])

        # The history fills in: both have reported for 50 s, never within 300 m.
        await _walk(town, "辅甲", -580, [50, 40, 30, 20, 15])
        await _walk(town, "警甲", 420, [50, 40, 30, 20, 15])
        opened, closed = await watch.sweep()
        assert len(opened) == 1 and closed == []
        heard = await _next(console, "event")
        assert heard["topic"] == "duty" and heard["event"] == "duty.alone"
        alert = heard["data"]
        assert alert["state"] == "opened" and alert["open"] is True
        assert alert["person"]["name"] == "辅甲" and alert["grid_id"] == town.grid_id
        # Whose grid it is, since grid names repeat across squadrons.
        assert alert["squadron_id"] == town.squadron and alert["squadron_name"] == "城区中队"
        assert alert["nearest_lead_m"] == pytest.approx(1000, abs=20)
        event = await subscription.get()
        assert event.name == "duty.alone" and event.critical is True
        events.append(event)
        assert await watch.sweep() == ([], [])  # one open alert per person

        r = await town.admin.get("/api/duty/alerts", params={"open": "true"})
        assert [a["id"] for a in r.json()["items"]] == opened
        listed = r.json()["items"][0]
        assert (listed["squadron_id"], listed["squadron_name"]) == (town.squadron, "城区中队")
        assert listed["grid_name"] == alert["grid_name"]
        r = await town.admin.post(f"/api/duty/alerts/{opened[0]}/ack")
        assert r.status_code == 200, r.text
        assert r.json()["acknowledged_by"] and r.json()["open"] is True
        assert (await _next(console, "event"))["data"]["state"] == "acknowledged"

        # 警甲 comes to 辅甲: within 300 m, the alert ends.
        await town.report("警甲", east(-500), utcnow())
        await town.report("辅甲", east(-520), utcnow())
        assert await watch.sweep() == ([], opened)
        ended = await _next(console, "event")
        assert ended["data"]["state"] == "closed" and ended["data"]["ended_at"] is not None
        event = await subscription.get()
        assert event.data["state"] == "acknowledged"
        event = await subscription.get()
        assert event.data["state"] == "closed" and event.critical is False
    await subscription.close()

    r = await town.admin.get("/api/duty/alerts", params={"open": "false"})
    assert [a["id"] for a in r.json()["items"]] == opened
    r = await town.admin.get("/api/admin/audit", params={"entity_type": "duty_alert"})
    actions = {e["action"] for e in r.json()["items"]}
    assert {"duty.alone_opened", "duty.alone_acknowledged", "duty.alone_closed"} <= actions


async def test_going_off_duty_ends_it_and_standing_at_a_post_raises_none(
    town: Town,
) -> None:
    app: Any = town.running.app
    watch = app.state.alone
    await town.status("辅甲", "on_duty")  # at a post, not moving
    await _walk(town, "辅甲", -580, [50, 40, 30, 20, 10, 0])
    assert await watch.sweep() == ([], [])

    await town.status("辅甲", "patrolling")  # sets off alone; 警甲 has no position at all
    opened, _ = await watch.sweep()
    assert len(opened) == 1
    r = await town.admin.get("/api/duty/alerts", params={"open": "true"})
    assert r.json()["items"][0]["nearest_lead_m"] is None

    await town.status("辅甲", "off_duty")
    assert await watch.sweep() == ([], opened)

    r = await town.admin.post("/api/duty/alerts/999999/ack")
    assert r.status_code == 404 and r.json()["code"] == "duty.alert_not_found"
    r = await town.admin.get("/api/duty/alerts", params={"limit": 0})
    assert r.status_code == 422
    field = await town.running.login("fu", Role.auxiliary)
    assert (await field.get("/api/duty/alerts")).status_code == 403
    assert (await field.post(f"/api/duty/alerts/{opened[0]}/ack")).status_code == 403
    await field.aclose()


def test_together_pairs_positions_close_in_time_and_space() -> None:
    def track(*points: tuple[float, float, float]) -> Any:
        t, lon, lat = zip(*points, strict=True)
        return np.array(t), np.array(lon), np.array(lat)

    mine = track((0.0, *east(0)), (200.0, *east(0)))
    assert together(mine, track((150.0, *east(200))), 300)  # 50 s and 200 m apart
    assert not together(mine, track((100.0, *east(200))), 300)  # 100 s from either of mine
    assert not together(mine, track((0.0, *east(400)), (200.0, *east(400))), 300)
    nobody = (np.zeros(0), np.zeros(0), np.zeros(0))
    assert not together(mine, nobody, 300)
