"""The guardian's journey through the pages: start, record, facts, basis, documents, submit, status."""
from __future__ import annotations

import io
import re

import pytest
from sqlmodel import select

from core.db import read_session
from core.models import Application, ConnectorCall, FactRecord
from core.testing import xuewei_plugins, xuewei_runtime  # noqa: F401  (fixtures)
from tests.web.conftest import LI_PUPIL, family_fragments, ruleset_tests, valid_id

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%fake but well-formed enough\n"


@pytest.fixture
def guardian(client, auth, make_account, season, catchments, family):
    make_account("li-father")
    auth.login("li-father")
    return auth


def _start(client, auth, pupil=LI_PUPIL, district="东湖区"):
    return client.post("/guardian/applications/new", data={
        "pupil_id_number": pupil, "pupil_name": "李小明", "district": district, "csrf_token": auth.csrf()})


def _started_id(response) -> int:
    return int(re.search(r"/guardian/applications/(\d+)", response.headers["Location"]).group(1))


def _fetch_all(client, auth, application_id):
    client.post(f"/guardian/applications/{application_id}/facts",
                data={"step": "pupil_record", "csrf_token": auth.csrf()})
    client.post(f"/guardian/applications/{application_id}/facts", data={"csrf_token": auth.csrf()})


def _give_id_number(engine, username: str, id_number: str) -> None:
    """What signing up on the web records: the account holder's verified ID number."""
    from core.db import write_session
    from core.models import Account

    with write_session(engine) as session:
        account = session.exec(select(Account).where(Account.username == username)).one()
        account.id_number = id_number
        session.add(account)


def test_someone_the_school_record_does_not_name_cannot_open_a_draft_for_the_pupil(client, guardian, engine):
    """§1: a pupil is registered by their guardian. Someone else who types the pupil's ID number
    is refused before any draft exists: a draft would hold the pupil for the season, and the
    real parents could not register (one application per pupil)."""
    _give_id_number(engine, "li-father", valid_id("360102197001010030"))  # not one of the pupil's guardians
    answer = _start(client, guardian)
    body = answer.get_data(as_text=True)
    assert answer.status_code == 409 and "学籍记录中该学生的监护人不包括您" in body
    school = family_fragments("li_tier1")["pupil_record"]["pupil"]["primary_school"]["name"]
    assert school not in body
    with read_session(engine) as session:
        assert not session.exec(select(Application)).all() and not session.exec(select(FactRecord)).all()
        assert [(c.source, c.application_id) for c in session.exec(select(ConnectorCall))] == [("pupil_record", None)]


def test_the_real_parents_register_the_pupil_after_someone_else_tried(client, guardian, engine, make_account):
    _give_id_number(engine, "li-father", valid_id("360102197001010030"))
    assert _start(client, guardian).status_code == 409
    client.post("/logout", data={"csrf_token": guardian.csrf()})
    make_account("li-mother")
    _give_id_number(engine, "li-mother", family_fragments("li_tier1")["pupil_record"]["guardians"][0]["id_number"])
    guardian.login("li-mother")
    application_id = _started_id(_start(client, guardian))
    page = client.get(f"/guardian/applications/{application_id}").get_data(as_text=True)
    assert 'data-testid="confirm-pupil-record"' in page  # the record came with the draft: confirm it, go on
    with read_session(engine) as session:
        assert [r.source for r in session.exec(select(FactRecord).where(FactRecord.application_id == application_id))] \
            == ["pupil_record"]


def test_a_draft_cannot_be_opened_while_the_school_record_cannot_be_asked(client, guardian, engine, app,
                                                                          xuewei_runtime):
    from core.hookspecs import hookimpl

    class SchoolRecordDown:
        @hookimpl
        def fetch_pupil_record(self, pupil_id_number):
            raise ConnectionError("the education bureau's gateway is down")

    app.config["CONNECTOR_RUNTIME"] = xuewei_runtime(SchoolRecordDown())
    _give_id_number(engine, "li-father", family_fragments("li_tier1")["pupil_record"]["guardians"][0]["id_number"])
    answer = _start(client, guardian)
    assert answer.status_code == 503 and "学籍系统暂时无法访问，请稍后再试" in answer.get_data(as_text=True)
    with read_session(engine) as session:
        assert not session.exec(select(Application)).all()


def test_a_guardian_the_school_record_names_gets_the_familys_facts(client, guardian, engine):
    father = family_fragments("li_tier1")["pupil_record"]["guardians"][0]["id_number"]
    _give_id_number(engine, "li-father", father.lower())  # the record's X may be written either way
    application_id = _started_id(_start(client, guardian))
    _fetch_all(client, guardian, application_id)
    with read_session(engine) as session:
        assert session.exec(select(FactRecord).where(FactRecord.application_id == application_id)).all()


