"""网格 in a real Chromium on the demo: the commander opens the grids page, picks the demo
squadron, designs a new plan with a short time limit and follows the job, sees the draft on the
map, moves a road segment from one grid to another by clicking it and sees the workload figures
change, then activates the plan (the demo's plan is retired), compares the two, and on 勤务
posts a 路警 and a 路员 to a grid of the new plan.

`design_and_activate_plan` does all of that and leaves the new plan active, for tests that go on
from there (posting 路警 and 路员 to its grids)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.conftest import shot
from tests.e2e.test_console import _login

SQUADRON = "城区一中队"  # the demo squadron designed here (road segments, 4 grids in the demo)
GRIDS = 4
TIME_LIMIT_S = 3


@dataclass(frozen=True)
class ActivePlan:
    squadron_id: int
    plan_id: int
    retired_plan_id: int
    moved_unit: str
    from_grid: int
    to_grid: int


@pytest.fixture
def wide_page(browser: Browser) -> Iterator[Page]:
    """The console at 1600 × 900 in Chinese (the size the page is laid out for)."""
    context = browser.new_context(viewport={"width": 1600, "height": 900}, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


def _row(page: Page, grid: int) -> dict[str, str | None]:
    cell = page.get_by_test_id(f"grids-row-{grid}")
    return {
        "units": cell.get_attribute("data-units"),
        "workload": cell.get_attribute("data-workload"),
        "ratio": page.get_by_test_id(f"grids-ratio-{grid}").inner_text(),
        "share": page.get_by_test_id(f"grids-workload-{grid}").inner_text(),
    }


def _grid_in_page(page: Page, unit: str) -> int | None:
    units = page.evaluate("window.__patrolgridGrids.units()")
    return next(u["grid"] for u in units if u["unit"] == unit)


def _ends(feature: dict[str, Any]) -> tuple[str, str]:
    """A segment's two end nodes, as the unit keys round them (1e-6°)."""
    first, last = feature["geometry"]["coordinates"][0], feature["geometry"]["coordinates"][-1]
    return f"{first[0]:.6f},{first[1]:.6f}", f"{last[0]:.6f},{last[1]:.6f}"


def _border_leaf(
    features: list[dict[str, Any]], grid_of: dict[str, int], loads: dict[int, float]
) -> tuple[str, int, int]:
    """A segment that can change grid without breaking contiguity: it touches its own grid at
    one end only (so its grid stays connected without it) and another grid at the other end (so
    it joins that grid). Of those heavy enough for the ratios to change visibly (0.1% of the
    workload), the move that leaves the two grids' workloads (`loads`, shares) closest to the
    mean, so the plan stays balanced for activation."""
    at_node: dict[str, list[str]] = defaultdict(list)
    ends = {}
    for f in features:
        if f["properties"]["kind"] != "segment":
            continue
        key = f["properties"]["unit"]
        ends[key] = _ends(f)
        for node in ends[key]:
            at_node[node].append(key)
    weight = {f["properties"]["unit"]: f["properties"]["workload"] for f in features}
    mean = sum(loads.values()) / len(loads)
    best: tuple[float, str, int, int] | None = None
    for key, (a, b) in ends.items():
        own = grid_of[key]
        for near, far in ((a, b), (b, a)):
            own_near = [u for u in at_node[near] if u != key and grid_of.get(u) == own]
            own_far = [u for u in at_node[far] if u != key and grid_of.get(u) == own]
            others_far = {grid_of[u] for u in at_node[far] if u != key and u in grid_of} - {own}
            w = weight[key]
            if own_near and not own_far and others_far and w >= 0.001:
                to = min(others_far)
                spread = max(abs(loads[own] - w - mean), abs(loads[to] + w - mean))
                candidate = (spread, key, own, to)
                if best is None or candidate < best:
                    best = candidate
    assert best is not None, "no segment on a grid border can move without splitting a grid"
    return best[1], best[2], best[3]


