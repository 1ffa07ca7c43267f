"""A city administrator notes what each stored ruleset version is for, and deletes a draft made by
mistake: only one never active that nothing refers to, confirmed, audited (core.ruleset_drafts)."""
from __future__ import annotations

import html
import json
import re

import pytest
from sqlmodel import select

from core.db import read_session, write_session
from core.models import Application, Event, RulesetVersion, Season
from core.paths import ruleset_path
from core.rulesets import activate_ruleset, store_ruleset
from core.workflow import Actor

CITY = Actor("city", "city_admin")


@pytest.fixture
def admin(client, auth, make_account, season):
    make_account("city", role="city_admin")
    auth.login("city")
    return auth


@pytest.fixture
def draft(engine, season) -> str:
    """The 2021 ruleset stored again as version 1.1.0, never activated: its sha256."""
    document = json.loads(ruleset_path(2021).read_text())
    document["meta"]["version"] = "1.1.0"
    with write_session(engine) as session:
        return store_ruleset(session, session.get(Season, season.id), document, CITY).sha256


def _events(engine, action: str) -> list[Event]:
    with read_session(engine) as session:
        return list(session.exec(select(Event).where(Event.action == action).order_by(Event.seq)))


def _exists(engine, sha: str) -> bool:
    with read_session(engine) as session:
        return session.exec(select(RulesetVersion).where(RulesetVersion.sha256 == sha)).first() is not None


def _delete(client, admin, sha: str, **form):
    return client.post(f"/admin/rulesets/{sha}/delete", data={"csrf_token": admin.csrf(), **form},
                       follow_redirects=True)


def test_a_note_says_what_a_version_is_for_in_the_versions_list_escaped_and_audited(client, admin, engine, draft):
    note = "征求意见稿 <b>第二轮</b>：\n调整租赁年限"
    client.post(f"/admin/rulesets/{draft}/note", data={"csrf_token": admin.csrf(), "note": note})
    index = client.get("/admin/").get_data(as_text=True)
    cell = re.search(rf'data-testid="version-{draft[:12]}">.*?data-testid="version-note">(.*?)</td>', index, re.S)[1]
    assert cell == "征求意见稿 &lt;b&gt;第二轮&lt;/b&gt;： 调整租赁年限"  # one line, escaped
    page = client.get(f"/admin/rulesets/{draft}").get_data(as_text=True)
    assert 'value="征求意见稿 &lt;b&gt;第二轮&lt;/b&gt;： 调整租赁年限"' in page and "<b>第二轮" not in page
    client.post(f"/admin/rulesets/{draft}/note", data={"csrf_token": admin.csrf(), "note": "定稿"})
    changed = _events(engine, "ruleset_note_changed")
    assert [e.data["note"] for e in changed] == ["征求意见稿 <b>第二轮</b>： 调整租赁年限", "定稿"]
    assert changed[1].data["previous"] == changed[0].data["note"] and changed[1].actor == "city"
    assert "修改规则版本备注" in client.get("/operator/audit?subject_type=ruleset").get_data(as_text=True)


def test_a_note_longer_than_the_limit_is_refused_in_chinese_and_the_old_one_kept(client, admin, engine, draft):
    client.post(f"/admin/rulesets/{draft}/note", data={"csrf_token": admin.csrf(), "note": "初稿"})
    refused = client.post(f"/admin/rulesets/{draft}/note", data={"csrf_token": admin.csrf(), "note": "长" * 201},
                          follow_redirects=True).get_data(as_text=True)
    assert "备注不能超过 200 个字（现为 201 个）" in refused
    with read_session(engine) as session:
        assert session.exec(select(RulesetVersion.note).where(RulesetVersion.sha256 == draft)).one() == "初稿"
    assert len(_events(engine, "ruleset_note_changed")) == 1