def test_a_guardian_starting_again_for_their_own_pupil_is_sent_to_their_application(client, guardian, engine,
                                                                                    make_account):
    """The family that applied is told where its application is; anyone else whom to ask."""
    _started_id(_start(client, guardian))
    again = _start(client, guardian).get_data(as_text=True)
    assert "您已为该学生报名，请在“我的报名”中查看和继续填报" in again
    client.post("/logout", data={"csrf_token": guardian.csrf()})
    make_account("li-uncle")
    guardian.login("li-uncle")
    assert "该学生本年度已有报名记录" in _start(client, guardian).get_data(as_text=True)


def test_home_shows_the_season_phase_and_the_district_windows(client, guardian):
    body = client.get("/guardian/").get_data(as_text=True)
    assert 'data-phase="collection"' in body
    assert 'data-testid="district-window-东湖区" data-state="open"' in body
    assert 'data-testid="district-window-红谷滩区" data-state="not_yet"' in body
    assert body.index('data-testid="start-application"') < body.index('data-testid="district-windows"')  # phones: own first


def test_wrong_check_character_is_explained_in_chinese_at_the_field(client, guardian):
    wrong = LI_PUPIL[:17] + ("0" if LI_PUPIL[17] != "0" else "1")
    response = _start(client, guardian, pupil=wrong)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    error = re.search(r'data-testid="error-pupil_id_number">([^<]+)<', body).group(1)
    assert "校验" in error


def test_a_refused_district_is_announced_to_screen_readers_at_the_select(client, guardian):
    body = _start(client, guardian, district="不存在区").get_data(as_text=True)
    assert re.search(r'<select id="district"[^>]*aria-invalid="true" aria-describedby="district-error"', body)


def test_district_before_its_window_is_refused_with_the_opening_time(client, guardian):
    body = _start(client, guardian, district="红谷滩区").get_data(as_text=True)
    assert 'data-testid="form-error"' in body and "6月2日 14:00" in body


def test_pupil_record_is_fetched_first_then_every_source(client, guardian):
    application_id = _started_id(_start(client, guardian))
    client.post(f"/guardian/applications/{application_id}/facts", data={"step": "pupil_record", "csrf_token": guardian.csrf()})
    page = client.get(f"/guardian/applications/{application_id}").get_data(as_text=True)
    assert 'data-testid="source-pupil_record" data-status="fetched"' in page
    assert 'data-testid="source-hukou" data-status="waiting"' in page
    assert 'id="confirm-pupil-record"' in page
    client.post(f"/guardian/applications/{application_id}/facts", data={"csrf_token": guardian.csrf()})
    page = client.get(f"/guardian/applications/{application_id}").get_data(as_text=True)
    assert 'data-testid="source-hukou" data-status="fetched"' in page
    assert 'data-testid="basis-option-property-P1"' in page


def test_a_failed_source_shows_as_retrying_and_parks_the_application(client, guardian, family):
    family.down.add("leases")
    application_id = _started_id(_start(client, guardian))
    _fetch_all(client, guardian, application_id)
    page = client.get(f"/guardian/applications/{application_id}").get_data(as_text=True)
    assert 'data-testid="source-leases" data-status="failed"' in page
    assert 'data-value="facts_pending"' in page


def test_tier_and_reasons_shown_after_choosing_the_property(client, guardian):
    application_id = _started_id(_start(client, guardian))
    _fetch_all(client, guardian, application_id)
    client.post(f"/guardian/applications/{application_id}/basis", data={"basis": "property:P1", "csrf_token": guardian.csrf()})
    page = client.get(f"/guardian/applications/{application_id}").get_data(as_text=True)
    assert 'data-testid="tier" data-value="1"' in page
    assert 'data-testid="eligible" data-value="True"' in page
    assert 'data-testid="window" data-state="open"' in page and "6月16日 17:00截止" in page


def test_upload_accepts_a_png_by_its_content_and_strips_the_path(client, guardian, app):
    application_id = _started_id(_start(client, guardian))
    response = client.post(f"/guardian/applications/{application_id}/documents", data={
        "kind": "hukou_booklet", "file": (io.BytesIO(PNG), "../../etc/passwd.pdf"), "csrf_token": guardian.csrf()},
        content_type="multipart/form-data")
    assert response.status_code == 302
    page = client.get(f"/guardian/applications/{application_id}").get_data(as_text=True)
    assert "image/png" in page and "passwd.pdf" in page and "../" not in page


