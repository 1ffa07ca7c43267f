"""Schools, capacities and catchments imported from CSV, with every faulty row reported."""
from __future__ import annotations

import hashlib
import json
import re

import pytest
from sqlmodel import select

from core.db import read_session, write_session
from core.imports import ImportFailed, decode_csv, import_capacities, import_catchments, import_schools
from core.models import Catchment, Event, School
from core.workflow import Actor

ADMIN = Actor("city-admin", "city_admin")
DISTRICTS = ("东湖区", "西湖区", "红谷滩区")
SCHOOLS = """code,name,stage,kind,district,coordinating_district,school_group,in_urban_area,capacity,x,y
dh-yuzhang,豫章中学,middle,public,东湖区,,,1,300,1.5,2.5
dh-sanzhong,南昌三中,middle,public,东湖区,,,1,450,,
dh-p01,八一大道小学,primary,public,东湖区,,,1,,,
"""
CATCHMENTS = """school_id,school_name,district,street,from,to,parity,compound
dh-yuzhang,豫章中学,东湖区,八一大道,1,199,odd,
dh-sanzhong,南昌三中,东湖区,八一大道,2,200,even,
dh-yuzhang,豫章中学,东湖区,,,,,滨江花园
"""


def _import(engine, season, function, text, **kwargs):
    with write_session(engine) as session:
        return function(session, session.merge(season), text, actor=ADMIN, **kwargs)


def _problems(engine, season, function, text, **kwargs):
    with pytest.raises(ImportFailed) as caught:
        _import(engine, season, function, text, **kwargs)
    return [(p.line, p.column) for p in caught.value.problems]


def test_schools_import_creates_then_updates_and_is_audited(engine, season):
    assert _import(engine, season, import_schools, SCHOOLS, districts=DISTRICTS).created == 3
    again = _import(engine, season, import_schools, SCHOOLS.replace(",300,", ",320,"), districts=DISTRICTS)
    assert (again.created, again.updated) == (0, 3)
    with read_session(engine) as session:
        yuzhang = session.exec(select(School).where(School.code == "dh-yuzhang")).one()
        events = session.exec(select(Event).where(Event.action == "schools_imported")).all()
    assert (yuzhang.capacity, yuzhang.x, yuzhang.stage) == (320, 1.5, "middle")
    assert len(events) == 2


def test_schools_import_reports_every_bad_row_and_imports_nothing(engine, season):
    text = SCHOOLS + "x1,,college,public,东湖区,,,1,ten,,\nx2,某中学,middle,public,九龙区,,,maybe,0,,\n"
    assert _problems(engine, season, import_schools, text, districts=DISTRICTS) == [
        (5, "name"), (5, "stage"), (5, "capacity"), (6, "district"), (6, "in_urban_area")]
    with read_session(engine) as session:
        assert session.exec(select(School)).all() == []


def test_schools_import_refuses_a_file_without_the_required_columns(engine, season):
    assert _problems(engine, season, import_schools, "code,name\na,b\n") == [(1, None)]


def test_capacities_need_known_middle_schools(engine, season):
    _import(engine, season, import_schools, SCHOOLS, districts=DISTRICTS)
    assert _problems(engine, season, import_capacities,
                     "code,capacity\ndh-yuzhang,-5\ndh-p01,40\nnowhere,10\n") == [
        (2, "capacity"), (3, "code"), (4, "code")]
    assert _import(engine, season, import_capacities, "code,capacity\ndh-yuzhang,280\n").updated == 1
    with read_session(engine) as session:
        assert session.exec(select(School.capacity).where(School.code == "dh-yuzhang")).one() == 280


def test_a_capacity_row_without_a_code_asks_for_the_code_not_for_a_school_named_nothing(engine, season):
    _import(engine, season, import_schools, SCHOOLS, districts=DISTRICTS)
    with pytest.raises(ImportFailed) as caught:
        _import(engine, season, import_capacities, "code,capacity\n,280\n")
    [problem] = caught.value.problems
    assert (problem.line, problem.column, problem.zh, problem.message) == (2, "code", "未填写学校代码",
                                                                           "the school code is empty")


def test_catchments_import_stores_rules_per_middle_school(engine, season):
    _import(engine, season, import_schools, SCHOOLS, districts=DISTRICTS)
    assert _import(engine, season, import_catchments, CATCHMENTS).created == 2
    with read_session(engine) as session:
        rows = {c.code: c.rules for c in session.exec(select(Catchment))}
    assert rows["dh-yuzhang"] == [
        {"district": "东湖区", "street": "八一大道", "numbers": {"from": 1, "to": 199, "parity": "odd"}},
        {"district": "东湖区", "compound": "滨江花园"}]


