"""Cameras in a real Chromium: the camera wall plays the demo's generated HLS clips (the video
really advances), remembers its layout and choices, enlarges a tile and hands a camera to the
incident form; the map shows cameras with a live preview card; the admin page adds a camera by
clicking the map."""

from __future__ import annotations

import re
import time
from typing import Any

from playwright.sync_api import Page, expect

from tests.e2e.conftest import shot
from tests.e2e.test_console import _field, _login


def _cameras(page: Page, base_url: str) -> dict[str, dict[str, Any]]:
    items = page.request.get(base_url + "/api/cameras").json()["items"]
    return {c["code"]: c for c in items}


def _video_advances(page: Page, selector: str) -> tuple[int, float, float]:
    """(videoWidth, currentTime now, currentTime 1.5 s later) of the video in `selector`."""
    script = (
        f"() => {{ const v = document.querySelector({selector!r} + ' video');"
        " return [v.videoWidth, v.currentTime]; }"
    )
    width, t0 = page.evaluate(script)
    time.sleep(1.5)
    _, t1 = page.evaluate(script)
    return int(width), float(t0), float(t1)


def _record_navigation(page: Page) -> None:
    """Keeps every URL the single-page app navigates to in `window.__navigations` (the incidents
    page reads its query and then tidies the address, so the URL alone may not show it)."""
    page.evaluate(
        "() => { window.__navigations = []; const push = history.pushState;"
        " history.pushState = function (state, title, url) {"
        " window.__navigations.push(String(url)); return push.apply(this, arguments); }; }"
    )


def _expect_incident_form_for(page: Page, camera_id: int) -> None:
    """「在此创建警情」 went to the incident form with this camera."""
    wanted = f"/incidents?new=1&camera={camera_id}"
    page.wait_for_function(
        "(u) => (window.__navigations || []).some((url) => url.endsWith(u))", arg=wanted
    )
    expect(page).to_have_url(re.compile(r"/incidents"))