def test_another_familys_document_is_answered_as_no_such_document(client, guardian, make_account):
    application_id = _started_id(_start(client, guardian))
    client.post(f"/guardian/applications/{application_id}/documents", data={
        "kind": "hukou_booklet", "file": (io.BytesIO(PNG), "hukou.png"), "csrf_token": guardian.csrf()},
        content_type="multipart/form-data")
    document_id = re.search(r"/guardian/documents/(\d+)", client.get(f"/guardian/applications/{application_id}")
                            .get_data(as_text=True)).group(1)
    client.post("/logout", data={"csrf_token": guardian.csrf()})
    make_account("someone-else")
    guardian.login("someone-else")
    response = client.get(f"/guardian/documents/{document_id}")
    assert response.status_code == 404 and "材料不存在" in response.get_data(as_text=True)


def test_upload_refuses_a_file_that_only_claims_to_be_a_pdf(client, guardian):
    application_id = _started_id(_start(client, guardian))
    client.post(f"/guardian/applications/{application_id}/documents", data={
        "kind": "other", "file": (io.BytesIO(b"<html>not a pdf</html>"), "scan.pdf", "application/pdf"),
        "csrf_token": guardian.csrf()}, content_type="multipart/form-data")
    page = client.get(f"/guardian/applications/{application_id}").get_data(as_text=True)
    assert "只能上传PDF、JPEG或PNG文件" in page and 'data-testid="document"' not in page


def test_upload_over_the_size_limit_is_refused(client, guardian, app):
    app.config["MAX_DOCUMENT_BYTES"] = 1024
    application_id = _started_id(_start(client, guardian))
    refused = client.post(f"/guardian/applications/{application_id}/documents", data={
        "kind": "other", "file": (io.BytesIO(PDF + b"0" * 2048), "big.pdf"), "csrf_token": guardian.csrf()},
        content_type="multipart/form-data")
    assert not refused.headers["Location"].endswith("#documents")  # the top of the page, where the message is
    assert 'data-testid="document"' not in client.get(f"/guardian/applications/{application_id}").get_data(as_text=True)
    uploaded = client.post(f"/guardian/applications/{application_id}/documents", data={
        "kind": "other", "file": (io.BytesIO(PDF), "small.pdf"), "csrf_token": guardian.csrf()},
        content_type="multipart/form-data")
    assert uploaded.headers["Location"].endswith("#documents")


def test_the_page_names_relations_the_school_and_document_types_in_words(client, guardian):
    application_id = _started_id(_start(client, guardian))
    _fetch_all(client, guardian, application_id)
    client.post(f"/guardian/applications/{application_id}/basis", data={"basis": "property:P1", "csrf_token": guardian.csrf()})
    client.post(f"/guardian/applications/{application_id}/documents", data={
        "kind": "other", "file": (io.BytesIO(PDF), "scan.pdf"), "csrf_token": guardian.csrf()},
        content_type="multipart/form-data")
    page = client.get(f"/guardian/applications/{application_id}").get_data(as_text=True)
    assert "监护人 · 父亲" in page and "监护人 · 母亲" in page and "· father" not in page
    school = next(c["school_name"] for c in ruleset_tests()["catchments"] if c["school_id"] == "dh-yuzhang")
    assert f'data-testid="catchment-school" data-value="dh-yuzhang">{school}<' in page
    assert "PDF文件 ·" in page and "application/pdf ·" not in page


@pytest.mark.parametrize("basis", ["property:P9", "lease:", "lease:P1", "demolition:"])
def test_a_basis_the_sources_do_not_know_is_refused(client, guardian, engine, basis):
    """The form lists what the sources returned; a crafted request naming anything else is refused."""
    application_id = _started_id(_start(client, guardian))
    _fetch_all(client, guardian, application_id)
    answer = client.post(f"/guardian/applications/{application_id}/basis", follow_redirects=True,
                         data={"basis": basis, "csrf_token": guardian.csrf()})
    assert "请从已获取的房产、租赁或拆迁记录中选择居住依据" in answer.get_data(as_text=True)
    with read_session(engine) as session:
        assert session.get(Application, application_id).residence_basis is None


