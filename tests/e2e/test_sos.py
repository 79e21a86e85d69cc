"""Officer SOS and command groups in real Chromium with a fake camera and microphone.

Three browsers: the commander's console, the officer who presses SOS, and an auxiliary of the same
squadron on duty nearby. The server runs the demo without its simulator (so nothing else moves or
rings), with a short escalation time and a duty leader's mobile for the escalation SMS.

What this shows (screenshots 40–49 in test-results/):
- the officer holds SOS for 2 s; the console shows the full-screen alarm, the siren plays (its
  AudioContext runs and wails), and the console's <video> gets the officer's camera (frames with a
  width, time advancing);
- the auxiliary's phone rings with the SOS and draws the road route to the officer on its map;
  their 我已出发 shows on the console;
- nobody acknowledges in time: the SOS is escalated and an SMS to the duty leader is recorded;
- the commander acknowledges (the officer sees who) and resolves with a note (recorded);
- a command group formed from an incident with both officers: chat both ways, and video both ways
  (console ⇄ phone video elements get frames); closing archives it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    WebSocketRoute,
    expect,
)

from patrolgrid.app import STATIC_DIR
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, _free_port, shot
from tests.e2e.test_console import DEMO_PASSWORD, _field, _login
from tests.e2e.test_live_tracking import _road_points

ESCALATE_AFTER = 8
DUTY_LEADER_MOBILE = "13800138000"
MEDIA_ARGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
PHONE = {"width": 390, "height": 844}
COMMANDER_NAME = "指挥长 周建华"


@pytest.fixture(scope="module")
def sos_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo server without the simulator, escalating unacknowledged SOS after 8 s."""
    if not (STATIC_DIR / "index.html").is_file():
        pytest.fail("web front end not built: run `make web` first", pytrace=False)
    port = _free_port()
    data_dir = tmp_path_factory.mktemp("e2e-sos")
    env = {
        **os.environ,
        "PATROLGRID_DATA_DIR": str(data_dir),
        "PATROLGRID_PORT": str(port),
        "PATROLGRID_SOS_ESCALATE_AFTER_SECONDS": str(ESCALATE_AFTER),
        "PATROLGRID_SOS_SWEEP_SECONDS": "1",
        "PATROLGRID_DUTY_LEADER_MOBILE": DUTY_LEADER_MOBILE,
    }
    env.pop("PATROLGRID_DATABASE_URL", None)
    log = (data_dir / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "patrolgrid", "demo", "--no-simulate"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            pytest.fail("server did not start:\n" + (data_dir / "server.log").read_text())
        time.sleep(0.2)
    yield url
    server.terminate()
    server.wait(10)


@pytest.fixture(scope="module")
def media_browser(playwright: Playwright) -> Iterator[Browser]:
    """Chromium with a fake camera (a moving test pattern) and microphone (a beep)."""
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *MEDIA_ARGS]
    )
    yield browser
    browser.close()


