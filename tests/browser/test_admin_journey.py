"""A city administrator uploads a broken ruleset, sees the error at its JSON pointer, fixes it in the browser."""
from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from core.paths import ruleset_path

pytestmark = pytest.mark.browser


def test_admin_sees_a_broken_ruleset_error_at_its_pointer_and_fixes_it(live_server, page, login, shoot, tmp_path):
    document = json.loads(ruleset_path(2021).read_text())
    document["meta"]["version"] = "1.1.0"
    document["calendar"]["phases"][1]["end"] = "2021-06-16 17:00"  # no offset: not an ISO 8601 instant
    broken = tmp_path / "2021-broken.json"
    broken.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")

    login(page, live_server, "admin")
    page.click("[data-testid=ruleset-new]")
    shoot(page, "editor")
    page.set_input_files("[data-testid=ruleset-file]", str(broken))
    page.click("[data-testid=upload-submit]")

    problem = page.locator('[data-testid=problem][data-pointer="/calendar/phases/1/end"]').first
    expect(problem).to_be_visible()
    expect(problem).to_contain_text("/calendar/phases/1/end")
    field = page.locator('input[data-pointer="/calendar/phases/1/end"]')
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_value("2021-06-16 17:00")
    shoot(page, "problem-at-pointer")

    field.fill("2021-06-16T17:00:00+08:00")
    page.click("[data-testid=ruleset-save]")
    expect(page.locator("[data-testid=version-status]")).to_have_attribute("data-value", "draft")
    expect(page.locator("[data-testid=version-status]")).to_have_text("草稿")
    expect(page.locator("[data-testid=change-meta-version]")).to_contain_text("1.1.0")
    expect(page.locator("[data-testid=tests-summary]")).to_have_attribute("data-failed", "0")
    shoot(page, "review")

    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.click("[data-testid=activate]")  # asked first, and answered "no": nothing happens
    expect(page.locator("[data-testid=version-status]")).to_have_attribute("data-value", "draft")
    assert asked and "1.1.0" in asked[0]
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-testid=activate]")
    expect(page.locator("[data-testid=version-status]")).to_have_text("已启用")
