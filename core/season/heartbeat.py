"""The scheduler's heartbeat: one row per host it runs on, rewritten every few seconds.

Between deadlines the scheduler otherwise writes nothing, so a dead process would go unseen
until a phase failed to open or close. A beat is one small write transaction (an UPDATE of the
host's row, an INSERT the first time) every `HEARTBEAT_SECONDS`: on SQLite's single writer that
is about a millisecond of the lock every ten seconds. Beats come from a thread of their own, so
a long phase action (allocating a city's seats) never makes a live scheduler look dead.
Whether a beat is stale is judged by the wall clock: a fixed or accelerated season clock says
nothing about whether a process is alive.
"""
from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.clock import Clock
from core.connectors.threads import HELD_SIGNALS
from core.db import write_session
from core.models import Season
from core.season.models import BoundaryState, SchedulerHeartbeat, SeasonBoundary
from core.types import utcnow

__all__ = ["HEARTBEAT_SECONDS", "Heartbeat", "record_heartbeat", "latest_heartbeat", "heartbeat_status",
           "stale_after"]

log = logging.getLogger("xuewei.scheduler")
HEARTBEAT_SECONDS = 10.0  # `xuewei scheduler --heartbeat-seconds`, XUEWEI_HEARTBEAT_SECONDS
STALE_BEATS = 3  # beats missed in a row before the dashboard warns
STALE_FLOOR = timedelta(seconds=30)  # never sooner: a busy database may delay one beat


def stale_after(interval_seconds: float) -> timedelta:
    """How old a beat written every `interval_seconds` may be before its process counts as gone."""
    return max(timedelta(seconds=interval_seconds * STALE_BEATS), STALE_FLOOR)


def record_heartbeat(engine: Engine, clock: Clock, *, started_at: datetime, interval_seconds: float,
                     host: str | None = None, pid: int | None = None) -> None:
    """Write this process's beat: when (wall clock), who, and the next deadline it will fire."""
    with write_session(engine) as session:
        following = session.exec(select(SeasonBoundary).where(SeasonBoundary.state != BoundaryState.done.value)
                                 .order_by(SeasonBoundary.due_at, SeasonBoundary.seq).limit(1)).first()
        values = dict(pid=os.getpid() if pid is None else pid, started_at=started_at, seen_at=utcnow(),
                      interval_seconds=interval_seconds, season_time=clock.now(),
                      next_job_id=following.job_id if following else None,
                      next_due_at=following.due_at if following else None)
        host = host or socket.gethostname()
        if session.execute(update(SchedulerHeartbeat).where(SchedulerHeartbeat.host == host)
                           .values(**values)).rowcount == 0:
            session.add(SchedulerHeartbeat(host=host, **values))


def latest_heartbeat(session: Session) -> SchedulerHeartbeat | None:
    """The newest beat of any host (after a failover to another host, the new one's)."""
    return session.exec(select(SchedulerHeartbeat).order_by(SchedulerHeartbeat.seen_at.desc()).limit(1)).first()


def _running(session: Session, season: Season | None) -> bool:
    """A season is running while one of its deadlines is still to be fired: only then must a scheduler be alive."""
    if season is None:
        return False
    return session.exec(select(SeasonBoundary.id).where(SeasonBoundary.season_id == season.id,
                                                        SeasonBoundary.state != BoundaryState.done.value)
                        .limit(1)).first() is not None


def heartbeat_status(session: Session, season: Season | None, *, wall_now: datetime | None = None) -> dict[str, Any]:
    """The scheduler as the dashboard, the metrics and `xuewei season status` show it: when it was
    last seen, by which host and process, what it will fire next, and a warning (zh + en) when it
    is stale, or was never seen, while `season` still has a deadline to fire."""
    wall_now = wall_now or utcnow()
    beat = latest_heartbeat(session)
    running = _running(session, season)
    status: dict[str, Any] = {"seen": beat is not None, "running_season": running, "stale": False, "warning": None}
    if beat is not None:
        age = wall_now - beat.seen_at
        status.update(host=beat.host, pid=beat.pid, started_at=beat.started_at.isoformat(),
                      seen_at=beat.seen_at.isoformat(), age_seconds=round(age.total_seconds(), 1),
                      interval_seconds=beat.interval_seconds, season_time=beat.season_time.isoformat(),
                      next_job_id=beat.next_job_id, next_due_at=beat.next_due_at.isoformat() if beat.next_due_at else None,
                      stale=age > stale_after(beat.interval_seconds))
    if running and beat is None:
        status["warning"] = {"zh": "从未收到调度进程（xuewei scheduler）的心跳：阶段和区县窗口不会按时开启或结束，请启动调度服务。",
                             "en": "The scheduler (xuewei scheduler) has never reported: phases and district windows "
                                   "will not open or close on time. Start the scheduler service."}
    elif running and status["stale"]:
        minutes = int(status["age_seconds"] // 60)
        status["warning"] = {
            "zh": f"调度进程已 {minutes} 分钟未上报心跳（最后一次来自 {beat.host}，进程 {beat.pid}）："
                  "阶段和区县窗口可能无法按时开启或结束，请检查调度服务（xuewei-scheduler）。",
            "en": f"The scheduler has not reported for {minutes} min (last from {beat.host}, pid {beat.pid}): phases "
                  "and district windows may not open or close on time. Check the xuewei-scheduler service."}
    return status


class Heartbeat:
    """Beats every `interval_seconds` on a daemon thread until `stop()`; a failed beat is logged
    in one line and the next one tried (the database may be restarting)."""

    def __init__(self, engine: Engine, clock: Clock, interval_seconds: float = HEARTBEAT_SECONDS):
        self.engine, self.clock, self.interval_seconds = engine, clock, interval_seconds
        self.started_at = utcnow()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scheduler-heartbeat", daemon=True)

    def beat(self) -> None:
        """One beat now; never raises."""
        try:
            record_heartbeat(self.engine, self.clock, started_at=self.started_at, interval_seconds=self.interval_seconds)
        except Exception as error:  # the scheduler goes on; the missing beats are the alarm
            log.warning("scheduler heartbeat not recorded (%s)", type(error).__name__)

    def _run(self) -> None:
        while not self._stopped.wait(self.interval_seconds):
            self.beat()

    def start(self) -> None:
        """Beat now, then every interval; the thread never takes the stop signals meant for the main thread."""
        self.beat()
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, HELD_SIGNALS)  # the new thread inherits the mask
        try:
            self._thread.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)

    def stop(self) -> None:
        """No more beats (the row stays: a stopped scheduler is as stale as a dead one)."""
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join()
