"""SOS and command groups through the API on both databases, in the river town of
tests/incidents (two officers, an operator, real routing, phones reporting over /osmand)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from patrolgrid.command.models import SosAlert
from patrolgrid.config import Settings
from patrolgrid.core.auth import Role
from patrolgrid.core.auth.principal import Principal
from patrolgrid.core.bus import Event, Subscription
from patrolgrid.core.errors import AppError
from patrolgrid.sms.models import SmsMessage
from tests.river_town import INCIDENT, Town

LEADER_MOBILE = "13900009999"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "sos_escalate_after_seconds": 1.0,
            "sos_sweep_seconds": 0.2,
            "duty_leader_mobile": LEADER_MOBILE,
        }
    )


def _bus(town: Town) -> Any:
    return town.running.app.state.bus  # type: ignore[attr-defined]


async def _next(subscription: Subscription, name: str, seconds: float = 5.0) -> Event:
    while True:
        event = await asyncio.wait_for(subscription.get(), seconds)
        if event.name == name:
            return event


def _codes(envelope: dict[str, Any]) -> set[str]:
    details = envelope.get("details")
    listed = details if isinstance(details, list) else []
    return {envelope["code"]} | {d.get("code") for d in listed}


async def _status(town: Town, person_id: int) -> str:
    people = (await town.console.get("/api/tracking/people")).json()["items"]
    status: str = next(p["status"] for p in people if p["person_id"] == person_id)
    return status


async def test_an_sos_reaches_consoles_and_colleagues_once(town: Town) -> None:
    consoles = await _bus(town).subscribe(["command"])
    north_phone = await _bus(town).subscribe([f"user.{town.north.user_id}"])
    r = await town.south.client.post(
        "/api/command/sos",
        json={"client_ref": "press-0001", "lon": INCIDENT[0], "lat": INCIDENT[1]},
    )
    assert r.status_code == 200, r.text
    sos = r.json()
    assert sos["status"] == "active" and sos["name"] == "南岸" and sos["mobile"]
    assert [p["person_id"] for p in sos["responders"]] == [town.north.person_id]
    assert sos["responders"][0]["reason"] == "group"  # 12 minutes away by road: the squadron
    assert await _status(town, town.south.person_id) == "sos"
    event = await _next(consoles, "sos")
    assert event.critical and event.data["id"] == sos["id"]
    alert = await _next(north_phone, "sos.alert")
    assert alert.critical and alert.data["person_id"] == town.south.person_id
    # The retry of the same press, and a second press, are the same SOS.
    again = await town.south.client.post("/api/command/sos", json={"client_ref": "press-0001"})
    other = await town.south.client.post("/api/command/sos", json={"client_ref": "press-0002"})
    assert again.json()["id"] == other.json()["id"] == sos["id"]
    async with town.running.db.sessions() as session:
        assert await session.scalar(select(func.count(SosAlert.id))) == 1
    # The colleague answers "on my way"; the console acknowledges, then resolves.
    r = await town.north.client.post(f"/api/command/sos/{sos['id']}/answer")
    assert r.json()["responders"][0]["answered_at"] is not None
    r = await town.console.post(f"/api/command/sos/{sos['id']}/ack")
    assert r.json()["status"] == "acknowledged" and r.json()["acknowledged_by"] == "Lin"
    r = await town.console.post(
        f"/api/command/sos/{sos['id']}/resolve", json={"note": "误触,已核实安全"}
    )
    assert r.json()["status"] == "resolved" and r.json()["resolution"] == "误触,已核实安全"
    assert await _status(town, town.south.person_id) == "patrolling"
    # A console connecting now finds no open SOS; the history keeps it.
    assert (await town.console.get("/api/command/sos?active=true")).json()["items"] == []
    assert len((await town.console.get("/api/command/sos")).json()["items"]) == 1
    await consoles.close()
    await north_phone.close()


async def test_an_unacknowledged_sos_escalates_with_an_sms(town: Town) -> None:
    r = await town.north.client.post("/api/command/sos", json={"client_ref": "press-esc-1"})
    sos_id = r.json()["id"]

    async def escalated() -> dict[str, Any] | None:
        for _ in range(100):
            got = (await town.console.get(f"/api/command/sos/{sos_id}")).json()
            if got["escalated_at"]:
                return got  # type: ignore[no-any-return]
            await asyncio.sleep(0.1)
        return None

    assert await escalated() is not None
    async with town.running.db.sessions() as session:
        (message,) = list(await session.scalars(select(SmsMessage)))
    assert message.to_phone == LEADER_MOBILE and "北岸" in message.body
    admin = await town.running.login("root", Role.admin)
    for _ in range(50):  # the sender delivers it through the log provider
        page = (await admin.get("/api/sms?purpose=sos.escalation")).json()
        if page["items"][0]["status"] == "sent":
            break
        await asyncio.sleep(0.2)
    assert page["items"][0]["status"] == "sent" and page["items"][0]["provider"] == "log"
    await admin.aclose()


async def test_a_device_alarm_raises_a_real_sos(town: Town) -> None:
    r = await town.running.client.get(
        "/osmand",
        params={"id": town.north.device, "lat": 30.934, "lon": 108.7, "alarm": "sos"},
    )
    assert r.status_code == 200

    async def raised() -> list[dict[str, Any]]:
        for _ in range(100):
            items = (await town.console.get("/api/command/sos?active=true")).json()["items"]
            if items:
                return items  # type: ignore[no-any-return]
            await asyncio.sleep(0.05)
        return []

    (sos,) = await raised()
    assert sos["source"] == "device" and sos["person_id"] == town.north.person_id
    r = await town.console.post(f"/api/command/sos/{sos['id']}/resolve", json={"note": "已到场"})
    assert r.status_code == 200
    alarms = (await town.console.get("/api/tracking/alarms")).json()["items"]
    assert alarms[0]["acknowledged_by"] is not None
    assert await _status(town, town.north.person_id) == "patrolling"


async def test_bad_sos_requests(town: Town) -> None:
    async def expect(response: httpx.Response, status: int, code: str) -> None:
        assert response.status_code == status, response.text
        body = response.json()
        assert code in _codes(body), body

    client = town.south.client
    await expect(
        await client.post("/api/command/sos", json={"client_ref": "x"}), 422, "string_too_short"
    )
    await expect(
        await client.post(
            "/api/command/sos", json={"client_ref": "press-bad-1", "lon": 300, "lat": 1}
        ),
        422,
        "command.bad_lon",
    )
    await expect(
        await client.post("/api/command/sos", json={"client_ref": "press-bad-2", "lon": 108}),
        422,
        "command.half_position",
    )
    await expect(
        await town.console.post("/api/command/sos", json={"client_ref": "press-bad-3"}),
        403,
        "auth.forbidden",
    )
    await expect(await town.console.post("/api/command/sos/999/ack"), 404, "command.sos_not_found")
    await expect(await client.post("/api/command/sos/1/ack"), 403, "auth.forbidden")
    async with town.running.db.sessions() as session:
        assert await session.scalar(select(func.count(SosAlert.id))) == 0
    r = await client.post("/api/command/sos", json={"client_ref": "press-ok-1"})
    await expect(
        await town.console.post(f"/api/command/sos/{r.json()['id']}/resolve", json={"note": ""}),
        422,
        "string_too_short",
    )


def _principal(user_id: int, username: str, role: Role) -> Principal:
    return Principal(user_id, username, username, role, token_id=0, ip=None)


async def test_a_command_group_from_an_incident_chats_and_signals(town: Town) -> None:
    incident = await town.create_incident()
    await town.console.post(
        f"/api/incidents/{incident['id']}/dispatch",
        json={"person_ids": [town.south.person_id, town.north.person_id]},
    )
    south_phone = await _bus(town).subscribe([f"user.{town.south.user_id}"])
    r = await town.console.post(
        "/api/command/groups", json={"origin": "incident", "incident_id": incident["id"]}
    )
    assert r.status_code == 201, r.text
    group = r.json()
    assert group["name"].startswith("警情 JQ")
    roles = {m["name"]: m["role"] for m in group["members"]}
    assert roles == {"Lin": "commander", "南岸": "member", "北岸": "member"}
    invited = await _next(south_phone, "group.invited")
    assert invited.critical and invited.data["id"] == group["id"]
    gid = group["id"]

    r = await town.north.client.post(
        f"/api/command/groups/{gid}/messages", json={"kind": "text", "text": "我已到场"}
    )
    assert r.status_code == 201, r.text
    heard = await _next(south_phone, "group.message")
    assert heard.data["text"] == "我已到场" and heard.data["sender_name"] == "北岸"
    r = await town.south.client.post(
        f"/api/command/groups/{gid}/messages", json={"kind": "location", "lon": 108.7, "lat": 30.93}
    )
    assert r.status_code == 201

    # Signalling between two members is relayed; to or from an outsider it is refused.
    command = town.running.app.state.command  # type: ignore[attr-defined]
    south = _principal(town.south.user_id, "officer2", Role.officer)
    await command.relay(
        south,
        {
            "room": f"group:{gid}",
            "to": town.north.user_id,
            "signal": {"kind": "offer", "sdp": "v=0"},
        },
    )
    outsider_id = await town.running.add_user("stranger", Role.officer)
    with pytest.raises(AppError) as refused:
        await command.relay(
            south, {"room": f"group:{gid}", "to": outsider_id, "signal": {"kind": "offer"}}
        )
    assert refused.value.code == "command.not_in_room"
    with pytest.raises(AppError):
        await command.relay(
            _principal(outsider_id, "stranger", Role.officer),
            {"room": f"group:{gid}", "to": town.south.user_id, "signal": {}},
        )
    answer = await command.video(south, {"room": f"group:{gid}", "state": "started"})
    assert answer["session_id"]

    # Leaving, and closing: the record stays for review.
    r = await town.north.client.post(f"/api/command/groups/{gid}/leave")
    assert r.status_code == 200
    r = await town.north.client.post(f"/api/command/groups/{gid}/close")
    assert r.status_code == 403 and r.json()["code"] in (
        "command.not_in_room",
        "command.not_commander",
    )
    r = await town.console.post(f"/api/command/groups/{gid}/close")
    assert r.status_code == 200
    archived = r.json()
    assert archived["open"] is False
    assert all(m["left_at"] for m in archived["members"])
    texts = [m["text"] for m in archived["messages"]]
    assert "我已到场" in texts and any("关闭了集群" in t for t in texts)
    assert archived["videos"][0]["ended_at"] is not None
    r = await town.south.client.post(
        f"/api/command/groups/{gid}/messages", json={"kind": "text", "text": "x"}
    )
    assert r.status_code == 409 and r.json()["code"] == "command.group_closed"
    await south_phone.close()


async def test_groups_from_an_area_and_bad_group_requests(town: Town) -> None:
    r = await town.console.post(
        "/api/command/groups",
        json={
            "origin": "area",
            "area": [[108.69, 30.929], [108.72, 30.929], [108.72, 30.931], [108.69, 30.931]],
        },
    )
    assert r.status_code == 201, r.text
    assert {m["name"] for m in r.json()["members"]} == {"Lin", "南岸"}  # the north bank is outside
    bad = [
        ({"origin": "incident"}, "command.origin_missing"),
        ({"origin": "area", "area": [[1, 1], [1, 1], [1, 1]]}, "command.bad_area"),
        ({"origin": "incident", "incident_id": 999}, "incidents.not_found"),
        ({"origin": "area", "area": [[500, 1], [1, 2], [2, 2]]}, "command.bad_lon"),
    ]
    for body, code in bad:
        r = await town.console.post("/api/command/groups", json=body)
        assert r.status_code == 422, r.text
        assert code in _codes(r.json()), r.json()
    r = await town.south.client.post(
        "/api/command/groups", json={"origin": "area", "area": [[0, 0], [1, 0], [1, 1]]}
    )
    assert r.status_code == 403
    gid = (await town.console.get("/api/command/groups")).json()["items"][0]["id"]
    r = await town.north.client.get(f"/api/command/groups/{gid}")
    assert r.status_code == 403 and r.json()["code"] == "command.not_in_room"
    r = await town.south.client.post(
        f"/api/command/groups/{gid}/messages", json={"kind": "text", "text": ""}
    )
    assert r.status_code == 422


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


async def test_photos_positions_and_a_second_commander_joining(town: Town) -> None:
    r = await town.console.post(
        "/api/command/groups",
        json={
            "origin": "area",
            "area": [[108.68, 30.92], [108.75, 30.92], [108.75, 30.94], [108.68, 30.94]],
        },
    )
    gid = r.json()["id"]
    r = await town.south.client.post(
        f"/api/command/groups/{gid}/photos",
        files={"file": ("scene.png", PNG, "image/png")},
        data={"text": "现场照片"},
    )
    assert r.status_code == 201, r.text
    photo = await town.north.client.get(r.json()["photo_url"])
    assert photo.status_code == 200 and photo.content == PNG
    assert photo.headers["content-type"] == "image/png"
    r = await town.south.client.post(
        f"/api/command/groups/{gid}/photos",
        files={"file": ("x.txt", b"not an image", "text/plain")},
    )
    assert r.status_code == 415 and r.json()["code"] == "upload.not_an_image"

    # Officers see where their group's members are (and only their group's).
    positions = (await town.south.client.get(f"/api/command/groups/{gid}/positions")).json()
    where = {p["name"]: (p["lon"], p["lat"]) for p in positions["items"]}
    assert where["北岸"] == (108.7, 30.934) and where["南岸"] == (108.715, 30.93)

    # Another commander steps in; an officer cannot.
    chief = await town.running.login("chief", Role.commander)
    r = await chief.post(f"/api/command/groups/{gid}/join")
    assert r.status_code == 200, r.text
    assert {m["name"]: m["role"] for m in r.json()["members"]}["Chief"] == "commander"
    r = await town.north.client.post(f"/api/command/groups/{gid}/join")
    assert r.status_code == 403
    await chief.aclose()