def test_catchment_rows_with_errors_are_named_by_line(engine, season):
    _import(engine, season, import_schools, SCHOOLS, districts=DISTRICTS)
    text = CATCHMENTS + "dh-sanzhong,南昌三中,东湖区,阳明路,9,,odd,\ndh-sanzhong,南昌三中,东湖区,叠山路,50,10,all,\n"
    problems = _problems(engine, season, import_catchments, text)
    assert problems == [(5, None), (6, "from/to/parity")]  # not all set; an empty range
    text = CATCHMENTS + "dh-sanzhong,南昌三中,东湖区,叠山路,50,10,all,\n"
    assert _problems(engine, season, import_catchments, text) == [(5, "from/to/parity")]


def test_a_short_catchment_line_is_reported_as_missing_its_columns_not_read_as_a_whole_district(engine, season):
    _import(engine, season, import_schools, SCHOOLS, districts=DISTRICTS)
    with pytest.raises(ImportFailed) as caught:
        _import(engine, season, import_catchments, CATCHMENTS + "dh-sanzhong,南昌三中,东湖区\n"
                "dh-sanzhong,南昌三中,东湖区,阳明路,9\n")  # short, and half a range: said once, as short
    assert [(p.line, p.column) for p in caught.value.problems] == [(5, "street, from, to, parity, compound"),
                                                                 (6, "to, parity, compound")]
    assert "本行只有 3 列，首行有 8 列；缺少：street, from, to, parity, compound" == caught.value.problems[0].zh


def test_a_filled_catchment_cell_past_the_header_is_refused_and_stray_empty_ones_are_not(engine, season):
    _import(engine, season, import_schools, SCHOOLS, districts=DISTRICTS)
    text = CATCHMENTS + "dh-sanzhong,南昌三中,东湖区,,,,,滨江花园,豫章中学\n"
    assert _problems(engine, season, import_catchments, text) == [(5, None)]
    stray = "".join(line + ",,\n" for line in CATCHMENTS.splitlines())
    assert _import(engine, season, import_catchments, stray).created == 2


def test_a_school_line_with_missing_columns_is_reported_once(engine, season):
    assert _problems(engine, season, import_schools, SCHOOLS + "x1,某中学,middle\n", districts=DISTRICTS) == [
        (5, "kind, district, coordinating_district, school_group, in_urban_area, capacity, x, y")]


def test_a_catchment_in_a_district_the_season_does_not_have_is_refused(engine, season):
    _import(engine, season, import_schools, SCHOOLS, districts=DISTRICTS)
    text = CATCHMENTS + "dh-sanzhong,南昌三中,东胡区,,,,,\n"
    with pytest.raises(ImportFailed) as caught:
        _import(engine, season, import_catchments, text, districts=DISTRICTS)
    [problem] = caught.value.problems
    assert (problem.line, problem.column, problem.zh) == (5, "district", "'东胡区' 不是本季规则中的区县")


def test_catchment_lines_a_spreadsheet_gets_wrong_are_said_plainly_each_by_line(engine, season):
    _import(engine, season, import_schools, SCHOOLS, districts=DISTRICTS)
    text = CATCHMENTS + (",豫章中学,东湖区,,,,,滨江花园\n"  # no school code
                         "dh-sanzhong,南昌三中,,阳明路,,,,\n"  # no district
                         "dh-sanzhong,南昌三中,东湖区,阳明路,,,,滨江花园\n"  # a street and a compound
                         "dh-sanzhong,南昌三中,东湖区,,1,9,odd,\n"  # numbers without a street
                         ",,东湖区,,,,,\n")  # no school code again
    with pytest.raises(ImportFailed) as caught:
        _import(engine, season, import_catchments, text, districts=DISTRICTS)
    said = [(p.line, p.column, p.zh, p.message) for p in caught.value.problems]
    assert said == [
        (5, "school_id", "未填写学校代码", "the school code is empty"),
        (6, "district", "未填写区县", "the district is empty"),
        (7, None, "一条规则只能写街道（street）或小区（compound）之一，不能两者都写；请分成两条规则（CSV 中为两行）",
         "a rule names a street or a compound, not both: make them two rules (two lines of a CSV)"),
        (8, None, "门牌号范围（from/to/parity）须与街道（street）一起填写", "house numbers (from/to/parity) need a street"),
        (9, "school_id", "未填写学校代码", "the school code is empty")]


