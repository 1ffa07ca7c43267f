"""A family's forms on a phone: switching language keeps what was typed (never a password, a file
or the CSRF token), once; a form the server sends back with errors takes focus at the first
invalid field, else at the error summary, which is announced (role="alert")."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import fill_signup, tier_one_family_of_donghu

pytestmark = pytest.mark.browser

KEY = "xuewei.typed-before-language-switch"


def _switch_language(page, lang: str) -> None:
    page.click("#lang-switch")
    expect(page.locator("html")).to_have_attribute("lang", lang)


def _focused(page, selector: str):
    """The element focus is on, once it is on `selector` (app.js runs after the page has loaded)."""
    target = page.locator(selector)
    expect(target).to_be_focused()
    return target


def _sign_up(page, server, family, username: str) -> None:
    fill_signup(page, server, family, username)
    page.click("[data-testid=signup-submit]")
    expect(page.locator("[data-testid=start-application]")).to_be_visible()


def test_switching_language_keeps_what_was_typed_once(live_server, sandbox_city, page, shoot):
    family = tier_one_family_of_donghu(sandbox_city)
    page.goto(live_server.url + "/signup")
    page.fill("#name", "张伟")
    page.fill("#username", "zhangwei")
    page.fill("#password", "secret-password")
    page.eval_on_selector("input[name=csrf_token]", "input => { input.value = 'typed-over'; }")
    _switch_language(page, "en")
    expect(page.locator("#name")).to_have_value("张伟")
    expect(page.locator("#username")).to_have_value("zhangwei")
    expect(page.locator("#password")).to_have_value("")  # never kept
    assert page.eval_on_selector("input[name=csrf_token]", "input => input.value") != "typed-over"  # the server's
    assert page.evaluate(f"() => sessionStorage.getItem('{KEY}')") is None  # forgotten once put back
    page.reload()
    expect(page.locator("#name")).to_have_value("")  # once only
    _switch_language(page, "zh-CN")

    _sign_up(page, live_server, family, "parent-lang")
    page.click("[data-testid=start-application]")
    page.fill("#pupil_id_number", family.pupil_id)
    page.fill("#pupil_name", family.facts["pupil"]["name"])
    page.select_option("#district", "东湖区")
    _switch_language(page, "en")
    expect(page.locator("#pupil_id_number")).to_have_value(family.pupil_id)
    expect(page.locator("#pupil_name")).to_have_value(family.facts["pupil"]["name"])
    expect(page.locator("#district")).to_have_value("东湖区")
    shoot(page, "new-application-in-english")
    page.click("[data-testid=new-application-submit]")
    page.click("[data-testid=confirm-pupil-record]")
    expect(page.locator("[data-testid=source-hukou]")).to_have_attribute("data-status", "fetched")

    basis = family.facts["basis"]
    radio = f"[data-testid=basis-option-{basis['kind']}-{basis['id']}]"
    page.check(radio)
    _switch_language(page, "zh-CN")
    expect(page.locator(radio)).to_be_checked()  # a choice made, not yet sent
    page.click("[data-testid=basis-submit]")
    page.click("[data-testid=go-submit]")
    page.check("[data-testid=confirm-checkbox]")
    _switch_language(page, "en")
    expect(page.locator("[data-testid=confirm-checkbox]")).to_be_checked()
    expect(page.locator("[data-testid=submit-button]")).to_be_enabled()  # put back before the button reads the box
    shoot(page, "confirmation-in-english")


def test_a_form_sent_back_with_errors_takes_focus_there(live_server, sandbox_city, page, shoot):
    family = tier_one_family_of_donghu(sandbox_city)
    page.goto(live_server.url + "/login")
    page.fill("#username", "nobody")
    page.fill("#password", "wrong-password")
    page.click("[data-testid=login-submit]")
    expect(_focused(page, "[data-testid=form-error]")).to_have_attribute("role", "alert")  # no field to blame

    _sign_up(page, live_server, family, "parent-focus")
    page.click("[data-testid=start-application]")
    wrong = family.pupil_id[:-1] + ("0" if family.pupil_id[-1] != "0" else "1")  # a wrong check character
    page.fill("#pupil_id_number", wrong)
    page.fill("#pupil_name", family.facts["pupil"]["name"])
    page.select_option("#district", "东湖区")
    page.click("[data-testid=new-application-submit]")
    expect(page.locator("[data-testid=error-pupil_id_number]")).to_be_visible()
    expect(_focused(page, "#pupil_id_number")).to_have_attribute("aria-describedby", "pupil_id_number-error")  # read with it
    shoot(page, "refused-id-number-focused")

    page.fill("#pupil_id_number", family.pupil_id)
    page.click("[data-testid=new-application-submit]")
    page.set_input_files("#file", files=[{"name": "hukou.pdf", "mimeType": "application/pdf", "buffer": b"not a pdf"}])
    page.click("[data-testid=upload-submit]")
    expect(page.locator("[data-testid=flash-error]")).to_contain_text("PDF")
    expect(_focused(page, "[data-testid=flash-error]")).to_have_attribute("role", "alert")
    shoot(page, "refused-upload-focused")