class Scene:
    """The three browsers, shared by the tests of this module (in order)."""

    def __init__(self, browser: Browser, url: str) -> None:
        self.url = url
        self.console_context = browser.new_context(
            viewport={"width": 1440, "height": 900},
            locale="zh-CN",
            permissions=["camera", "microphone"],
        )
        self.desk = self.console_context.new_page()
        self.desk.goto(url + "/login?redirect=/map")
        _login(self.desk, "commander")
        expect(self.desk.get_by_test_id("ws-status")).to_have_attribute(
            "data-connected", "true", timeout=20_000
        )
        self.officer = self._person("P01001")
        self.auxiliary = self._person("A01001")
        self.road = _road_points(self.desk, url, "滨江大道", 12)
        self.officer_at, self.auxiliary_at = self.road[7], self.road[2]
        self.browser = browser
        # The officer's WebSocket goes through Playwright, so the test can cut it (a phone losing
        # coverage); HTTP is cut with the context's offline mode.
        self.cut = False
        self.sockets: list[WebSocketRoute] = []
        self.officer_context, self.phone = self._phone("officer", self.officer_at, routed=True)
        self.auxiliary_context, self.aux_phone = self._phone("auxiliary", self.auxiliary_at)

    def _person(self, badge: str) -> dict[str, Any]:
        found: dict[str, Any] = self.desk.request.get(
            self.url + "/api/org/people", params={"q": badge}
        ).json()["items"][0]
        return found

    def _route_socket(self, ws: WebSocketRoute) -> None:
        if self.cut:
            ws.close()
            return
        self.sockets += [ws, ws.connect_to_server()]

    def lose_coverage(self) -> None:
        self.cut = True
        self.officer_context.set_offline(True)
        for ws in self.sockets:
            ws.close()
        self.sockets.clear()

    def regain_coverage(self) -> None:
        self.cut = False
        self.officer_context.set_offline(False)

    def _phone(
        self, username: str, at: list[float], routed: bool = False
    ) -> tuple[BrowserContext, Page]:
        context = self.browser.new_context(
            viewport=PHONE,
            locale="zh-CN",
            is_mobile=True,
            has_touch=True,
            geolocation={"longitude": at[0], "latitude": at[1], "accuracy": 8},
            permissions=["geolocation", "camera", "microphone"],
        )
        if routed:
            context.route_web_socket(re.compile(r"/ws(\?|$)"), self._route_socket)
        page = context.new_page()
        page.goto(self.url + "/m/")
        _login(page, username)
        expect(page.get_by_test_id("officer-connection")).to_have_attribute(
            "data-state", "online", timeout=20_000
        )
        expect(page.get_by_test_id("officer-duty-start")).to_be_enabled(timeout=15_000)
        page.get_by_test_id("officer-duty-start").click()
        expect(page.get_by_test_id("officer-status")).to_contain_text("在岗", timeout=15_000)
        expect(page.get_by_test_id("officer-gps")).to_have_attribute(
            "data-quality", "good", timeout=15_000
        )
        return context, page

    def close(self) -> None:
        for context in (self.officer_context, self.auxiliary_context, self.console_context):
            context.close()


@pytest.fixture(scope="module")
def scene(media_browser: Browser, sos_url: str) -> Iterator[Scene]:
    s = Scene(media_browser, sos_url)
    yield s
    s.close()


def _wait_for_frames(page: Page, selector: str, timeout: float = 30_000) -> None:
    """The <video> shows real frames: a width, and its time advancing."""
    page.wait_for_function(
        "(sel) => { const v = document.querySelector(sel);"
        " return !!v && v.videoWidth > 0 && v.readyState >= 2 && v.currentTime > 0; }",
        arg=selector,
        timeout=timeout,
    )
    first = page.evaluate("(sel) => document.querySelector(sel).currentTime", selector)
    page.wait_for_function(
        "([sel, t]) => document.querySelector(sel).currentTime > t + 0.5",
        arg=[selector, first],
        timeout=10_000,
    )


def _admin_get(url: str, path: str, params: dict[str, Any] | None = None) -> Any:
    with httpx.Client(base_url=url, timeout=10) as client:
        login = client.post(
            "/api/auth/login", json={"username": "admin", "password": DEMO_PASSWORD}
        )
        assert login.status_code == 200, login.text
        response = client.get(path, params=params)
        assert response.status_code == 200, response.text
        return response.json()


def _hold(page: Page, test_id: str, seconds: float) -> None:
    box = page.get_by_test_id(test_id).bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.wait_for_timeout(seconds * 1000)
    page.mouse.up()


