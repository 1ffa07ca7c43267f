"""A family with the confirmation page open in two tabs: after a change made in one (an upload, a
document taken back, the data fetched again), the other tab's older confirmation no longer
submits; the family is told in Chinese and shown the confirmation as it stands now."""
from __future__ import annotations

import io
import re

import pytest

from tests.web.conftest import LI_PUPIL

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
CHANGED = "提交前该申请已有变化（如在其他页面上传或删除了材料、重新获取了数据），请重新核对后再提交"


@pytest.fixture
def draft(client, auth, make_account, season, catchments, family):
    """李's draft with every source fetched and the property chosen: ready to submit."""
    make_account("li-father")
    auth.login("li-father")
    started = client.post("/guardian/applications/new", data={
        "pupil_id_number": LI_PUPIL, "pupil_name": "李小明", "district": "东湖区", "csrf_token": auth.csrf()})
    application_id = int(re.search(r"/guardian/applications/(\d+)", started.headers["Location"]).group(1))
    _post(client, auth, application_id, "facts")
    _post(client, auth, application_id, "basis", basis="property:P1")
    return application_id


def _post(client, auth, application_id: int, step: str, **form):
    return client.post(f"/guardian/applications/{application_id}/{step}", data={**form, "csrf_token": auth.csrf()})


def _upload(client, auth, application_id: int):
    return client.post(f"/guardian/applications/{application_id}/documents", content_type="multipart/form-data",
                       data={"kind": "hukou_booklet", "file": (io.BytesIO(PNG), "户口簿.png"), "csrf_token": auth.csrf()})


def _confirmation(client, application_id: int) -> dict[str, str]:
    """The confirmation page as a tab holds it: what it says, and the version its form sends."""
    page = client.get(f"/guardian/applications/{application_id}/submit").get_data(as_text=True)
    return {"page": page, "version": re.search(r'name="version" value="(\d+)"', page).group(1)}


def _submit_from(client, auth, application_id: int, tab: dict[str, str]):
    return _post(client, auth, application_id, "submit", confirm="yes", version=tab["version"])


def _remove_the_upload(client, auth, application_id: int) -> None:
    page = client.get(f"/guardian/applications/{application_id}").get_data(as_text=True)
    document_id = re.search(r'data-testid="remove-document-(\d+)"', page).group(1)
    _post(client, auth, application_id, f"documents/{document_id}/remove")


CHANGES = {
    "upload": (lambda client, auth, application_id: None, _upload, "1 份"),
    "removal": (_upload, _remove_the_upload, "0 份"),
    "facts fetched again": (lambda client, auth, application_id: None,
                            lambda client, auth, application_id: _post(client, auth, application_id, "facts"), "0 份"),
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_confirmation_drawn_before_a_change_in_another_tab_does_not_submit(client, auth, draft, change):
    before, change_it, documents_now = CHANGES[change]
    before(client, auth, draft)
    first_tab, second_tab = _confirmation(client, draft), _confirmation(client, draft)
    change_it(client, auth, draft)

    refused = _submit_from(client, auth, draft, first_tab)
    assert refused.headers["Location"].endswith(f"/guardian/applications/{draft}/submit")  # to look again
    again = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert CHANGED in again and f'data-testid="document-count">{documents_now}<' in again
    assert _submit_from(client, auth, draft, second_tab).headers["Location"].endswith("/submit")  # stale too
    assert 'data-testid="serial"' not in client.get(f"/guardian/applications/{draft}").get_data(as_text=True)

    current = _confirmation(client, draft)
    assert _submit_from(client, auth, draft, current).headers["Location"].endswith(f"/guardian/applications/{draft}")
    assert 'data-testid="serial"' in client.get(f"/guardian/applications/{draft}").get_data(as_text=True)
