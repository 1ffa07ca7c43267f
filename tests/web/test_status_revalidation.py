"""Families poll the status page: it carries an ETag, and a browser asking again with it gets
304 Not Modified until anything the page shows has changed, and never afterwards."""
from __future__ import annotations

import pytest
from sqlalchemy import inspect

from core.portal import NOT_ON_STATUS_PAGE, STATUS_PAGE_ROWS
from tests.web.conftest import AuthActions

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


class Browser:
    """A guardian's browser: keeps the status page with its ETag and asks again with it."""

    def __init__(self, app, application_id: int):
        self.client = app.test_client()
        self.auth = AuthActions(self.client)
        self.auth.login("li-father")
        self.url = f"/guardian/applications/{application_id}"
        self.page, self.etag = self.fresh()

    def fresh(self) -> tuple[str, str]:
        """The page as drawn without a held copy, and its ETag."""
        response = self.client.get(self.url)
        assert response.status_code == 200
        return response.get_data(as_text=True), response.headers["ETag"]

    def revisit(self, url: str | None = None):
        return self.client.get(url or self.url, headers={"If-None-Match": self.etag})

    def unchanged(self) -> bool:
        """Asked again with the held ETag: True on 304; on 200, the new copy is kept."""
        response = self.revisit()
        if response.status_code == 304:
            assert response.get_data() == b""
            assert response.headers["ETag"] == self.etag
            return True
        assert response.status_code == 200
        self.page, self.etag = response.get_data(as_text=True), response.headers["ETag"]
        assert self.page == self.fresh()[0], "a changed page is answered drawn anew"
        return False


@pytest.fixture
def browser(app, submitted):
    return Browser(app, submitted.id)


@pytest.fixture
def reviewer(make_account):
    return make_account("rev-donghu", role="reviewer", district="东湖区")


def test_status_page_is_kept_only_to_be_revalidated(browser):
    response = browser.client.get(browser.url)
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert "Cookie" in response.headers["Vary"]
    assert browser.unchanged()


def test_a_304_carries_the_pages_validator_caching_rules_and_security_headers(browser):
    page = browser.client.get(browser.url)
    answer = browser.revisit()
    assert answer.status_code == 304
    for name in ("ETag", "Cache-Control", "Vary", "Content-Security-Policy", "X-Frame-Options",
                 "X-Content-Type-Options", "Referrer-Policy", "Cross-Origin-Opener-Policy"):
        assert answer.headers.getlist(name) == page.headers.getlist(name), name


def test_a_draft_page_is_never_kept(client, auth, make_account, engine, season, now):
    from core.applications import start_application
    from core.db import write_session
    from tests.web.conftest import LI_PUPIL

    guardian = make_account("drafting")
    with write_session(engine) as session:
        draft = start_application(session, season=season, guardian=guardian, pupil_id_number=LI_PUPIL,
                                  pupil_name="李小明", district="东湖区", now=now)
    auth.login("drafting")
    response = client.get(f"/guardian/applications/{draft.id}", headers={"If-None-Match": "*"})
    assert response.status_code == 200 and "ETag" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"  # it shows the window, which moves with the clock


