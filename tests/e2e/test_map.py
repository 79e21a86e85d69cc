"""The console map: the demo county's named roads drawn from our own API with no network access,
and a click answering with the nearest road and the point in WGS-84 and GCJ-02."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from playwright.sync_api import Page, Route, expect

from patrolgrid.geo.coords import wgs84_to_gcj02
from tests.e2e.conftest import shot
from tests.e2e.test_console import _login


def test_map_shows_the_demo_county_offline_and_answers_a_click(page: Page, base_url: str) -> None:
    outside: list[str] = []

    def only_local(route: Route) -> None:
        host = urlsplit(route.request.url).hostname
        if host not in ("127.0.0.1", "localhost"):
            outside.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", only_local)
    page.goto(base_url + "/login?redirect=/map%3Ftesthooks%3D1")
    _login(page, "commander")
    expect(page).to_have_url(re.compile(r"/map"))
    map_page = page.get_by_test_id("map-page")
    expect(map_page).to_have_attribute("data-state", "ready", timeout=30_000)
    expect(page.get_by_test_id("map-network-label")).to_contain_text("演示")
    page.wait_for_function("() => window.__patrolgridMap && window.__patrolgridMap.loaded()")
    shot(page, "10-map-demo-county")
    bounds = page.request.get(base_url + "/api/geo/config").json()["bounds"]
    segments = page.request.get(
        base_url + "/api/roads/segments", params={"bbox": ",".join(map(str, bounds)), "zoom": 16}
    ).json()["features"]
    avenue = max(
        (f for f in segments if f["properties"]["name"] == "滨江大道"),
        key=lambda f: f["properties"]["length_m"],
    )
    (lon1, lat1), (lon2, lat2) = avenue["geometry"]["coordinates"][:2]
    snapped = [(lon1 + lon2) / 2, (lat1 + lat2) / 2]
    page.evaluate("(p) => window.__patrolgridMap.jumpTo({center: p, zoom: 15.5})", snapped)
    page.wait_for_function(
        "() => window.__patrolgridMap && window.__patrolgridMap.loaded()"
        " && window.__patrolgridMap.queryRenderedFeatures().some("
        "f => f.layer.type === 'symbol' && f.properties.name === '滨江大道')",
        timeout=30_000,
    )
    shot(page, "11-map-county-seat")
    x, y = page.evaluate(
        "([lon, lat]) => { const p = window.__patrolgridMap.project([lon, lat]);"
        " return [p.x, p.y]; }",
        snapped,
    )
    box = page.get_by_test_id("map-canvas").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + x, box["y"] + y)
    info = page.get_by_test_id("map-click-info")
    expect(page.get_by_test_id("map-click-road")).to_have_attribute("data-loading", "false")
    expect(page.get_by_test_id("map-click-road")).to_contain_text("滨江大道")
    wgs = page.get_by_test_id("map-click-wgs84").inner_text()
    gcj = page.get_by_test_id("map-click-gcj02").inner_text()
    wgs_lon, wgs_lat = (float(v) for v in re.findall(r"-?\d+\.\d+", wgs)[:2])
    gcj_lon, gcj_lat = (float(v) for v in re.findall(r"-?\d+\.\d+", gcj)[:2])
    expected = wgs84_to_gcj02(wgs_lon, wgs_lat)
    assert abs(gcj_lon - expected[0]) < 2e-6 and abs(gcj_lat - expected[1]) < 2e-6
    expect(info).to_be_visible()
    shot(page, "12-map-click")
    assert outside == []
