"""Serial numbers (§4.2): issued once, at submission, unique across the season."""
from __future__ import annotations

import threading

from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import select

from core.applications import record_facts, start_application, submit_application
from core.clock import parse_instant
from core.db import read_session, write_session
from core.models import Application, Event
from core.serials import format_serial, is_valid_serial, issue_serial
from tests.conftest import MINIMAL_FACTS


def test_twenty_concurrent_submits_of_one_application_give_exactly_one_serial(engine, draft_application, now):
    guardian, application = draft_application
    barrier = threading.Barrier(20)
    answers, errors = [], []

    def press_submit():
        barrier.wait()
        try:
            answers.append(submit_application(engine, application.id, account=guardian, now=now,
                                              seen_version=application.version).serial)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=press_submit) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(answers) == 20 and len(set(answers)) == 1
    with read_session(engine) as session:
        row = session.get(Application, application.id)
        submits = session.exec(select(Event).where(Event.action == "submit")).all()
    assert row.serial == answers[0] and row.state == "submitted"
    assert len(submits) == 1


def test_submissions_in_one_district_get_consecutive_sequence_numbers(engine, season, make_account, now, id_number):
    guardian = make_account("family")
    ids = []
    with write_session(engine) as session:
        for sequence in (11, 13, 15):
            app = start_application(session, season=season, guardian=guardian, pupil_id_number=id_number(sequence=sequence),
                                    pupil_name="x", district="东湖区", now=now)
            record_facts(session, app, source="sandbox", payload=MINIMAL_FACTS, fetched_at=now)
            ids.append(app.id)
    serials = [submit_application(engine, i, account=guardian, now=now).serial for i in ids]
    assert [s[10:16] for s in serials] == ["000001", "000002", "000003"]
    assert all(is_valid_serial(s) for s in serials)


def test_districts_count_separately(engine, season, make_account, id_number):
    now = parse_instant("2021-06-02T14:00:00+08:00")  # 红谷滩区's first-login window (§2.2)
    guardian = make_account("family")
    with write_session(engine) as session:
        apps = []
        for sequence, district in ((21, "东湖区"), (23, "红谷滩区")):
            app = start_application(session, season=season, guardian=guardian, pupil_id_number=id_number(sequence=sequence),
                                    pupil_name="x", district=district, now=now)
            record_facts(session, app, source="sandbox", payload=MINIMAL_FACTS, fetched_at=now)
            apps.append(app.id)
    serials = [submit_application(engine, i, account=guardian, now=now).serial for i in apps]
    assert serials[0][4:10] == "360102" and serials[1][4:10] == "360113"
    assert serials[0][10:16] == serials[1][10:16] == "000001"


def test_a_district_counter_is_created_once_then_bumped_by_one_statement(engine, season, statements_run):
    """Every statement inside a submission's write transaction holds SQLite's one write lock."""
    with write_session(engine) as session:
        session.connection()  # the transaction's BEGIN
        with statements_run() as created:
            first = issue_serial(session, season_id=season.id, year=2021, district_code="360102")
        with statements_run() as bumped:
            second = issue_serial(session, season_id=season.id, year=2021, district_code="360102")
    assert (first[10:16], second[10:16]) == ("000001", "000002")
    assert [s.split()[0] for s in created] == ["UPDATE", "INSERT", "UPDATE"]
    assert [s.split()[0] for s in bumped] == ["UPDATE"]


@given(st.integers(2000, 2099), st.sampled_from(["360102", "360113", "360191"]), st.integers(1, 999_999))
def test_every_formatted_serial_validates_and_any_changed_digit_does_not(year, district, sequence):
    serial = format_serial(year, district, sequence)
    assert len(serial) == 17 and is_valid_serial(serial)
    for position in range(16):
        digit = serial[position]
        altered = serial[:position] + str((int(digit) + 1) % 10) + serial[position + 1:]
        assert not is_valid_serial(altered)


def test_a_submission_holds_its_districts_counter_only_to_write_the_serial_and_the_audit_event(
        engine, draft_application, now, statements_run):
    """At the opening of one district's window every submission takes that district's counter
    row, and keeps it until COMMIT: the application's move, its frozen facts and reading it back
    come before."""
    guardian, application = draft_application
    with statements_run() as seen:
        outcome = submit_application(engine, application.id, account=guardian, now=now)
    first = next(i for i, statement in enumerate(seen) if statement.startswith("UPDATE serialcounter"))
    held = [s for s in seen[first:] if "serialcounter" not in s]
    assert held[0].startswith("UPDATE application SET") and "frozen_facts" not in held[0]
    assert all("audithead" in statement or "INTO event" in statement for statement in held[1:])
    with read_session(engine) as session:
        stored = session.get(Application, application.id)
        event = session.exec(select(Event).where(Event.action == "submit")).one()
    assert stored.serial == outcome.serial and stored.frozen_facts and stored.state == outcome.state
    assert event.data["serial"] == outcome.serial
