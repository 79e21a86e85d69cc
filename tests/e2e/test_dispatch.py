"""Incidents and dispatch in real browsers: an operator console and two officer phones in the
river town of tests/river_town.py, where the officer across the river is nearer in a
straight line but 8 km away by road (one bridge, at the east end).

- The operator creates an incident from a camera tile on the camera wall; the recommendation
  ranks the officer nearer by road first; one click dispatches; that officer's phone rings with
  the incident card and the route; accept → set off → drive there (arrival recorded by itself
  within 50 m) → handled with a note and a photo; the console's timeline shows every step with
  its time and the four response times.
- A dispatch nobody accepts raises the console's alert after the (shortened) timeout, with the
  next officer and a one-click 改派, which rings the other phone.

This module starts its own server: the river town is imported with `patrolgrid import-osm`, the
demo accounts are loaded without the simulator, and the acceptance timeout is a few seconds.
"""

from __future__ import annotations

import json
import os
import re
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from patrolgrid.app import STATIC_DIR
from tests.e2e.conftest import _free_port, shot
from tests.e2e.test_console import _login
from tests.river_town import INCIDENT, NORTH_OFFICER, SOUTH_OFFICER, river_town

# Each test drives three browsers through a whole dispatch (the first also starts the server).
pytestmark = pytest.mark.timeout(300)

ACCEPT_TIMEOUT_S = 12
CAMERA_NAME = "滨江路口摄像头"
CLOCK = re.compile(r"^\d{2}:\d{2}:\d{2}$")
DURATION = re.compile(r"^\d+:\d{2}$")


