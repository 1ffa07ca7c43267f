"""The locked preparation lists (§4.1) through the administrators' pages."""
from __future__ import annotations

import re
from io import BytesIO

import pytest
from sqlmodel import select

from core.clock import parse_instant
from core.db import read_session, write_session
from core.models import Event, School
from core.season.lists import import_list, submit_list
from core.season.models import LockedList, LockedListVersion
from core.workflow import Actor


@pytest.fixture
def preparation(clock, season):
    clock.set(parse_instant("2021-05-20T10:00:00+08:00"))
    return season


def _csv(id_number, *sequences, category="military"):
    rows = "".join(f"{id_number(sequence=s)},学生{s},{category}\n" for s in sequences)
    return BytesIO(("pupil_id_number,name,category\n" + rows).encode())


def _post(client, auth, path, **data):
    return client.post(path, data={**data, "csrf_token": auth.csrf()}, content_type="multipart/form-data")


def test_special_policy_list_is_imported_submitted_and_then_locked(client, auth, make_account, preparation,
                                                                  engine, id_number):
    make_account("city", role="city_admin")
    auth.login("city")
    _post(client, auth, "/admin/lists/import", kind="special_policy", owner="city", file=(_csv(id_number, 1, 3), "l.csv"))
    with read_session(engine) as session:
        locked = session.exec(select(LockedList)).one()
    assert 'data-testid="list-special_policy-city"' in client.get("/admin/lists").get_data(as_text=True)
    _post(client, auth, f"/admin/lists/{locked.id}/submit")
    response = _post(client, auth, "/admin/lists/import", kind="special_policy", owner="city",
                     file=(_csv(id_number, 5), "again.csv"))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "不能修改" in page  # the list service's refusal, shown to the administrator
    with read_session(engine) as session:
        versions = session.exec(select(LockedListVersion)).all()
    assert [(v.version, v.state, len(v.entries)) for v in versions] == [(1, "submitted", 2)]


def test_the_lists_page_cites_the_locking_rule_as_the_seasons_ruleset_words_it(client, auth, make_account, preparation):
    make_account("city", role="city_admin")
    auth.login("city")
    rule = re.search(r'data-testid="lists-rule">([^<]*)<', client.get("/admin/lists").get_data(as_text=True)).group(1)
    assert rule.endswith("经市级管理员审批（第四部分第1项）。") and "§4.1" not in rule
    english = client.get("/admin/lists?lang=en").get_data(as_text=True)
    assert "a city administrator approves (part 4, item 1)." in english


def _correction_proposed(client, auth, make_account, engine, id_number) -> tuple[int, LockedListVersion]:
    """A city list imported and submitted, then a correction of it proposed: (list id, the proposal)."""
    make_account("city", role="city_admin")
    auth.login("city")
    _post(client, auth, "/admin/lists/import", kind="special_policy", owner="city", file=(_csv(id_number, 1), "l.csv"))
    with read_session(engine) as session:
        list_id = session.exec(select(LockedList.id)).one()
    _post(client, auth, f"/admin/lists/{list_id}/submit")
    _post(client, auth, f"/admin/lists/{list_id}/correction", reason="漏报一名学生", file=(_csv(id_number, 1, 3), "c.csv"))
    with read_session(engine) as session:
        return list_id, session.exec(select(LockedListVersion).where(LockedListVersion.state == "proposed")).one()


def test_a_correction_needs_a_city_administrators_approval_and_is_audited(client, auth, make_account, preparation,
                                                                          engine, id_number):
    list_id, proposed = _correction_proposed(client, auth, make_account, engine, id_number)
    decided = _post(client, auth, f"/admin/lists/versions/{proposed.id}/decision", approve="1")
    page = client.get(decided.headers["Location"]).get_data(as_text=True)
    assert "名单第 2 版：更正已批准" in page and 'data-value="superseded">已被更正取代<' in page
    with read_session(engine) as session:
        assert session.get(LockedList, list_id).current_version == 2
        actions = [e.action for e in session.exec(select(Event).where(Event.subject_type == "locked_list"))]
    assert actions == ["list_imported", "list_submitted", "list_correction_proposed", "list_correction_approved"]


def test_a_district_administrator_cannot_decide_corrections(client, auth, make_account, preparation):
    make_account("dh", role="district_admin", district="东湖区")
    auth.login("dh")
    assert 'href="/admin/lists"' in client.get("/review/").get_data(as_text=True)  # in the navigation
    assert client.get("/admin/lists").status_code == 200
    assert _post(client, auth, "/admin/lists/versions/1/decision", approve="1").status_code == 403


