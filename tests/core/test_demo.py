"""`xuewei demo` names sandbox families a visitor can sign up as: known to the sandbox, not yet registered."""
from __future__ import annotations

import json

from sqlmodel import select

import core.demo
from core.clock import parse_instant
from core.db import read_session, write_session
from core.demo import DEMO_NOW, DEMO_POPULATION, DEMO_SEED, prepare_demo, signup_examples
from core.models import Application, Event
from core.paths import ruleset_path
from core.season.calendar import calendar_of
from plugins.sandbox.city import generate_city


def test_the_demo_names_families_of_an_open_district_that_nobody_registered(engine, season, monkeypatch, now,
                                                                             make_account):
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    first = signup_examples()
    assert len(first) == 3 and len({pupil for *_, pupil in first}) == 3
    city = {family.facts["pupil"]["id_number"]: family for family in generate_city(DEMO_SEED, DEMO_POPULATION).families}
    for parent, parent_id, pupil, pupil_id in first:  # the sandbox's identity check knows each pair
        assert pupil_id in city and {"name": parent, "id_number": parent_id}.items() <= next(
            g for g in city[pupil_id].facts["guardians"] if g["id_number"] == parent_id).items()
    with write_session(engine) as session:  # the replay registered the first one meanwhile
        session.add(Application(season_id=season.id, guardian_id=make_account("replayed").id, pupil_id_number=first[0][3], district="东湖区",
                                state="draft", created_at=now, updated_at=now))
    assert first[0] not in signup_examples()


def test_the_demos_account_and_ruleset_events_read_in_time_order_with_the_seasons(engine, monkeypatch):
    """The replay's season clock starts at the first phase and stops at the demo moment: storing
    the ruleset before it and making the demo logins after it are stamped there, not by the wall
    clock, so the audit page lists every event in order of time."""
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setattr(core.demo, "DEMO_POPULATION", 60)
    prepare_demo(echo=lambda _line: None)
    with read_session(engine) as session:
        events = session.exec(select(Event).order_by(Event.seq)).all()
    starts = calendar_of(json.loads(ruleset_path(2021).read_text())).phases[0].start
    moment = parse_instant(DEMO_NOW)
    out_of_order = [(a.seq, a.action, a.at, b.seq, b.action, b.at) for a, b in zip(events, events[1:]) if b.at < a.at]
    assert out_of_order == []
    assert [(e.action, e.at) for e in events if e.subject_type == "ruleset"] == [
        ("ruleset_stored", starts), ("ruleset_activated", starts)]
    logins = [e for e in events if e.subject_type == "account"]
    assert {e.action for e in logins} == {"demo_login_assigned", "account_created"} and len(logins) == 5
    assert {e.at for e in logins} == {moment} and events[-1].at == moment


def test_the_demo_tells_operators_the_exact_command_that_reveals_the_committed_seed(engine, monkeypatch):
    """`lottery commit` refuses to replace the replay's commitment: the printed command is the way."""
    from click.testing import CliRunner

    from core.cli import main
    from core.demo import lottery_instructions
    from core.models import Season

    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setattr(core.demo, "DEMO_POPULATION", 60)
    prepare_demo(echo=lambda _line: None)
    command = lottery_instructions()[-1].split()
    assert command[:5] == ["xuewei", "lottery", "reveal", "--season", "2021"] and command[5] == "--seed"
    with read_session(engine) as session:
        assert session.exec(select(Season)).one().lottery_seed is None  # the demo stops before the draw
    result = CliRunner().invoke(main, command[1:])
    assert result.exit_code == 0, result.output
    with read_session(engine) as session:
        assert session.exec(select(Season)).one().lottery_seed == command[6]
