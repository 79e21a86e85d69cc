"""The camera registry over the API, on SQLite and PostgreSQL: CRUD, the stream rules, bad input
changing nothing, permissions, the audit row and the live event."""

from __future__ import annotations

import math
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from patrolgrid.cameras.models import Camera, StreamKind, guess_kind, stream_problem
from patrolgrid.core.audit import AuditEntry
from patrolgrid.core.auth import Role
from tests.conftest import Running


def _camera(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": "CAM-01",
        "name": "群益广场",
        "lon": 108.6998568,
        "lat": 30.9264825,
        "heading": 90,
        "stream_url": "/media/cameras/CAM-01/index.m3u8",
        "stream_kind": "hls",
    }
    body.update(changes)
    return body


async def _commander(running: Running) -> tuple[httpx.AsyncClient, int]:
    client = await running.login("zhou", Role.commander)
    r = await client.post("/api/org/squadrons", json={"name": "城区一中队", "code": "SQ01"})
    assert r.status_code == 201
    return client, int(r.json()["id"])


async def _counts(running: Running) -> tuple[int, int]:
    async with running.db.sessions() as session:
        cameras = await session.scalar(select(func.count(Camera.id)))
        audits = await session.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.entity_type == "camera")
        )
        return int(cameras or 0), int(audits or 0)


async def test_create_read_update_delete_with_audit(running: Running) -> None:
    client, squadron = await _commander(running)
    r = await client.post("/api/cameras", json=_camera(squadron_id=squadron, note="演示"))
    assert r.status_code == 201, r.text
    camera = r.json()
    assert camera["code"] == "CAM-01" and camera["stream_kind"] == "hls"
    assert camera["squadron_name"] == "城区一中队" and camera["heading"] == 90
    assert camera["enabled"] is True
    listed = (await client.get("/api/cameras")).json()["items"]
    assert [c["id"] for c in listed] == [camera["id"]]
    assert (await client.get(f"/api/cameras/{camera['id']}")).json()["name"] == "群益广场"

    r = await client.patch(
        f"/api/cameras/{camera['id']}",
        json={"name": "群益广场东", "heading": None, "squadron_id": None, "enabled": False},
    )
    assert r.status_code == 200, r.text
    updated = r.json()
    assert updated["name"] == "群益广场东" and updated["heading"] is None
    assert updated["squadron_id"] is None and updated["enabled"] is False
    # A new URL that tells its kind brings the kind along.
    r = await client.patch(
        f"/api/cameras/{camera['id']}", json={"stream_url": "https://cams.example/c1/video.mp4"}
    )
    assert r.json()["stream_kind"] == "mp4"
    # Sending what is already stored changes nothing and writes no audit row.
    before = await _counts(running)
    r = await client.patch(f"/api/cameras/{camera['id']}", json={"name": "群益广场东"})
    assert r.status_code == 200 and await _counts(running) == before

    audit = (await client.get("/api/admin/audit", params={"entity_type": "camera"})).json()
    actions = [e["action"] for e in audit["items"]]
    assert actions == ["camera.updated", "camera.updated", "camera.created"]
    assert audit["items"][1]["before"]["name"] == "群益广场"
    assert audit["items"][1]["after"]["name"] == "群益广场东"
    assert audit["items"][2]["actor_name"] == "zhou"

    assert (await client.delete(f"/api/cameras/{camera['id']}")).status_code == 204
    assert (await client.get(f"/api/cameras/{camera['id']}")).status_code == 404
    assert (await client.delete(f"/api/cameras/{camera['id']}")).json()["code"] == (
        "cameras.not_found"
    )
    assert await _counts(running) == (0, 4)


