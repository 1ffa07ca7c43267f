"""§4.1: preparation lists lock once submitted; a correction is a new version a city administrator approves."""
from __future__ import annotations

import pytest
from sqlmodel import select

from core.audit import verify_chain
from core.db import read_session, write_session
from core.errors import Forbidden
from core.imports import ImportFailed
from core.models import Event, School
from core.season.lists import ListLocked, current_entries, decide_correction, import_list, propose_correction, submit_list
from core.season.models import LockedListVersion
from core.workflow import Actor
from tests.season.conftest import at

DISTRICT = Actor("donghu-admin", "district_admin", district="东湖区")
CITY = Actor("city-admin", "city_admin")
PREPARING = at("2021-05-20T09:00:00")


def _entry(id_number, sequence, school="dh-yuzhang"):
    return {"pupil_id_number": id_number(sequence=sequence), "name": "直升生", "primary_school": "东湖小学",
            "school_id": school}


@pytest.fixture(autouse=True)
def schools(engine, season):
    """Two middle schools of 东湖区, one of 经开区 and a province-run one, as the schools import leaves them."""
    with write_session(engine) as session:
        for code, district, kind in (("dh-yuzhang", "东湖区", "public"), ("dh-sanzhong", "东湖区", "public"),
                                     ("d6-m01", "经开区", "public"), ("sheng-shiyan", "东湖区", "province_run")):
            session.add(School(season_id=season.id, code=code, name=code, stage="middle", district=district,
                               kind=kind))


@pytest.fixture
def submitted(engine, season, id_number):
    draft = import_list(engine, season, kind="direct_promotion", owner="东湖区", entries=[_entry(id_number, 1)],
                        actor=DISTRICT, now=PREPARING)
    return submit_list(engine, season, draft.list_id, actor=DISTRICT, now=PREPARING)


def test_a_draft_may_be_reimported_until_it_is_submitted(engine, season, id_number):
    import_list(engine, season, kind="direct_promotion", owner="东湖区", entries=[_entry(id_number, 1)],
                actor=DISTRICT, now=PREPARING)
    again = import_list(engine, season, kind="direct_promotion", owner="东湖区",
                        entries=[_entry(id_number, 1), _entry(id_number, 3)], actor=DISTRICT, now=PREPARING)
    assert (again.version, again.state, len(again.entries)) == (1, "draft", 2)


def test_a_list_imported_once_collection_has_opened_is_refused_naming_the_day_with_its_year(engine, season,
                                                                                           id_number):
    """Staff read the refusal beside next year's season: the day says which year it is."""
    with pytest.raises(ListLocked) as refused:
        import_list(engine, season, kind="direct_promotion", owner="东湖区", entries=[_entry(id_number, 1)],
                    actor=DISTRICT, now=at("2021-06-08T09:00:00"))
    assert "须在信息采集开始（2021年6月1日 " in refused.value.zh and "(1 June 2021 " in refused.value.en


def test_a_submitted_list_cannot_be_changed(engine, season, submitted, id_number):
    with pytest.raises(ListLocked) as refused:
        import_list(engine, season, kind="direct_promotion", owner="东湖区", entries=[_entry(id_number, 5)],
                    actor=DISTRICT, now=PREPARING)
    assert "不能修改" in refused.value.zh
    with read_session(engine) as session:
        assert current_entries(session, season, "direct_promotion", "东湖区") == submitted.entries


def test_lists_are_imported_only_before_collection_opens(engine, season, id_number):
    with pytest.raises(ListLocked):
        import_list(engine, season, kind="direct_promotion", owner="东湖区", entries=[_entry(id_number, 1)],
                    actor=DISTRICT, now=at("2021-06-01T10:00:00"))


def test_district_staff_cannot_import_another_districts_list_or_a_special_policy_list(engine, season, id_number):
    with pytest.raises(Forbidden):
        import_list(engine, season, kind="direct_promotion", owner="西湖区", entries=[_entry(id_number, 1)],
                    actor=DISTRICT, now=PREPARING)
    with pytest.raises(Forbidden):
        import_list(engine, season, kind="special_policy", owner="南昌警备区",
                    entries=[{"pupil_id_number": id_number(sequence=7), "name": "军人子女", "category": "military"}],
                    actor=DISTRICT, now=PREPARING)