def test_camera_wall_plays_hls_remembers_tiles_and_enlarges_one(page: Page, base_url: str) -> None:
    page.goto(base_url + "/login?redirect=/wall")
    _login(page, "commander")
    expect(page).to_have_url(re.compile(r"/wall"))
    wall = page.get_by_test_id("camera-wall")
    expect(wall).to_have_attribute("data-ready", "true", timeout=15_000)
    expect(wall).to_have_attribute("data-size", "3")
    cameras = _cameras(page, base_url)
    square = cameras["CAM-01"]  # 群益广场, HLS
    assert square["name"] == "群益广场" and square["stream_kind"] == "hls"

    # The default wall: the enabled cameras in order, each playing its looping HLS clip.
    tiles = page.locator("[data-testid^='wall-tile-'][data-state]")
    expect(tiles).to_have_count(9)
    tile = page.locator(f"[data-testid^='wall-tile-'][data-camera-id='{square['id']}']")
    expect(tile).to_have_attribute("data-state", "playing", timeout=30_000)
    expect(tile.get_by_test_id("wall-tile-name")).to_have_text("群益广场")
    expect(tile.get_by_test_id("wall-tile-status")).to_have_text("实时")
    selector = f"[data-testid^='wall-tile-'][data-camera-id='{square['id']}']"
    width, t0, t1 = _video_advances(page, selector)
    assert width == 640 and t1 != t0, (width, t0, t1)
    # The MP4 file camera plays too.
    mp4 = page.locator(f"[data-testid^='wall-tile-'][data-camera-id='{cameras['CAM-07']['id']}']")
    expect(mp4).to_have_attribute("data-state", "playing", timeout=30_000)
    expect(page.locator("[data-testid^='wall-tile-'][data-state='playing']")).to_have_count(
        9, timeout=30_000
    )
    time.sleep(0.5)
    shot(page, "30-camera-wall-3x3")

    # 4×4: the new tiles start empty; choose the last enabled camera and the switched-off one.
    page.get_by_test_id("wall-layout-4").click()
    expect(wall).to_have_attribute("data-size", "4")
    expect(tiles).to_have_count(16)
    for index, code in ((9, "CAM-11"), (10, "CAM-12")):
        page.get_by_test_id(f"wall-tile-{index}").get_by_test_id("wall-tile-empty").click()
        page.get_by_test_id(f"wall-option-{cameras[code]['id']}").click()
        expect(page.get_by_test_id(f"wall-tile-{index}")).to_have_attribute(
            "data-camera-id", str(cameras[code]["id"])
        )
    expect(page.get_by_test_id("wall-tile-9")).to_have_attribute(
        "data-state", "playing", timeout=30_000
    )
    expect(page.get_by_test_id("wall-tile-10")).to_have_attribute("data-state", "disabled")
    expect(page.get_by_test_id("wall-tile-10")).to_contain_text("已停用")
    # A stream that cannot be reached shows 无信号 (a camera added now reaches the wall live).
    broken = page.request.post(
        base_url + "/api/cameras",
        data={
            "code": "E2E-NOSIG",
            "name": "断线测试",
            "lon": 108.7,
            "lat": 30.93,
            "stream_url": "/media/cameras/E2E-NOSIG/index.m3u8",
        },
    ).json()
    page.get_by_test_id("wall-tile-11").get_by_test_id("wall-tile-empty").click()
    page.get_by_test_id(f"wall-option-{broken['id']}").click()
    expect(page.get_by_test_id("wall-tile-11")).to_have_attribute(
        "data-state", "nosignal", timeout=30_000
    )
    expect(page.get_by_test_id("wall-tile-11")).to_contain_text("无信号")
    expect(page.get_by_test_id("wall-tile-12")).to_have_attribute("data-state", "empty")
    shot(page, "31-camera-wall-4x4")
    # Deleted elsewhere: its tile empties by itself.
    page.request.delete(base_url + f"/api/cameras/{broken['id']}")
    expect(page.get_by_test_id("wall-tile-11")).to_have_attribute("data-state", "empty")

    # The layout and the choices survive a reload (localStorage).
    page.reload()
    expect(wall).to_have_attribute("data-ready", "true", timeout=15_000)
    expect(wall).to_have_attribute("data-size", "4")
    expect(page.get_by_test_id("wall-tile-9")).to_have_attribute(
        "data-camera-id", str(cameras["CAM-11"]["id"])
    )

    # Enlarge one tile (double-click), back with Esc; then with the button.
    page.get_by_test_id("wall-layout-3").click()
    expect(tiles).to_have_count(9)
    tile.dblclick()
    expect(tile).to_have_attribute("data-focused", "true")
    grid = page.locator(".wall-grid").bounding_box()
    box = tile.bounding_box()
    assert grid is not None and box is not None
    assert box["width"] > grid["width"] * 0.95 and box["height"] > grid["height"] * 0.95
    expect(tile).to_have_attribute("data-state", "playing", timeout=30_000)
    width, t0, t1 = _video_advances(page, selector)
    assert width == 640 and t1 != t0
    shot(page, "32-camera-wall-enlarged")
    page.keyboard.press("Escape")
    expect(tile).to_have_attribute("data-focused", "false")
    tile.hover()
    tile.get_by_test_id("wall-tile-fullscreen").click()
    expect(tile).to_have_attribute("data-focused", "true")
    page.keyboard.press("Escape")
    expect(tile).to_have_attribute("data-focused", "false")

    # 「在此创建警情」 opens the incident form with this camera.
    _record_navigation(page)
    tile.get_by_test_id("wall-tile-incident").click()
    _expect_incident_form_for(page, square["id"])


