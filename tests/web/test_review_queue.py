"""Reviewers: the district queue, the full application, decisions with reasons the guardian reads."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest

from tests.web.conftest import submit_family


@pytest.fixture
def reviewer(client, auth, make_account, submitted):
    make_account("rev-donghu", role="reviewer", district="东湖区")
    auth.login("rev-donghu")
    return auth


def test_queue_lists_own_district_submissions_with_their_tier(client, reviewer, submitted):
    body = client.get("/review/").get_data(as_text=True)
    assert f'data-application-id="{submitted.id}"' in body
    assert 'data-testid="queue-tier" data-value="1"' in body


def test_queue_never_shows_another_district_even_when_asked(client, auth, make_account, submitted):
    make_account("rev-xihu", role="reviewer", district="西湖区")
    auth.login("rev-xihu")
    body = client.get("/review/?district=东湖区").get_data(as_text=True)
    assert 'data-testid="queue-row"' not in body


def test_reviewer_of_another_district_cannot_open_the_application(client, auth, make_account, submitted):
    make_account("rev-xihu", role="reviewer", district="西湖区")
    auth.login("rev-xihu")
    assert client.get(f"/review/applications/{submitted.id}").status_code == 403


def test_queue_filters_by_problem(client, reviewer, engine, season, now):
    resubmitted_only = client.get("/review/?problem=resubmitted").get_data(as_text=True)
    assert 'data-testid="queue-row"' not in resubmitted_only


def test_application_page_shows_each_source_with_its_fetch_time_and_the_tier_explanation(client, reviewer, submitted):
    body = client.get(f"/review/applications/{submitted.id}").get_data(as_text=True)
    assert body.count('data-testid="fact-record"') == 9
    assert 'data-source="properties"' in body and "获取于" in body
    assert 'data-testid="tier" data-value="1"' in body and 'data-testid="trace"' in body


def test_switching_language_keeps_the_queues_filters(client, reviewer, submitted):
    page = client.get("/review/?state=submitted&problem=documents&page=1").get_data(as_text=True)
    switch = re.search(r'id="lang-switch" data-testid="lang-switch" href="([^"]+)"', page).group(1)
    assert switch.replace("&amp;", "&") == "?state=submitted&problem=documents&page=1&lang=en"
    english = client.get("/review/" + switch.replace("&amp;", "&")).get_data(as_text=True)
    back = re.search(r'data-testid="lang-switch" href="([^"]+)"', english).group(1).replace("&amp;", "&")
    assert back == "?state=submitted&problem=documents&page=1&lang=zh"


def test_staff_read_times_in_beijing_time(client, reviewer, submitted):
    """Facts fetched and the application submitted at 10:00 in Nanchang, which is 02:00 UTC:
    the queue, the sources and the history all say 10:00, as the policy states its times."""
    queue = client.get("/review/").get_data(as_text=True)
    assert "2021-06-01 10:00" in queue and "06-01 02:00" not in queue  # with the year, as on every staff page
    page = client.get(f"/review/applications/{submitted.id}").get_data(as_text=True)
    assert "获取于 2021-06-01 10:00:00" in page and "UTC" not in page
    history = re.findall(r'data-testid="event" data-action="[^"]*">([^<]*)', page)
    assert history and all(item.startswith("2021-06-01 10:00") for item in history)


def test_a_decision_with_a_version_that_is_not_a_number_is_refused(client, reviewer, submitted):
    """Not taken as "no version sent", which would skip the check that the reviewer saw the
    application as it is now."""
    answer = client.post(f"/review/applications/{submitted.id}/decision", follow_redirects=True, data={
        "decision": "approve", "reason": "", "version": "abc", "csrf_token": reviewer.csrf()})
    assert "版本号无效，请刷新后重试" in answer.get_data(as_text=True)
    assert 'data-value="submitted"' in client.get(f"/review/applications/{submitted.id}").get_data(as_text=True)


def test_return_for_materials_needs_a_reason(client, reviewer, submitted):
    page = client.get(f"/review/applications/{submitted.id}").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    client.post(f"/review/applications/{submitted.id}/decision", data={
        "decision": "return_for_materials", "reason": "", "version": version, "csrf_token": reviewer.csrf()})
    assert 'data-value="submitted"' in client.get(f"/review/applications/{submitted.id}").get_data(as_text=True)


def test_a_refused_decision_keeps_the_reason_as_typed(client, reviewer, submitted):
    page = client.get(f"/review/applications/{submitted.id}").get_data(as_text=True)
    stale = int(re.search(r'name="version" value="(\d+)"', page).group(1)) - 1  # another reviewer moved it meanwhile
    answer = client.post(f"/review/applications/{submitted.id}/decision", data={
        "decision": "return_for_materials", "reason": "请补充户口簿首页", "version": str(stale),
        "csrf_token": reviewer.csrf()})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 409 and "请刷新后重试" in html
    assert '<textarea id="reason" name="reason" data-testid="input-reason" maxlength="1000">请补充户口簿首页</textarea>' in html


def test_returned_with_a_reason_the_guardian_reads_and_answers(app, client, reviewer, submitted):
    page = client.get(f"/review/applications/{submitted.id}").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    client.post(f"/review/applications/{submitted.id}/decision", data={
        "decision": "return_for_materials", "reason": "请上传户口簿首页", "version": version,
        "csrf_token": reviewer.csrf()})
    history = client.get(f"/review/applications/{submitted.id}").get_data(as_text=True)
    assert 'data-action="return_for_materials"' in history and "rev-donghu" in history

    from tests.web.conftest import AuthActions

    family = app.test_client()
    guardian = AuthActions(family)
    guardian.login("li-father")
    status = family.get(f"/guardian/applications/{submitted.id}").get_data(as_text=True)
    assert "请上传户口簿首页" in status and 'data-value="returned"' in status
    assert "2021-06-01 10:00" in status and "UTC" not in status  # decided at 10:00 Beijing time (02:00 UTC)
    refused = family.post(f"/guardian/applications/{submitted.id}/supply", follow_redirects=True,
                          data={"csrf_token": guardian.csrf()}).get_data(as_text=True)
    assert "请先按审核意见上传补充材料" in refused and 'data-value="returned"' in refused  # nothing uploaded yet
    family.post(f"/guardian/applications/{submitted.id}/documents", content_type="multipart/form-data", data={
        "kind": "hukou_booklet", "file": (io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64), "hukou.png"),
        "csrf_token": guardian.csrf()})
    family.post(f"/guardian/applications/{submitted.id}/supply", data={"csrf_token": guardian.csrf()})
    assert 'data-value="submitted"' in family.get(f"/guardian/applications/{submitted.id}").get_data(as_text=True)
    resubmitted = client.get("/review/?problem=resubmitted").get_data(as_text=True)
    assert f'data-application-id="{submitted.id}"' in resubmitted


def test_approve_is_audited(client, reviewer, submitted, engine):
    from core.audit import verify_chain
    from core.db import read_session

    page = client.get(f"/review/applications/{submitted.id}").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    client.post(f"/review/applications/{submitted.id}/decision", data={
        "decision": "approve", "version": version, "csrf_token": reviewer.csrf()})
    page = client.get(f"/review/applications/{submitted.id}").get_data(as_text=True)
    assert 'data-value="approved"' in page and 'data-action="approve"' in page
    with read_session(engine) as session:
        assert verify_chain(session) is None


def test_the_state_filter_offers_the_rulesets_states_worded_as_the_table_words_them(client, reviewer, submitted):
    """Not a wording of the page's own (待审核 beside 已提交，待审核 in the table): the options are
    the active ruleset's states, by its labels, in either language, then every state."""
    import json

    from core.paths import ruleset_path

    states = json.loads(ruleset_path(2021).read_text())["workflow"]["states"]
    for lang, everything in (("zh", "全部"), ("en", "all")):
        body = client.get("/review/", query_string={"lang": lang}).get_data(as_text=True)
        choice = re.search(r'<select id="state".*?</select>', body, re.S).group(0)
        options = re.findall(r'<option value="([^"]*)"([^>]*)>([^<]*)</option>', choice)
        assert [(value, words) for value, _, words in options] == [
            *((state["id"], state["label"][lang]) for state in states), ("", everything)]
        assert [value for value, attributes, _ in options if "selected" in attributes] == ["submitted"]
        table_state = re.search(r'data-testid="queue-state" data-value="submitted">([^<]*)<', body).group(1)
        assert table_state == {value: words for value, _, words in options}["submitted"]