def test_an_upload_past_the_request_limit_says_the_limit_and_leads_back(client, guardian, app):
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    application_id = _started_id(_start(client, guardian))
    page = f"http://localhost/guardian/applications/{application_id}"
    answer = client.post(f"/guardian/applications/{application_id}/documents", headers={"Referer": page}, data={
        "kind": "other", "file": (io.BytesIO(PDF + b"0" * 1100 * 1024), "big.pdf"), "csrf_token": guardian.csrf()},
        content_type="multipart/form-data")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 413 and "上传内容过大：一次最多1MB" in html
    assert f'href="{page}" data-testid="error-back"' in html
    elsewhere = client.post(f"/guardian/applications/{application_id}/documents",
                            headers={"Referer": "https://example.org/"},
                            data={"file": (io.BytesIO(b"0" * 1100 * 1024), "big.pdf")}, content_type="multipart/form-data")
    assert 'data-testid="error-back"' not in elsewhere.get_data(as_text=True)  # only back to this site


def test_the_result_waits_for_the_basis_when_the_family_has_one_to_choose(client, guardian):
    """Before a basis is chosen, the assessment would list every evidence rule of every kind of
    basis as a problem: the page asks for the basis instead."""
    application_id = _started_id(_start(client, guardian))
    _fetch_all(client, guardian, application_id)
    before = client.get(f"/guardian/applications/{application_id}").get_data(as_text=True)
    assert 'data-testid="choose-basis-first"' in before and 'data-testid="tier"' not in before
    client.post(f"/guardian/applications/{application_id}/basis", data={"basis": "property:P1", "csrf_token": guardian.csrf()})
    after = client.get(f"/guardian/applications/{application_id}").get_data(as_text=True)
    assert 'data-testid="choose-basis-first"' not in after and 'data-testid="tier" data-value="1"' in after


def test_the_steps_are_numbered_in_order_and_the_result_waits_for_the_familys_data(client, guardian):
    """With only the school record fetched, an assessment could only say that facts are missing
    ("缺少必要信息"): the page says when the result will come instead."""
    application_id = _started_id(_start(client, guardian))
    client.post(f"/guardian/applications/{application_id}/facts", data={"step": "pupil_record", "csrf_token": guardian.csrf()})
    page = client.get(f"/guardian/applications/{application_id}").get_data(as_text=True)
    steps = re.findall(r"<h2>\s*(\d)\. ", page)
    assert steps == ["1", "2", "3", "4", "5", "6"]
    assert 'data-testid="assessment-waiting"' in page and 'data-testid="basis-waiting"' in page
    assert 'data-testid="tier"' not in page


def test_the_confirmation_names_the_chosen_basis_by_its_address(client, guardian):
    application_id = _started_id(_start(client, guardian))
    _fetch_all(client, guardian, application_id)
    client.post(f"/guardian/applications/{application_id}/basis", data={"basis": "property:P1", "csrf_token": guardian.csrf()})
    page = client.get(f"/guardian/applications/{application_id}/submit").get_data(as_text=True)
    address = family_fragments("li_tier1")["properties"]["properties"][0]["address"]["text"]
    assert f'data-testid="chosen-basis">房产 · {address}<' in page
    assert 'data-testid="document-count">0 份<' in page


def test_submit_needs_the_explicit_confirmation(client, guardian):
    application_id = _started_id(_start(client, guardian))
    _fetch_all(client, guardian, application_id)
    assert "提交后不可修改" in client.get(f"/guardian/applications/{application_id}/submit").get_data(as_text=True)
    client.post(f"/guardian/applications/{application_id}/submit", data={"csrf_token": guardian.csrf()})
    assert 'data-testid="serial"' not in client.get(f"/guardian/applications/{application_id}").get_data(as_text=True)


@pytest.mark.parametrize("version", ["abc", "", "1.5", "99999999999999999999"])
def test_submit_with_a_version_that_is_not_a_number_is_refused(client, guardian, version):
    """Not taken as "no version sent", which would skip the check that the page is current."""
    application_id = _started_id(_start(client, guardian))
    _fetch_all(client, guardian, application_id)
    client.post(f"/guardian/applications/{application_id}/basis", data={"basis": "property:P1", "csrf_token": guardian.csrf()})
    answer = client.post(f"/guardian/applications/{application_id}/submit", follow_redirects=True,
                         data={"confirm": "yes", "version": version, "csrf_token": guardian.csrf()})
    assert "版本号无效，请刷新后重试" in answer.get_data(as_text=True)
    assert 'data-testid="serial"' not in client.get(f"/guardian/applications/{application_id}").get_data(as_text=True)


