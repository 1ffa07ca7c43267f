"""A file past its limit is held back in the browser: the server would refuse it too, but a
request past the upload limit loses everything else the person typed into the form."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_a_face_photo_over_2mb_is_held_back_and_nothing_typed_is_lost(live_server, page, shoot):
    page.goto(live_server.url + "/signup")
    page.fill("#name", "张伟")
    page.fill("#username", "zhangwei")
    page.set_input_files("#face_image", files=[{"name": "face.jpg", "mimeType": "image/jpeg",
                                                "buffer": b"\xff\xd8\xff" + b"0" * (2 * 1024 * 1024)}])
    page.click("#signup-submit")
    expect(page.locator("#name")).to_have_value("张伟")
    assert page.url == live_server.url + "/signup"
    assert "2MB" in page.eval_on_selector("#face_image", "input => input.validationMessage")
    shoot(page, "face-photo-too-large")

    page.set_input_files("#face_image", files=[{"name": "face.jpg", "mimeType": "image/jpeg",
                                                "buffer": b"\xff\xd8\xff" + b"0" * 1024}])
    assert page.eval_on_selector("#face_image", "input => input.validationMessage") == ""
