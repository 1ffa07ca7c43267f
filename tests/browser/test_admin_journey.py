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


def test_a_json_syntax_error_puts_the_caret_on_it_in_the_textarea(live_server, page, login, shoot, tmp_path):
    """A file pretty-printed over hundreds of lines, a comma missing far down: the page opens with
    the error's character selected in the textarea, scrolled into view."""
    text = json.dumps(json.loads(ruleset_path(2021).read_text()), ensure_ascii=False, indent=2)
    missing = text.index(',\n', len(text) * 3 // 4)  # a comma three quarters of the way down
    text = text[:missing] + text[missing + 1:]
    at = missing + len(text[missing:]) - len(text[missing:].lstrip())  # the parser stops at the next item
    broken = tmp_path / "2021-no-comma.json"
    broken.write_text(text, encoding="utf-8")

    login(page, live_server, "admin")
    page.click("[data-testid=ruleset-new]")
    page.set_input_files("[data-testid=ruleset-file]", str(broken))
    page.click("[data-testid=upload-submit]")

    expect(page.locator("[data-testid=syntax-excerpt]")).to_contain_text("^")
    area = page.locator("[data-testid=rest-json]")
    expect(area).to_be_focused()
    selected = area.evaluate("a => [a.selectionStart, a.selectionEnd, a.value.slice(a.selectionStart, a.selectionStart + 8)]")
    assert selected[:2] == [at, at + 1] and selected[2] == text[at:at + 8], selected
    shown = area.evaluate("""a => {  // the caret's line lies within the textarea's visible part
        const top = a.scrollTop, copy = a.value;
        a.value = copy.slice(0, a.selectionStart); const down = a.scrollHeight; a.value = copy;
        return [top, down, a.clientHeight]; }""")
    scroll_top, down, height = shown
    assert scroll_top > 0 and scroll_top < down <= scroll_top + height, shown
    shoot(page, "caret-on-syntax-error")
