"""The scheduler says it is alive: a heartbeat row while it runs, a warning once it stops beating."""
from __future__ import annotations

import os
import socket
import threading
import time
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlmodel import select

from core.cli import main
from core.clock import AcceleratedClock, FixedClock
from core.db import read_session, write_session
from core.season.heartbeat import heartbeat_status, record_heartbeat
from core.season.models import SchedulerHeartbeat
from core.season.scheduler import serve_scheduler
from core.types import utcnow
from tests.season.conftest import at

WAIT = 240  # seconds a loaded machine may take; a bound, not a timing assertion


def _url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _beats(engine) -> list[SchedulerHeartbeat]:
    with read_session(engine) as session:
        return list(session.exec(select(SchedulerHeartbeat)))


@pytest.mark.slow
def test_a_running_scheduler_beats_until_it_stops_then_the_dashboard_warns(engine, season):
    seen: dict = {}
    thread = threading.Thread(target=serve_scheduler, args=(_url(engine),), daemon=True, kwargs=dict(
        clock=AcceleratedClock(at("2021-06-02T09:00:00"), speed=1), sweep_seconds=3600, heartbeat_seconds=0.2,
        on_ready=lambda scheduler: seen.update(scheduler=scheduler, ready_at=utcnow())))
    thread.start()
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:  # beats go on after the catch-up, into the same row
        beats = _beats(engine)
        if beats and "ready_at" in seen and beats[0].seen_at > seen["ready_at"]:
            break
        time.sleep(0.05)
    seen["scheduler"].shutdown(wait=True)
    thread.join(WAIT)
    assert not thread.is_alive()

    [beat] = _beats(engine)  # one row per host, however many beats
    assert beat.seen_at > seen["ready_at"] > beat.started_at
    assert (beat.host, beat.pid, beat.interval_seconds) == (socket.gethostname(), os.getpid(), 0.2)
    assert beat.next_job_id == "season-2021-window-W4" and beat.next_due_at == at("2021-06-02T14:00:00")
    assert at("2021-06-02T09:00:00") <= beat.season_time < at("2021-06-02T10:00:00")

    with read_session(engine) as session:
        fresh = heartbeat_status(session, season, wall_now=beat.seen_at + timedelta(seconds=5))
        gone = heartbeat_status(session, season, wall_now=beat.seen_at + timedelta(minutes=4))
    assert (fresh["stale"], fresh["warning"], fresh["next_job_id"]) == (False, None, "season-2021-window-W4")
    assert gone["stale"] and gone["age_seconds"] == 240.0
    assert gone["warning"]["zh"].startswith("调度进程已 4 分钟未上报心跳") and socket.gethostname() in gone["warning"]["zh"]


def test_stale_is_three_missed_beats_and_never_under_half_a_minute(engine, season, calendar_rows):
    wall = FixedClock(at("2026-11-29T12:00:00"))
    record_heartbeat(engine, FixedClock(at("2021-06-02T09:00:00")), started_at=wall.now(), interval_seconds=20,
                     host="sched-a", pid=4242)
    with write_session(engine) as session:  # as the row stands once written at the wall clock's time
        session.get(SchedulerHeartbeat, "sched-a").seen_at = wall.now()
    states = []
    for seconds in (30, 60, 61):
        wall.set(at("2026-11-29T12:00:00") + timedelta(seconds=seconds))
        with read_session(engine) as session:
            states.append(heartbeat_status(session, season, wall_now=wall.now())["stale"])
    assert states == [False, False, True]  # 3 × 20 s
    record_heartbeat(engine, wall, started_at=wall.now(), interval_seconds=1, host="sched-a", pid=4242)
    with write_session(engine) as session:
        session.get(SchedulerHeartbeat, "sched-a").seen_at = wall.now()
    wall.advance(timedelta(seconds=20))
    with read_session(engine) as session:
        assert not heartbeat_status(session, season, wall_now=wall.now())["stale"]  # 3 × 1 s, but at least 30 s


def test_no_warning_once_every_deadline_is_done_but_one_while_the_season_runs_unseen(engine, season, calendar_rows):
    with read_session(engine) as session:
        unseen = heartbeat_status(session, season)
    assert not unseen["seen"] and unseen["running_season"]
    assert unseen["warning"]["zh"].startswith("从未收到调度进程")
    with write_session(engine) as session:
        for row in calendar_rows:
            row.state = "done"
            session.add(row)
    with read_session(engine) as session:
        over = heartbeat_status(session, season)
    assert not over["running_season"] and over["warning"] is None


def test_season_status_prints_when_the_scheduler_was_last_seen(engine, season, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", _url(engine))
    monkeypatch.setenv("XUEWEI_NOW", "2021-06-02T09:00:00+08:00")
    runner = CliRunner()
    assert runner.invoke(main, ["scheduler", "--once", "--heartbeat-seconds", "60"]).exit_code == 0
    result = runner.invoke(main, ["season", "status"])
    assert result.exit_code == 0, result.output
    assert f"on {socket.gethostname()} pid {os.getpid()}, beats every 60s; next season-2021-window-W4" in result.output
    assert "WARNING" not in result.output
    with write_session(engine) as session:
        beat = session.exec(select(SchedulerHeartbeat)).one()
        beat.seen_at -= timedelta(minutes=10)
    stale = runner.invoke(main, ["season", "status"])
    assert "警告 调度进程已 10 分钟未上报心跳" in stale.output and "WARNING The scheduler has not reported" in stale.output