def test_sos_alarm_video_route_escalation_ack_and_resolve(scene: Scene) -> None:
    desk, phone, aux = scene.desk, scene.phone, scene.aux_phone

    # A short press is cancelled: nothing is raised.
    _hold(phone, "sos-button", 0.8)
    expect(phone.get_by_test_id("sos-button")).to_have_attribute("data-state", "idle")
    expect(desk.get_by_test_id("sos-layer")).to_have_count(0)

    # Hold 2 s: the countdown ring fills, then the SOS goes out.
    box = phone.get_by_test_id("sos-button").bounding_box()
    assert box is not None
    phone.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    phone.mouse.down()
    phone.wait_for_timeout(1000)
    expect(phone.get_by_test_id("sos-button")).to_have_attribute("data-state", "holding")
    expect(phone.get_by_test_id("sos-countdown")).to_contain_text("继续按住")
    shot(phone, "40-officer-sos-holding")
    phone.wait_for_timeout(1300)
    phone.mouse.up()

    own = phone.get_by_test_id("own-sos")
    expect(own).to_have_attribute("data-phase", "sent", timeout=15_000)
    sos_id = int(own.get_attribute("data-sos-id") or 0)
    assert sos_id > 0
    expect(phone.get_by_test_id("own-sos-status")).to_have_text("求助已发出")
    expect(phone.get_by_test_id("own-sos-camera")).to_have_attribute("data-state", "live")

    # The console: full-screen alarm with the officer, the siren running, the live video.
    layer = desk.get_by_test_id("sos-layer")
    expect(layer).to_have_attribute("data-expanded", "true", timeout=15_000)
    expect(layer).to_have_attribute("data-siren", "on")
    panel = desk.get_by_test_id("sos-panel")
    expect(panel).to_have_attribute("data-sos-id", str(sos_id))
    expect(desk.get_by_test_id("sos-name")).to_have_text(scene.officer["name"])
    expect(desk.get_by_test_id("sos-mobile")).to_have_attribute(
        "href", f"tel:{scene.officer['mobile']}"
    )
    expect(desk.get_by_test_id("sos-squadron")).to_have_text(scene.officer["squadron_name"])
    expect(desk.get_by_test_id("sos-status")).to_have_text("待确认")
    expect(layer).to_have_attribute("data-audio", "running", timeout=10_000)
    desk.wait_for_function(
        "() => Number(document.querySelector('[data-testid=sos-layer]').dataset.audioCycles) >= 1",
        timeout=10_000,
    )
    _wait_for_frames(desk, "[data-testid=sos-video]")
    expect(desk.get_by_test_id("sos-video")).to_have_attribute("data-state", "playing")
    expect(desk.get_by_test_id("sos-map")).to_have_attribute("data-state", "ready")
    expect(phone.get_by_test_id("own-sos-viewers")).to_be_visible(timeout=10_000)
    shot(desk, "41-console-sos-alarm")
    shot(phone, "42-officer-sos-sent")

    # The auxiliary on duty nearby: the alert rings, with the route to the officer drawn.
    alert = aux.get_by_test_id("sos-alert")
    expect(alert).to_have_attribute("data-sos-id", str(sos_id), timeout=15_000)
    expect(alert).to_have_attribute("data-ringing", "true")
    expect(aux.get_by_test_id("sos-alert-name")).to_have_text(scene.officer["name"])
    route_map = aux.get_by_test_id("sos-alert-map")
    expect(route_map).to_have_attribute("data-state", "ready", timeout=20_000)
    aux.wait_for_function(
        "() => { const m = document.querySelector('[data-testid=sos-alert-map]');"
        " return Number(m.dataset.routePoints) >= 2 && Number(m.dataset.routeRendered) > 0; }",
        timeout=20_000,
    )
    meters = aux.get_by_test_id("sos-alert-distance").get_attribute("data-meters")
    assert meters and int(meters) > 0
    assert "uri.amap.com/navigation" in (
        aux.get_by_test_id("sos-alert-amap").get_attribute("href") or ""
    )
    assert "api.map.baidu.com/direction" in (
        aux.get_by_test_id("sos-alert-baidu").get_attribute("href") or ""
    )
    shot(aux, "43-auxiliary-sos-alert-route")

    # The officer moves on (GPS runs while in SOS): the route to them is planned again.
    scene.officer_context.set_geolocation(
        {"longitude": scene.road[10][0], "latitude": scene.road[10][1], "accuracy": 8}
    )
    aux.wait_for_function(
        "(before) => document.querySelector('[data-testid=sos-alert-distance]')"
        ".dataset.meters !== before",
        arg=meters,
        timeout=20_000,
    )
    aux.get_by_test_id("sos-alert-answer").click()
    expect(aux.get_by_test_id("sos-alert-answered")).to_be_visible()
    expect(alert).to_have_attribute("data-ringing", "false")
    responder = desk.get_by_test_id(f"sos-responder-{scene.auxiliary['id']}")
    expect(responder).to_have_attribute("data-answered", "true", timeout=10_000)

    # Nobody acknowledged in time: escalated, and the duty leader's SMS is in the outbox.
    expect(panel).to_have_attribute("data-escalated", "true", timeout=(ESCALATE_AFTER + 15) * 1000)
    expect(desk.get_by_test_id("sos-escalated")).to_be_visible()
    sms = _admin_get(scene.url, "/api/sms", {"purpose": "sos.escalation"})["items"]
    texts = [m for m in sms if m["to_phone"] == DUTY_LEADER_MOBILE]
    assert texts and scene.officer["name"] in texts[0]["body"], sms
    shot(desk, "44-console-sos-escalated")

    # A console that reloads (or reconnects) gets every open SOS at once from the snapshot, and
    # the video again. Without a click since the reload the browser keeps the sound off: the
    # layer offers a button for it.
    desk.reload()
    expect(layer).to_have_attribute("data-expanded", "true", timeout=15_000)
    expect(panel).to_have_attribute("data-sos-id", str(sos_id))
    expect(layer).to_have_attribute("data-siren", "on")
    _wait_for_frames(desk, "[data-testid=sos-video]")
    if layer.get_attribute("data-audio") != "running":
        desk.get_by_test_id("sos-sound-enable").click()
    expect(layer).to_have_attribute("data-audio", "running", timeout=10_000)

    # Acknowledge: the siren stops, the officer sees who has it.
    desk.get_by_test_id("sos-ack").click()
    expect(desk.get_by_test_id("sos-status")).to_have_text("已确认")
    expect(layer).to_have_attribute("data-siren", "off")
    expect(desk.get_by_test_id("sos-acked-by")).to_contain_text(COMMANDER_NAME)
    expect(own).to_have_attribute("data-phase", "acknowledged", timeout=10_000)
    expect(phone.get_by_test_id("own-sos-hint")).to_contain_text(COMMANDER_NAME)
    shot(phone, "45-officer-sos-acknowledged")

    # Resolve with a note: recorded, the alarm goes, the officer's card says so.
    desk.get_by_test_id("sos-resolve").click()
    desk.locator(
        "textarea[data-testid=sos-resolve-note], [data-testid=sos-resolve-note] textarea"
    ).first.fill("已到场,民警安全,现场已控制")
    desk.get_by_test_id("sos-resolve-confirm").click()
    expect(layer).to_have_count(0, timeout=10_000)
    expect(own).to_have_attribute("data-phase", "resolved", timeout=10_000)
    expect(aux.get_by_test_id("sos-alert")).to_have_count(0, timeout=10_000)
    recorded = _admin_get(scene.url, f"/api/command/sos/{sos_id}")
    assert recorded["status"] == "resolved"
    assert recorded["acknowledged_by"] == COMMANDER_NAME
    assert recorded["resolved_by"] == COMMANDER_NAME
    assert recorded["resolution"] == "已到场,民警安全,现场已控制"
    assert recorded["escalated_at"] is not None
    answered = [r for r in recorded["responders"] if r["person_id"] == scene.auxiliary["id"]]
    assert answered and answered[0]["answered_at"] is not None
    phone.get_by_test_id("own-sos-dismiss").click()
    expect(phone.get_by_test_id("sos-button")).to_be_visible()


