"""Two browsers: an officer's phone (emulated GPS moving along a road) and the commander's
console, where the officer's marker moves and the card shows the right name, phone and status."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import shot
from tests.e2e.test_console import _login


def _road_points(page: Page, base_url: str, name: str, count: int) -> list[list[float]]:
    """Points along the longest stretch of a named demo road, in order."""
    bounds = page.request.get(base_url + "/api/geo/config").json()["bounds"]
    features = page.request.get(
        base_url + "/api/roads/segments",
        params={"bbox": ",".join(map(str, bounds)), "zoom": 16},
    ).json()["features"]
    road = sorted(
        (f for f in features if f["properties"]["name"] == name),
        key=lambda f: f["geometry"]["coordinates"][0][0],
    )
    points = [c for f in road for c in f["geometry"]["coordinates"]]
    step = max(1, len(points) // count)
    return points[::step][:count]


def test_officer_marker_moves_on_the_console(browser: Browser, base_url: str) -> None:
    console = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    desk = console.new_page()
    desk.goto(base_url + "/login?redirect=/map%3Ftesthooks%3D1")
    _login(desk, "commander")
    expect(desk.get_by_test_id("map-page")).to_have_attribute("data-state", "ready", timeout=30_000)
    officer_card = desk.request.get(base_url + "/api/org/people?q=P01001").json()["items"][0]
    person_id = officer_card["id"]
    route = _road_points(desk, base_url, "滨江大道", 6)
    assert len(route) >= 4

    phone_context = browser.new_context(
        viewport={"width": 390, "height": 844},
        locale="zh-CN",
        is_mobile=True,
        has_touch=True,
        geolocation={"longitude": route[0][0], "latitude": route[0][1], "accuracy": 8},
        permissions=["geolocation"],
    )
    phone = phone_context.new_page()
    phone.goto(base_url + "/m/")
    _login(phone, "officer")
    # The phone registers itself and connects first; then the officer starts duty.
    expect(phone.get_by_test_id("officer-connection")).to_have_attribute(
        "data-state", "online", timeout=15_000
    )
    expect(phone.get_by_test_id("officer-duty-start")).to_be_enabled()
    phone.get_by_test_id("officer-duty-start").click()
    expect(phone.get_by_test_id("officer-status")).to_contain_text("在岗", timeout=15_000)
    expect(phone.get_by_test_id("officer-gps")).to_have_attribute(
        "data-quality", "good", timeout=15_000
    )

    seen: list[tuple[float, float]] = []
    for lon, lat in route[1:]:
        phone_context.set_geolocation({"longitude": lon, "latitude": lat, "accuracy": 8})
        desk.wait_for_function(
            "([id, lon, lat]) => { const p = window.__patrolgridLive?.get(id);"
            " return p && Math.abs(p.lon - lon) < 1e-5 && Math.abs(p.lat - lat) < 1e-5; }",
            arg=[person_id, lon, lat],
            timeout=15_000,
        )
        position = desk.evaluate("(id) => window.__patrolgridLive.get(id)", person_id)
        seen.append((position["lon"], position["lat"]))
    assert len(set(seen)) == len(route) - 1  # the marker moved with every fix
    shot(phone, "20-officer-on-duty")

    desk.get_by_test_id("live-search").locator("input").fill("P01001")
    desk.get_by_test_id(f"live-row-{person_id}").click()
    card = desk.get_by_test_id("person-card")
    expect(desk.get_by_test_id("person-card-name")).to_have_text(officer_card["name"])
    expect(desk.get_by_test_id("person-card-mobile")).to_have_attribute(
        "href", f"tel:{officer_card['mobile']}"
    )
    expect(desk.get_by_test_id("person-card-status")).to_contain_text("在岗")
    expect(card).to_contain_text("城区一中队")
    shot(desk, "21-console-officer-card")

    phone.get_by_test_id("officer-status-patrolling").click()
    expect(desk.get_by_test_id("person-card-status")).to_contain_text("巡逻")
    expect(phone.get_by_test_id("officer-status")).to_contain_text(re.compile("巡逻"))
    shot(desk, "22-console-status-patrolling")
    phone_context.close()
    console.close()