def open_grids_page(page: Page, base_url: str) -> int:
    """Logs in as the demo commander, opens 网格 from the navigation and picks the demo
    squadron; returns its id."""
    page.goto(base_url + "/login?redirect=/map%3Ftesthooks%3D1")
    _login(page, "commander")
    page.get_by_test_id("nav-grids").click()
    grids_page = page.get_by_test_id("grids-page")
    expect(grids_page).to_have_attribute("data-state", "ready")
    squadrons = page.request.get(base_url + "/api/org/squadrons").json()["items"]
    squadron_id = next(s["id"] for s in squadrons if s["name"] == SQUADRON)
    page.get_by_test_id("grids-squadron").click()
    page.locator(".el-select-dropdown__item:visible", has_text=SQUADRON).first.click()
    expect(page.locator(".el-select-dropdown:visible")).to_have_count(0)
    expect(grids_page).to_have_attribute("data-squadron", str(squadron_id))
    expect(page.get_by_test_id("grids-map")).to_have_attribute("data-state", "ready")
    return squadron_id


def design_and_activate_plan(page: Page, base_url: str) -> ActivePlan:
    """The whole 网格 flow in the browser, with screenshots; leaves the new plan active."""
    squadron_id = open_grids_page(page, base_url)
    grids_page = page.get_by_test_id("grids-page")
    expect(grids_page).to_have_attribute("data-plan-status", "active")
    demo_plan_id = int(grids_page.get_attribute("data-plan-id") or 0)
    expect(page.get_by_test_id("grids-legend")).to_contain_text("网格1")
    expect(page.get_by_test_id("grids-readonly")).to_contain_text("复制为草稿")
    shot(page, "grids-01-active-plan")

    # Design: K, a short time limit; the job's progress shows until the draft is saved.
    page.get_by_test_id("grids-design-open").click()
    dialog = page.get_by_test_id("grids-design-dialog")
    expect(dialog).to_be_visible()
    dialog.locator("[data-testid=grids-design-k] input").fill(str(GRIDS))
    dialog.locator("[data-testid=grids-design-time] input").fill(str(TIME_LIMIT_S))
    dialog.locator("[data-testid=grids-design-time] input").press("Tab")
    shot(page, "grids-02-design-dialog")
    dialog.get_by_test_id("grids-design-start").click()
    expect(dialog.get_by_test_id("grids-design-progress")).to_be_visible()
    expect(dialog.get_by_test_id("grids-job")).to_have_attribute("data-status", "running")
    # The first progress report (every 0.5 s), unless the search is already over.
    page.wait_for_function(
        "() => { const job = document.querySelector('[data-testid=grids-job]');"
        " return !job || job.dataset.iteration !== '0'; }"
    )
    if dialog.is_visible():
        shot(page, "grids-03-design-running")
    expect(dialog).to_be_hidden(timeout=60_000)
    expect(grids_page).to_have_attribute("data-plan-status", "draft")
    plan_id = int(grids_page.get_attribute("data-plan-id") or 0)
    assert plan_id != demo_plan_id
    expect(page.get_by_test_id(f"grids-plan-{plan_id}")).to_have_attribute("data-status", "draft")
    expect(grids_page).to_have_attribute("data-editable", "true")
    expect(page.get_by_test_id("grids-legend").locator("li")).to_have_count(GRIDS)
    units = page.request.get(base_url + f"/api/grids/squadrons/{squadron_id}/units").json()
    expect(page.get_by_test_id("grids-map")).to_have_attribute(
        "data-units", str(len(units["features"]))
    )
    expect(page.get_by_test_id("grids-no-violations")).to_be_visible()
    shot(page, "grids-04-draft-on-map")

    # Move a segment on a grid border into the neighbouring grid: choose that grid, click it.
    grid_of = {
        u["unit"]: u["grid"]
        for u in page.evaluate("window.__patrolgridGrids.units()")
        if u["grid"] is not None
    }
    loads = {
        g: float(page.get_by_test_id(f"grids-row-{g}").get_attribute("data-workload") or 0)
        for g in range(1, GRIDS + 1)
    }
    unit, from_grid, to_grid = _border_leaf(units["features"], grid_of, loads)
    before_from, before_to = _row(page, from_grid), _row(page, to_grid)
    page.get_by_test_id(f"grids-target-{to_grid}").click()
    expect(page.get_by_test_id("grids-edit-toolbar")).to_have_attribute("data-target", str(to_grid))
    middle = next(f for f in units["features"] if f["properties"]["unit"] == unit)
    coords = middle["geometry"]["coordinates"]
    centre = [(coords[0][0] + coords[-1][0]) / 2, (coords[0][1] + coords[-1][1]) / 2]
    page.evaluate("(c) => window.__patrolgridMap.jumpTo({center: c, zoom: 16.5})", centre)
    page.wait_for_function("() => window.__patrolgridMap.loaded()")
    x, y = page.evaluate("(u) => window.__patrolgridGrids.unitPoint(u)", unit)

    def click_unit_and_wait() -> None:
        revision = grids_page.get_attribute("data-revision")
        page.mouse.click(x, y)
        expect(grids_page).not_to_have_attribute("data-revision", revision or "")

    click_unit_and_wait()
    assert _grid_in_page(page, unit) == to_grid
    expect(page.get_by_test_id("grids-map")).to_have_attribute("data-moved", "1")
    # Undo puts it back (the figures too); clicking it again moves it for good.
    page.get_by_test_id("grids-undo").click()
    expect(page.get_by_test_id(f"grids-row-{from_grid}")).to_have_attribute(
        "data-units", before_from["units"] or ""
    )
    assert _grid_in_page(page, unit) == from_grid
    assert _row(page, from_grid) == before_from
    click_unit_and_wait()
    assert _grid_in_page(page, unit) == to_grid
    after_from, after_to = _row(page, from_grid), _row(page, to_grid)
    assert int(after_from["units"] or 0) == int(before_from["units"] or 0) - 1
    assert int(after_to["units"] or 0) == int(before_to["units"] or 0) + 1
    assert float(after_from["workload"] or 0) < float(before_from["workload"] or 0)
    assert float(after_to["workload"] or 0) > float(before_to["workload"] or 0)
    assert after_from["ratio"] != before_from["ratio"]
    assert after_to["ratio"] != before_to["ratio"]
    expect(page.get_by_test_id("grids-undo")).to_be_enabled()
    page.get_by_test_id("grids-map-fit").click()
    page.wait_for_timeout(700)  # the fit animation
    shot(page, "grids-05-unit-moved")

    # Activate: confirm; the new plan is active and the demo's plan retired.
    page.get_by_test_id("grids-activate").click()
    expect(page.locator(".el-message-box")).to_contain_text(SQUADRON)
    page.wait_for_timeout(400)  # the box's fade-in
    shot(page, "grids-06-activate-confirm")
    page.locator(".el-message-box__btns button", has_text="启用").click()
    expect(grids_page).to_have_attribute("data-plan-status", "active")
    expect(page.get_by_test_id(f"grids-plan-{plan_id}")).to_have_attribute("data-status", "active")
    expect(page.get_by_test_id(f"grids-plan-{demo_plan_id}")).to_have_attribute(
        "data-status", "retired"
    )
    expect(page.get_by_test_id("grids-plan-header")).to_contain_text("启用中")
    expect(grids_page).to_have_attribute("data-editable", "false")
    active = page.request.get(base_url + f"/api/grids/squadrons/{squadron_id}/active-plan")
    assert active.json()["plan"]["id"] == plan_id
    shot(page, "grids-07-activated")
    return ActivePlan(squadron_id, plan_id, demo_plan_id, unit, from_grid, to_grid)


