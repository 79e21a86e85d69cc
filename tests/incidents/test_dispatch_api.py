"""Receive → dispatch → accept → arrive → handle → close through the API, on both databases,
with real routing on a small river town and the officers' phones reporting over /osmand."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from patrolgrid.config import Settings
from patrolgrid.core.audit import AuditEntry
from patrolgrid.core.auth import Role
from patrolgrid.incidents.models import Incident
from tests.river_town import INCIDENT, NORTH_OFFICER, Town

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Short enough to watch a timeout happen inside a test.
    return settings.model_copy(
        update={"dispatch_accept_timeout_seconds": 1.0, "dispatch_sweep_seconds": 0.2}
    )


async def _status(town: Town, person_id: int) -> str:
    people = (await town.console.get("/api/tracking/people")).json()["items"]
    status: str = next(p["status"] for p in people if p["person_id"] == person_id)
    return status


async def _eventually(check: Any, seconds: float = 5.0) -> Any:
    for _ in range(int(seconds / 0.05)):
        result = await check()
        if result:
            return result
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def test_the_nearer_officer_by_road_is_ranked_first(town: Town) -> None:
    incident = await town.create_incident()
    assert incident["road_name"] == "滨江路"
    assert str(incident["code"]).startswith("JQ")
    r = await town.console.get(f"/api/incidents/{incident['id']}/recommendations")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["routed"] is True
    first, second = body["items"]
    assert first["person_id"] == town.south.person_id
    assert second["person_id"] == town.north.person_id
    # The north bank officer is nearer in a straight line, far by road (round by the bridge).
    assert second["straight_m"] < first["straight_m"]
    assert second["road_m"] > 7_000 > 1_500 > first["road_m"] > 1_300
    assert first["eta_seconds"] < second["eta_seconds"]


async def test_the_whole_flow_is_timed_and_statuses_follow(town: Town) -> None:
    incident = await town.create_incident()
    iid = incident["id"]
    r = await town.console.post(
        f"/api/incidents/{iid}/dispatch", json={"person_ids": [town.south.person_id]}
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "dispatched"
    (assignment,) = r.json()["assignments"]
    assert assignment["eta_seconds"] > 0 and assignment["distance_m"] > 1_300

    mine = (await town.south.client.get("/api/incidents/mine")).json()["items"]
    assert [m["assignment"]["id"] for m in mine] == [assignment["id"]]
    assert mine[0]["incident"]["navigation"]["amap"].startswith("https://uri.amap.com/")
    aid = assignment["id"]

    r = await town.south.client.post(f"/api/incidents/assignments/{aid}/accept")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "accepted"
    assert await _status(town, town.south.person_id) == "en_route"
    r = await town.south.client.post(f"/api/incidents/assignments/{aid}/depart")
    assert r.json()["status"] == "en_route"

    # Driving up to the scene: inside 50 m, arrival is recorded without a button.
    await town.report(town.south, INCIDENT[0] + 0.0003, INCIDENT[1])

    async def arrived() -> bool:
        got = (await town.console.get(f"/api/incidents/{iid}")).json()
        return bool(got["status"] == "on_scene")

    await _eventually(arrived)
    assert await _status(town, town.south.person_id) == "on_scene"

    r = await town.south.client.post(
        f"/api/incidents/assignments/{aid}/handled", json={"note": "三轮车已挪走"}
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "handled"
    assert await _status(town, town.south.person_id) == "patrolling"

    r = await town.console.post(f"/api/incidents/{iid}/close", json={"note": "结案"})
    assert r.status_code == 200, r.text
    final = r.json()
    assert final["status"] == "closed"
    assert final["outcome"] == "三轮车已挪走"
    kinds = [e["kind"] for e in final["timeline"]]
    assert kinds == [
        "created",
        "dispatched",
        "accepted",
        "en_route",
        "arrived",
        "handled",
        "closed",
    ]
    arrived_entry = final["timeline"][4]
    assert arrived_entry["data"] == {"how": "auto"}
    assert all(v is not None and v >= 0 for v in final["durations"].values())
    assert final["assignments"][0]["arrived_how"] == "auto"

    async with town.running.db.sessions() as session:
        actions = set(
            await session.scalars(
                select(AuditEntry.action).where(AuditEntry.entity_type == "incident")
            )
        )
    assert {
        "incident.created",
        "incident.dispatched",
        "incident.accept",
        "incident.closed",
    } <= actions

    metrics = (await town.console.get("/api/incidents/metrics?group_by=type")).json()
    assert metrics["total"]["incidents"] == 1 and metrics["total"]["handled"] == 1
    (blocking,) = metrics["groups"]
    assert blocking["key"] == "blocking" and blocking["label"] == "占道/堵路"
    assert blocking["dispatch_to_arrive"]["count"] == 1


async def test_an_unaccepted_dispatch_alerts_and_offers_the_next_officer(town: Town) -> None:
    bus = town.running.app.state.bus  # type: ignore[attr-defined]
    alerts = await bus.subscribe(["incidents"])
    incident = await town.create_incident()
    iid = incident["id"]
    await town.console.post(
        f"/api/incidents/{iid}/dispatch", json={"person_ids": [town.south.person_id]}
    )

    async def timed_out() -> dict[str, Any] | None:
        while True:
            event = await asyncio.wait_for(alerts.get(), 5)
            if event.name == "alert" and event.data["reason"] == "timeout":
                return event.data

    alert = await timed_out()
    await alerts.close()
    assert alert["incident_id"] == iid and alert["person_name"] == "南岸"
    assert alert["next"]["person_id"] == town.north.person_id
    detail = (await town.console.get(f"/api/incidents/{iid}")).json()
    assert detail["alert"] is True and detail["assignments"][0]["overdue"] is True
    assert detail["timeline"][-1]["kind"] == "timeout"

    # The operator takes the offer: 改派 to the next officer.
    r = await town.console.post(
        f"/api/incidents/assignments/{alert['assignment_id']}/reassign",
        json={"person_id": town.north.person_id, "reason": "超时未接警"},
    )
    assert r.status_code == 200, r.text
    statuses = {a["person_id"]: a["status"] for a in r.json()["assignments"]}
    assert statuses == {town.south.person_id: "withdrawn", town.north.person_id: "dispatched"}
    # The one who was tried goes to the end of the list.
    recs = (await town.console.get(f"/api/incidents/{iid}/recommendations")).json()["items"]
    assert [c["person_id"] for c in recs] == [town.south.person_id]
    assert recs[0]["tried"] is True


async def test_decline_withdraw_support_and_cancel(town: Town) -> None:
    incident = await town.create_incident()
    iid = incident["id"]
    r = await town.console.post(
        f"/api/incidents/{iid}/dispatch",
        json={"person_ids": [town.south.person_id, town.north.person_id]},
    )
    south, north = r.json()["assignments"]
    assert (south["support"], north["support"]) == (False, True)
    r = await town.north.client.post(
        f"/api/incidents/assignments/{north['id']}/decline", json={"reason": "车辆故障"}
    )
    assert r.status_code == 200, r.text
    await town.south.client.post(f"/api/incidents/assignments/{south['id']}/accept")
    r = await town.console.post(
        f"/api/incidents/{iid}/cancel", json={"reason": "报警人称已自行解决"}
    )
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "cancelled"
    assert {a["status"] for a in body["assignments"]} == {"declined", "withdrawn"}
    assert await _status(town, town.south.person_id) == "patrolling"
    # A finished incident takes no more steps.
    r = await town.south.client.post(f"/api/incidents/assignments/{south['id']}/depart")
    assert r.status_code == 409 and r.json()["code"] == "incidents.finished"


async def test_officer_reports_and_handles_on_the_spot(town: Town) -> None:
    r = await town.north.client.post(
        "/api/incidents/report",
        json={"type": "illegal_parking", "description": "违停占用公交站", "handle_myself": True},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["source"] == "officer" and body["status"] == "on_scene"
    assert (body["lon"], body["lat"]) == NORTH_OFFICER
    assert body["road_name"] == "北岸路"
    assert await _status(town, town.north.person_id) == "on_scene"
    (mine,) = (await town.north.client.get("/api/incidents/mine")).json()["items"]
    r = await town.north.client.post(
        f"/api/incidents/{body['id']}/photos",
        files={"file": ("scene.png", PNG, "image/png")},
        data={"stage": "handling"},
    )
    assert r.status_code == 201, r.text
    photo = await town.north.client.get(r.json()["url"])
    assert photo.status_code == 200 and photo.content == PNG
    assert photo.headers["content-type"] == "image/png"
    r = await town.north.client.post(
        f"/api/incidents/assignments/{mine['assignment']['id']}/handled", json={}
    )
    assert r.json()["status"] == "handled"


async def _count(town: Town) -> int:
    async with town.running.db.sessions() as session:
        return int(await session.scalar(select(func.count(Incident.id))) or 0)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"source": "hotline", "type": "accident"}, "incidents.no_place"),
        ({"source": "hotline", "type": "accident", "lon": 108.7}, "incidents.half_position"),
        ({"source": "hotline", "type": "accident", "lon": 200, "lat": 30}, "incidents.bad_lon"),
        ({"source": "hotline", "type": "accident", "lon": "NaN", "lat": 30}, "incidents.bad_lon"),
        ({"source": "hotline", "type": "accident", "lon": 108, "lat": 91}, "incidents.bad_lat"),
        (
            {"source": "hotline", "type": "accident", "lon": 108, "lat": 30, "caller_phone": "x1"},
            "incidents.bad_phone",
        ),
        ({"source": "fax", "type": "accident", "lon": 108, "lat": 30}, "enum"),
        (
            {"source": "hotline", "type": "accident", "lon": 108, "lat": 30, "x": 1},
            "extra_forbidden",
        ),
        ({"source": "hotline", "type": "accident", "camera_id": 999}, "incidents.camera_not_found"),
        (
            {"source": "hotline", "type": "accident", "lon": 108, "lat": 30, "squadron_id": 999},
            "org.squadron_not_found",
        ),
    ],
)
async def test_bad_incidents_are_refused_and_nothing_is_stored(
    town: Town, body: dict[str, Any], code: str
) -> None:
    r = await town.console.post("/api/incidents", json=body)
    assert 400 <= r.status_code < 500, r.text
    envelope = r.json()
    codes = {envelope["code"]} | {d["code"] for d in envelope.get("details") or [] if "code" in d}
    assert code in codes, envelope
    assert envelope["message"]["zh"] and envelope["message"]["en"]
    assert await _count(town) == 0


async def test_bad_steps_and_permissions(town: Town) -> None:
    incident = await town.create_incident()
    iid = incident["id"]
    console = town.console

    async def expect(response: httpx.Response, status: int, code: str) -> None:
        assert response.status_code == status, response.text
        assert response.json()["code"] == code

    await expect(
        await console.post(f"/api/incidents/{iid}/dispatch", json={"person_ids": [999]}),
        422,
        "org.person_not_found",
    )
    await expect(
        await console.post(
            f"/api/incidents/{iid}/dispatch", json={"person_ids": [town.south.person_id] * 2}
        ),
        422,
        "validation_error",
    )
    # An officer who is off duty cannot be sent.
    await town.north.client.post("/api/tracking/me/status", json={"status": "off_duty"})
    await expect(
        await console.post(
            f"/api/incidents/{iid}/dispatch", json={"person_ids": [town.north.person_id]}
        ),
        409,
        "incidents.person_unavailable",
    )
    r = await console.post(
        f"/api/incidents/{iid}/dispatch", json={"person_ids": [town.south.person_id]}
    )
    aid = r.json()["assignments"][0]["id"]
    await expect(
        await console.post(
            f"/api/incidents/{iid}/dispatch", json={"person_ids": [town.south.person_id]}
        ),
        409,
        "incidents.already_sent",
    )
    # Someone else's dispatch, a step out of order, closing too early.
    await expect(
        await town.north.client.post(f"/api/incidents/assignments/{aid}/accept"),
        403,
        "incidents.not_your_assignment",
    )
    await expect(
        await town.south.client.post(f"/api/incidents/assignments/{aid}/handled", json={}),
        409,
        "incidents.bad_transition",
    )
    await expect(
        await console.post(f"/api/incidents/{iid}/close", json={}), 409, "incidents.not_handled"
    )
    await expect(
        await town.south.client.post(
            f"/api/incidents/assignments/{aid}/decline", json={"reason": ""}
        ),
        422,
        "validation_error",
    )
    # Roles: officers do not run the console, operators have no dispatches of their own.
    await expect(
        await town.south.client.post(
            "/api/incidents", json={"source": "hotline", "type": "other", "lon": 108, "lat": 30}
        ),
        403,
        "auth.forbidden",
    )
    await expect(await town.south.client.get("/api/incidents"), 403, "auth.forbidden")
    await expect(await console.get("/api/incidents/mine"), 403, "auth.forbidden")
    await expect(
        await console.post(
            f"/api/incidents/{iid}/photos", files={"file": ("x.txt", b"hello", "text/plain")}
        ),
        415,
        "upload.not_an_image",
    )
    await expect(
        await console.get(
            "/api/incidents/metrics?start=2026-01-02T00:00:00Z&end=2026-01-01T00:00:00Z"
        ),
        422,
        "incidents.bad_range",
    )
    await expect(await console.get("/api/incidents/999"), 404, "incidents.not_found")
    leader = await town.running.login("boss", Role.leader)
    assert (await leader.get(f"/api/incidents/{iid}")).status_code == 200
    await expect(
        await leader.post(f"/api/incidents/{iid}/cancel", json={"reason": "x"}),
        403,
        "auth.forbidden",
    )
    await leader.aclose()


async def test_console_snapshot_lists_open_incidents(town: Town) -> None:
    await town.create_incident()
    done = await town.create_incident(type="accident")
    await town.console.post(f"/api/incidents/{done['id']}/cancel", json={"reason": "重复报警"})
    page = (await town.console.get("/api/incidents?active=true")).json()
    assert page["total"] == 1 and page["items"][0]["type"] == "blocking"
    page = (await town.console.get("/api/incidents?status=cancelled")).json()
    assert [i["id"] for i in page["items"]] == [done["id"]]