def test_sos_pressed_offline_arrives_and_several_show_as_tabs(scene: Scene) -> None:
    desk, phone, aux = scene.desk, scene.phone, scene.aux_phone
    # The officer's phone loses its connection, then the SOS is pressed: it waits in the outbox
    # (IndexedDB) and is retried; once the network is back it arrives.
    scene.lose_coverage()
    expect(phone.get_by_test_id("officer-connection")).not_to_have_attribute(
        "data-state", "online", timeout=15_000
    )
    _hold(phone, "sos-button", 2.3)
    own = phone.get_by_test_id("own-sos")
    expect(own).to_have_attribute("data-phase", "sending")
    phone.wait_for_timeout(3000)
    expect(own).to_have_attribute("data-phase", "sending")
    expect(desk.get_by_test_id("sos-layer")).to_have_count(0)
    shot(phone, "50-officer-sos-offline-queued")
    scene.regain_coverage()
    expect(own).to_have_attribute("data-phase", "sent", timeout=30_000)
    first = int(own.get_attribute("data-sos-id") or 0)
    expect(desk.get_by_test_id("sos-panel")).to_have_attribute(
        "data-sos-id", str(first), timeout=15_000
    )

    # A second SOS at the same time (the auxiliary): both are on the console, one tab each.
    expect(aux.get_by_test_id("sos-alert")).to_be_visible(timeout=15_000)
    aux.get_by_test_id("sos-alert-close").click()
    _hold(aux, "sos-button", 2.3)
    expect(aux.get_by_test_id("own-sos")).to_have_attribute("data-phase", "sent", timeout=15_000)
    second = int(aux.get_by_test_id("own-sos").get_attribute("data-sos-id") or 0)
    layer = desk.get_by_test_id("sos-layer")
    expect(layer).to_have_attribute("data-count", "2", timeout=15_000)
    expect(desk.get_by_test_id(f"sos-tab-{first}")).to_be_visible()
    expect(desk.get_by_test_id(f"sos-tab-{second}")).to_be_visible()
    # The newest is shown; the other is one click away.
    expect(desk.get_by_test_id("sos-panel")).to_have_attribute("data-sos-id", str(second))
    _wait_for_frames(desk, "[data-testid=sos-video]")
    shot(desk, "51-console-two-sos-tabs")
    desk.get_by_test_id(f"sos-tab-{first}").click()
    expect(desk.get_by_test_id("sos-panel")).to_have_attribute("data-sos-id", str(first))
    expect(desk.get_by_test_id("sos-name")).to_have_text(scene.officer["name"])

    # Acknowledging one leaves the siren on for the other; both resolved, the layer goes.
    desk.get_by_test_id("sos-ack").click()
    expect(desk.get_by_test_id("sos-status")).to_have_text("已确认")
    expect(layer).to_have_attribute("data-siren", "on")
    for sos_id in (first, second):
        answer = desk.request.post(
            f"{scene.url}/api/command/sos/{sos_id}/resolve", data={"note": "测试结束"}
        )
        assert answer.ok, answer.text()
    expect(layer).to_have_count(0, timeout=10_000)
    for page in (phone, aux):
        expect(page.get_by_test_id("own-sos")).to_have_attribute(
            "data-phase", "resolved", timeout=10_000
        )
        page.get_by_test_id("own-sos-dismiss").click()