def test_double_click_on_submit_gives_the_same_serial(client, guardian):
    application_id = _started_id(_start(client, guardian))
    _fetch_all(client, guardian, application_id)
    client.post(f"/guardian/applications/{application_id}/basis", data={"basis": "property:P1", "csrf_token": guardian.csrf()})
    confirm_page = client.get(f"/guardian/applications/{application_id}/submit").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', confirm_page).group(1)
    form = {"confirm": "yes", "version": version, "csrf_token": guardian.csrf()}
    first = client.post(f"/guardian/applications/{application_id}/submit", data=form, follow_redirects=True)
    second = client.post(f"/guardian/applications/{application_id}/submit", data=form, follow_redirects=True)
    serials = [re.search(r'data-testid="serial">([^<]+)<', r.get_data(as_text=True)).group(1) for r in (first, second)]
    assert serials[0] == serials[1]
    assert f"报名序号 {serials[0]}" in second.get_data(as_text=True)


def test_home_lists_each_application_with_its_state_in_chinese(client, guardian):
    application_id = _started_id(_start(client, guardian))
    home = client.get("/guardian/").get_data(as_text=True)
    assert f'id="application-link-{application_id}"' in home
    assert 'data-testid="application-state" data-value="draft">填报中<' in home


def test_status_page_shows_the_pre_allocated_school_and_why(app, engine, season, submitted, now, clock,
                                                             make_account):
    from core.allocation.store import allocate_season, commit_seed, reveal_seed, seat_of_application
    from core.clock import parse_instant
    from core.db import read_session
    from core.review import decide
    from core.season.actions import classify_approved
    from tests.web.conftest import AuthActions

    reviewer = make_account("rev", role="reviewer", district="东湖区")
    decide(engine, submitted.id, "approve", account=reviewer, now=now)
    classify_approved(engine, season.id, now, lambda: None)
    seed, _ = commit_seed(engine, season.year)
    reveal_seed(engine, season.year, seed)
    allocate_season(engine, season.id, now)
    client = app.test_client()
    AuthActions(client).login("li-father")
    page = client.get(f"/guardian/applications/{submitted.id}").get_data(as_text=True)
    assert 'data-testid="seat-pending"' in page and "seat-school" not in page  # staff check it first
    assert "将于6月28日 00:00公布" in page
    clock.set(parse_instant("2021-06-28T00:00:00+08:00"))  # 学位预分配结果查询 opens
    page = client.get(f"/guardian/applications/{submitted.id}").get_data(as_text=True)
    assert 'data-value="allocated"' in page
    assert 'data-testid="seat-school" data-value="dh-yuzhang"' in page
    assert 'data-testid="seat-why"' in page
    why = re.search(r'data-testid="seat-why">([^<]*)<', page).group(1)
    assert "全部录取（第六部分）" in why and "§" not in why  # the seat's clause as the ruleset words it …
    with read_session(engine) as session:
        assert "全部录取（§6）" in seat_of_application(session, submitted.id)["why"]["zh"]  # … stored as it was written
    school = next(c["school_name"] for c in ruleset_tests()["catchments"] if c["school_id"] == "dh-yuzhang")
    assert f'data-testid="catchment-school" data-value="dh-yuzhang">{school}<' in page  # the stored classification's


def test_an_unregistered_lease_is_shown_as_an_evidence_problem(client, guardian, family):
    lease = {"id": "L1", "address": family.fragments["properties"]["properties"][0]["address"], "registered": False,
             "registered_on": None, "start": "2019-08-01", "end": "2022-07-31", "tenant_relation": "father"}
    family.fragments["leases"] = {"leases": [lease]}
    application_id = _started_id(_start(client, guardian))
    _fetch_all(client, guardian, application_id)
    client.post(f"/guardian/applications/{application_id}/basis", data={"basis": "lease:L1", "csrf_token": guardian.csrf()})
    page = client.get(f"/guardian/applications/{application_id}").get_data(as_text=True)
    assert 'data-testid="evidence-problems"' in page and 'data-testid="reason-E-lease-registered"' in page
    assert 'data-testid="tier" data-value="coordinated"' in page
    lease_problem = re.search(r'data-testid="reason-E-lease-registered">(.*?)</li>', page, re.S).group(1)
    assert '<span class="muted">第三部分第2项</span>' in lease_problem and "§3.2" not in lease_problem  # as the ruleset words it


def test_status_page_reads_neither_fact_records_nor_connector_calls(app, statements_run, submitted):
    """Families poll the status page: it reads what it shows, not the sources' raw answers."""
    from tests.web.conftest import AuthActions

    client = app.test_client()
    AuthActions(client).login("li-father")
    with statements_run() as seen:
        page = client.get(f"/guardian/applications/{submitted.id}").get_data(as_text=True)
    statements = [statement.lower() for statement in seen]
    assert 'data-testid="serial"' in page and 'data-testid="assessment"' in page and "第1类" in page
    assert statements and not [s for s in statements if "connectorcall" in s or "factrecord.payload" in s]


