"""One scheduler process, but whatever happens to it each transition is done exactly once."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from importlib import metadata

import pytest
from sqlmodel import select

import core.plugins
from core.applications import start_application
from core.clock import AcceleratedClock
from core.db import read_session, write_session
from core.models import Application, Event
from core.season.models import JobRun, SeasonBoundary
from core.season.scheduler import SWEEP_ID, serve_scheduler
from tests.season.conftest import at

pytestmark = pytest.mark.slow
WAIT = 240  # seconds a subprocess may take to start on a loaded machine; a bound, not a timing assertion


def _url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _scheduler(engine, now: str, *args: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": _url(engine), "XUEWEI_NOW": now}
    for name in ("XUEWEI_CLOCK_START", "XUEWEI_CLOCK_SPEED", "XUEWEI_CLOCK_EPOCH"):
        env.pop(name, None)
    return subprocess.Popen([sys.executable, "-m", "core", "scheduler", *args], env=env, text=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_for_line(process: subprocess.Popen, prefix: str) -> str:
    """The scheduler's log line whose message starts with `prefix`; every line before it is JSON."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if line and json.loads(line)["msg"].startswith(prefix):
            return line
        if not line and process.poll() is not None:
            break
    raise AssertionError(f"the scheduler never logged {prefix!r}")


def _boundary(engine, job_id: str) -> SeasonBoundary:
    with read_session(engine) as session:
        return session.exec(select(SeasonBoundary).where(SeasonBoundary.job_id == job_id)).one()


def _season_events(engine) -> Counter:
    with read_session(engine) as session:
        events = session.exec(select(Event).where(Event.subject_type == "season")).all()
    return Counter((e.action, e.to_state) for e in events)


def _drafts(engine, season, make_account, id_number, count: int) -> None:
    guardian = make_account("many-children")
    with write_session(engine) as session:
        for sequence in range(1, count + 1):
            start_application(session, season=season, guardian=guardian, pupil_id_number=id_number(sequence=sequence),
                              pupil_name="王五", district="东湖区", now=at("2021-06-01T10:00:00"))


def test_the_scheduler_loads_the_plugins_at_start_up_so_a_broken_one_is_logged_before_any_job(
        engine, monkeypatch, caplog):
    monkeypatch.setattr(core.plugins, "_entry_points",
                        lambda: [metadata.EntryPoint("broken_vendor", "no_such_vendor_module", "xuewei")])
    core.plugins.get_plugin_manager.cache_clear()
    try:
        serve_scheduler(_url(engine), once=True)
    finally:
        core.plugins.get_plugin_manager.cache_clear()
    assert any(r.getMessage().startswith("plugin broken_vendor failed to load") for r in caplog.records)


def test_two_schedulers_on_one_database_do_each_transition_once(engine, season, make_account, id_number):
    _drafts(engine, season, make_account, id_number, 230)
    first, second = (_scheduler(engine, "2021-06-21T12:00:00+08:00", "--once") for _ in range(2))
    assert first.wait(WAIT) == 0 and second.wait(WAIT) == 0
    with read_session(engine) as session:
        runs = session.exec(select(JobRun)).all()
        closes = session.exec(select(Event).where(Event.action == "close_unsubmitted")).all()
        states = Counter(a.state for a in session.exec(select(Application)))
    fired = Counter(r.job_id for r in runs if r.outcome == "fired")
    assert len(fired) == 9 and set(fired.values()) == {1}  # 3 phase starts, 2 ends, 4 windows
    assert all(count == 1 for count in _season_events(engine).values())
    assert len(closes) == 230 and len({e.subject_id for e in closes}) == 230
    assert states == {"not_submitted": 230}


def test_scheduler_killed_before_the_deadline_closes_collection_once_after_restart(engine, season):
    before = _scheduler(engine, "2021-06-16T16:59:00+08:00", "--sweep-seconds", "1")
    _wait_for_line(before, "scheduler ready")
    assert _boundary(engine, "season-2021-collection-end").state == "pending"
    before.send_signal(signal.SIGKILL)
    before.wait(WAIT)
    assert _boundary(engine, "season-2021-collection-end").state == "pending"

    after = _scheduler(engine, "2021-06-17T09:00:00+08:00", "--sweep-seconds", "1")
    _wait_for_line(after, "scheduler ready")  # overdue boundaries run before it is ready
    after.send_signal(signal.SIGTERM)
    assert after.wait(WAIT) == 0
    again = _scheduler(engine, "2021-06-17T09:00:00+08:00", "--once")
    assert again.wait(WAIT) == 0

    assert _boundary(engine, "season-2021-collection-end").state == "done"
    events = _season_events(engine)
    assert events[("phase_closed", "collection_closed")] == 1 and events[("phase_opened", "verification")] == 1
    with read_session(engine) as session:
        outcomes = [r.outcome for r in session.exec(select(JobRun).where(
            JobRun.job_id == "season-2021-collection-end").order_by(JobRun.id))]
    assert outcomes == ["fired"]


def test_deadline_job_fires_on_time_in_accelerated_season_time(engine, season, calendar_rows):
    clock = AcceleratedClock(at("2021-06-16T16:58:00"), speed=10)  # the 17:00 deadline is 12 wall seconds away
    seen: dict = {}

    def ready(scheduler):
        seen["scheduler"] = scheduler
        seen["pending_at_start"] = _boundary(engine, "season-2021-collection-end").state == "pending"
        job = scheduler.get_job("season-2021-collection-end")
        seen["job"] = (job.misfire_grace_time, job.coalesce, scheduler.get_job(SWEEP_ID) is not None)

    thread = threading.Thread(target=serve_scheduler, args=(_url(engine),), daemon=True,
                              kwargs=dict(clock=clock, sweep_seconds=3600, on_ready=ready))
    thread.start()
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline and _boundary(engine, "season-2021-collection-end").state != "done":
        time.sleep(0.5)
    seen["scheduler"].shutdown(wait=True)
    thread.join(WAIT)
    assert seen["pending_at_start"] and seen["job"] == (None, True, True)
    closed = _boundary(engine, "season-2021-collection-end")
    assert closed.state == "done" and closed.fired_at >= at("2021-06-16T17:00:00")


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_stop_signal_waits_for_the_scheduler_instead_of_interrupting_it(engine, season, stop):
    """A handler would run between any two bytecodes of the main thread and could wait forever on
    a lock the interrupted APScheduler code holds; so the signal stays blocked until sigwait.
    A connector thread left waiting by an earlier fetch must not take the signal instead."""
    from core.connectors.threads import DaemonThreads

    DaemonThreads("lingering", idle_seconds=30).submit(lambda: None).result(5)  # idles on, as after a fetch
    before = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    seen: dict = {}

    def ready(scheduler):
        seen["blocked"] = {signal.SIGTERM, signal.SIGINT} <= signal.pthread_sigmask(signal.SIG_BLOCK, [])
        seen["scheduler"] = scheduler
        os.kill(os.getpid(), stop)  # held pending; without the mask this would kill or interrupt pytest

    serve_scheduler(_url(engine), clock=AcceleratedClock(at("2021-06-16T16:58:00"), speed=1),
                    sweep_seconds=0.01, on_ready=ready)
    assert seen["blocked"] and not seen["scheduler"].running
    assert signal.pthread_sigmask(signal.SIG_BLOCK, []) == before
