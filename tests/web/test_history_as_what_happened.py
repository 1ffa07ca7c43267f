"""Histories say what happened ("Approved", "已提交"), not the button that made it happen
("Approve", "确认提交（提交后不可修改）"): the family's review feedback, the reviewer's history."""
from __future__ import annotations

import re

import pytest

from core.portal import supply_materials
from core.review import decide
from core.workflow import Workflow
from tests.web.conftest import AuthActions


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def decided(engine, submitted, now, make_account, tmp_path):
    """李's application returned for materials, sent back with them, then approved."""
    from core.db import read_session
    from core.documents import store_document
    from core.models import Account
    from core.workflow import Actor

    reviewer = make_account("rev-donghu", role="reviewer", district="东湖区")
    decide(engine, submitted.id, "return_for_materials", account=reviewer, now=now, reason="请上传户口簿首页")
    with read_session(engine) as session:
        family = session.get(Account, submitted.guardian_id)
    store_document(engine, submitted.id, actor=Actor.of(family), kind="hukou_booklet", filename="hukou.png", data=PNG,
                   now=now, max_bytes=1 << 20, root=tmp_path / "documents")
    supply_materials(engine, submitted.id, account=family, now=now)
    decide(engine, submitted.id, "approve", account=reviewer, now=now)
    return submitted


def _read(app, username: str, path: str) -> str:
    client = app.test_client()
    AuthActions(client).login(username)
    return client.get(path).get_data(as_text=True)


def _feedback(page: str) -> dict[str, str]:
    items = re.findall(r'<li data-testid="feedback-item" data-action="([^"]+)">(.*?)<span class="muted">', page, re.S)
    return {action: re.sub(r"<[^>]+>", "", text).strip() for action, text in items}


def _history(page: str) -> dict[str, str]:
    items = re.findall(r'<li data-testid="event" data-action="([^"]+)">([^<]*)</li>', page)
    return {action: text.split(" · ")[2] for action, text in items}  # time · actor (role) · what happened


def test_the_family_reads_its_review_feedback_as_what_happened(app, decided):
    chinese = _feedback(_read(app, "li-father", f"/guardian/applications/{decided.id}"))
    assert chinese == {"return_for_materials": "退回补充材料：请上传户口簿首页", "approve": "审核通过"}
    english = _feedback(_read(app, "li-father", f"/guardian/applications/{decided.id}?lang=en"))
    assert english == {"return_for_materials": "Returned for materials: 请上传户口簿首页", "approve": "Approved"}


def test_the_reviewers_history_says_what_happened_in_both_languages(app, decided):
    chinese = _history(_read(app, "rev-donghu", f"/review/applications/{decided.id}"))
    assert {action: chinese[action] for action in ("submit", "return_for_materials", "supply_materials", "approve")} == {
        "submit": "已提交", "return_for_materials": "退回补充材料", "supply_materials": "已补充材料，重新提交审核",
        "approve": "审核通过"}
    english = _history(_read(app, "rev-donghu", f"/review/applications/{decided.id}?lang=en"))
    assert {action: english[action] for action in ("submit", "return_for_materials", "supply_materials", "approve")} == {
        "submit": "Submitted", "return_for_materials": "Returned for materials",
        "supply_materials": "Requested materials sent; back for review", "approve": "Approved"}


def test_a_transition_without_a_history_label_is_called_by_the_state_it_led_to():
    workflow = Workflow.from_spec({
        "initial": "open",
        "states": [{"id": "open", "label": {"zh": "待审", "en": "Open"}},
                   {"id": "closed", "label": {"zh": "已关闭", "en": "Closed"}}],
        "transitions": [
            {"id": "close", "from": ["open"], "to": "closed", "by": ["reviewer"], "label": {"zh": "关闭", "en": "Close"}},
            {"id": "reopen", "from": ["closed"], "to": "open", "by": ["reviewer"], "label": {"zh": "重开", "en": "Reopen"},
             "history_label": {"zh": "已重开", "en": "Reopened"}},
        ]})
    assert workflow.happened(workflow.transitions["close"]) == {"zh": "已关闭", "en": "Closed"}
    assert workflow.happened(workflow.transitions["reopen"]) == {"zh": "已重开", "en": "Reopened"}