def test_commander_designs_moves_a_unit_and_activates_a_grid_plan(
    wide_page: Page, base_url: str
) -> None:
    page = wide_page
    plan = design_and_activate_plan(page, base_url)

    # Compare with the retired demo plan: the units that changed grid, grid by grid.
    page.get_by_test_id("grids-compare").click()
    page.get_by_test_id(f"grids-compare-{plan.retired_plan_id}").click()
    panel = page.get_by_test_id("grids-compare-panel")
    expect(panel).to_be_visible()
    assert int(panel.get_attribute("data-moved") or 0) > 0
    expect(page.get_by_test_id("grids-map")).not_to_have_attribute("data-changed", "0")
    shot(page, "grids-08-compare")

    # Exports are plain download links.
    page.get_by_test_id("grids-export").click()
    for fmt, kind in (("geojson", "application/geo+json"), ("xlsx", "spreadsheetml")):
        link = page.get_by_test_id(f"grids-export-{fmt}")
        expect(link).to_be_visible()
        answer = page.request.get(base_url + (link.get_attribute("href") or ""))
        assert answer.status == 200 and kind in answer.headers["content-type"]
    page.keyboard.press("Escape")

    # The same page in English.
    page.get_by_test_id("lang-switch").click()
    expect(page.get_by_test_id("nav-grids")).to_contain_text("Grids")
    expect(page.get_by_test_id("grids-plan-header")).to_contain_text("Active")
    shot(page, "grids-09-english")
    page.get_by_test_id("lang-switch").click()
    expect(page.get_by_test_id("nav-grids")).to_contain_text("网格")

    # 勤务 on the plan just activated: nobody is posted yet; grid 1 gets its 路警 and a 路员.
    page.goto(base_url + f"/duty?squadron={plan.squadron_id}&tab=posts")
    expect(page.get_by_test_id("duty-page")).to_have_attribute("data-state", "ready")
    card = page.locator("article[data-grid-number='1']")
    expect(card).to_have_attribute("data-has-lead", "false")
    expect(card.get_by_test_id("duty-flag-no-lead")).to_be_visible()
    groups = page.get_by_test_id("duty-unposted").locator(".group")
    lead = groups.first.locator(".who .name").first.inner_text()
    member = groups.nth(1).locator(".who .name").first.inner_text()
    _pick(page, card.get_by_test_id("duty-grid-add-person"), lead)
    card.get_by_test_id("duty-grid-add-submit").click()
    expect(card).to_have_attribute("data-has-lead", "true")
    expect(card.get_by_test_id("duty-grid-lead")).to_contain_text(lead)
    _pick(page, card.get_by_test_id("duty-grid-add-person"), member)
    card.get_by_test_id("duty-grid-add-duty").click()
    page.locator(".el-select-dropdown__item:visible").filter(has_text=re.compile("^巡逻$")).click()
    card.get_by_test_id("duty-grid-add-submit").click()
    expect(card).to_have_attribute("data-members", "1")
    expect(card).to_contain_text(member)
    posts = page.request.get(base_url + f"/api/duty/squadrons/{plan.squadron_id}/posts").json()
    assert posts["plan"]["id"] == plan.plan_id
    grid_one = next(g for g in posts["grids"] if g["number"] == 1)
    assert grid_one["lead"]["name"] == lead
    assert [(m["person"]["name"], m["duty"]) for m in grid_one["members"]] == [(member, "patrol")]
    shot(page, "grids-10-posted")

    # The rest of the squadron comes over from the plan this one replaced, by unit overlap;
    # grid 1 keeps the 路警 just posted, and whoever cannot be placed is listed with the reason.
    page.get_by_test_id("duty-copy").click()
    dialog = page.get_by_test_id("duty-copy-dialog")
    expect(dialog.get_by_test_id("duty-copy-source")).to_contain_text("v1")
    dialog.get_by_test_id("duty-copy-submit").click()
    result = dialog.get_by_test_id("duty-copy-result")
    expect(result).to_be_visible()
    assert int(result.get_attribute("data-copied") or 0) > 0
    shot(page, "grids-11-posts-carried-over")
    dialog.locator(".el-dialog__footer button").click()
    expect(card.get_by_test_id("duty-grid-lead")).to_contain_text(lead)
    posts = page.request.get(base_url + f"/api/duty/squadrons/{plan.squadron_id}/posts").json()
    assert sum(g["lead"] is not None for g in posts["grids"]) > 1
    assert sum(len(g["members"]) for g in posts["grids"]) > 1


def _pick(page: Page, select: Locator, text: str) -> None:
    """Opens an Element Plus select, types to filter, and picks the option."""
    select.click()
    page.keyboard.type(text)
    page.locator(".el-select-dropdown__item:visible", has_text=text).first.click()