def test_a_correction_is_a_new_version_approved_by_a_city_administrator_and_audited(engine, season, submitted,
                                                                                    id_number):
    corrected = [_entry(id_number, 1, school="dh-sanzhong")]
    proposal = propose_correction(engine, season, submitted.list_id, entries=corrected, reason="学校代码填错",
                                  actor=DISTRICT, now=at("2021-06-03T09:00:00"))
    with read_session(engine) as session:
        assert current_entries(session, season, "direct_promotion", "东湖区") == submitted.entries  # not yet
    with pytest.raises(Forbidden):
        decide_correction(engine, season, proposal.id, approve=True, actor=DISTRICT, now=at("2021-06-03T10:00:00"))
    decide_correction(engine, season, proposal.id, approve=True, actor=CITY, now=at("2021-06-03T10:00:00"))
    with read_session(engine) as session:
        assert current_entries(session, season, "direct_promotion", "东湖区") == corrected
        versions = session.exec(select(LockedListVersion).order_by(LockedListVersion.version)).all()
        trail = session.exec(select(Event).where(Event.subject_type == "locked_list").order_by(Event.seq)).all()
        assert verify_chain(session) is None
    assert [(v.version, v.state, v.entries[0]["school_id"]) for v in versions] == [
        (1, "superseded", "dh-yuzhang"), (2, "approved", "dh-sanzhong")]
    assert [(e.action, e.actor) for e in trail] == [
        ("list_imported", "donghu-admin"), ("list_submitted", "donghu-admin"),
        ("list_correction_proposed", "donghu-admin"), ("list_correction_approved", "city-admin")]
    assert trail[2].reason == "学校代码填错"


def _refused_lines(action) -> list[tuple[int, str | None, str]]:
    with pytest.raises(ImportFailed) as refused:
        action()
    return [(p.line, p.column, p.zh) for p in refused.value.problems]


def test_a_direct_promotion_list_names_middle_schools_of_its_own_district_only(engine, season, id_number):
    entries = [_entry(id_number, 1), _entry(id_number, 3, school="d6-m01"), _entry(id_number, 5, school="dh-nowhere")]
    assert _refused_lines(lambda: import_list(engine, season, kind="direct_promotion", owner="东湖区", entries=entries,
                                              actor=DISTRICT, now=PREPARING)) == [
        (3, "school_id", "学校 'd6-m01' 属于经开区，不属于东湖区；各区只能填报本区的学校"),
        (4, "school_id", "本季没有初中 'dh-nowhere'；请先导入学校")]
    with read_session(engine) as session:
        assert session.exec(select(LockedListVersion)).all() == []  # nothing of a refused file is kept


def test_a_province_run_staff_list_names_province_run_schools_only(engine, season, id_number):
    """§6.3: a province-run school serves its own staff's children; the list seats them there."""
    entries = [{"pupil_id_number": id_number(sequence=s), "name": "职工子女", "school_id": school}
               for s, school in ((1, "sheng-shiyan"), (3, "dh-yuzhang"), (5, "sheng-nowhere"))]
    assert _refused_lines(lambda: import_list(engine, season, kind="province_staff", owner="city", entries=entries,
                                              actor=CITY, now=PREPARING)) == [
        (3, "school_id", "学校 'dh-yuzhang' 不是省属事业单位办学校"),
        (4, "school_id", "本季没有初中 'sheng-nowhere'；请先导入学校")]
    draft = import_list(engine, season, kind="province_staff", owner="city", entries=entries[:1], actor=CITY,
                        now=PREPARING)
    assert [e["school_id"] for e in draft.entries] == ["sheng-shiyan"]


def test_a_special_policy_entry_that_names_a_school_names_one_of_the_season(engine, season, id_number):
    entries = [{"pupil_id_number": id_number(sequence=1), "name": "军人子女", "category": "military"},
               {"pupil_id_number": id_number(sequence=3), "name": "人才子女", "category": "talent", "school_id": "nowhere"}]
    assert _refused_lines(lambda: import_list(engine, season, kind="special_policy", owner="city", entries=entries,
                                              actor=CITY, now=PREPARING)) == [
        (3, "school_id", "本季没有初中 'nowhere'；请先导入学校")]


def test_a_correction_is_checked_like_an_import_and_names_the_file_line(engine, season, submitted, id_number):
    corrected = [_entry(id_number, 1, school="d6-m01")]
    assert _refused_lines(lambda: propose_correction(engine, season, submitted.list_id, entries=corrected,
                                                     reason="学校代码填错", actor=DISTRICT,
                                                     now=at("2021-06-03T09:00:00"))) == [
        (2, "school_id", "学校 'd6-m01' 属于经开区，不属于东湖区；各区只能填报本区的学校")]  # line 1 is the header
    with read_session(engine) as session:
        assert [v.state for v in session.exec(select(LockedListVersion))] == ["submitted"]


def test_every_faulty_line_of_a_list_is_reported_by_its_line_in_the_file(engine, season, id_number):
    entries = [_entry(id_number, 1), {**_entry(id_number, 3), "name": ""}, _entry(id_number, 1),
               {**_entry(id_number, 5), "pupil_id_number": "36010220090501005X"}]
    problems = _refused_lines(lambda: import_list(engine, season, kind="direct_promotion", owner="东湖区",
                                                  entries=entries, actor=DISTRICT, now=PREPARING))
    assert [(line, column) for line, column, _ in problems] == [(3, None), (4, "pupil_id_number"), (5, "pupil_id_number")]
    assert problems[0][2] == "缺少：name" and problems[1][2] == "学生重复（第 2 行已列出）"
