"""Reviewers download their queue as a CSV file for Excel: the page's filters, every page of
them, only their district (a city administrator: all), pupils' names masked, Chinese headers,
UTF-8 with a BOM."""
from __future__ import annotations

import csv
import io
from datetime import timedelta

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
    assert rows == [[submitted.serial, "李*", "东湖区", "豫章中学", "第1类", "已提交，待审核", "2021-06-01 10:00"]]
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
    assert [row[0] for row in _download(client)[1]] == [submitted.serial, other.serial]


def _decided(engine, make_account, now, application, decision):
    from core.review import decide

    deciding = make_account(f"rev-{decision}", role="reviewer", district=application.district)
    decide(engine, application.id, decision, account=deciding, now=now, reason="请补充")


def _stored(engine, application, **values):
    """Set columns of a stored application, as a transaction elsewhere would."""
    from core.db import write_session
    from core.models import Application

    with write_session(engine) as session:
        row = session.get(Application, application.id)
        for name, value in values.items():
            setattr(row, name, value)


@pytest.fixture
def three_waiting(engine, season, now, submitted, monkeypatch):
    """Three applications waiting in 东湖区, submitted a minute apart, the download reading one
    application per batch (as it reads 1000 per batch in a large queue)."""
    import core.review

    monkeypatch.setattr(core.review, "EXPORT_BATCH", 1)
    return [submitted, submit_family(engine, season, now + timedelta(minutes=1), "wang-parent", pupil_sequence="0041"),
            submit_family(engine, season, now + timedelta(minutes=2), "zhao-parent", pupil_sequence="0051")]


def _download_while(rows, change, *, after: int = 1) -> list[str]:
    """The serials of a download (`rows`) during which `change()` happens once `after` rows are out."""
    serials = [next(rows).serial for _ in range(after)]
    change()
    return serials + [row.serial for row in rows]


def test_an_application_decided_during_a_download_does_not_push_the_next_one_out(
        engine, make_account, now, three_waiting):
    from core.review import queue_rows

    first, second, third = three_waiting
    rows = queue_rows(engine, account=make_account("rev-download", role="reviewer", district="东湖区"))
    listed = _download_while(rows, lambda: _decided(engine, make_account, now, first, "approve"))
    assert listed == [first.serial, second.serial, third.serial]


def test_an_application_coming_back_during_a_download_repeats_no_row(engine, make_account, now, three_waiting):
    """The first was returned for materials; resubmitted while the download runs, it comes back
    at its first submission time, before the rows already written: it is not listed, and the
    row after it is not listed twice."""
    from core.review import queue_rows

    first, second, third = three_waiting
    _decided(engine, make_account, now, first, "return_for_materials")
    rows = queue_rows(engine, account=make_account("rev-download", role="reviewer", district="东湖区"))
    assert _download_while(rows, lambda: _stored(engine, first, state="submitted")) == [second.serial, third.serial]


def test_a_draft_is_listed_last_and_once_when_submitted_during_a_download(engine, now, make_account, three_waiting):
    """Never-submitted applications come last, on every database; one submitted meanwhile moves
    up among the submitted ones and is listed once."""
    from core.review import queue_rows

    first, second, third = three_waiting
    _stored(engine, second, state="draft", submitted_at=None)
    rows = queue_rows(engine, account=make_account("rev-download", role="reviewer", district="东湖区"), state=None)
    listed = _download_while(rows, lambda: _stored(engine, second, state="submitted",
                                                   submitted_at=now + timedelta(minutes=3)), after=2)
    assert listed == [first.serial, third.serial, second.serial]


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


@pytest.mark.parametrize("tier, zh, en", [("1", "第1类", "tier 1"), ("coordinated", "统筹安排", "placed by the authority"),
                                          ("undetermined", "待人工审核", "manual review"), (None, "无", "none")])
def test_a_tier_has_one_wording_for_the_pages_and_the_download(app, tier, zh, en):
    """web.i18n.tier_label words tiers: the download in Chinese, the pages (the templates'
    global tier_text, in imported macros too) in the page's language."""
    from flask import render_template_string

    from web.i18n import tier_label

    assert tier_label(tier) == {"zh": zh, "en": en}
    with app.test_request_context("/", query_string={"lang": "en"}):
        assert render_template_string("{{ tier_text(tier) }}", tier=tier) == en
    with app.test_request_context("/", query_string={"lang": "zh"}):
        assert render_template_string("{{ tier_text(tier) }}", tier=tier) == zh