def test_a_json_catchment_with_an_empty_code_or_district_is_said_plainly(engine, season):
    _import(engine, season, import_schools, SCHOOLS, districts=DISTRICTS)
    text = json.dumps([{"school_id": "", "rules": [{"district": ""}]}])
    with pytest.raises(ImportFailed) as caught:
        _import(engine, season, import_catchments, text, districts=DISTRICTS)
    assert [(p.pointer, p.zh) for p in caught.value.problems] == [
        ("/0/school_id", "未填写学校代码"), ("/0/rules/0/district", "未填写区县")]


def test_catchment_of_an_unknown_or_primary_school_is_refused(engine, season):
    _import(engine, season, import_schools, SCHOOLS, districts=DISTRICTS)
    text = CATCHMENTS + "dh-p01,八一大道小学,东湖区,,,,,某小区\n"
    assert _problems(engine, season, import_catchments, text) == [(5, "school_id")]


def test_a_catchments_file_leaving_out_schools_is_refused_naming_them_and_removes_nothing(engine, season):
    _import(engine, season, import_schools, SCHOOLS, districts=DISTRICTS)
    _import(engine, season, import_catchments, CATCHMENTS)
    only_sanzhong = "".join(line + "\n" for line in CATCHMENTS.splitlines() if "dh-yuzhang" not in line)
    with pytest.raises(ImportFailed) as caught:
        _import(engine, season, import_catchments, only_sanzhong)
    [problem] = caught.value.problems
    assert problem.line == 1
    assert "本文件没有 1 所现有学区的学校：dh-yuzhang 豫章中学" in problem.zh
    assert "本文件将替换本年度全部学区划分" in problem.zh
    assert "no catchment for 1 school(s) that have one: dh-yuzhang 豫章中学" in problem.message
    with read_session(engine) as session:
        assert sorted(c.code for c in session.exec(select(Catchment))) == ["dh-sanzhong", "dh-yuzhang"]


def test_a_refused_replacement_names_the_first_ten_schools_and_counts_the_rest(engine, season):
    schools = SCHOOLS + "".join(f"dh-m{i:02d},中学{i},middle,public,东湖区,,,1,100,,\n" for i in range(12))
    _import(engine, season, import_schools, schools, districts=DISTRICTS)
    _import(engine, season, import_catchments, CATCHMENTS + "".join(
        f"dh-m{i:02d},中学{i},东湖区,路{i},,,,\n" for i in range(12)))
    with pytest.raises(ImportFailed) as caught:
        _import(engine, season, import_catchments, CATCHMENTS)
    [problem] = caught.value.problems
    assert "本文件没有 12 所现有学区的学校：dh-m00 中学0、" in problem.zh
    assert "dh-m09 中学9 等（另有 2 所）" in problem.zh and "dh-m10" not in problem.zh
    assert "dh-m09 中学9 and 2 more" in problem.message


def test_a_confirmed_replacement_removes_the_schools_left_out_and_audits_the_counts_and_file(engine, season):
    _import(engine, season, import_schools, SCHOOLS, districts=DISTRICTS)
    _import(engine, season, import_catchments, CATCHMENTS)
    only_sanzhong = "".join(line + "\n" for line in CATCHMENTS.splitlines() if "dh-yuzhang" not in line)
    result = _import(engine, season, import_catchments, only_sanzhong, replace=True, filename="sanzhong.csv",
                     sha256="ab" * 32)
    assert (result.created, result.updated, result.removed) == (0, 1, 1)
    assert result.zh == "导入成功：本年度学区划分已整体替换，新增 0 所学校的学区，更新 1 所，删除 1 所"
    with read_session(engine) as session:
        assert [c.code for c in session.exec(select(Catchment))] == ["dh-sanzhong"]
        event = session.exec(select(Event).where(Event.action == "catchments_imported").order_by(Event.id.desc())).first()
    assert event.data == {"created": 0, "updated": 1, "removed": 1, "file": "sanzhong.csv", "sha256": "ab" * 32}


CATCHMENTS_JSON = json.dumps([
    {"school_id": "dh-yuzhang", "school_name": "豫章中学", "district": "东湖区",
     "rules": [{"district": "东湖区", "street": "八一大道", "numbers": {"from": 1, "to": 199, "parity": "odd"}},
               {"district": "东湖区", "compound": "滨江花园"}]},
    {"school_id": "dh-sanzhong", "rules": [{"district": "东湖区", "street": "八一大道",
                                             "numbers": {"from": 2, "to": 200, "parity": "even"}}]}],
    ensure_ascii=False, indent=2)


