"""On a phone: what a family taps is as tall as a finger (about 44 px), at the narrowest screens."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

FINGER_PX = 44


def test_the_links_and_buttons_a_family_taps_are_finger_sized_on_a_320px_screen(live_server, page, login, shoot):
    from core.accounts import create_account
    from core.db import make_engine, write_session
    from tests.browser.conftest import PASSWORD

    engine = make_engine(live_server.database_url)
    with write_session(engine) as session:
        create_account(session, username="parent-phone", password=PASSWORD, role="guardian")
    engine.dispose()
    page.set_viewport_size({"width": 320, "height": 640})
    login(page, live_server, "parent-phone")
    too_small = page.eval_on_selector_all(
        "#nav a, #nav button, main a.button, main button",
        f"els => els.filter(e => e.offsetParent !== null && e.getBoundingClientRect().height < {FINGER_PX - 0.5})"
        ".map(e => (e.id || e.textContent.trim()) + ': ' + Math.round(e.getBoundingClientRect().height) + 'px')")
    shoot(page, "home-320")
    assert too_small == []
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # nothing wider than the phone