async def test_filters(running: Running) -> None:
    client, squadron = await _commander(running)
    await client.post("/api/cameras", json=_camera(squadron_id=squadron))
    await client.post(
        "/api/cameras",
        json=_camera(code="CAM-02", name="长江大桥", enabled=False, stream_url=""),
    )
    names = lambda r: [c["name"] for c in r.json()["items"]]  # noqa: E731
    assert names(await client.get("/api/cameras", params={"q": "大桥"})) == ["长江大桥"]
    assert names(await client.get("/api/cameras", params={"q": "cam-01"})) == ["群益广场"]
    assert names(await client.get("/api/cameras", params={"enabled": "false"})) == ["长江大桥"]
    assert names(await client.get("/api/cameras", params={"squadron_id": squadron})) == ["群益广场"]


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"lon": 181}, "lon", "cameras.bad_lon"),
        ({"lon": -180.5}, "lon", "cameras.bad_lon"),
        ({"lat": 91}, "lat", "cameras.bad_lat"),
        ({"lat": "north"}, "lat", "float_parsing"),
        ({"heading": 361}, "heading", "cameras.bad_heading"),
        ({"heading": -1}, "heading", "cameras.bad_heading"),
        ({"code": "CAM 01"}, "code", "cameras.bad_code"),
        ({"code": ""}, "code", "cameras.bad_code"),
        ({"name": "  "}, "name", "cameras.name_required"),
        ({"name": "路口\x03摄像头"}, "name", "text.control_characters"),
        ({"name": "路口\n摄像头"}, "name", "text.control_characters"),
        ({"note": "备注\x00"}, "note", "text.control_characters"),
        ({"stream_url": "ftp://cams.example/a.m3u8"}, "stream_url", "cameras.bad_url"),
        ({"stream_url": "javascript:alert(1)"}, "stream_url", "cameras.bad_url"),
        ({"stream_url": "http:///nohost.m3u8"}, "stream_url", "cameras.bad_url"),
        ({"stream_url": "rtsp://10.0.0.5/stream1"}, "stream_url", "cameras.unplayable_scheme"),
        (
            {"stream_url": "http://admin:123@10.0.0.5/a.m3u8"},
            "stream_url",
            "cameras.url_credentials",
        ),
        ({"stream_url": "/media/../secret_key"}, "stream_url", "cameras.bad_media_path"),
        ({"stream_url": "/etc/passwd"}, "stream_url", "cameras.bad_media_path"),
        ({"stream_url": "/media/a b.m3u8"}, "stream_url", "cameras.bad_url"),
        ({"stream_kind": "rtsp"}, "stream_kind", "enum"),
        ({"squadron_id": 0}, "squadron_id", "greater_than_equal"),
        ({"enabled": "maybe"}, "enabled", "bool_parsing"),
        ({"extra": 1}, "extra", "extra_forbidden"),
    ],
)
async def test_bad_camera_records_are_refused_and_change_nothing(
    running: Running, changes: dict[str, object], field: str, code: str
) -> None:
    client, _ = await _commander(running)
    before = await _counts(running)
    r = await client.post("/api/cameras", json=_camera(**changes))
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == "validation_error"
    detail = next(d for d in body["details"] if d["loc"][-1] == field)
    assert detail["code"] == code
    assert detail["message"]["zh"] and detail["message"]["en"]
    assert await _counts(running) == before


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://cams.example/live/c1.m3u8", "mp4"),
        ("https://cams.example/c1/video.mp4", "hls"),
        ("http://10.1.1.9:8889/cam1/whep", "hls"),
        ("http://10.1.1.9/mjpg/video.mjpg", "whep"),
        ("/media/cameras/CAM-01/index.m3u8", "whep"),
        ("/media/cameras/CAM-01/clip", "mjpeg"),
    ],
)
async def test_a_kind_that_contradicts_the_url_is_a_field_error(
    running: Running, url: str, kind: str
) -> None:
    client, _ = await _commander(running)
    r = await client.post("/api/cameras", json=_camera(stream_url=url, stream_kind=kind))
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "cameras.kind_mismatch"
    assert r.json()["details"][0]["loc"] == ["body", "stream_kind"]
    assert await _counts(running) == (0, 0)
    # The same on an update.
    ok = await client.post("/api/cameras", json=_camera(stream_url="", stream_kind="hls"))
    r = await client.patch(
        f"/api/cameras/{ok.json()['id']}", json={"stream_url": url, "stream_kind": kind}
    )
    assert r.status_code == 422 and r.json()["code"] == "cameras.kind_mismatch"
    assert (await client.get(f"/api/cameras/{ok.json()['id']}")).json()["stream_url"] == ""


async def test_kind_is_taken_from_the_url_when_omitted(running: Running) -> None:
    client, _ = await _commander(running)
    cases = {
        "A": ("https://cams.example/live/c1.m3u8", "hls"),
        "B": ("http://10.1.1.9:8889/cam1/whep", "whep"),
        "C": ("http://10.1.1.9/axis-cgi/mjpg/video.cgi", "hls"),  # cannot tell: HLS
        "D": ("http://10.1.1.9/mjpg/video.mjpg?resolution=640x360", "mjpeg"),
        "E": ("/media/cameras/E/clip.mp4", "mp4"),
    }
    for code, (url, kind) in cases.items():
        body = _camera(code=code, stream_url=url)
        body.pop("stream_kind")
        r = await client.post("/api/cameras", json=body)
        assert r.status_code == 201, r.text
        assert r.json()["stream_kind"] == kind, code
    # An MJPEG CGI URL that does not tell its kind is accepted as what the operator says.
    r = await client.post(
        "/api/cameras",
        json=_camera(code="F", stream_url="http://10.1.1.9/video.cgi", stream_kind="mjpeg"),
    )
    assert r.status_code == 201


def test_stream_rules() -> None:
    assert guess_kind("https://x.example/a/B.M3U8?token=1") is StreamKind.hls
    assert guess_kind("https://x.example/a/whep/") is StreamKind.whep
    assert guess_kind("https://x.example/a/stream") is None
    assert guess_kind("") is None
    assert stream_problem("", StreamKind.whep) is None
    assert stream_problem("https://x.example/a", StreamKind.mjpeg) is None