def test_the_family_is_told_when_the_school_record_places_the_school_in_another_district(client, guardian, engine):
    """§2.2: a pupil registers in the district of the primary school. A draft opened for another
    district is not moved (private schools and school groups are exceptions a person judges),
    but the family reads which district the record names."""
    from core.db import write_session

    father = family_fragments("li_tier1")["pupil_record"]["guardians"][0]["id_number"]
    _give_id_number(engine, "li-father", father)
    application_id = _started_id(_start(client, guardian))
    with write_session(engine) as session:
        session.get(Application, application_id).district = "西湖区"
    client.post(f"/guardian/applications/{application_id}/facts", data={"step": "pupil_record", "csrf_token": guardian.csrf()})
    page = client.get(f"/guardian/applications/{application_id}").get_data(as_text=True)
    school_district = family_fragments("li_tier1")["pupil_record"]["pupil"]["primary_school"]["district"]
    assert f'data-testid="other-school-district" data-value="{school_district}"' in page
    assert f"学籍记录显示学生就读于{school_district}的小学，本申请选择的是西湖区" in page
    with write_session(engine) as session:
        session.get(Application, application_id).district = school_district
    assert 'data-testid="other-school-district"' not in client.get(f"/guardian/applications/{application_id}").get_data(as_text=True)


def test_a_document_uploaded_by_mistake_can_be_removed_before_submission_only(client, guardian, engine):
    from core.models import Document, Event

    application_id = _started_id(_start(client, guardian))
    client.post(f"/guardian/applications/{application_id}/documents", content_type="multipart/form-data",
                data={"kind": "hukou_booklet", "file": (io.BytesIO(PNG), "wrong.png"), "csrf_token": guardian.csrf()})
    with read_session(engine) as session:
        document = session.exec(select(Document)).one()
    page = client.get(f"/guardian/applications/{application_id}").get_data(as_text=True)
    assert f'data-testid="remove-document-{document.id}"' in page
    client.post(f"/guardian/applications/{application_id}/documents/{document.id}/remove", data={"csrf_token": guardian.csrf()})
    with read_session(engine) as session:
        assert session.exec(select(Document)).all() == []
        assert session.exec(select(Event).where(Event.action == "document_removed")).one().data["document"] == document.id
    client.post(f"/guardian/applications/{application_id}/documents", content_type="multipart/form-data",
                data={"kind": "hukou_booklet", "file": (io.BytesIO(PNG), "hukou.png"), "csrf_token": guardian.csrf()})
    _fetch_all(client, guardian, application_id)
    client.post(f"/guardian/applications/{application_id}/basis", data={"basis": "property:P1", "csrf_token": guardian.csrf()})
    version = re.search(r'name="version" value="(\d+)"',
                        client.get(f"/guardian/applications/{application_id}/submit").get_data(as_text=True)).group(1)
    client.post(f"/guardian/applications/{application_id}/submit", data={"confirm": "yes", "version": version,
                                                                          "csrf_token": guardian.csrf()})
    with read_session(engine) as session:
        kept = session.exec(select(Document)).one()
    status = client.get(f"/guardian/applications/{application_id}").get_data(as_text=True)
    assert 'data-testid="serial"' in status and "remove-document" not in status
    refused = client.post(f"/guardian/applications/{application_id}/documents/{kept.id}/remove", follow_redirects=True,
                          data={"csrf_token": guardian.csrf()})
    assert "该材料已提交审核，不能删除" in refused.get_data(as_text=True)
    with read_session(engine) as session:
        assert session.exec(select(Document)).all() != []


def test_sources_stamp_their_answers_by_the_season_clock_when_it_is_not_the_wall_clock(engine, clock, plugin_manager):
    """In the demo or a rehearsal the season clock runs in June 2021: a page must not show the
    sources' answers fetched in another year than the submission."""
    from web import create_app
    from web.context import connector_runtime

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "ENGINE": engine, "CLOCK": clock})
    with app.app_context():
        outcome, = connector_runtime().fetch_facts(LI_PUPIL, sources=["pupil_record"]).outcomes
    assert outcome.started_at == clock.now()


def _status_page(app, application, query: str = "") -> str:
    """The status page as the family 李 reads it."""
    from tests.web.conftest import AuthActions

    client = app.test_client()
    AuthActions(client).login("li-father")
    return client.get(f"/guardian/applications/{application.id}{query}").get_data(as_text=True)


