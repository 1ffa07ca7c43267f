"""The browser harness itself: a real chromium reaches a real `xuewei serve` on 127.0.0.1."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_real_server_answers_ready_and_chromium_renders_it(live_server, page, shoot):
    assert live_server.get_json("/readyz") == {"status": "ready"}
    response = page.goto(live_server.url + "/healthz")
    assert response.status == 200
    assert '"ok"' in page.content()
    assert shoot(page, "healthz").stat().st_size > 0