def _river_town_geojson() -> dict[str, Any]:
    """river_town() as a GeoJSON file `patrolgrid import-osm` reads (one feature per segment)."""
    network = river_town()
    features = []
    for segment in network.segments:
        road = network.roads[segment.road_index]
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "name": road.name,
                    "highway": road.highway,
                    "oneway": "no",
                    "maxspeed": road.maxspeed_kmh,
                    "lanes": road.lanes,
                },
                "geometry": {
                    "type": "LineString",
                    "coordinates": [list(point) for point in segment.coords],
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


@pytest.fixture(scope="module")
def town_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not (STATIC_DIR / "index.html").is_file():
        pytest.fail("web front end not built: run `make web` first", pytrace=False)
    data_dir = tmp_path_factory.mktemp("e2e-dispatch")
    network_file = data_dir / "river-town.geojson"
    network_file.write_text(json.dumps(_river_town_geojson(), ensure_ascii=False))
    port = _free_port()
    env = {
        **os.environ,
        "PATROLGRID_DATA_DIR": str(data_dir),
        "PATROLGRID_PORT": str(port),
        "PATROLGRID_DISPATCH_ACCEPT_TIMEOUT_SECONDS": str(ACCEPT_TIMEOUT_S),
        "PATROLGRID_DISPATCH_SWEEP_SECONDS": "1",
    }
    env.pop("PATROLGRID_DATABASE_URL", None)
    env.pop("PATROLGRID_SIMULATE", None)
    imported = subprocess.run(
        [sys.executable, "-m", "patrolgrid", "import-osm", str(network_file)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert imported.returncode == 0, imported.stdout + imported.stderr
    log = (data_dir / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "patrolgrid", "demo", "--no-simulate"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            pytest.fail("server did not start:\n" + (data_dir / "server.log").read_text())
        time.sleep(0.3)
    yield url
    server.terminate()
    server.wait(10)


def _png(width: int = 160, height: int = 120) -> bytes:
    """A small gradient PNG, standing in for a photo from the phone's camera."""
    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 255 // width, y * 255 // height, 96)) for x in range(width))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _phone(browser: Browser, url: str, username: str, at: tuple[float, float]) -> Page:
    """An officer's phone at `at`, signed in and on duty (reporting GPS)."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        locale="zh-CN",
        is_mobile=True,
        has_touch=True,
        geolocation={"longitude": at[0], "latitude": at[1], "accuracy": 8},
        permissions=["geolocation"],
    )
    phone = context.new_page()
    phone.goto(url + "/m/")
    _login(phone, username)
    expect(phone.get_by_test_id("officer-connection")).to_have_attribute(
        "data-state", "online", timeout=15_000
    )
    status = phone.get_by_test_id("officer-status")
    # The server's status for this officer (on duty already when an earlier test started it).
    expect(status).to_have_attribute("data-status", re.compile(r".+"), timeout=15_000)
    expect(status).to_have_attribute("data-synced", "true", timeout=15_000)
    if status.get_attribute("data-status") not in ("on_duty", "patrolling"):
        expect(phone.get_by_test_id("officer-duty-start")).to_be_enabled()
        phone.get_by_test_id("officer-duty-start").click()
        expect(status).to_contain_text("在岗", timeout=15_000)
    expect(phone.get_by_test_id("officer-gps")).to_have_attribute(
        "data-quality", "good", timeout=15_000
    )
    return phone


def _console(browser: Browser, url: str, next_path: str) -> Page:
    context = browser.new_context(viewport={"width": 1600, "height": 960}, locale="zh-CN")
    desk = context.new_page()
    desk.goto(url + "/login?redirect=" + next_path.replace("?", "%3F").replace("=", "%3D"))
    _login(desk, "operator")
    return desk


def _person_id(context: BrowserContext, url: str, badge: str) -> int:
    found = context.request.get(url + "/api/org/people", params={"q": badge}).json()["items"]
    return int(found[0]["id"])


def _wait_available(context: BrowserContext, url: str, incident_id: int, count: int) -> None:
    """Until the recommendation lists `count` people (their first positions have arrived)."""
    deadline = time.monotonic() + 20
    while True:
        answer = context.request.get(url + f"/api/incidents/{incident_id}/recommendations")
        if len(answer.json()["items"]) >= count:
            return
        assert time.monotonic() < deadline, answer.text()
        time.sleep(0.5)


def test_camera_incident_dispatched_by_road_handled_and_timed(
    browser: Browser, town_url: str
) -> None:
    # Two officers on duty: 赵杰 (P01001) straight across the river, 杨子豪 (A01001) down the road.
    north = _phone(browser, town_url, "officer", NORTH_OFFICER)
    south = _phone(browser, town_url, "auxiliary", SOUTH_OFFICER)

    # A camera looking at the scene (as a commander would register it).
    admin = browser.new_context()
    admin.request.post(
        town_url + "/api/auth/login", data={"username": "commander", "password": "demo12345"}
    )
    clip = next(
        (
            c["stream_url"]
            for c in admin.request.get(town_url + "/api/cameras").json()["items"]
            if c["stream_url"] and c["enabled"]
        ),
        "",
    )
    camera = admin.request.post(
        town_url + "/api/cameras",
        data={
            "code": "E2E-BJ-01",
            "name": CAMERA_NAME,
            "lon": INCIDENT[0] + 0.0002,
            "lat": INCIDENT[1] - 0.0002,
            "stream_url": clip,
        },
    )
    assert camera.status == 201, camera.text()
    camera_id = camera.json()["id"]

    # 接警: the operator sees it on the camera wall and creates the incident from the tile.
    desk = _console(browser, town_url, f"/wall?camera={camera_id}")
    tile = desk.locator("[data-testid^='wall-tile-']").filter(has_text=CAMERA_NAME).first
    expect(tile).to_be_visible(timeout=20_000)
    shot(desk, "dispatch-01-camera-wall")
    tile.get_by_test_id("wall-tile-incident").click()
    dialog = desk.get_by_test_id("incident-create-dialog")
    expect(dialog).to_be_visible()
    expect(desk.get_by_test_id("incident-source-camera")).to_have_class(re.compile("is-active"))
    expect(desk.get_by_test_id("incident-place")).to_have_attribute("data-set", "true")
    expect(desk.get_by_test_id("incident-address")).to_have_value(CAMERA_NAME)
    desk.get_by_test_id("incident-type-blocking").click()
    desk.get_by_test_id("incident-priority-2").click()
    desk.get_by_test_id("incident-description").fill("三轮车占道，堵住滨江路东行车道")
    expect(dialog.get_by_test_id("incident-mini-map")).to_have_attribute(
        "data-state", "ready", timeout=15_000
    )
    shot(desk, "dispatch-02-create-from-camera")
    desk.get_by_test_id("incident-submit").click()

    detail = desk.get_by_test_id("incident-detail")
    expect(detail).to_have_attribute("data-status", "new", timeout=10_000)
    incident_id = int(detail.get_attribute("data-incident-id") or 0)
    incident = desk.request.get(town_url + f"/api/incidents/{incident_id}").json()
    assert incident["source"] == "camera" and incident["camera_id"] == camera_id
    assert incident["road_name"] == "滨江路"
    expect(desk.get_by_test_id("incident-detail-camera")).to_contain_text(CAMERA_NAME)
    expect(desk.get_by_test_id(f"incident-row-{incident_id}")).to_be_visible()

    # 调警: ranked by road. The north officer is nearer in a straight line, the south one by road.
    north_id = _person_id(desk.context, town_url, "P01001")
    south_id = _person_id(desk.context, town_url, "A01001")
    _wait_available(desk.context, town_url, incident_id, 2)
    desk.get_by_test_id("recommend-refresh").click()
    rows = desk.locator("[data-testid^='recommend-row-']")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_have_attribute("data-testid", f"recommend-row-{south_id}")
    expect(rows.nth(1)).to_have_attribute("data-testid", f"recommend-row-{north_id}")
    table = desk.get_by_test_id("recommend-table")
    road_km = [float(x) for x in table.get_by_test_id("recommend-road-km").all_inner_texts()]
    line_km = [float(x) for x in table.get_by_test_id("recommend-straight-km").all_inner_texts()]
    etas = table.get_by_test_id("recommend-eta").all_inner_texts()
    assert road_km[0] < road_km[1], road_km  # first by road ...
    assert line_km[0] > line_km[1], line_km  # ... though farther in a straight line
    assert all(re.match(r"^\d+:\d{2}$", eta) for eta in etas), etas
    expect(desk.get_by_test_id("incident-route-info")).to_contain_text("公里")
    shot(desk, "dispatch-03-recommendation-by-road")

    desk.get_by_test_id(f"recommend-dispatch-{south_id}").click()
    expect(detail).to_have_attribute("data-status", "dispatched")

    # 出警: the south officer's phone rings with the incident card and the route there.
    card = south.get_by_test_id("officer-incident")
    expect(card).to_be_visible(timeout=10_000)
    expect(card).to_have_attribute("data-status", "dispatched")
    expect(card).to_have_attribute("data-ringing", "true")
    expect(south.get_by_test_id("officer-incident-type")).to_have_text("占道/堵路")
    expect(south.get_by_test_id("officer-incident-description")).to_contain_text("三轮车")
    expect(south.get_by_test_id("officer-incident-route")).not_to_have_attribute("data-meters", "")
    expect(south.get_by_test_id("officer-incident-amap")).to_have_attribute(
        "href", re.compile(r"^https://uri\.amap\.com/")
    )
    expect(north.get_by_test_id("officer-incident")).to_have_count(0)
    south.wait_for_timeout(800)  # the map fits the route
    shot(south, "dispatch-04-phone-rings")

    south.get_by_test_id("officer-incident-accept").click()
    expect(card).to_have_attribute("data-status", "accepted")
    expect(card).to_have_attribute("data-ringing", "false")
    south.get_by_test_id("officer-incident-depart").click()
    expect(card).to_have_attribute("data-status", "en_route")
    expect(south.get_by_test_id("officer-status")).to_have_attribute("data-status", "en_route")
    shot(south, "dispatch-05-phone-en-route")
    # Back on the home screen the dispatch stays at the top, its route on the map.
    south.get_by_test_id("officer-incident-close").click()
    current = south.get_by_test_id("officer-current-incident")
    expect(current).to_have_attribute("data-status", "en_route")
    shot(south, "dispatch-06-phone-home")
    current.click()

    # Driving west along 滨江路: within 50 m of the scene the arrival is recorded by itself.
    south_context = south.context
    for lon in (0.710, 0.705, 0.7015, 0.7002):
        south_context.set_geolocation(
            {"longitude": 108 + lon, "latitude": INCIDENT[1], "accuracy": 8}
        )
        south.wait_for_timeout(2500)
    expect(card).to_have_attribute("data-status", "on_scene", timeout=15_000)

    # 处警: handled, with a note and a photo from the camera.
    south.get_by_test_id("officer-incident-handled").click()
    south.get_by_test_id("officer-handled-note").fill("已劝离三轮车，道路恢复通行")
    with south.expect_file_chooser() as chooser:
        south.get_by_test_id("officer-handled-photo").click()
    chooser.value.set_files(
        files=[{"name": "scene.png", "mimeType": "image/png", "buffer": _png()}]
    )
    expect(south.get_by_test_id("officer-handled-photo-name")).to_have_text("scene.png")
    shot(south, "dispatch-07-phone-handled-form")
    south.get_by_test_id("officer-handled-submit").click()
    expect(card).to_have_attribute("data-status", "handled", timeout=10_000)
    expect(south.get_by_test_id("officer-incident-ended")).to_contain_text("处置完毕")
    shot(south, "dispatch-08-phone-done")

    # The console followed every step live: the timeline with times, the four response times.
    expect(detail).to_have_attribute("data-status", "handled", timeout=10_000)
    assignment = desk.locator(f"[data-testid^='assignment-'][data-person-id='{south_id}']")
    expect(assignment).to_have_attribute("data-status", "handled")
    expect(assignment).to_contain_text("自动")
    timeline = desk.get_by_test_id("incident-timeline")
    entries = timeline.get_by_test_id("timeline-entry")
    expect(entries.filter(has_text="已劝离三轮车")).to_have_count(1)
    kinds = [e.get_attribute("data-kind") for e in entries.all()]
    steps = ["created", "dispatched", "accepted", "en_route", "arrived", "handled"]
    assert [k for k in kinds if k in steps] == steps, kinds
    assert "photo" in kinds
    for entry in entries.all():
        assert CLOCK.match(entry.locator(".clock").inner_text()), entry.inner_text()
    expect(timeline.locator("[data-kind='arrived']")).to_contain_text("自动")
    for key in ("receive_to_dispatch", "dispatch_to_accept", "dispatch_to_arrive"):
        tile_ = desk.get_by_test_id(f"duration-{key}")
        expect(tile_).to_have_attribute("data-running", "false")
        assert DURATION.match(tile_.locator(".value").inner_text())
    expect(desk.get_by_test_id("duration-arrive_to_handled")).to_have_attribute(
        "data-running", "false"
    )
    expect(desk.get_by_test_id("incident-photos")).to_have_attribute("data-count", "1")
    timeline.scroll_into_view_if_needed()
    desk.locator(".incident-detail .body").evaluate("(el) => el.scrollBy(0, 260)")
    desk.wait_for_timeout(400)
    shot(desk, "dispatch-09-console-timeline")

    # 结案.
    desk.get_by_test_id("incident-close").click()
    desk.locator(".incident-prompt").get_by_role("button", name="确定").click()
    expect(detail).to_have_attribute("data-status", "closed")
    for page in (north, south, desk):
        page.context.close()
    admin.close()


def test_unaccepted_dispatch_alerts_the_console_with_the_next_officer(
    browser: Browser, town_url: str
) -> None:
    north = _phone(browser, town_url, "officer", NORTH_OFFICER)
    south = _phone(browser, town_url, "auxiliary", SOUTH_OFFICER)
    desk = _console(browser, town_url, "/incidents")
    # Subscribed to the live incidents before the call comes in.
    expect(desk.get_by_test_id("incidents-page")).to_have_attribute("data-live", "ready")
    created = desk.request.post(
        town_url + "/api/incidents",
        data={
            "source": "hotline",
            "type": "accident",
            "priority": 1,
            "lon": INCIDENT[0] + 0.001,
            "lat": INCIDENT[1],
            "address": "滨江路与北岸码头路口",
            "description": "两车追尾，占用一条车道",
            "caller_name": "王先生",
            "caller_phone": "13800138000",
        },
    )
    assert created.status == 201, created.text()
    incident_id = created.json()["id"]
    north_id = _person_id(desk.context, town_url, "P01001")
    south_id = _person_id(desk.context, town_url, "A01001")
    _wait_available(desk.context, town_url, incident_id, 2)

    # The new incident comes into the list live, highlighted.
    row = desk.get_by_test_id(f"incident-row-{incident_id}")
    expect(row).to_have_attribute("data-fresh", "true")
    row.click()
    detail = desk.get_by_test_id("incident-detail")
    expect(detail).to_have_attribute("data-status", "new")
    expect(desk.get_by_test_id(f"recommend-row-{north_id}")).to_be_visible()

    # The operator sends the north officer, who does not answer.
    desk.get_by_test_id(f"recommend-dispatch-{north_id}").click()
    expect(north.get_by_test_id("officer-incident")).to_have_attribute(
        "data-ringing", "true", timeout=10_000
    )
    dispatched_at = time.monotonic()
    alert = desk.get_by_test_id("incident-alert")
    expect(alert).to_be_visible(timeout=(ACCEPT_TIMEOUT_S + 15) * 1000)
    assert time.monotonic() - dispatched_at >= ACCEPT_TIMEOUT_S - 2
    expect(alert).to_have_attribute("data-reason", "timeout")
    expect(alert).to_have_attribute("data-incident-id", str(incident_id))
    expect(alert).to_contain_text("赵杰")
    expect(desk.get_by_test_id("incident-alert-next")).to_have_attribute(
        "data-person-id", str(south_id)
    )
    expect(detail).to_have_attribute("data-alert", "true")
    expect(desk.get_by_test_id("assignment-overdue")).to_be_visible()
    expect(desk.get_by_test_id(f"incident-row-{incident_id}")).to_have_attribute(
        "data-alert", "true"
    )
    # The alert cannot be dismissed: it is on every page until someone acts.
    shot(desk, "dispatch-10-console-timeout-alert")
    desk.get_by_test_id("nav-map").click()
    expect(desk.get_by_test_id("map-page")).to_have_attribute("data-state", "ready", timeout=30_000)
    expect(alert).to_be_visible()
    desk.get_by_test_id("nav-incidents").click()

    # 一键改派: the south officer's phone rings; the north officer's dispatch is withdrawn.
    desk.get_by_test_id("incident-alert-act").click()
    expect(alert).to_have_count(0, timeout=10_000)
    south_card = south.get_by_test_id("officer-incident")
    expect(south_card).to_have_attribute("data-ringing", "true", timeout=10_000)
    expect(north.get_by_test_id("officer-incident")).to_have_attribute("data-status", "withdrawn")
    south.get_by_test_id("officer-incident-accept").click()
    expect(south_card).to_have_attribute("data-status", "accepted")
    desk.get_by_test_id(f"incident-row-{incident_id}").click()
    expect(detail).to_have_attribute("data-status", "accepted", timeout=10_000)
    expect(detail).to_have_attribute("data-alert", "false")
    kinds = [e.get_attribute("data-kind") for e in desk.get_by_test_id("timeline-entry").all()]
    assert kinds == ["created", "dispatched", "timeout", "withdrawn", "dispatched", "accepted"], (
        kinds
    )
    shot(desk, "dispatch-11-console-reassigned")
    shot(north, "dispatch-12-phone-withdrawn")

    # The incident on the 地图 page: a click on its pin opens its card.
    desk.goto(town_url + "/map?testhooks=1")
    expect(desk.get_by_test_id("map-page")).to_have_attribute("data-state", "ready", timeout=30_000)
    expect(desk.get_by_test_id("map-layer-incidents")).to_be_visible()
    desk.wait_for_function("() => window.__patrolgridMap?.loaded()")
    desk.wait_for_timeout(1000)
    x, y = desk.evaluate(
        "([lon, lat]) => {"
        " const p = window.__patrolgridMap.project([lon, lat]); return [p.x, p.y] }",
        [INCIDENT[0] + 0.001, INCIDENT[1]],
    )
    canvas = desk.get_by_test_id("map-canvas").bounding_box()
    assert canvas is not None
    desk.mouse.click(canvas["x"] + x, canvas["y"] + y - 20)  # the pin stands above its point
    map_card = desk.get_by_test_id("incident-map-card")
    expect(map_card).to_have_attribute("data-incident-id", str(incident_id))
    expect(map_card).to_have_attribute("data-status", "accepted")
    shot(desk, "dispatch-13-map-incident-card")
    map_card.get_by_test_id("incident-map-card-open").click()
    expect(desk.get_by_test_id("incident-detail")).to_have_attribute(
        "data-incident-id", str(incident_id)
    )
    for page in (north, south, desk):
        page.context.close()