@pytest.mark.parametrize("role", ["guardian", "reviewer", "operator"])
def test_lists_page_is_refused_to_other_roles(client, auth, make_account, season, role):
    make_account("someone", role=role, district="东湖区" if role == "reviewer" else None)
    auth.login("someone")
    assert client.get("/admin/lists").status_code == 403


def test_a_refused_correction_says_why_to_the_district_that_proposed_it(client, auth, make_account, preparation,
                                                                        engine, id_number):
    _, proposed = _correction_proposed(client, auth, make_account, engine, id_number)
    silent = _post(client, auth, f"/admin/lists/versions/{proposed.id}/decision", approve="0")
    assert "请填写驳回原因" in client.get(silent.headers["Location"]).get_data(as_text=True)
    _post(client, auth, f"/admin/lists/versions/{proposed.id}/decision", approve="0", reason="新增学生缺少审批文件")
    page = client.get("/admin/lists").get_data(as_text=True)
    assert 'data-testid="list-decision-reason">驳回原因：新增学生缺少审批文件<' in page
    with read_session(engine) as session:
        assert session.get(LockedListVersion, proposed.id).state == "refused"
        refused = session.exec(select(Event).where(Event.action == "list_correction_refused")).one()
    assert refused.data["decision_reason"] == "新增学生缺少审批文件"


def _submitted_lists(engine, season, id_number, now) -> dict[str, int]:
    """Submitted lists of 东湖区 and 西湖区 (direct promotion) and of the city (special policy): id by name."""
    with write_session(engine) as session:
        for code, district in (("dh-yuzhang", "东湖区"), ("xh-m01", "西湖区"), ("d6-m01", "经开区")):
            session.add(School(season_id=season.id, code=code, name=code, stage="middle", district=district))
    made = {}
    for name, kind, owner, actor, entry in (
            ("东湖区", "direct_promotion", "东湖区", Actor("dh", "district_admin", district="东湖区"), {"school_id": "dh-yuzhang"}),
            ("西湖区", "direct_promotion", "西湖区", Actor("xh", "district_admin", district="西湖区"), {"school_id": "xh-m01"}),
            ("city", "special_policy", "city", Actor("city", "city_admin"), {"category": "military"})):
        entries = [{"pupil_id_number": id_number(sequence=len(made) + 1), "name": "学生", "primary_school": "小学", **entry}]
        draft = import_list(engine, season, kind=kind, owner=owner, entries=entries, actor=actor, now=now)
        made[name] = submit_list(engine, season, draft.list_id, actor=actor, now=now).list_id
    return made


def test_a_district_administrator_sees_correction_forms_only_on_its_own_districts_lists(
        client, auth, make_account, preparation, engine, id_number, clock):
    lists = _submitted_lists(engine, preparation, id_number, clock.now())
    make_account("dh-admin", role="district_admin", district="东湖区")
    auth.login("dh-admin")
    page = client.get("/admin/lists").get_data(as_text=True)
    assert f'data-testid="list-correct-{lists["东湖区"]}"' in page
    assert f'data-testid="list-correct-{lists["西湖区"]}"' not in page
    assert f'data-testid="list-correct-{lists["city"]}"' not in page


def test_a_city_administrator_sees_correction_forms_only_on_the_lists_the_city_keeps(
        client, auth, make_account, preparation, engine, id_number, clock):
    lists = _submitted_lists(engine, preparation, id_number, clock.now())
    make_account("city-admin", role="city_admin")
    auth.login("city-admin")
    page = client.get("/admin/lists").get_data(as_text=True)
    assert f'data-testid="list-correct-{lists["city"]}"' in page
    assert f'data-testid="list-correct-{lists["东湖区"]}"' not in page


def test_a_correction_naming_another_districts_school_is_refused_by_its_line_in_the_file(
        client, auth, make_account, preparation, engine, id_number, clock):
    lists = _submitted_lists(engine, preparation, id_number, clock.now())
    make_account("dh-admin", role="district_admin", district="东湖区")
    auth.login("dh-admin")
    csv = f"pupil_id_number,name,primary_school,school_id\n{id_number(sequence=1)},学生,小学,d6-m01\n"
    response = _post(client, auth, f"/admin/lists/{lists['东湖区']}/correction", reason="学校代码填错",
                     file=(BytesIO(csv.encode()), "c.csv"))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "名单文件有问题，未作任何更改：第 2 行，school_id 列：学校 &#39;d6-m01&#39; 属于经开区，不属于东湖区" in page
    with read_session(engine) as session:
        assert session.exec(select(LockedListVersion).where(LockedListVersion.state == "proposed")).all() == []