def test_city_admin_sees_every_district_and_may_filter_by_one(client, auth, make_account, engine, season, now,
                                                                submitted):
    submit_family(engine, season, now, "jingkai-parent", district="经开区", pupil_sequence="0031")
    make_account("city", role="city_admin")
    auth.login("city")
    assert client.get("/review/").get_data(as_text=True).count('data-testid="queue-row"') == 2
    assert client.get("/review/?district=经开区").get_data(as_text=True).count('data-testid="queue-row"') == 1


@pytest.fixture
def returned_with_document(engine, submitted, now, make_account, tmp_path):
    """Returned for materials (§8.1) and answered with one uploaded photo, not yet reviewed."""
    from core.documents import store_document
    from core.review import decide
    from core.workflow import Actor

    deciding = make_account("rev-decides", role="reviewer", district="东湖区")
    decide(engine, submitted.id, "return_for_materials", account=deciding, now=now, reason="请上传户口簿首页")
    return store_document(engine, submitted.id, actor=Actor("li-father", "guardian", submitted.guardian_id),
                          kind="hukou_booklet", filename="hukou.png", data=b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
                          now=now, max_bytes=1 << 20, root=tmp_path / "documents")


def _page_version(client, application) -> str:
    """The application's version as the reviewer's page carries it in its forms."""
    page = client.get(f"/review/applications/{application.id}").get_data(as_text=True)
    return re.search(r'name="version" value="(\d+)"', page).group(1)


