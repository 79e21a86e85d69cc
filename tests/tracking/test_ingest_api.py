"""Replaying real Traccar Client requests of each form against /osmand, on both databases,
and what they do to history, the latest state, statuses and the live events."""

from __future__ import annotations

import asyncio
import datetime as dt
import warnings

import httpx
import pytest
from fastapi.routing import APIRoute
from sqlalchemy import func, select
from starlette.routing import Route

from patrolgrid.core.auth import Role
from patrolgrid.core.bus import Event
from patrolgrid.tracking.models import Alarm, Position
from patrolgrid.tracking.views import osmand_endpoint
from tests.conftest import Running

T0 = int(dt.datetime.now(dt.UTC).timestamp()) - 600


async def _setup(running: Running) -> tuple[httpx.AsyncClient, int]:
    """A commander, one squadron, one officer and a registered tracker `860001`."""
    client = await running.login("zhou", Role.commander)
    squadron = (
        await client.post("/api/org/squadrons", json={"name": "城区一中队", "code": "SQ01"})
    ).json()
    person = (
        await client.post(
            "/api/org/people",
            json={
                "name": "王伟",
                "badge_no": "P01001",
                "kind": "police",
                "post": "网格路警",
                "mobile": "13800138000",
                "squadron_id": squadron["id"],
            },
        )
    ).json()
    r = await client.post(
        "/api/tracking/devices",
        json={
            "identifier": "860001",
            "kind": "traccar",
            "name": "王伟的手机",
            "person_id": person["id"],
        },
    )
    assert r.status_code == 201, r.text
    return client, person["id"]


async def _positions(running: Running) -> int:
    async with running.db.sessions() as session:
        return int(await session.scalar(select(func.count(Position.id))) or 0)


async def _latest(client: httpx.AsyncClient, person_id: int) -> dict[str, object]:
    people = (await client.get("/api/tracking/people")).json()["items"]
    return next(p for p in people if p["person_id"] == person_id)


