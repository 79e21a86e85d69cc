"""勤务 in a real Chromium on the demo: the commander re-posts a grid of the active plan (its
路警 and 路员 removed first, since the demo posts everyone), sees a second 路警 refused, fills the
week's roster and creates a conflict the roster then flags, reads 见警率, and finds the grid on
the map's person card; the auxiliary's phone shows the grid, the duty and the new 路警."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.conftest import shot
from tests.e2e.test_console import _login

AUXILIARY_BADGE = "A01001"  # the demo's `auxiliary` account


def _choose(page: Page, select: Locator, text: str) -> None:
    """Opens an Element Plus select, types to filter when it can, and picks the option."""
    select.click()
    page.keyboard.type(text)
    page.locator(".el-select-dropdown__item:visible", has_text=text).first.click()


def _confirm(page: Page, button: str) -> None:
    page.locator(".el-message-box__btns button", has_text=button).click()


def _card_of_badge(page: Page, badge: str) -> Locator:
    return page.locator("article[data-grid-number]", has_text=badge)


def test_commander_posts_a_grid_fills_the_roster_and_reads_presence(
    browser: Browser, page: Page, base_url: str
) -> None:
    page.set_viewport_size({"width": 1600, "height": 900})
    page.goto(base_url + "/login?redirect=/duty")
    _login(page, "commander")
    expect(page.get_by_test_id("duty-page")).to_have_attribute("data-state", "ready")
    expect(page.get_by_test_id("duty-plan")).to_contain_text("已启用")
    expect(page.get_by_test_id("nav-duty")).to_contain_text("勤务")

    # The grid of the auxiliary account's person: note who holds it, then empty it.
    card = _card_of_badge(page, AUXILIARY_BADGE)
    expect(card).to_have_count(1)
    grid_number = card.get_attribute("data-grid-number")
    card = page.locator(f"article[data-grid-number='{grid_number}']")
    grid_name = card.locator("header .name").inner_text()
    old_lead = card.get_by_test_id("duty-grid-lead")
    old_lead_id = old_lead.get_attribute("data-person-id")
    old_lead_name = old_lead.locator("strong").inner_text()
    member = card.locator("li", has_text=AUXILIARY_BADGE)
    member_id = (member.get_attribute("data-testid") or "").rsplit("-", 1)[-1]
    member_name = member.locator(".member-name").inner_text()
    new_lead = page.get_by_test_id("duty-unposted").locator(".group").first.locator(".who").first
    new_lead_name = new_lead.locator(".name").inner_text()
    shot(page, "duty-01-posts")

    card.get_by_test_id(f"duty-post-remove-{old_lead_id}").click()
    _confirm(page, "移除")
    expect(card).to_have_attribute("data-has-lead", "false")
    expect(card.get_by_test_id("duty-flag-no-lead")).to_be_visible()
    expect(page.get_by_test_id("duty-summary-no-lead")).to_contain_text("1")
    while card.locator("li[data-testid^=duty-grid-member-]").count() > 0:
        before = card.locator("li[data-testid^=duty-grid-member-]").count()
        card.locator("li[data-testid^=duty-grid-member-] button").first.click()
        _confirm(page, "移除")
        expect(card.locator("li[data-testid^=duty-grid-member-]")).to_have_count(before - 1)
    expect(card).to_have_attribute("data-members", "0")
    shot(page, "duty-02-grid-emptied")

    # A 路警 (the squadron's unposted police officer) and a 路员 with the duty 纠违.
    _choose(page, card.get_by_test_id("duty-grid-add-person"), new_lead_name)
    expect(card).to_contain_text("任路警")
    card.get_by_test_id("duty-grid-add-submit").click()
    expect(card).to_have_attribute("data-has-lead", "true")
    expect(card.get_by_test_id("duty-grid-lead")).to_contain_text(new_lead_name)

    _choose(page, card.get_by_test_id("duty-grid-add-person"), member_name)
    card.get_by_test_id("duty-grid-add-duty").click()
    # Exactly 纠违: the closing person list may still show someone whose job title says 纠违.
    page.locator(".el-select-dropdown__item:visible").filter(has_text=re.compile("^纠违$")).click()
    card.get_by_test_id("duty-grid-add-submit").click()
    expect(card.get_by_test_id(f"duty-grid-member-{member_id}")).to_have_attribute(
        "data-duty", "correct"
    )

    # 一路一警: the former 路警 cannot be added as a second one.
    _choose(page, card.get_by_test_id("duty-grid-add-person"), old_lead_name)
    card.get_by_test_id("duty-grid-add-submit").click()
    expect(card.get_by_test_id("duty-grid-error")).to_contain_text("一路一警")
    expect(card.get_by_test_id("duty-grid-lead")).to_contain_text(new_lead_name)
    shot(page, "duty-03-second-lead-refused")

    # 排班: fill the week from the posts, then roster the 路员 in a second grid at the same time.
    page.get_by_test_id("duty-tab-roster").click()
    roster = page.get_by_test_id("duty-roster")
    expect(page.get_by_test_id("roster-table")).to_be_visible()
    page.get_by_test_id("roster-fill").click()
    page.get_by_test_id("roster-fill-replace").click()
    expect(page.locator(".el-message--success", has_text="已生成排班")).to_be_visible()
    monday = roster.get_attribute("data-week-start")
    grid_names: dict[str, str] = {}
    grid_rows = page.locator("tbody[data-testid^=roster-grid-]")
    for i in range(grid_rows.count()):
        row = grid_rows.nth(i)
        row_grid = (row.get_attribute("data-testid") or "").rsplit("-", 1)[-1]
        grid_names[row_grid] = row.locator("th.grid-name .text").inner_text()
    grid_id = next(g for g, name in grid_names.items() if name == grid_name)
    other_grid_id = next(g for g in grid_names if g != grid_id)
    rostered = page.locator(
        f"td[data-testid^='roster-cell-{grid_id}-{member_id}-{monday}-'][data-count='1']"
    )
    expect(rostered).to_have_count(1)
    shift_id = (rostered.get_attribute("data-testid") or "").rsplit("-", 1)[-1]
    expect(rostered).to_have_attribute("data-conflict", "false")
    shot(page, "duty-04-roster-filled")

    page.get_by_test_id("roster-add").click()
    dialog = page.get_by_test_id("roster-entry-dialog")
    expect(dialog).to_be_visible()
    _choose(page, dialog.get_by_test_id("roster-entry-grid"), grid_names[other_grid_id])
    _choose(page, dialog.get_by_test_id("roster-entry-person"), member_name)
    dialog.get_by_test_id(f"roster-entry-day-{monday}").click()
    dialog.get_by_test_id(f"roster-entry-shift-{shift_id}").click()
    dialog.get_by_test_id("roster-entry-submit").click()
    expect(dialog).to_be_hidden()

    elsewhere = page.get_by_test_id(f"roster-cell-{other_grid_id}-{member_id}-{monday}-{shift_id}")
    expect(elsewhere).to_have_attribute("data-count", "1")
    expect(elsewhere).to_have_attribute("data-conflict", "true")
    expect(rostered).to_have_attribute("data-conflict", "true")
    double = page.locator(
        "[data-testid=roster-conflict][data-code='duty.conflict.double_booked']"
    ).first
    expect(double).to_contain_text(member_name)
    page.get_by_test_id("roster-conflict-filter-double").click()
    double.hover()
    expect(page.locator("td.lit")).to_have_count(2)
    shot(page, "duty-05-roster-conflict")

    # 见警率: numbers for every grid and the coverage map of one.
    page.get_by_test_id("duty-tab-presence").click()
    expect(page.locator("[data-testid^=presence-grid-]").first).to_be_visible()
    expect(page.get_by_test_id("presence-total-rate")).to_have_text(re.compile(r"^\d+\.\d%$"))
    expect(page.get_by_test_id("presence-rate").first).to_have_text(re.compile(r"^\d+\.\d%$"))
    expect(page.get_by_test_id("coverage-map")).to_have_attribute("data-state", "ready")
    expect(page.get_by_test_id("coverage-map")).not_to_have_attribute("data-features", "0")
    expect(page.get_by_test_id("coverage-legend")).to_be_visible()
    page.get_by_test_id("presence-table").locator("tbody tr").first.wait_for()
    shot(page, "duty-06-presence")

    # The map's person card: the grid, 路员 and the duty.
    page.get_by_test_id("nav-map").click()
    page.get_by_test_id("live-search").locator("input").fill(member_name)
    page.get_by_test_id(f"live-row-{member_id}").click()
    expect(page.get_by_test_id("person-card-grid")).to_contain_text(grid_name)
    expect(page.get_by_test_id("person-card-duty")).to_have_attribute("data-duty", "correct")
    expect(page.get_by_test_id("person-card-duty")).to_contain_text("路员")
    shot(page, "duty-07-person-card")

    # The auxiliary's phone: the grid, 路员 · 纠违, and the new 路警 to call.
    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True, has_touch=True
    )
    app = phone.new_page()
    app.goto(base_url + "/m/")
    _login(app, "auxiliary")
    duty_card = app.get_by_test_id("officer-duty-card")
    expect(duty_card).to_have_attribute("data-state", "ready")
    expect(app.get_by_test_id("officer-duty-grid")).to_contain_text(grid_name)
    expect(app.get_by_test_id("officer-duty-role")).to_contain_text("路员 · 纠违")
    expect(app.get_by_test_id("officer-duty-lead")).to_contain_text(new_lead_name)
    expect(app.get_by_test_id("officer-duty-lead-tel")).to_have_attribute(
        "href", re.compile(r"^tel:\d+$")
    )
    expect(app.get_by_test_id("officer-duty-week").locator("li")).to_have_count(7)
    duty_card.scroll_into_view_if_needed()
    shot(app, "duty-08-officer-app")
    phone.close()