def test_a_draft_never_active_is_deleted_once_confirmed_and_the_audit_keeps_what_it_was(client, admin, engine,
                                                                                       draft):
    client.post(f"/admin/rulesets/{draft}/note", data={"csrf_token": admin.csrf(), "note": "传错了文件"})
    page = client.get(f"/admin/rulesets/{draft}").get_data(as_text=True)
    assert 'data-testid="delete-form"' in page and 'name="confirmed" value="1" required' in page
    unconfirmed = _delete(client, admin, draft).get_data(as_text=True)
    assert "请勾选确认后再删除" in unconfirmed and _exists(engine, draft)
    deleted = _delete(client, admin, draft, confirmed="1")
    assert deleted.request.path == "/admin/" and f"草稿 nanchang-2021 1.1.0（{draft[:12]}）已删除" in deleted.get_data(
        as_text=True)
    assert not _exists(engine, draft) and f'data-testid="version-{draft[:12]}"' not in deleted.get_data(as_text=True)
    (event,) = _events(engine, "ruleset_deleted")
    assert (event.subject_id, event.from_state, event.actor) == (draft[:16], "draft", "city")
    assert event.data == {"sha256": draft, "ruleset_id": "nanchang-2021", "version": "1.1.0", "season": 2021,
                          "note": "传错了文件"}
    assert client.get(f"/admin/rulesets/{draft}").status_code == 404
    audit = client.get(f"/operator/audit?subject_type=ruleset&subject_id={draft[:16]}").get_data(as_text=True)
    assert audit.count("规则集 nanchang-2021 1.1.0") == 3 and "删除规则草稿" in audit  # stored, noted, deleted


def _refusals(client, sha: str) -> list[str]:
    page = client.get(f"/admin/rulesets/{sha}").get_data(as_text=True)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", item)).split()) for item in
            re.findall(r'<li data-testid="delete-refused">(.*?)</li>', page, re.S)]


def test_the_active_version_and_a_retired_one_cannot_be_deleted(client, admin, engine, season, draft):
    active = season.active_ruleset_sha256
    assert 'data-testid="delete-draft"' not in client.get(f"/admin/rulesets/{active}").get_data(as_text=True)
    assert "该版本曾经启用" in _delete(client, admin, active, confirmed="1").get_data(as_text=True)
    with write_session(engine) as session:  # the draft becomes active; the 1.0.0 version is retired
        activate_ruleset(session, session.get(Season, season.id), draft, CITY)
    assert 'data-testid="delete-draft"' not in client.get(f"/admin/rulesets/{active}").get_data(as_text=True)
    refused = _delete(client, admin, active, confirmed="1").get_data(as_text=True)
    assert "不能删除：该版本曾经启用" in refused
    assert _exists(engine, active) and _exists(engine, draft) and not _events(engine, "ruleset_deleted")


def test_a_draft_an_application_or_an_allocation_refers_to_is_kept(client, admin, engine, season, draft, submitted):
    """Neither can happen without the draft being activated first; refused all the same, should a
    row name it (an allocation imported, a row restored), since deleting it would orphan them."""
    from core.allocation.models import AllocationRun

    with write_session(engine) as session:
        application = session.get(Application, submitted.id)
        application.ruleset_sha256 = draft
        session.add(application)
    assert any("已有 1 份申请按该版本提交并判定" in r for r in _refusals(client, draft))
    assert 'data-testid="delete-form"' not in client.get(f"/admin/rulesets/{draft}").get_data(as_text=True)
    with write_session(engine) as session:
        session.get(Application, submitted.id).ruleset_sha256 = season.active_ruleset_sha256
        session.add(AllocationRun(season_id=season.id, ruleset_sha256=draft, seed="s", commitment="c",
                                  export_sha256="e", pupils=0, schools=0, run_by="city"))
    assert _refusals(client, draft) == ["已有学位分配按该版本进行，不能删除 seats were allocated under this version"]
    assert "已有学位分配按该版本进行" in _delete(client, admin, draft, confirmed="1").get_data(as_text=True)
    assert _exists(engine, draft)


@pytest.mark.parametrize("role", ["guardian", "reviewer", "district_admin", "operator"])
def test_only_city_administrators_note_or_delete_drafts(client, auth, make_account, engine, draft, role):
    make_account("someone", role=role, district="东湖区" if role in ("reviewer", "district_admin") else None)
    auth.login("someone")
    token = auth.csrf()
    assert client.post(f"/admin/rulesets/{draft}/note", data={"csrf_token": token, "note": "x"}).status_code == 403
    assert client.post(f"/admin/rulesets/{draft}/delete", data={"csrf_token": token, "confirmed": "1"}).status_code == 403
    assert _exists(engine, draft)


def test_deleting_or_noting_without_the_csrf_token_is_refused(client, admin, engine, draft):
    assert client.post(f"/admin/rulesets/{draft}/delete", data={"confirmed": "1"}).status_code == 400
    assert client.post(f"/admin/rulesets/{draft}/note", data={"note": "x"}).status_code == 400
    assert _exists(engine, draft) and not _events(engine, "ruleset_note_changed")