async def test_every_traccar_client_form_is_stored(running: Running) -> None:
    client, person_id = await _setup(running)
    device = running.client
    # 1. Traccar Client (classic): POST with everything in the query string, empty body.
    r = await device.post(
        "/osmand",
        params={
            "id": "860001",
            "timestamp": T0,
            "lat": 30.9301,
            "lon": 108.6971,
            "speed": 5.4,
            "bearing": 90,
            "altitude": 180,
            "accuracy": 8,
            "batt": 77,
        },
    )
    assert r.status_code == 200 and r.content == b""
    # 2. GET, the way trackers and a browser test do it, with ms timestamps.
    r = await device.get(
        "/osmand",
        params={"deviceid": "860001", "timestamp": (T0 + 5) * 1000, "location": "30.9302,108.6972"},
    )
    assert r.status_code == 200
    # 3. A form body with an empty query.
    r = await device.post(
        "/osmand", data={"id": "860001", "timestamp": T0 + 10, "lat": "30.9303", "lon": "108.6973"}
    )
    assert r.status_code == 200
    # 4. Traccar Client 9 JSON.
    body = {
        "device_id": "860001",
        "location": {
            "timestamp": dt.datetime.fromtimestamp(T0 + 15, dt.UTC)
            .isoformat()
            .replace("+00:00", "Z"),
            "coords": {
                "latitude": 30.9304,
                "longitude": 108.6974,
                "accuracy": 4,
                "speed": 2.5,
                "heading": 180,
                "altitude": 181,
            },
            "battery": {"level": 0.76, "is_charging": False},
            "extras": {},
        },
    }
    r = await device.post("/osmand", json=body)
    assert r.status_code == 200, r.text
    # 5. A JSON array (the phone catching up after being offline).
    batch = []
    for i in range(3):
        item = {
            "device_id": "860001",
            "location": {
                "timestamp": (T0 + 20 + i) * 1000,
                "coords": {
                    "latitude": 30.931 + i / 1e4,
                    "longitude": 108.698,
                    "accuracy": 5,
                    "speed": -1,
                    "heading": -1,
                },
            },
        }
        batch.append(item)
    r = await device.post("/osmand", json=batch)
    assert r.status_code == 200, r.text
    assert await _positions(running) == 7

    latest = await _latest(client, person_id)
    assert latest["lat"] == pytest.approx(30.9312) and latest["ts"].startswith(
        dt.datetime.fromtimestamp(T0 + 22, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    )
    assert latest["battery"] == 0.76 or latest["battery"] is None
    track = (
        await client.get(
            f"/api/tracking/people/{person_id}/track",
            params={"start": dt.datetime.fromtimestamp(T0 - 1, dt.UTC).isoformat()},
        )
    ).json()
    assert len(track["points"]) == 7
    assert track["points"][0]["speed_kmh"] == pytest.approx(10.0, abs=0.01)  # 5.4 kn


async def test_sos_alarm_is_stored_and_sent_as_a_critical_event(running: Running) -> None:
    client, person_id = await _setup(running)
    sub = await running.app.state.bus.subscribe(["tracking"])  # type: ignore[attr-defined]
    r = await running.client.get(
        "/osmand",
        params={"id": "860001", "timestamp": T0, "lat": 30.93, "lon": 108.70, "alarm": "sos"},
    )
    assert r.status_code == 200
    events: list[Event] = []
    while not any(e.name == "alarm" for e in events):
        events.append(await asyncio.wait_for(sub.get(), 5))
    alarm = next(e for e in events if e.name == "alarm")
    assert alarm.critical and alarm.data["person_id"] == person_id and alarm.data["kind"] == "sos"
    alarms = (await client.get("/api/tracking/alarms", params={"active": True})).json()["items"]
    assert len(alarms) == 1
    while not any(e.name == "status" for e in events):
        events.append(await asyncio.wait_for(sub.get(), 5))
    assert (await _latest(client, person_id))["status"] == "sos"
    # The same report again (a retry) does not raise a second alarm.
    await running.client.get(
        "/osmand",
        params={"id": "860001", "timestamp": T0, "lat": 30.93, "lon": 108.70, "alarm": "sos"},
    )
    assert len((await client.get("/api/tracking/alarms")).json()["items"]) == 1
    r = await client.post(f"/api/tracking/alarms/{alarms[0]['id']}/ack")
    assert r.json()["acknowledged_by"] == "zhou"
    assert (await client.get("/api/tracking/alarms", params={"active": True})).json() == {
        "items": []
    }
    assert (await _latest(client, person_id))["status"] == "off_duty"  # what it was before


@pytest.mark.parametrize(
    ("method", "kwargs", "status", "code"),
    [
        (
            "get",
            {"params": {"id": "nobody", "lat": 30, "lon": 108}},
            404,
            "tracking.unknown_device",
        ),
        ("get", {"params": {"id": "860001", "lat": 95, "lon": 108}}, 400, "tracking.bad_position"),
        (
            "get",
            {"params": {"id": "860001", "lat": "NaN", "lon": 108}},
            400,
            "tracking.bad_position",
        ),
        (
            "get",
            {"params": {"id": "860001", "lat": 30, "lon": 108, "timestamp": T0 + 3600 * 24}},
            400,
            "tracking.bad_position",
        ),
        (
            "get",
            {"params": {"id": "860001", "lat": 30, "lon": 108, "speed": 1000}},
            400,
            "tracking.bad_position",
        ),
        (
            "post",
            {"content": b"{not json", "headers": {"content-type": "application/json"}},
            400,
            "tracking.bad_position",
        ),
        ("post", {"json": []}, 400, "tracking.bad_position"),
        (
            "post",
            {"json": [{"device_id": "860001", "location": {"coords": {}}}]},
            400,
            "tracking.bad_position",
        ),
        (
            "post",
            {
                "json": {
                    "device_id": "ghost",
                    "location": {"coords": {"latitude": 30, "longitude": 108}},
                }
            },
            404,
            "tracking.unknown_device",
        ),
        (
            "post",
            {
                "content": b"%zz=&&",
                "headers": {"content-type": "application/x-www-form-urlencoded"},
            },
            400,
            "tracking.bad_position",
        ),
    ],
)
async def test_malformed_reports_are_refused_and_store_nothing(
    running: Running, method: str, kwargs: dict[str, object], status: int, code: str
) -> None:
    await _setup(running)
    r = await getattr(running.client, method)("/osmand", **kwargs)
    assert (r.status_code, r.json()["code"]) == (status, code), r.text
    assert set(r.json()["message"]) == {"zh", "en"}
    assert await _positions(running) == 0


async def test_duplicates_are_idempotent_and_old_reports_do_not_move_the_latest(
    running: Running,
) -> None:
    client, person_id = await _setup(running)
    report = {"id": "860001", "timestamp": T0 + 100, "lat": 30.95, "lon": 108.71}
    for _ in range(3):
        assert (await running.client.get("/osmand", params=report)).status_code == 200
    assert await _positions(running) == 1
    late = {"id": "860001", "timestamp": T0 + 50, "lat": 30.90, "lon": 108.60}
    assert (await running.client.get("/osmand", params=late)).status_code == 200
    assert await _positions(running) == 2
    latest = await _latest(client, person_id)
    assert (latest["lat"], latest["lon"]) == (30.95, 108.71)


async def test_a_flooding_device_is_rate_limited(running: Running) -> None:
    await _setup(running)

    def batch(n: int, offset: int) -> list[dict[str, object]]:
        return [
            {
                "device_id": "860001",
                "location": {
                    "timestamp": (T0 + offset + i) * 1000,
                    "coords": {"latitude": 30.93, "longitude": 108.70},
                },
            }
            for i in range(n)
        ]

    # More than the burst (50) at once is refused whole, and nothing of it is stored.
    r = await running.client.post("/osmand", json=batch(51, 0))
    assert r.status_code == 429 and r.json()["code"] == "tracking.rate_limited"
    assert r.headers["retry-after"] == "1"
    assert await _positions(running) == 0
    r = await running.client.post("/osmand", json=batch(50, 100))
    assert r.status_code == 200 and await _positions(running) == 50


async def test_status_changes_and_the_offline_sweeper(running: Running) -> None:
    client, person_id = await _setup(running)
    officer_user = await running.add_user("wang", Role.officer)
    from patrolgrid.core.audit import SYSTEM
    from patrolgrid.org import flows as org_flows

    async with running.db.sessions() as session:
        await org_flows.link_user(session, running.app.state.bus, person_id, officer_user, SYSTEM)  # type: ignore[attr-defined]
    officer = await running.login("wang")
    r = await officer.post("/api/tracking/me/status", json={"status": "patrolling"})
    assert r.status_code == 200 and r.json()["status"] == "patrolling"
    r = await officer.post("/api/tracking/me/status", json={"status": "sos"})
    assert r.status_code == 409 and r.json()["code"] == "tracking.status_not_allowed"
    # A report ten minutes old: the sweeper finds the officer silent.
    await running.client.get(
        "/osmand", params={"id": "860001", "timestamp": T0, "lat": 30.93, "lon": 108.70}
    )
    tracking = running.app.state.tracking  # type: ignore[attr-defined]
    assert await tracking.sweep_offline() == [person_id]
    assert (await _latest(client, person_id))["status"] == "offline"
    # The next report brings them back to what they were doing.
    await running.client.get("/osmand", params={"id": "860001", "lat": 30.931, "lon": 108.701})
    assert (await _latest(client, person_id))["status"] == "patrolling"
    me = (await officer.get("/api/tracking/me")).json()
    assert me["status"] == "patrolling" and me["name"] == "王伟"


async def test_track_exports(running: Running) -> None:
    client, person_id = await _setup(running)
    for i in range(3):
        await running.client.get(
            "/osmand",
            params={
                "id": "860001",
                "timestamp": T0 + i * 10,
                "lat": 30.93 + i / 1000,
                "lon": 108.70,
            },
        )
    start = dt.datetime.fromtimestamp(T0 - 60, dt.UTC).isoformat()
    gpx = await client.get(f"/api/tracking/people/{person_id}/track.gpx", params={"start": start})
    assert gpx.headers["content-type"].startswith("application/gpx+xml")
    assert gpx.text.count("<trkpt") == 3 and "<name>王伟</name>" in gpx.text
    geojson = await client.get(
        f"/api/tracking/people/{person_id}/track.geojson", params={"start": start}
    )
    features = geojson.json()["features"]
    assert features[0]["geometry"]["type"] == "LineString"
    assert len(features[0]["geometry"]["coordinates"]) == 3
    r = await client.get(
        f"/api/tracking/people/{person_id}/track", params={"start": start, "end": start}
    )
    assert r.status_code == 422 and r.json()["code"] == "tracking.bad_range"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_osmand_is_a_plain_route_ahead_of_fastapi_and_documented(running: Running) -> None:
    app = running.app
    first = app.router.routes[0]  # type: ignore[attr-defined]
    assert isinstance(first, Route) and not isinstance(first, APIRoute)
    assert (first.path, first.endpoint, first.methods) == (
        "/osmand",
        osmand_endpoint,
        {"GET", "POST"},
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        app.openapi_schema = None  # type: ignore[attr-defined]
        spec = app.openapi()  # type: ignore[attr-defined]
    assert not [w for w in caught if "Duplicate Operation ID" in str(w.message)]
    get, post = spec["paths"]["/osmand"]["get"], spec["paths"]["/osmand"]["post"]
    assert get["operationId"] != post["operationId"]
    params = {p["name"] for p in get["parameters"]}
    assert {"id", "deviceid", "lat", "lon", "location", "timestamp", "speed", "alarm"} <= params
    assert {p["name"] for p in post["parameters"]} == params
    assert set(post["requestBody"]["content"]) == {
        "application/x-www-form-urlencoded",
        "application/json",
    }
    assert {"200", "400", "404", "429"} <= set(get["responses"])


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_osmand_refuses_other_methods_and_oversized_bodies(running: Running) -> None:
    await _setup(running)
    report = {"id": "860001", "lat": 30.93, "lon": 108.70}
    # HEAD is not a report (where the web front end is built, its catch-all answers it).
    await running.client.head("/osmand", params=report)
    for method in ("PUT", "DELETE"):
        r = await running.client.request(method, "/osmand", params=report)
        assert (r.status_code, r.json()["code"]) == (405, "method_not_allowed"), method
    r = await running.client.post(
        "/osmand",
        content=b"[" + b" " * (256 * 1024) + b"]",
        headers={"content-type": "application/json"},
    )
    assert (r.status_code, r.json()["code"]) == (413, "payload_too_large")
    assert await _positions(running) == 0


async def test_devices_are_managed_by_commanders_only(running: Running) -> None:
    client, person_id = await _setup(running)
    r = await client.post(
        "/api/tracking/devices",
        json={"identifier": "860001", "kind": "tracker", "person_id": person_id},
    )
    assert r.status_code == 409 and r.json()["code"] == "tracking.identifier_taken"
    r = await client.post(
        "/api/tracking/devices", json={"identifier": "bad id!", "kind": "gps", "person_id": 999999}
    )
    assert r.status_code == 422
    operator = await running.login("lin", Role.operator)
    assert (await operator.get("/api/tracking/devices")).status_code == 403
    assert (await operator.get("/api/tracking/people")).status_code == 200
    devices = (await client.get("/api/tracking/devices")).json()["items"]
    r = await client.patch(f"/api/tracking/devices/{devices[0]['id']}", json={"enabled": False})
    assert r.json()["enabled"] is False
    r = await running.client.get("/osmand", params={"id": "860001", "lat": 30, "lon": 108})
    assert r.status_code == 404  # a disabled device is refused at once


async def test_the_officer_app_registers_its_phone(running: Running) -> None:
    _, person_id = await _setup(running)
    officer_user = await running.add_user("wang", Role.officer)
    unlinked = await running.login("li", Role.officer)
    r = await unlinked.post("/api/tracking/devices/self", json={"identifier": "app-0123456789"})
    assert r.status_code == 409 and r.json()["code"] == "tracking.no_person"
    from patrolgrid.core.audit import SYSTEM
    from patrolgrid.org import flows as org_flows

    async with running.db.sessions() as session:
        await org_flows.link_user(session, running.app.state.bus, person_id, officer_user, SYSTEM)  # type: ignore[attr-defined]
    officer = await running.login("wang")
    first = await officer.post(
        "/api/tracking/devices/self", json={"identifier": "app-0123456789", "name": "Android"}
    )
    assert first.status_code == 201 and first.json()["device"]["kind"] == "app"
    second = await officer.post(
        "/api/tracking/devices/self", json={"identifier": "app-0123456789", "name": "Android"}
    )
    old, new = first.json()["token"], second.json()["token"]
    assert old != new
    assert (
        await running.client.get("/api/auth/me", headers={"Authorization": f"Bearer {old}"})
    ).status_code == 401
    assert (
        await running.client.get("/api/auth/me", headers={"Authorization": f"Bearer {new}"})
    ).status_code == 200
    r = await officer.post("/api/tracking/devices/self", json={"identifier": "short"})
    assert r.status_code == 422  # app identifiers are generated UUIDs, never this short


async def test_alarm_rows_survive(running: Running) -> None:
    await _setup(running)
    await running.client.get(
        "/osmand",
        params={"id": "860001", "lat": 30.9, "lon": 108.7, "alarm": "sos", "timestamp": T0},
    )
    async with running.db.sessions() as session:
        assert await session.scalar(select(func.count(Alarm.id))) == 1


async def test_a_shared_phone_moves_to_the_officer_who_signs_in(running: Running) -> None:
    client, first_person = await _setup(running)
    from patrolgrid.core.audit import SYSTEM
    from patrolgrid.org import flows as org_flows

    second_person = (
        await client.post(
            "/api/org/people",
            json={
                "name": "李娜",
                "badge_no": "P01002",
                "kind": "police",
                "mobile": "13800138001",
                "squadron_id": 1,
            },
        )
    ).json()["id"]
    users = {}
    for username, person in (("wang", first_person), ("li", second_person)):
        user_id = await running.add_user(username, Role.officer)
        async with running.db.sessions() as session:
            await org_flows.link_user(session, running.app.state.bus, person, user_id, SYSTEM)  # type: ignore[attr-defined]
        users[username] = await running.login(username)
    first = await users["wang"].post(
        "/api/tracking/devices/self", json={"identifier": "shared-phone-01"}
    )
    user_topic = f"user.{(await users['wang'].get('/api/auth/me')).json()['user']['id']}"
    sub = await running.app.state.bus.subscribe([user_topic])  # type: ignore[attr-defined]
    await users["wang"].post("/api/tracking/me/status", json={"status": "on_duty"})
    own = await asyncio.wait_for(sub.get(), 5)
    assert own.name == "tracking.status" and own.data["status"] == "on_duty"

    second = await users["li"].post(
        "/api/tracking/devices/self", json={"identifier": "shared-phone-01"}
    )
    assert second.status_code == 201 and second.json()["device"]["person_id"] == second_person
    assert (
        await running.client.get(
            "/api/auth/me", headers={"Authorization": f"Bearer {first.json()['token']}"}
        )
    ).status_code == 401
    # A tracker (not our app) is never taken over this way.
    await client.post(
        "/api/tracking/devices",
        json={"identifier": "tracker-860002", "kind": "tracker", "person_id": first_person},
    )
    r = await users["li"].post("/api/tracking/devices/self", json={"identifier": "tracker-860002"})
    assert r.status_code == 409 and r.json()["code"] == "tracking.identifier_taken"
