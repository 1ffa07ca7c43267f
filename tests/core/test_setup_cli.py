"""A new installation's first steps from the command line: the first administrator, the year's ruleset."""
from __future__ import annotations

import json

from click.testing import CliRunner
from sqlmodel import select

from core.accounts import authenticate
from core.cli import main
from core.db import read_session
from core.models import Event, RulesetVersion, Season
from core.paths import ruleset_path

BEFORE_THE_SEASON = "2021-04-20T09:00:00+08:00"  # the 2021 calendar starts on 15 May


def _run(engine, *args, **env):
    return CliRunner().invoke(main, list(args), env={"DATABASE_URL": engine.url.render_as_string(hide_password=False),
                                                      **env})


def test_the_first_city_administrator_is_made_from_the_command_line_with_a_hidden_password(engine):
    result = CliRunner().invoke(main, ["account", "create", "city1", "--name", "张三"], input="correct-horse-9\n" * 2,
                                env={"DATABASE_URL": engine.url.render_as_string(hide_password=False)})
    assert result.exit_code == 0, result.output
    assert "correct-horse-9" not in result.output.replace("Password", "")  # asked without echo
    with read_session(engine) as session:
        made = authenticate(session, "city1", "correct-horse-9")
        event = session.exec(select(Event).where(Event.action == "account_created")).one()
    assert (made.role, made.display_name) == ("city_admin", "张三")
    assert (event.actor, event.data["role"]) == ("cli", "city_admin")


def test_a_short_password_is_refused_in_plain_words(engine):
    result = _run(engine, "account", "create", "city1", XUEWEI_NEW_PASSWORD="short")
    assert result.exit_code == 1 and "密码至少" in result.output


def test_the_years_ruleset_is_activated_into_its_season_from_the_command_line(engine):
    result = _run(engine, "ruleset", "activate", str(ruleset_path(2021)), XUEWEI_NOW=BEFORE_THE_SEASON)
    assert result.exit_code == 0, result.output
    with read_session(engine) as session:
        season = session.exec(select(Season)).one()
        version = session.exec(select(RulesetVersion)).one()
    assert (season.year, season.active_ruleset_sha256) == (2021, version.sha256)
    assert "nanchang-2021 1.0.0" in result.output and "season 2021" in result.output


def test_activating_with_dates_already_past_needs_yes_and_stores_nothing_without_it(engine):
    refused = _run(engine, "ruleset", "activate", str(ruleset_path(2021)), XUEWEI_NOW="2021-06-08T15:00:00+08:00")
    assert refused.exit_code == 1 and "run again with --yes" in refused.output
    assert "/calendar/phases/1/start" in refused.output
    with read_session(engine) as session:
        assert session.exec(select(RulesetVersion)).all() == [] and session.exec(select(Season)).all() == []
    done = _run(engine, "ruleset", "activate", "--yes", str(ruleset_path(2021)), XUEWEI_NOW="2021-06-08T15:00:00+08:00")
    assert done.exit_code == 0, done.output


def test_a_ruleset_with_problems_is_refused_naming_them(engine, tmp_path):
    document = json.loads(ruleset_path(2021).read_text())
    document["calendar"]["windows"][0]["districts"][0] = "东胡区"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    result = _run(engine, "ruleset", "activate", str(path), XUEWEI_NOW=BEFORE_THE_SEASON)
    assert result.exit_code == 1 and "/calendar/windows/0/districts/0" in result.output


def test_the_only_administrators_lost_password_is_set_from_the_command_line_and_audited_as_cli(engine, make_account):
    make_account("city1", role="city_admin", password="forgotten-1")
    result = CliRunner().invoke(main, ["account", "password", "city1"], input="correct-horse-9\n" * 2,
                                env={"DATABASE_URL": engine.url.render_as_string(hide_password=False)})
    assert result.exit_code == 0, result.output
    assert "correct-horse-9" not in result.output.replace("Password", "")  # asked without echo
    with read_session(engine) as session:
        assert authenticate(session, "city1", "correct-horse-9") is not None
        assert authenticate(session, "city1", "forgotten-1") is None
        event = session.exec(select(Event).where(Event.action == "account_password_set")).one()
    assert (event.actor, event.data["username"]) == ("cli", "city1") and "correct-horse-9" not in str(event.data)
    assert _run(engine, "account", "password", "city1", XUEWEI_NEW_PASSWORD="short").exit_code == 1


def test_staff_are_disabled_and_enabled_from_the_command_line_but_never_the_last_administrator(engine, make_account):
    make_account("city1", role="city_admin")
    make_account("rev1", role="reviewer")
    assert _run(engine, "account", "disable", "rev1").exit_code == 0
    with read_session(engine) as session:
        assert authenticate(session, "rev1", "correct horse 1") is None
    assert _run(engine, "account", "enable", "rev1").exit_code == 0
    refused = _run(engine, "account", "disable", "city1")
    assert refused.exit_code == 1 and "最后一个启用的市级管理员" in refused.output
    assert _run(engine, "account", "disable", "nobody").exit_code == 1
    with read_session(engine) as session:
        assert authenticate(session, "rev1", "correct horse 1") is not None
        assert authenticate(session, "city1", "correct horse 1") is not None
        actions = [(e.actor, e.action) for e in session.exec(select(Event).where(Event.subject_type == "account")
                                                             .order_by(Event.id)) if e.action != "account_created"]
    assert actions == [("cli", "account_disabled"), ("cli", "account_enabled")]