def _verdict(client, reviewer, submitted, document, verdict, reason="", **version):
    """A document verdict sent from the page (or with `version=` as given; None leaves it out)."""
    form = {"verdict": verdict, "reason": reason, "csrf_token": reviewer.csrf(),
            "version": version["version"] if "version" in version else _page_version(client, submitted)}
    return client.post(f"/review/applications/{submitted.id}/documents/{document.id}",
                       data={key: value for key, value in form.items() if value is not None})


def test_rejected_document_shows_the_guardian_why(app, client, reviewer, submitted, returned_with_document, engine):
    from core.audit import verify_chain
    from core.db import read_session
    from tests.web.conftest import AuthActions

    assert _verdict(client, reviewer, submitted, returned_with_document, "rejected", "照片不清晰").status_code == 302
    review_page = client.get(f"/review/applications/{submitted.id}").get_data(as_text=True)
    assert 'data-testid="document-state" data-value="rejected"' in review_page
    assert 'data-action="document_rejected"' in review_page
    family = app.test_client()
    AuthActions(family).login("li-father")
    status = family.get(f"/guardian/applications/{submitted.id}").get_data(as_text=True)
    assert 'data-testid="document-state" data-value="rejected"' in status
    beside = re.search(r'data-testid="document-reason">([^<]*)', status).group(1)
    assert "照片不清晰" in beside and "请重新上传" in beside  # at the document itself, not only in the feedback
    assert re.search(r'data-action="document_rejected">材料未认可（户口簿）：<strong>照片不清晰', status)
    with read_session(engine) as session:
        assert verify_chain(session) is None


def test_rejecting_a_document_needs_a_reason(client, reviewer, submitted, returned_with_document):
    answer = _verdict(client, reviewer, submitted, returned_with_document, "rejected")
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "请填写不认可的原因" in page and 'data-testid="document-state" data-value="pending"' in page


def test_accepted_document_leaves_the_documents_to_check_filter(client, reviewer, submitted, returned_with_document):
    before = client.get("/review/?state=returned&problem=documents").get_data(as_text=True)
    assert f'data-application-id="{submitted.id}"' in before
    _verdict(client, reviewer, submitted, returned_with_document, "accepted")
    after = client.get("/review/?state=returned&problem=documents").get_data(as_text=True)
    assert f'data-application-id="{submitted.id}"' not in after


def test_reviewer_of_another_district_cannot_judge_a_document(client, auth, make_account, submitted,
                                                              returned_with_document):
    make_account("rev-xihu", role="reviewer", district="西湖区")
    auth.login("rev-xihu")
    assert _verdict(client, auth, submitted, returned_with_document, "accepted", version="2").status_code == 403


