"""Reviewers download their queue as a CSV file for Excel: the page's filters, every page of
them, only their district (a city administrator: all), pupils' names masked, Chinese headers,
UTF-8 with a BOM."""
from __future__ import annotations

import csv
import io

import pytest

from tests.web.conftest import submit_family

HEADERS = ["报名序号", "学生姓名", "区县", "对口学校", "生源类别", "状态", "等待起始时间"]


@pytest.fixture
def reviewer(client, auth, make_account, submitted):
    make_account("rev-donghu", role="reviewer", district="东湖区")
    auth.login("rev-donghu")
    return auth


@pytest.fixture
def elsewhere(engine, season, now, submitted):
    """A second application, in 经开区, with the same family's facts under another pupil."""
    return submit_family(engine, season, now, "jk-parent", district="经开区", pupil_sequence="0031")


def _download(client, **filters) -> tuple[object, list[list[str]]]:
    answer = client.get("/review/queue.csv", query_string=filters)
    data = answer.get_data()
    assert answer.status_code == 200, data[:500]
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads the file as UTF-8
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == HEADERS
    return answer, rows[1:]


def _serial(engine, application) -> str:
    from core.db import read_session
    from core.models import Application

    with read_session(engine) as session:
        return session.get(Application, application.id).serial


def _rename(engine, application_id, name):
    from core.db import write_session
    from core.models import Application

    with write_session(engine) as session:
        session.get(Application, application_id).pupil_name = name


def test_reviewer_downloads_their_districts_queue_with_names_masked(client, reviewer, engine, submitted, elsewhere):
    answer, rows = _download(client)
    assert answer.mimetype == "text/csv"
    disposition = answer.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''" in disposition
    assert rows == [[_serial(engine, submitted), "李*", "东湖区", "豫章中学", "第1类", "已提交，待审核", "2021-06-01 10:00"]]
    assert "李小明" not in answer.get_data(as_text=True)
    assert answer.headers["Cache-Control"] == "no-store"


def test_the_district_asked_for_never_widens_a_district_reviewers_download(client, reviewer, submitted, elsewhere):
    _answer, rows = _download(client, district="经开区", state="")
    assert {row[2] for row in rows} == {"东湖区"}


def test_city_administrator_downloads_every_district_or_the_one_picked(client, auth, make_account, submitted,
                                                                        elsewhere):
    make_account("city", role="city_admin")
    auth.login("city")
    _answer, rows = _download(client)
    assert sorted(row[2] for row in rows) == ["东湖区", "经开区"]
    _answer, rows = _download(client, district="经开区")
    assert [row[2] for row in rows] == ["经开区"]


def test_the_download_is_filtered_as_the_page_is(client, reviewer, engine, season, now, submitted):
    other = submit_family(engine, season, now, "wang-parent", pupil_sequence="0041")
    _rename(engine, other.id, "王小红")
    assert [row[1] for row in _download(client)[1]] == ["李*", "王*"]  # oldest first, as on the page
    assert _download(client, state="returned")[1] == []
    assert [row[1] for row in _download(client, q="小红")[1]] == ["王*"]
    assert _download(client, problem="resubmitted")[1] == []


def test_the_download_holds_every_page_of_the_queue(client, reviewer, engine, season, now, submitted, monkeypatch):
    """Not only the page on screen: one page of one application, read one at a time, still
    gives both applications."""
    import core.review

    monkeypatch.setattr(core.review, "PAGE_SIZE", 1)
    monkeypatch.setattr(core.review, "EXPORT_BATCH", 1)
    other = submit_family(engine, season, now, "wang-parent", pupil_sequence="0041")
    assert [row[0] for row in _download(client)[1]] == [_serial(engine, submitted), _serial(engine, other)]


def test_a_bad_filter_is_refused_not_answered_with_an_empty_file(client, reviewer, submitted):
    for query in ({"problem": "nonsense"}, {"state": "nonsense"}):
        answer = client.get("/review/queue.csv", query_string=query)
        assert answer.status_code == 422 and answer.mimetype != "text/csv"


@pytest.mark.parametrize("role", ["operator", "guardian"])
def test_who_sees_no_queue_gets_no_download(client, auth, make_account, submitted, role):
    make_account("someone", role=role)
    auth.login("someone")
    assert client.get("/review/queue.csv").status_code == 403


def test_a_name_excel_would_run_as_a_formula_is_written_as_text(client, reviewer, engine, submitted):
    _rename(engine, submitted.id, "=HYPERLINK(\"http://x\")")
    assert _download(client)[1][0][1] == "'=*"


def test_the_queue_page_links_the_download_with_its_filters(client, reviewer, submitted):
    body = client.get("/review/?state=returned&problem=documents").get_data(as_text=True)
    assert 'href="/review/queue.csv?state=returned&amp;problem=documents' in body


@pytest.mark.parametrize("name, masked", [("李小明", "李*"), ("王五", "王*"), ("欧阳娜娜", "欧*"), (" 张三 ", "张*"),
                                          ("", ""), (None, "")])
def test_mask_name(name, masked):
    from core.review import mask_name

    assert mask_name(name) == masked
