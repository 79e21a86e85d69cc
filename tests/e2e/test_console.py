"""The console and the officer app in a real Chromium, logged in as the demo accounts."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Locator, Page, expect

from patrolgrid.demo.data import DEMO_PASSWORD
from tests.e2e.conftest import shot


def _field(scope: Page | Locator, test_id: str) -> Locator:
    """The text input behind an Element Plus field (the test id sits on the input itself or
    on its wrapper, depending on the component)."""
    return scope.locator(f"input[data-testid={test_id}], [data-testid={test_id}] input").first


def _login(page: Page, username: str, password: str = DEMO_PASSWORD) -> None:
    _field(page, "login-username").fill(username)
    _field(page, "login-password").fill(password)
    page.get_by_test_id("login-submit").click()


def test_commander_logs_in_sees_people_in_chinese_and_switches_language(
    page: Page, base_url: str
) -> None:
    page.goto(base_url + "/")
    expect(page).to_have_url(re.compile(r"/login"))
    shot(page, "01-login")

    _login(page, "commander", "wrong-password")
    expect(page.get_by_test_id("login-error")).to_contain_text("用户名或密码错误")
    shot(page, "02-login-error")

    _login(page, "commander")
    expect(page).to_have_url(re.compile(r"/map"))  # a commander starts on the live map
    page.get_by_test_id("nav-people").click()
    expect(page).to_have_url(re.compile(r"/people"))
    table = page.get_by_test_id("people-table")
    expect(table).to_contain_text("城区一中队")
    expect(table).to_contain_text("民警")
    expect(page.get_by_text("姓名").first).to_be_visible()
    expect(page.get_by_test_id("ws-status")).to_have_attribute("data-connected", "true")
    expect(page.get_by_test_id("brigade-name")).to_contain_text("云阳")
    shot(page, "03-people-zh")

    _field(page, "people-search").fill("P01001")
    expect(table.locator("tbody tr")).to_have_count(1)
    _field(page, "people-search").fill("")

    page.get_by_test_id("lang-switch").click()
    expect(page.get_by_test_id("lang-switch")).to_have_attribute("data-locale", "en")
    expect(table).to_contain_text("Police officer")
    expect(page.get_by_test_id("nav-people")).to_contain_text("People")
    shot(page, "04-people-en")

    page.reload()  # the choice is remembered
    expect(page.get_by_test_id("nav-people")).to_contain_text("People")
    page.get_by_test_id("lang-switch").click()
    expect(page.get_by_test_id("nav-people")).to_contain_text("人员")


def test_adding_a_person_with_a_bad_phone_shows_the_field_error(page: Page, base_url: str) -> None:
    page.goto(base_url + "/login?redirect=/people")
    _login(page, "commander")
    page.get_by_test_id("person-add").click()
    dialog = page.get_by_test_id("person-dialog")
    _field(dialog, "person-name").fill("测试员")
    _field(dialog, "person-badge").fill("P09001")
    _field(dialog, "person-mobile").fill("12345")
    dialog.get_by_test_id("person-save").click()
    expect(dialog).to_contain_text("手机")
    shot(page, "05-person-bad-phone")
    _field(dialog, "person-mobile").fill("13800138123")
    squadron = dialog.get_by_test_id("person-squadron")
    squadron.click()
    page.locator(".el-select-dropdown__item:visible").first.click()
    dialog.get_by_test_id("person-save").click()
    expect(dialog).to_be_hidden()
    _field(page, "people-search").fill("P09001")
    expect(page.get_by_test_id("people-table")).to_contain_text("测试员")


def test_settings_show_users_and_the_audit_log(page: Page, base_url: str) -> None:
    page.goto(base_url + "/login")
    _login(page, "admin")
    page.get_by_test_id("nav-settings").click()
    expect(page.get_by_test_id("users-table")).to_contain_text("commander")
    shot(page, "06-settings-users")
    page.get_by_role("tab", name=re.compile("审计")).click()
    expect(page.get_by_test_id("audit-table")).to_contain_text("admin")
    shot(page, "07-settings-audit")


def test_officer_app_on_a_phone(browser: Browser, base_url: str) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.goto(base_url + "/m/")
    expect(page).to_have_url(re.compile(r"/m/login"))
    shot(page, "08-officer-login")
    _login(page, "officer")
    expect(page.get_by_test_id("officer-name")).to_be_visible()
    expect(page.get_by_test_id("officer-squadron")).to_contain_text("城区一中队")
    expect(page.get_by_test_id("officer-role")).to_contain_text("路警")
    shot(page, "09-officer-home")
    context.close()