def test_command_group_from_incident_chat_and_video(scene: Scene) -> None:
    desk, phone, aux = scene.desk, scene.phone, scene.aux_phone
    lon, lat = scene.officer_at
    incident = desk.request.post(
        scene.url + "/api/incidents",
        data={
            "source": "hotline",
            "type": "accident",
            "lon": lon,
            "lat": lat,
            "description": "两车相撞,占用车道",
        },
    )
    assert incident.ok, incident.text()
    code = incident.json()["code"]

    # Form the group on the console: from the incident, with the two officers.
    desk.get_by_test_id("nav-groups").click()
    expect(desk.get_by_test_id("groups-page")).to_be_visible()
    desk.get_by_test_id("group-create").click()
    dialog = desk.get_by_test_id("group-create-dialog")
    expect(dialog).to_be_visible()
    desk.get_by_test_id("group-incident-select").click()
    desk.locator(".el-select-dropdown__item", has_text=code).click()
    people = desk.get_by_test_id("group-people-select")
    for person in (scene.officer, scene.auxiliary):
        people.click()
        people.locator("input").first.fill(person["badge_no"])
        desk.locator(".el-select-dropdown__item:visible", has_text=person["badge_no"]).click()
    dialog.locator(".el-dialog__title").click()  # closes the people dropdown
    expect(desk.locator(".el-select-dropdown__item:visible")).to_have_count(0)
    desk.get_by_test_id("group-create-submit").click()
    detail = desk.get_by_test_id("group-detail")
    expect(detail).to_be_visible(timeout=10_000)
    group_id = int(detail.get_attribute("data-group-id") or 0)
    expect(desk.get_by_test_id("group-members")).to_have_attribute("data-count", "3")

    # Both phones are told and open the group.
    for page in (phone, aux):
        screen = page.get_by_test_id("group-screen")
        expect(screen).to_have_attribute("data-group-id", str(group_id), timeout=15_000)

    # Chat both ways.
    _field(phone, "group-input").fill("已到现场,两车受损,无人受伤")
    phone.get_by_test_id("group-send").click()
    expect(desk.get_by_test_id("group-chat")).to_contain_text("两车受损", timeout=10_000)
    expect(aux.get_by_test_id("group-chat")).to_contain_text("两车受损", timeout=10_000)
    _field(desk, "group-input").fill("收到,请疏导后方车辆")
    desk.get_by_test_id("group-send").click()
    expect(phone.get_by_test_id("group-chat")).to_contain_text("疏导后方车辆", timeout=10_000)
    phone.get_by_test_id("group-photo-input").set_input_files(
        files=[{"name": "scene.png", "mimeType": "image/png", "buffer": phone.screenshot()}]
    )
    expect(desk.locator("[data-testid=group-message][data-kind=photo]")).to_have_count(
        1, timeout=10_000
    )
    phone.get_by_test_id("group-location").click()
    expect(desk.locator("[data-testid=group-message][data-kind=location]")).to_have_count(
        1, timeout=10_000
    )

    # Video: the commander and the officer join; each sees the other's camera.
    desk.get_by_test_id("group-call-join").click()
    phone.get_by_test_id("group-tab-video").click()
    phone.get_by_test_id("group-call-join").click()
    commander_id = scene.desk.evaluate(
        "async () => (await (await fetch('/api/auth/me')).json()).user.id"
    )
    officer_user = scene.officer["user_id"]
    _wait_for_frames(desk, f"[data-testid=group-video-{officer_user}] video")
    _wait_for_frames(phone, f"[data-testid=group-video-{commander_id}] video")
    aux.get_by_test_id("group-tab-video").click()
    aux.get_by_test_id("group-call-join").click()
    _wait_for_frames(desk, f"[data-testid=group-video-{scene.auxiliary['user_id']}] video")
    _wait_for_frames(aux, f"[data-testid=group-video-{officer_user}] video")
    shot(desk, "46-console-command-group")
    shot(phone, "47-officer-group-video")
    phone.get_by_test_id("group-tab-chat").click()
    shot(phone, "48-officer-group-chat")

    # Close: the group is archived with its messages, members and video sessions.
    desk.get_by_test_id("group-close").click()
    desk.locator(".el-message-box__btns .el-button--primary").click()
    expect(detail).to_have_attribute("data-open", "false", timeout=10_000)
    expect(desk.get_by_test_id("group-videos-history")).to_have_attribute(
        "data-count", "3", timeout=10_000
    )
    expect(phone.get_by_test_id("group-screen")).to_have_attribute("data-open", "false")
    archived = _admin_get(scene.url, f"/api/command/groups/{group_id}")
    assert not archived["open"]
    kinds = {m["kind"] for m in archived["messages"]}
    assert {"text", "photo", "location", "system"} <= kinds
    assert all(v["ended_at"] for v in archived["videos"])
    shot(desk, "49-console-group-archived")


