"""The end of the season for operators: the allocation refuses to leave undecided applications
out unless told to, a failed phase action is failed at once (for every runner) with its reason
in Chinese, and `xuewei scheduler --once` says why in one line."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlmodel import select

from core.allocation import commitment_of
from core.allocation.store import reveal_seed
from core.cli import main
from core.clock import FixedClock
from core.dashboard import failed_jobs
from core.db import read_session, write_session
from core.models import Application, Event, School, Season
from core.season.actions import SeedNotRevealed
from core.season.boundaries import run_due
from core.season.models import JobRun
from core.season.undecided import UndecidedApplications, undecided_states

from .conftest import at

ALLOCATION_START = "season-2021-allocation-start"
SEED = "c3" * 32


def _application(session, season, guardian, id_number, sequence: int, state: str, district: str) -> None:
    facts = {"pupil": {"id_number": id_number(sequence=sequence)}, "basis": {"kind": "lease", "id": "l1"},
             "guardians": [{"relation": "father", "id_number": id_number(sequence=sequence + 100)}]}
    classified = {"eligible": True, "tier": 1, "row": "T1", "catchment": "M-A", "reasons": []}
    session.add(Application(season_id=season.id, guardian_id=guardian.id, pupil_id_number=id_number(sequence=sequence),
                            district=district, state=state, serial=f"S-{sequence}",
                            ruleset_sha256=season.active_ruleset_sha256, frozen_facts=facts,
                            classification=classified if state == "approved" else None,
                            tier="1" if state == "approved" else None, submitted_at=at("2021-06-02T10:00:00")))


@pytest.fixture
def end_of_review(engine, season, calendar_rows, make_account, id_number):
    """A school, one approved (classified) application, and three nobody decided: two waiting in
    东湖区 (one returned for materials), one in 西湖区; the lottery committed, not revealed."""
    guardian = make_account("guardian-end")
    with write_session(engine) as session:
        session.add(School(season_id=season.id, code="M-A", name="豫章中学", stage="middle", district="东湖区",
                           capacity=5, x=0.0, y=0.0))
        for sequence, state, district in ((1, "approved", "东湖区"), (3, "submitted", "东湖区"),
                                          (5, "returned", "东湖区"), (7, "submitted", "西湖区")):
            _application(session, season, guardian, id_number, sequence, state, district)
        row = session.get(Season, season.id)
        row.lottery_commitment = commitment_of(SEED)
        session.add(row)
    return season


def test_allocation_refuses_while_submitted_applications_are_undecided(engine, end_of_review):
    reveal_seed(engine, end_of_review.year, SEED)
    with pytest.raises(UndecidedApplications) as refused:
        run_due(engine, FixedClock(at("2021-06-25T00:00:00")), runner="s1")
    assert refused.value.counts == {"东湖区": {"submitted": 1, "returned": 1}, "西湖区": {"submitted": 1}}
    assert "东湖区 已提交，待审核 1 份；东湖区 退回补充材料 1 份；西湖区 已提交，待审核 1 份" in refused.value.zh
    with read_session(engine) as session:
        assert session.exec(select(Application).where(Application.state == "allocated")).all() == []
        run = session.exec(select(JobRun).where(JobRun.job_id == ALLOCATION_START)).one()
    assert run.outcome == "failed" and run.detail_zh == refused.value.zh


def test_told_to_leave_them_out_the_allocation_runs_and_its_audit_event_says_what_was_left_out(engine, end_of_review):
    reveal_seed(engine, end_of_review.year, SEED)
    run_due(engine, FixedClock(at("2021-06-25T00:00:00")), runner="s1", leave_undecided=True)
    with read_session(engine) as session:
        states = {a.serial: a.state for a in session.exec(select(Application))}
        done = [e.data for e in session.exec(select(Event).where(Event.action == "phase_actions_done"))
                if e.data["job_id"] == ALLOCATION_START]
    assert states == {"S-1": "allocated", "S-3": "submitted", "S-5": "returned", "S-7": "submitted"}
    assert done[0]["actions"]["allocate_seats"]["left_undecided"] == {
        "东湖区": {"submitted": 1, "returned": 1}, "西湖区": {"submitted": 1}}


def test_a_failed_phase_action_is_failed_for_the_next_runner_at_once_with_its_reason_in_chinese(engine, end_of_review):
    """The first runner's failure gives up its lease: the second runner retries at once and fails
    too, rather than reading "waiting" for two minutes while the dashboard shows no failure."""
    clock = FixedClock(at("2021-06-25T00:00:00"))
    for runner in ("s1", "s2"):
        with pytest.raises(SeedNotRevealed):
            run_due(engine, clock, runner=runner, leave_undecided=True)
    with read_session(engine) as session:
        runs = session.exec(select(JobRun).where(JobRun.job_id == ALLOCATION_START).order_by(JobRun.id)).all()
        failed = failed_jobs(session, session.get(Season, end_of_review.id))
    assert [(r.runner, r.outcome) for r in runs] == [("s1", "failed"), ("s2", "failed")]
    assert [job["job_id"] for job in failed] == [ALLOCATION_START]
    reason = failed[0]["last_run"]["reason"]
    assert reason["zh"].startswith("2021年度随机派位种子尚未公开") and "reveal the committed lottery seed" in reason["en"]


def test_scheduler_once_says_why_a_job_failed_in_one_line(engine, end_of_review, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("XUEWEI_NOW", "2021-06-25T00:00:00+08:00")
    result = CliRunner().invoke(main, ["scheduler", "--once", "--leave-undecided"])
    assert result.exit_code == 1 and "Traceback" not in result.output  # the other lines are the JSON log
    assert result.output.strip().splitlines()[-1] == (
        "Error: 2021年度随机派位种子尚未公开，不能分配学位：请先运行 xuewei lottery reveal --season 2021 --seed … / "
        "season 2021: reveal the committed lottery seed first (xuewei lottery reveal --season 2021 --seed …)")


def test_xuewei_allocate_refuses_undecided_applications_naming_them_unless_told(engine, end_of_review, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("XUEWEI_NOW", "2021-06-25T00:00:00+08:00")
    refused = CliRunner().invoke(main, ["allocate", "--season", "2021", "--seed", SEED])
    assert refused.exit_code == 1 and "3 submitted application(s) are still undecided" in refused.output
    assert "东湖区 Returned for materials: 1" in refused.output
    allocated = CliRunner().invoke(main, ["allocate", "--season", "2021", "--seed", SEED, "--leave-undecided"])
    assert allocated.exit_code == 0, allocated.output
    assert "left out, undecided: 东湖区 submitted 1; 东湖区 returned 1; 西湖区 submitted 1" in allocated.output


def test_undecided_means_waiting_for_a_reviewer_or_the_guardian_not_a_decision_staff_may_reopen():
    """2021: "submitted" waits for a reviewer, "returned" for the guardian's materials; "approved"
    and "rejected" are decisions, although an administrator may take them back (`reopen`)."""
    import json

    from core.paths import ruleset_path
    from core.workflow import Workflow

    workflow = Workflow.from_spec(json.loads(ruleset_path(2021).read_text())["workflow"])
    assert undecided_states(workflow) == ("submitted", "returned")