def test_a_catchments_json_file_is_imported_as_its_csv_would_be(engine, season):
    _import(engine, season, import_schools, SCHOOLS, districts=DISTRICTS)
    assert _import(engine, season, import_catchments, "\n " + CATCHMENTS_JSON, districts=DISTRICTS).created == 2
    with read_session(engine) as session:
        from_json = {c.code: c.rules for c in session.exec(select(Catchment))}
    _import(engine, season, import_catchments, CATCHMENTS, districts=DISTRICTS)
    with read_session(engine) as session:
        assert {c.code: c.rules for c in session.exec(select(Catchment))} == from_json


def test_a_catchments_json_file_has_every_problem_named_by_json_pointer(engine, season):
    _import(engine, season, import_schools, SCHOOLS, districts=DISTRICTS)
    data = json.loads(CATCHMENTS_JSON)
    data[0]["rules"][1]["district"] = "东胡区"
    data[1]["rules"][0]["numbers"]["from"] = 300
    data.append({"school_id": "dh-p01", "rules": [{"district": "东湖区"}]})
    with pytest.raises(ImportFailed) as caught:
        _import(engine, season, import_catchments, json.dumps(data, ensure_ascii=False), districts=DISTRICTS)
    assert [(p.line, p.pointer) for p in caught.value.problems] == [
        (None, "/1/rules/0/numbers"), (None, "/0/rules/1/district"), (None, "/2/school_id")]
    assert "/0/rules/1/district：'东胡区' 不是本季规则中的区县" in caught.value.zh


@pytest.mark.parametrize("text, said", [
    ('[{"school_id": "dh-yuzhang",\n  "rules": [}]', "文件不是有效的 JSON：第 2 行第 13 列"),
    ('[{"school_id": "dh-yuzhang", "school_id": "dh-sanzhong", "rules": [{"district": "东湖区"}]}]',
     "文件中有对象把键 school_id 写了两次"),
    ('[{"school_id": "dh-yuzhang", "rules": [{"district": "东湖区", "street": "a",'
     ' "numbers": {"from": NaN, "to": 1, "parity": "all"}}]}]', "NaN"),
])
def test_a_catchments_json_file_is_parsed_strictly(engine, season, text, said):
    _import(engine, season, import_schools, SCHOOLS, districts=DISTRICTS)
    with pytest.raises(ImportFailed) as caught:
        _import(engine, season, import_catchments, text)
    [problem] = caught.value.problems
    assert said in problem.zh


def test_a_spreadsheet_saved_in_another_encoding_is_refused_plainly():
    with pytest.raises(ImportFailed) as caught:
        decode_csv("code,name\n豫章,中学\n".encode("gbk"))
    assert "UTF-8" in str(caught.value)


def _upload(client, auth, kind, text, **form):
    from io import BytesIO

    data = text if isinstance(text, bytes) else text.encode()
    return client.post(f"/admin/imports/{kind}", content_type="multipart/form-data", follow_redirects=False,
                       data={"file": (BytesIO(data), f"{kind}.csv"), "csrf_token": auth.csrf(), **form})


def test_import_page_lists_each_faulty_line_and_imports_nothing(client, auth, make_account, season):
    make_account("city", role="city_admin")
    auth.login("city")
    response = _upload(client, auth, "schools", SCHOOLS + "x1,,college,public,东湖区,,,1,ten,,\n")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert body.count('data-testid="import-problem" data-line="5"') == 3
    assert "初中 0 所" in body


def test_catchment_import_page_lists_every_bad_line_in_chinese_and_stores_nothing(client, auth, make_account, engine,
                                                                                 season):
    make_account("city", role="city_admin")
    auth.login("city")
    assert _upload(client, auth, "schools", SCHOOLS).status_code == 302
    text = CATCHMENTS + ("dh-sanzhong,南昌三中,东湖区,阳明路,9,,odd,\n"  # a half range
                         "dh-sanzhong,南昌三中,东湖区,叠山路,50,10,all,\n"  # an empty range
                         "dh-nowhere,无名中学,东湖区,,,,,某小区\n")  # no such school
    response = _upload(client, auth, "catchments", text)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    rows = dict(re.findall(r'data-testid="import-problem" data-line="(\d+)">(.*?)</tr>', body, re.S))
    assert sorted(rows) == ["5", "6", "7"]
    assert "from、to 和 parity 必须都填写" in rows["5"]
    assert "门牌号从 50 到 10 是空范围" in rows["6"]
    assert "本季没有初中 &#39;dh-nowhere&#39;" in rows["7"]
    with read_session(engine) as session:
        assert session.exec(select(Catchment)).all() == []