def _eligibility(page: str) -> str:
    start = page.index('data-testid="eligible"')
    return page[start:page.index("</dd>", start)]


@pytest.mark.parametrize(("decision", "reason", "badge"), [
    ("approve", None, '<span class="badge ok" data-testid="review-result" data-value="approved">审核通过</span>'),
    ("reject", "不符合报名条件（§1）",
     '<span class="badge bad" data-testid="review-result" data-value="rejected">不符合报名条件</span>'),
])
def test_status_page_says_the_review_is_finished_once_decided(app, engine, submitted, now, make_account,
                                                               decision, reason, badge):
    from core.review import decide

    assert "（预判，以审核结果为准）" in _eligibility(_status_page(app, submitted))
    decide(engine, submitted.id, decision, account=make_account("rev", role="reviewer"), now=now, reason=reason)
    eligibility = _eligibility(_status_page(app, submitted))
    assert badge in eligibility and "（审核已完成）" in eligibility and "预判" not in eligibility
    assert "(review finished)" in _eligibility(_status_page(app, submitted, "?lang=en"))


def test_status_page_lists_the_approval_with_its_time_among_the_feedback(app, engine, submitted, now, make_account):
    from core.review import decide

    decide(engine, submitted.id, "approve", account=make_account("rev", role="reviewer"), now=now)
    approval = re.search(r'<li data-testid="feedback-item" data-action="approve">(.*?)</li>', _status_page(app, submitted),
                         re.S).group(1)
    assert approval.startswith("审核通过") and "2021-06-01 10:00" in approval and "：" not in approval  # no reason


def test_status_page_names_the_tier_once_and_writes_status_with_a_full_width_colon(app, submitted):
    page = _status_page(app, submitted)
    assert page.count("学区生源类别") == 1 and "状态：<span" in page
    english = _status_page(app, submitted, "?lang=en")
    assert english.count("Catchment tier") == 1 and "Status: <span" in english


def test_a_family_withdraws_a_draft_opened_for_the_wrong_district_and_starts_again(client, guardian, engine):
    """A draft holds the pupil: without a way to take it back, a wrong district chosen at the
    start would be submitted as it is (§4.2: no change after submission)."""
    from core.models import Event

    wrong = _started_id(_start(client, guardian, district="经开区"))
    assert _start(client, guardian).status_code == 422  # the pupil is held by that draft
    page = client.get(f"/guardian/applications/{wrong}").get_data(as_text=True)
    assert 'data-testid="withdraw-draft"' in page
    answer = client.post(f"/guardian/applications/{wrong}/withdraw", data={"csrf_token": guardian.csrf()})
    assert answer.headers["Location"].endswith("/guardian/")
    assert "已撤销本次填报" in client.get("/guardian/").get_data(as_text=True)
    right = _started_id(_start(client, guardian))
    assert right != wrong and client.get(f"/guardian/applications/{wrong}").status_code == 404
    with read_session(engine) as session:
        withdrawn = session.exec(select(Event).where(Event.action == "application_discarded")).one()
    assert (withdrawn.subject_id, withdrawn.reason) == (str(wrong), "withdrawn")


def test_submitting_waits_for_the_familys_data_and_the_basis(client, guardian):
    application_id = _started_id(_start(client, guardian))
    page = client.get(f"/guardian/applications/{application_id}").get_data(as_text=True)
    assert "请先获取家庭数据（第2步）再提交" in page and 'data-testid="go-submit"' not in page
    refused = client.post(f"/guardian/applications/{application_id}/submit", follow_redirects=True,
                          data={"confirm": "yes", "csrf_token": guardian.csrf()}).get_data(as_text=True)
    assert "请先获取家庭数据（第2步）再提交" in refused and 'data-testid="serial"' not in refused
    _fetch_all(client, guardian, application_id)
    assert "请先选择居住依据（第3步）再提交" in client.get(f"/guardian/applications/{application_id}").get_data(as_text=True)
    client.post(f"/guardian/applications/{application_id}/basis", data={"basis": "property:P1", "csrf_token": guardian.csrf()})
    ready = client.get(f"/guardian/applications/{application_id}").get_data(as_text=True)
    assert 'data-testid="go-submit"' in ready and 'data-testid="submit-blocked"' not in ready


def test_the_confirmation_warns_of_a_school_in_another_district_before_the_irreversible_step(client, guardian, engine):
    _give_id_number(engine, "li-father", family_fragments("li_tier1")["pupil_record"]["guardians"][0]["id_number"])
    application_id = _started_id(_start(client, guardian, district="经开区"))  # the record came with the draft
    page = client.get(f"/guardian/applications/{application_id}/submit").get_data(as_text=True)
    assert 'data-testid="other-school-district" data-value="东湖区"' in page and "提交后不能更改" in page