def test_documents_are_judged_only_while_the_application_is_with_the_reviewers(
        client, reviewer, engine, submitted, returned_with_document, now, make_account):
    from core.db import read_session
    from core.errors import InvalidInput
    from core.models import Account
    from core.portal import supply_materials
    from core.review import decide, review_document

    with read_session(engine) as session:
        guardian = session.get(Account, submitted.guardian_id)
    supply_materials(engine, submitted.id, account=guardian, now=now)
    account = make_account("rev-2", role="reviewer", district="东湖区")
    decide(engine, submitted.id, "approve", account=account, now=now)
    with pytest.raises(InvalidInput):
        review_document(engine, submitted.id, returned_with_document.id, "accepted", account=account, now=now)
    with pytest.raises(Exception) as caught:
        review_document(engine, submitted.id + 1000, returned_with_document.id, "accepted", account=account, now=now)
    assert caught.value.http_status == 404


def _rename(engine, application_id, name):
    from core.db import write_session
    from core.models import Application

    with write_session(engine) as session:
        session.get(Application, application_id).pupil_name = name


def _found(client, query, **filters):
    body = client.get("/review/", query_string={"q": query, **filters}).get_data(as_text=True)
    return {int(i) for i in re.findall(r'data-testid="queue-row" data-application-id="(\d+)"', body)}


def test_reviewer_finds_an_application_by_serial_id_number_or_part_of_the_name_in_any_state(
        client, reviewer, submitted, engine, season, now):
    """A family calls the bureau: the reviewer finds them by what they can read out, whether
    the application waits for review or was returned."""
    from core.review import decide

    other = submit_family(engine, season, now, "wang-parent", pupil_sequence="0031")
    _rename(engine, other.id, "王小红")
    decide(engine, submitted.id, "return_for_materials", account=_staff(engine, "rev-donghu"), now=now, reason="请补充")
    assert _found(client, submitted.serial) == {submitted.id}
    assert _found(client, submitted.pupil_id_number.lower()) == {submitted.id}
    assert _found(client, "小红") == {other.id}
    assert _found(client, "小") == {submitted.id, other.id}
    assert _found(client, "小", state="submitted") == {other.id}  # a state asked for still applies


def test_search_never_reaches_another_district_and_takes_wildcards_literally(
        client, auth, make_account, submitted, engine, season, now):
    elsewhere = submit_family(engine, season, now, "jingkai-parent", district="经开区", pupil_sequence="0031")
    make_account("rev-donghu", role="reviewer", district="东湖区")
    auth.login("rev-donghu")
    assert _found(client, elsewhere.serial) == set()
    assert _found(client, "%") == set() and _found(client, "_") == set()
    too_long = client.get("/review/", query_string={"q": "李" * 41})
    assert too_long.status_code == 422 and "查找内容不能超过40个字符" in too_long.get_data(as_text=True)


def test_the_api_searches_the_queue_as_the_page_does(client, reviewer, submitted):
    answer = client.get("/api/v1/applications", query_string={"q": submitted.pupil_id_number}).get_json()
    assert [item["id"] for item in answer["items"]] == [submitted.id]


def _staff(engine, username):
    from sqlmodel import select

    from core.db import read_session
    from core.models import Account

    with read_session(engine) as session:
        return session.exec(select(Account).where(Account.username == username)).one()


def test_reviewer_is_told_when_the_school_record_places_the_school_in_another_district(
        client, auth, make_account, engine, season, now, catchments):
    """Registered in 经开区 with a school record of a 东湖区 primary school (§2.2): the 经开区
    reviewer sees it at the top of the page, and decides."""
    elsewhere = submit_family(engine, season, now, "jk-parent", district="经开区", pupil_sequence="0031")
    make_account("rev-jk", role="reviewer", district="经开区")
    auth.login("rev-jk")
    page = client.get(f"/review/applications/{elsewhere.id}").get_data(as_text=True)
    assert 'data-testid="other-school-district" data-value="东湖区"' in page
    assert "学籍记录显示就读小学位于东湖区，与本申请的区县（经开区）不一致（第二部分第2项：报名区县以" in page  # §2.2, worded


def test_a_decision_without_a_version_is_refused_like_a_bad_one(client, reviewer, submitted):
    """The page's form always carries the version it was drawn at: a post without one would skip
    the check that the reviewer saw the application as it is now."""
    answer = client.post(f"/review/applications/{submitted.id}/decision", data={
        "decision": "approve", "reason": "", "csrf_token": reviewer.csrf()})
    assert answer.status_code == 422 and "版本号无效，请刷新后重试" in answer.get_data(as_text=True)
    assert 'data-value="submitted"' in client.get(f"/review/applications/{submitted.id}").get_data(as_text=True)