def test_command_group_from_an_area_lassoed_on_the_map(scene: Scene) -> None:
    desk, phone, aux = scene.desk, scene.phone, scene.aux_phone
    desk.get_by_test_id("group-create").click()
    desk.get_by_test_id("group-origin-area").click()
    lasso = desk.get_by_test_id("group-lasso-map")
    expect(lasso).to_have_attribute("data-state", "ready", timeout=20_000)
    # The map shows who is on duty (both officers) and fits them in (50 px from its edges); a
    # ring nearer the edges takes them in (clear of the zoom and fit buttons).
    expect(lasso).to_have_attribute("data-people", "2", timeout=10_000)
    desk.wait_for_timeout(800)  # the fit animation
    box = lasso.bounding_box()
    assert box is not None
    for fx, fy in ((0.04, 0.3), (0.96, 0.3), (0.96, 0.75), (0.04, 0.75)):
        desk.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
    expect(desk.get_by_test_id("group-area-points")).to_contain_text("4")
    shot(desk, "52-console-group-lasso")
    desk.get_by_test_id("group-create-submit").click()
    detail = desk.get_by_test_id("group-detail")
    expect(detail).to_have_attribute("data-open", "true", timeout=10_000)
    expect(desk.get_by_test_id("group-members")).to_have_attribute("data-count", "3")
    group_id = detail.get_attribute("data-group-id")
    for page in (phone, aux):
        expect(page.get_by_test_id("group-screen")).to_have_attribute(
            "data-group-id", str(group_id), timeout=15_000
        )
    desk.get_by_test_id("group-close").click()
    desk.locator(".el-message-box__btns .el-button--primary").click()
    expect(detail).to_have_attribute("data-open", "false", timeout=10_000)