async def test_codes_are_unique(running: Running) -> None:
    client, _ = await _commander(running)
    assert (await client.post("/api/cameras", json=_camera())).status_code == 201
    r = await client.post("/api/cameras", json=_camera(name="另一个"))
    assert r.status_code == 409 and r.json()["code"] == "cameras.code_taken"
    second = await client.post("/api/cameras", json=_camera(code="CAM-02"))
    r = await client.patch(f"/api/cameras/{second.json()['id']}", json={"code": "CAM-01"})
    assert r.status_code == 409 and r.json()["code"] == "cameras.code_taken"
    assert (await client.get(f"/api/cameras/{second.json()['id']}")).json()["code"] == "CAM-02"
    assert await _counts(running) == (2, 2)


async def test_unknown_squadron_is_a_field_error(running: Running) -> None:
    client, _ = await _commander(running)
    r = await client.post("/api/cameras", json=_camera(squadron_id=9999))
    assert r.status_code == 422 and r.json()["code"] == "cameras.unknown_squadron"
    assert r.json()["details"][0]["loc"] == ["body", "squadron_id"]
    assert await _counts(running) == (0, 0)


async def test_heading_360_is_north_and_nan_is_refused(running: Running) -> None:
    client, _ = await _commander(running)
    r = await client.post("/api/cameras", json=_camera(heading=360))
    assert r.status_code == 201 and r.json()["heading"] == 0
    r = await client.post(
        "/api/cameras",
        content=b'{"code": "N", "name": "n", "lon": NaN, "lat": 30}',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 422
    assert not any(math.isnan(c["lon"]) for c in (await client.get("/api/cameras")).json()["items"])


async def test_deleting_a_squadron_keeps_its_cameras(running: Running) -> None:
    client, squadron = await _commander(running)
    r = await client.post("/api/cameras", json=_camera(squadron_id=squadron))
    assert (await client.delete(f"/api/org/squadrons/{squadron}")).status_code == 204
    camera = (await client.get(f"/api/cameras/{r.json()['id']}")).json()
    assert camera["squadron_id"] is None and camera["squadron_name"] is None


@pytest.mark.parametrize("role", [Role.operator, Role.leader, Role.supervisor])
async def test_console_roles_read_but_do_not_manage(running: Running, role: Role) -> None:
    admin = await running.login("root", Role.admin)
    created = await admin.post("/api/cameras", json=_camera())
    assert created.status_code == 201
    reader = await running.login(f"u_{role.value}", role)
    assert (await reader.get("/api/cameras")).status_code == 200
    assert (await reader.get("/api/cameras/export")).status_code == 200
    for method, url, kwargs in [
        ("POST", "/api/cameras", {"json": _camera(code="X")}),
        ("PATCH", f"/api/cameras/{created.json()['id']}", {"json": {"name": "x"}}),
        ("DELETE", f"/api/cameras/{created.json()['id']}", {}),
        ("POST", "/api/cameras/import", {"files": {"file": ("c.csv", b"code\n")}}),
    ]:
        r = await reader.request(method, url, **kwargs)
        assert r.status_code == 403, (method, url)
        assert r.json()["details"] == {"permission": "cameras:manage"}
    assert await _counts(running) == (1, 1)


@pytest.mark.parametrize("role", [Role.officer, Role.auxiliary, Role.legal])
async def test_roles_without_the_console_cannot_see_cameras(running: Running, role: Role) -> None:
    other = await running.login(f"u_{role.value}", role)
    r = await other.get("/api/cameras")
    assert r.status_code == 403 and r.json()["details"] == {"permission": "cameras:read"}
    assert (await running.client.get("/api/cameras")).status_code == 401


async def test_changes_reach_subscribers_after_commit(running: Running) -> None:
    client, _ = await _commander(running)
    sub = await running.app.state.bus.subscribe(["cameras"])  # type: ignore[attr-defined]
    r = await client.post("/api/cameras", json=_camera())
    event = await sub.get()
    assert event.topic == "cameras" and event.name == "camera.created"
    assert event.data["id"] == r.json()["id"] and event.data["name"] == "群益广场"
    assert event.key == f"camera:{r.json()['id']}"
    await client.patch(f"/api/cameras/{r.json()['id']}", json={"enabled": False})
    event = await sub.get()
    assert event.name == "camera.updated" and event.data["enabled"] is False
    await client.delete(f"/api/cameras/{r.json()['id']}")
    event = await sub.get()
    assert event.name == "camera.deleted" and event.data == {"id": r.json()["id"]}
    # Refused changes publish nothing.
    await client.post("/api/cameras", json=_camera(lon=500))
    await client.patch(f"/api/cameras/{r.json()['id']}", json={"name": "gone"})
    assert sub.queue.empty()  # type: ignore[attr-defined]


async def test_the_hub_topic_needs_cameras_read_and_starts_with_a_snapshot(
    running: Running,
) -> None:
    hub = running.app.state.hub  # type: ignore[attr-defined]
    assert hub.topics["cameras"].value == "cameras:read"
    client, _ = await _commander(running)
    await client.post("/api/cameras", json=_camera())
    snapshot = await hub._snapshots["cameras"](None)
    assert [c["code"] for c in snapshot["items"]] == ["CAM-01"]