def test_catchment_import_page_checks_districts_against_the_season(client, auth, make_account, engine, season):
    make_account("city", role="city_admin")
    auth.login("city")
    _upload(client, auth, "schools", SCHOOLS)
    response = _upload(client, auth, "catchments", CATCHMENTS + "dh-sanzhong,南昌三中,东胡区,,,,,\n")
    assert response.status_code == 422
    assert "&#39;东胡区&#39; 不是本季规则中的区县" in response.get_data(as_text=True)


def test_catchment_import_page_takes_json_and_names_its_problems_by_pointer(client, auth, make_account, engine,
                                                                          season):
    make_account("city", role="city_admin")
    auth.login("city")
    _upload(client, auth, "schools", SCHOOLS)
    bad = _upload(client, auth, "catchments", CATCHMENTS_JSON.replace('"dh-sanzhong"', '"dh-nowhere"'))
    assert bad.status_code == 422
    body = bad.get_data(as_text=True)
    assert 'data-line="/1/school_id"' in body and "首行缺少列" not in body
    assert _upload(client, auth, "catchments", CATCHMENTS_JSON).status_code == 302
    assert "学区 2 个" in client.get("/admin/imports").get_data(as_text=True)


def test_a_file_with_very_many_bad_lines_lists_the_first_hundred_and_counts_the_rest(client, auth, make_account,
                                                                                   season):
    make_account("city", role="city_admin")
    auth.login("city")
    _upload(client, auth, "schools", SCHOOLS)
    text = CATCHMENTS + "dh-yuzhang,豫章中学,东湖区,阳明路,9,,odd,\n" * 130
    body = _upload(client, auth, "catchments", text).get_data(as_text=True)
    assert body.count('data-testid="import-problem"') == 100
    assert "130 处问题" in body and "另有 30 处问题未列出" in body


def test_import_page_accepts_good_files_in_order(client, auth, make_account, season):
    make_account("city", role="city_admin")
    auth.login("city")
    assert _upload(client, auth, "schools", SCHOOLS).status_code == 302
    assert _upload(client, auth, "catchments", CATCHMENTS).status_code == 302
    body = client.get("/admin/imports").get_data(as_text=True)
    assert "初中 2 所" in body and "学区 2 个" in body


def test_import_page_says_the_catchments_file_replaces_the_whole_city_and_the_others_update_rows(
        client, auth, make_account, season):
    make_account("city", role="city_admin")
    auth.login("city")
    body = client.get("/admin/imports").get_data(as_text=True)
    assert "学区文件是全市本年度的全部学区划分，导入后整体替换上一版" in body
    assert "文件中没有的学校保持不变" in body and "其余学校保持不变" in body
    assert 'name="replace" value="1"' in body and "本文件将替换本年度全部学区划分" in body


def test_catchment_import_page_removes_catchments_only_when_the_replacement_is_confirmed(
        client, auth, make_account, engine, season):
    make_account("city", role="city_admin")
    auth.login("city")
    _upload(client, auth, "schools", SCHOOLS)
    _upload(client, auth, "catchments", CATCHMENTS)
    only_sanzhong = "\ufeff" + "".join(line + "\n" for line in CATCHMENTS.splitlines() if "dh-yuzhang" not in line)
    refused = _upload(client, auth, "catchments", only_sanzhong)
    assert refused.status_code == 422
    assert "本文件没有 1 所现有学区的学校：dh-yuzhang 豫章中学" in refused.get_data(as_text=True)
    assert _upload(client, auth, "catchments", only_sanzhong, replace="1").status_code == 302
    page = client.get("/admin/imports").get_data(as_text=True)
    assert "新增 0 所学校的学区，更新 1 所，删除 1 所" in page
    with read_session(engine) as session:
        assert [c.code for c in session.exec(select(Catchment))] == ["dh-sanzhong"]
        event = session.exec(select(Event).where(Event.action == "catchments_imported").order_by(Event.id.desc())).first()
    assert event.data == {"created": 0, "updated": 1, "removed": 1, "file": "catchments.csv",
                          "sha256": hashlib.sha256(only_sanzhong.encode()).hexdigest()}


def test_imports_are_refused_to_district_staff(client, auth, make_account, season):
    make_account("dh-admin", role="district_admin", district="东湖区")
    auth.login("dh-admin")
    assert _upload(client, auth, "schools", SCHOOLS).status_code == 403