def test_map_shows_cameras_with_a_live_preview_card(page: Page, base_url: str) -> None:
    page.goto(base_url + "/login?redirect=/map%3Ftesthooks%3D1")
    _login(page, "operator")
    expect(page.get_by_test_id("map-page")).to_have_attribute("data-state", "ready", timeout=30_000)
    page.wait_for_function("() => window.__patrolgridMap && window.__patrolgridMap.loaded()")
    layer_toggle = page.get_by_test_id("map-layer-cameras")
    expect(layer_toggle).to_be_visible()
    bridge = _cameras(page, base_url)["CAM-02"]
    page.evaluate(
        "(p) => window.__patrolgridMap.jumpTo({center: p, zoom: 16.5})",
        [bridge["lon"], bridge["lat"]],
    )
    drawn = (
        "(id) => window.__patrolgridMap.loaded() && window.__patrolgridMap"
        ".queryRenderedFeatures({layers: ['cameras-icon']})"
        ".some(f => f.properties.camera_id === id)"
    )
    page.wait_for_function(drawn, arg=bridge["id"], timeout=20_000)
    x, y = page.evaluate(
        "([lon, lat]) => { const p = window.__patrolgridMap.project([lon, lat]);"
        " return [p.x, p.y]; }",
        [bridge["lon"], bridge["lat"]],
    )
    canvas = page.get_by_test_id("map-canvas").bounding_box()
    assert canvas is not None
    page.mouse.click(canvas["x"] + x, canvas["y"] + y)
    card = page.get_by_test_id("camera-card")
    expect(card).to_be_visible()
    expect(card).to_have_attribute("data-camera-id", str(bridge["id"]))
    expect(page.get_by_test_id("camera-card-name")).to_have_text("长江大桥北桥头")
    expect(card.get_by_test_id("camera-player")).to_have_attribute(
        "data-state", "playing", timeout=30_000
    )
    expect(page.get_by_test_id("map-click-info")).to_have_count(0)  # the camera took the click
    # The field of view is drawn, turned to the camera's heading.
    cones = page.evaluate(
        "() => window.__patrolgridMap.queryRenderedFeatures({layers: ['cameras-cone']}).length"
    )
    assert cones > 0
    expect(page.get_by_test_id("ws-status")).to_have_attribute("data-connected", "true")
    time.sleep(0.5)
    shot(page, "33-map-camera-card")

    # The layer toggle hides the cameras and closes the card.
    layer_toggle.click()
    expect(card).to_have_count(0)
    assert (
        page.evaluate(
            "() => window.__patrolgridMap.getLayoutProperty('cameras-icon', 'visibility')"
        )
        == "none"
    )
    layer_toggle.click()
    page.wait_for_function(drawn, arg=bridge["id"], timeout=20_000)
    page.mouse.click(canvas["x"] + x, canvas["y"] + y)
    expect(card).to_be_visible()
    _record_navigation(page)
    page.get_by_test_id("camera-card-incident").click()
    _expect_incident_form_for(page, bridge["id"])


def test_admin_adds_a_camera_by_clicking_the_map(page: Page, base_url: str) -> None:
    page.goto(base_url + "/login?redirect=/cameras")
    _login(page, "admin")
    expect(page).to_have_url(re.compile(r"/cameras"))
    table = page.get_by_test_id("cameras-table")
    expect(table.locator("tbody tr")).to_have_count(12, timeout=15_000)
    expect(table).to_contain_text("群益广场")
    page.get_by_test_id("camera-add").click()
    dialog = page.get_by_test_id("camera-dialog")
    expect(dialog).to_be_visible()
    _field(dialog, "camera-code").fill("CAM-E2E")
    _field(dialog, "camera-name").fill("体育路口(测试)")
    # A kind that contradicts the URL is caught before saving.
    _field(dialog, "camera-url").fill("rtsp://10.0.0.8/stream1")
    _field(dialog, "camera-name").click()
    expect(dialog).to_contain_text("流媒体网关")
    _field(dialog, "camera-url").fill("/media/cameras/CAM-03/index.m3u8")
    picker = dialog.get_by_test_id("camera-position-map")
    expect(picker.locator("canvas")).to_be_visible(timeout=15_000)
    time.sleep(1.0)  # the map's first render
    box = picker.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.4)
    lon = float(_field(dialog, "camera-lon").input_value())
    lat = float(_field(dialog, "camera-lat").input_value())
    assert 108.6 < lon < 108.8 and 30.85 < lat < 31.0
    _field(dialog, "camera-heading").fill("45")
    shot(page, "34-camera-admin-dialog")
    dialog.get_by_test_id("camera-save").click()
    expect(dialog).to_be_hidden()
    expect(table.locator("tbody tr")).to_have_count(13)
    expect(table).to_contain_text("CAM-E2E")
    created = _cameras(page, base_url)["CAM-E2E"]
    assert created["stream_kind"] == "hls" and created["heading"] == 45
    assert abs(created["lon"] - lon) < 1e-6 and abs(created["lat"] - lat) < 1e-6
    shot(page, "35-camera-admin")
    # A duplicate code shows on the code field.
    page.get_by_test_id("camera-add").click()
    _field(dialog, "camera-code").fill("CAM-E2E")
    _field(dialog, "camera-name").fill("重复")
    _field(dialog, "camera-lon").fill("108.7")
    _field(dialog, "camera-lat").fill("30.93")
    dialog.get_by_test_id("camera-save").click()
    expect(dialog).to_contain_text("摄像头编号已存在")
    page.keyboard.press("Escape")
    page.request.delete(base_url + f"/api/cameras/{created['id']}")