def test_a_document_verdict_without_a_version_is_refused(client, reviewer, submitted, returned_with_document):
    answer = _verdict(client, reviewer, submitted, returned_with_document, "accepted", version=None)
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "版本号无效，请刷新后重试" in page and 'data-testid="document-state" data-value="pending"' in page


def test_a_document_verdict_from_a_page_drawn_before_the_application_moved_is_refused(
        client, reviewer, engine, submitted, returned_with_document, now):
    from core.db import read_session
    from core.models import Account
    from core.portal import supply_materials

    drawn_at = _page_version(client, submitted)
    with read_session(engine) as session:
        guardian = session.get(Account, submitted.guardian_id)
    supply_materials(engine, submitted.id, account=guardian, now=now)  # sent back meanwhile
    answer = _verdict(client, reviewer, submitted, returned_with_document, "accepted", version=drawn_at)
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "请刷新后重试" in page and 'data-testid="document-state" data-value="pending"' in page


def test_a_refused_document_verdict_comes_back_at_the_top_where_its_message_is(
        client, reviewer, submitted, returned_with_document):
    refused = _verdict(client, reviewer, submitted, returned_with_document, "rejected")  # no reason given
    assert "#" not in refused.headers["Location"]
    accepted = _verdict(client, reviewer, submitted, returned_with_document, "accepted")
    assert accepted.headers["Location"].endswith("#documents")  # back at the list to judge the next one


def test_history_names_the_document_each_document_event_is_about(client, reviewer, submitted, returned_with_document):
    _verdict(client, reviewer, submitted, returned_with_document, "rejected", "照片不清晰")
    page = client.get(f"/review/applications/{submitted.id}").get_data(as_text=True)
    history = dict(re.findall(r'<li data-testid="event" data-action="(document_[a-z]+)">([^<]*)</li>', page))
    assert "上传材料（户口簿）" in history["document_uploaded"]
    assert "材料未认可（户口簿） · 照片不清晰" in history["document_rejected"]
    english = client.get(f"/review/applications/{submitted.id}?lang=en").get_data(as_text=True)
    assert "Document rejected (household register booklet)" in english


def _decision_button(page: str, decision: str) -> str:
    return re.search(rf'<button[^>]*data-testid="decision-{decision}"[^>]*>', page).group(0)


def _sent_back(engine, application, now) -> None:
    """The guardian sends the returned application back to the reviewers (§8.1)."""
    from core.db import read_session
    from core.models import Account
    from core.portal import supply_materials

    with read_session(engine) as session:
        supply_materials(engine, application.id, account=session.get(Account, application.guardian_id), now=now)


def _approval_asks(client, application) -> tuple[str, str]:
    """What the approve button asks before it is sent, in Chinese and in English."""
    asked = []
    for query in ("", "?lang=en"):
        page = client.get(f"/review/applications/{application.id}{query}").get_data(as_text=True)
        asked.append(re.search(r'data-confirm="([^"]*)"', _decision_button(page, "approve")).group(1))
    return asked[0], asked[1]


def test_approve_asks_first_when_documents_are_pending_or_rejected(client, reviewer, engine, submitted,
                                                                   returned_with_document, now, tmp_path):
    from core.documents import store_document
    from core.workflow import Actor

    second = store_document(engine, submitted.id, actor=Actor("li-father", "guardian", submitted.guardian_id),
                            kind="other", filename="other.png", data=b"\x89PNG\r\n\x1a\n" + b"\x01" * 64,
                            now=now, max_bytes=1 << 20, root=tmp_path / "documents")
    _verdict(client, reviewer, submitted, second, "rejected", "照片不清晰")
    _sent_back(engine, submitted, now)
    assert _approval_asks(client, submitted) == ("尚有1份材料待审核、1份材料未认可，确定审核通过？",
                                                 "Documents still pending: 1; rejected: 1. Approve anyway?")


def test_approve_asks_only_about_the_kind_of_unsettled_document_there_is(client, reviewer, engine, submitted,
                                                                         returned_with_document, now):
    _verdict(client, reviewer, submitted, returned_with_document, "rejected", "照片不清晰")
    _sent_back(engine, submitted, now)
    assert _approval_asks(client, submitted) == ("尚有1份材料未认可，确定审核通过？", "Documents rejected: 1. Approve anyway?")