def test_every_change_the_family_should_see_ends_the_304s(browser, engine, season, submitted, reviewer, now, clock,
                                                          tmp_path):
    """The season as one family lives it; after each step the held page is stale, then fresh again."""
    from core.allocation.store import allocate_season, commit_seed, reveal_seed
    from core.clock import parse_instant
    from core.db import read_session, write_session
    from core.documents import store_document
    from core.models import Account, Document, School
    from core.portal import supply_materials
    from core.review import decide, review_document
    from core.season.actions import classify_approved
    from core.workflow import Actor
    from sqlmodel import select

    family = Actor("li-father", "guardian", submitted.guardian_id)

    def returned_for_materials():
        decide(engine, submitted.id, "return_for_materials", account=reviewer, now=now, reason="请上传户口簿首页")

    def document_uploaded():
        store_document(engine, submitted.id, actor=family, kind="hukou_booklet", filename="hukou.png", data=PNG,
                       now=now, max_bytes=1 << 20, root=tmp_path / "documents")

    def document_accepted():
        with read_session(engine) as session:
            document = session.exec(select(Document).where(Document.application_id == submitted.id)).one()
        review_document(engine, submitted.id, document.id, "accepted", account=reviewer, now=now)

    def materials_supplied():
        supply_materials(engine, submitted.id, account=browser_account(), now=now)

    def approved():
        decide(engine, submitted.id, "approve", account=reviewer, now=now)

    def classified():
        classify_approved(engine, season.id, now, lambda: None)

    def seat_allocated():
        seed, _ = commit_seed(engine, season.year)
        reveal_seed(engine, season.year, seed)
        allocate_season(engine, season.id, now)

    def publication_opened():  # nothing in the database changes: the calendar's 学位预分配结果查询 opens
        clock.set(parse_instant("2021-06-28T00:00:00+08:00"))

    def school_renamed():
        with write_session(engine) as session:
            school = session.exec(select(School).where(School.season_id == season.id,
                                                       School.code == "dh-yuzhang")).one()
            school.name = "南昌市豫章中学（新校区）"

    def browser_account():
        with read_session(engine) as session:
            return session.get(Account, submitted.guardian_id)

    shown = {
        returned_for_materials: "请上传户口簿首页",
        document_uploaded: "hukou.png",
        document_accepted: 'data-testid="document-state" data-value="accepted"',
        materials_supplied: 'data-value="submitted"',
        approved: 'data-value="approved"',
        classified: 'data-value="1"',
        seat_allocated: 'data-testid="seat-pending" data-publishes-at="2021-06-28T00:00:00+08:00"',
        publication_opened: 'data-testid="seat-school" data-value="dh-yuzhang"',
        school_renamed: "南昌市豫章中学（新校区）",
    }
    for change, text in shown.items():
        change()
        assert not browser.unchanged(), f"after {change.__name__} the browser was told its copy is current"
        assert text in browser.page, change.__name__
        assert browser.unchanged(), f"after {change.__name__} the page kept changing"


def test_another_language_is_another_page(browser):
    response = browser.revisit(browser.url + "?lang=en")
    assert response.status_code == 200 and 'lang="en"' in response.get_data(as_text=True)
    assert response.headers["ETag"] != browser.etag


def test_a_waiting_message_is_shown_not_answered_304(browser):
    with browser.client.session_transaction() as session:
        session["_flashes"] = [("ok", "已重新提交审核")]
    response = browser.revisit()
    assert response.status_code == 200 and "已重新提交审核" in response.get_data(as_text=True)


def test_a_page_showing_a_message_is_not_kept_so_a_reload_does_not_show_it_again(browser):
    with browser.client.session_transaction() as session:
        session["_flashes"] = [("ok", "已重新提交审核")]
    shown = browser.client.get(browser.url)
    assert "已重新提交审核" in shown.get_data(as_text=True)
    assert "ETag" not in shown.headers and shown.headers["Cache-Control"] == "no-store"
    reloaded = browser.client.get(browser.url)
    assert reloaded.status_code == 200 and "已重新提交审核" not in reloaded.get_data(as_text=True)
    assert reloaded.headers["ETag"] == browser.etag


def test_another_family_learns_nothing_from_an_etag(app, browser, make_account, submitted):
    make_account("other-parent")
    other = app.test_client()
    AuthActions(other).login("other-parent")
    response = other.get(browser.url, headers={"If-None-Match": browser.etag})
    assert response.status_code == 404 and "ETag" not in response.headers  # as if there were no such page


def test_another_account_of_the_same_browser_gets_its_own_page(app, browser, engine, submitted):
    """Logging in again starts a new session (new CSRF token in the page): the old copy is stale."""
    browser.auth.login("li-father")
    assert not browser.unchanged()


def test_every_table_about_an_application_is_an_input_of_the_status_page_or_not_shown_there(engine):
    from sqlmodel import SQLModel

    about_applications = {table.name for table in SQLModel.metadata.sorted_tables
                          if "application_id" in table.columns}
    accounted = {model.__tablename__ for model in (*STATUS_PAGE_ROWS, *NOT_ON_STATUS_PAGE)}
    assert about_applications == accounted, (
        "a table with application_id must be an input of core.portal.status_page_version (STATUS_PAGE_ROWS) "
        "or listed in NOT_ON_STATUS_PAGE")
    assert inspect(engine).get_table_names()  # the tables exist on this database too
