"""What the confirmation page showed is what is submitted: a change that is no transition (an
upload, a document taken back) moves the application's version, so a submit sending the version
of a page drawn before it is refused, and one sending the current version goes through."""
from __future__ import annotations

import pytest

from core.applications import submit_application
from core.db import read_session
from core.documents import remove_document, store_document
from core.models import Application
from core.workflow import Actor, StaleWrite

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _version(engine, application_id: int) -> int:
    with read_session(engine) as session:
        return session.get(Application, application_id).version


def _upload(engine, guardian, application, now, tmp_path):
    return store_document(engine, application.id, actor=Actor.of(guardian), kind="hukou_booklet", filename="户口簿.png",
                          data=PNG, now=now, max_bytes=1 << 20, root=tmp_path / "documents")


def test_a_submit_from_a_page_drawn_before_an_upload_is_refused(engine, draft_application, now, tmp_path):
    guardian, application = draft_application
    seen = _version(engine, application.id)
    _upload(engine, guardian, application, now, tmp_path)
    with pytest.raises(StaleWrite) as refused:
        submit_application(engine, application.id, account=guardian, now=now, seen_version=seen)
    assert refused.value.zh == "提交前该申请已有变化（如在其他页面上传或删除了材料、重新获取了数据），请重新核对后再提交"
    assert refused.value.http_status == 409
    assert _version(engine, application.id) == seen + 1  # nothing of the refused submit was kept
    assert submit_application(engine, application.id, account=guardian, now=now, seen_version=seen + 1).serial


def test_a_submit_from_a_page_drawn_before_a_document_was_taken_back_is_refused(engine, draft_application, now,
                                                                                 tmp_path):
    guardian, application = draft_application
    document = _upload(engine, guardian, application, now, tmp_path)
    seen = _version(engine, application.id)
    remove_document(engine, application.id, document.id, actor=Actor.of(guardian), now=now)
    with pytest.raises(StaleWrite):
        submit_application(engine, application.id, account=guardian, now=now, seen_version=seen)
    assert submit_application(engine, application.id, account=guardian, now=now,
                              seen_version=_version(engine, application.id)).serial