def test_approve_asks_nothing_when_no_document_is_unsettled_but_reject_always_asks(client, reviewer, submitted):
    page = client.get(f"/review/applications/{submitted.id}").get_data(as_text=True)
    assert "data-confirm" not in _decision_button(page, "approve")
    assert 'data-confirm="确定该申请不符合报名条件？申请人将看到所填原因。"' in _decision_button(page, "reject")
    assert "data-confirm" not in _decision_button(page, "return_for_materials")


def test_an_approval_with_documents_unsettled_keeps_their_counts_in_the_audit_event(
        client, reviewer, engine, submitted, returned_with_document, now):
    from sqlmodel import select

    from core.audit import verify_chain
    from core.db import read_session
    from core.models import Event

    _sent_back(engine, submitted, now)
    client.post(f"/review/applications/{submitted.id}/decision", data={
        "decision": "approve", "version": _page_version(client, submitted), "csrf_token": reviewer.csrf()})
    with read_session(engine) as session:
        approval = session.exec(select(Event).where(Event.action == "approve")).one()
        assert approval.data["documents"] == {"pending": 1, "rejected": 0}
        assert verify_chain(session) is None


def test_search_finds_a_serial_ending_in_x_typed_in_lowercase(client, reviewer, engine, submitted):
    from core.db import write_session
    from core.models import Application
    from core.serials import format_serial

    serial = format_serial(2021, "360102", 9)
    assert serial.endswith("X")
    with write_session(engine) as session:
        session.get(Application, submitted.id).serial = serial
    assert _found(client, serial.lower()) == {submitted.id}


@pytest.mark.parametrize("path", ["/review/", "/api/v1/applications"])
def test_an_unknown_state_is_refused_like_an_unknown_problem(client, reviewer, path):
    unknown_state = client.get(path, query_string={"state": "zzz"})
    unknown_problem = client.get(path, query_string={"problem": "zzz"})
    assert unknown_state.status_code == unknown_problem.status_code == 422
    if path.startswith("/api/"):
        assert unknown_state.get_json()["field"] == "state"
    else:
        assert "未知的申请状态" in unknown_state.get_data(as_text=True)
    assert client.get(path, query_string={"state": "allocated"}).status_code == 200  # a state the ruleset has


def test_the_guardian_reads_a_rejected_document_in_english_with_ascii_punctuation(
        app, client, reviewer, submitted, returned_with_document):
    from tests.web.conftest import AuthActions

    _verdict(client, reviewer, submitted, returned_with_document, "rejected", "photo is blurred")
    family = app.test_client()
    AuthActions(family).login("li-father")
    status = family.get(f"/guardian/applications/{submitted.id}?lang=en").get_data(as_text=True)
    item = re.search(r'data-action="document_rejected">([^<]*)<strong>', status).group(1)
    assert item == "Document rejected (household register booklet): "


def _total(client, query: str = "") -> str:
    body = client.get(f"/review/{query}").get_data(as_text=True)
    return re.search(r'data-testid="queue-total" data-value="(\d+)">([^<]*)<', body).group(2)


def test_queue_says_how_many_match_its_filters_on_every_page(client, reviewer, engine, season, now, submitted,
                                                             monkeypatch, statements_run):
    """Not only the page's rows: one application a page, both pages say 共 2 份; a filter or a
    search counts what it matches; the count is one COUNT beside the page's query."""
    import core.review

    monkeypatch.setattr(core.review, "PAGE_SIZE", 1)
    other = submit_family(engine, season, now, "wang-parent", pupil_sequence="0041")
    submit_family(engine, season, now + timedelta(hours=5), "xihu-parent", pupil_sequence="0051", district="西湖区")  # another district: not counted
    assert _total(client) == "共 2 份" and _total(client, "?page=2") == "共 2 份"
    assert _total(client, "?state=returned") == "共 0 份"
    assert _total(client, f"?q={other.serial}") == "共 1 份"
    assert _total(client, "?problem=resubmitted") == "共 0 份"
    assert _total(client, "?lang=en") == "2 in all"
    with statements_run() as seen:
        client.get("/review/?state=submitted")
    assert sum("count(" in statement.lower() and "application" in statement.lower() for statement in seen) == 1