def test_while_returned_only_what_was_uploaded_since_can_be_taken_back(engine, submitted, now, make_account, tmp_path):
    """Documents the reviewers have had stay; a wrong upload made since the return may go."""
    from core.documents import remove_document, store_document
    from core.errors import InvalidInput
    from core.models import Account
    from core.portal import supply_materials
    from core.review import decide
    from core.workflow import Actor

    family = Actor("li-father", "guardian", submitted.guardian_id)
    reviewer = make_account("rev-dh", role="reviewer", district="东湖区")

    def upload(name):
        return store_document(engine, submitted.id, actor=family, kind="other", filename=name, data=PNG, now=now,
                              max_bytes=1 << 20, root=tmp_path / "documents")

    decide(engine, submitted.id, "return_for_materials", account=reviewer, now=now, reason="请补充户口簿")
    sent = upload("hukou.png")
    with read_session(engine) as session:
        guardian = session.get(Account, submitted.guardian_id)
    supply_materials(engine, submitted.id, account=guardian, now=now)
    decide(engine, submitted.id, "return_for_materials", account=reviewer, now=now, reason="还缺一页")
    with pytest.raises(InvalidInput):
        remove_document(engine, submitted.id, sent.id, actor=family, now=now)  # the reviewers have had it
    wrong = upload("wrong.png")
    assert remove_document(engine, submitted.id, wrong.id, actor=family, now=now).id == wrong.id


def test_status_page_shows_when_the_application_was_submitted_under_the_serial(app, submitted):
    page = _status_page(app, submitted)
    assert re.search(r'data-testid="serial">[^<]+</p>\s*<p class="muted" data-testid="submitted-at">'
                     r"提交时间：2021-06-01 10:00</p>", page)
    assert "Submitted: 2021-06-01 10:00" in _status_page(app, submitted, "?lang=en")


def test_a_tier_3_family_reads_why_not_tier_1_in_words_with_what_the_sources_said(client, auth, engine, season,
                                                                                   catchments, now):
    """The family sees the first condition each better tier did not meet (§6), and what the
    sources said — what they could correct with a document — not only "第3类"."""
    from tests.web.conftest import submit_family

    application = submit_family(engine, season, now, "wang-father", family="wang_tier3")
    auth.login("wang-father")
    body = client.get(f"/guardian/applications/{application.id}").get_data(as_text=True)
    why = body[body.index('data-testid="why-not"'):body.index("</details>", body.index('data-testid="why-not"'))]
    tier_1 = re.search(r'data-row="T1">(.*?)</li>', why, re.S).group(1)
    assert "未满足：学生及父母户口（家庭户）均在学区范围内" in tier_1
    assert "数据源显示：" in tier_1 and "江西省南昌市西湖区孺子路5号7栋603" in tier_1
    assert "pupil.hukou" not in why  # no fact paths for families


def test_a_returned_application_says_until_when_the_materials_can_be_sent(app, engine, submitted, now, make_account):
    """§8.1: materials are sent back during collection and verification, which ends on 22 June."""
    from core.review import decide

    decide(engine, submitted.id, "return_for_materials", account=make_account("rev-dh", role="reviewer", district="东湖区"),
           now=now, reason="请补充户口簿")
    page = _status_page(app, submitted)
    assert re.search(r'data-testid="supply-until">请于6月22日 00:00前重新提交。<', page)


def test_once_approved_the_family_no_longer_reads_documents_as_waiting_for_review(app, engine, submitted, now,
                                                                                make_account, tmp_path):
    from core.documents import store_document
    from core.models import Account
    from core.portal import supply_materials
    from core.review import decide
    from core.workflow import Actor

    reviewer = make_account("rev", role="reviewer")
    decide(engine, submitted.id, "return_for_materials", account=reviewer, now=now, reason="请补充户口簿")
    store_document(engine, submitted.id, actor=Actor("li-father", "guardian", submitted.guardian_id), kind="other",
                   filename="extra.png", data=PNG, now=now, max_bytes=1 << 20, root=tmp_path / "documents")
    with read_session(engine) as session:
        supply_materials(engine, submitted.id, account=session.get(Account, submitted.guardian_id), now=now)
    assert 'data-testid="document-state" data-value="pending"' in _status_page(app, submitted)
    decide(engine, submitted.id, "approve", account=reviewer, now=now)
    assert 'data-testid="document-state"' not in _status_page(app, submitted)
