"""`xuewei scheduler`: the one process that fires the season's deadlines (APScheduler 3.11).

Never started inside the web app (PITFALLS.md: one scheduler per gunicorn worker fires every
job N times). The deadlines themselves are `SeasonBoundary` rows, so APScheduler keeps only an
in-memory schedule rebuilt on every start: one date job per pending boundary (module-level
callable, fixed id, `replace_existing=True`, `misfire_grace_time=None` so a missed deadline
runs however late, `coalesce=True`) plus a sweep. Every job runs the same idempotent
`run_due()`, and on start the process first runs every boundary already overdue, so a
duplicate job, a second scheduler or a restart after `kill -9` changes nothing that happened.
From start to stop it also writes a heartbeat (core.season.heartbeat), so a dead scheduler shows
on the operators' dashboard and in the metrics before a phase fails to open.
"""
from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import timezone

from apscheduler.events import EVENT_SCHEDULER_SHUTDOWN
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import Engine
from sqlmodel import select

from core.clock import Clock, clock_from_env
from core.db import get_engine, read_session, write_session
from core.models import Season
from core.plugins import get_plugin_manager
from core.season.boundaries import Step, materialise, run_due, runner_name
from core.season.heartbeat import HEARTBEAT_SECONDS, Heartbeat
from core.season.models import BoundaryState, SeasonBoundary

__all__ = ["run_due_job", "prepare_seasons", "build_scheduler", "serve_scheduler", "SWEEP_ID"]

log = logging.getLogger("xuewei.scheduler")
SWEEP_ID = "season-sweep"
_PROCESS: dict[str, Clock] = {}  # the clock this scheduler process runs on, set by serve_scheduler
STOP_SIGNALS = frozenset({signal.SIGTERM, signal.SIGINT})


def _clock() -> Clock:
    return _PROCESS.setdefault("clock", clock_from_env())


def _log_step(step: Step) -> None:
    log.info("season job %s: %s%s", step.job_id, step.outcome, f" {step.detail}" if step.detail else "")


def run_due_job(database_url: str, leave_undecided: bool = False) -> None:
    """The scheduler's job (module level, picklable arguments): fire whatever boundaries are due."""
    run_due(get_engine(database_url), _clock(), runner=runner_name(), on_step=_log_step,
            leave_undecided=leave_undecided)


def prepare_seasons(engine: Engine) -> int:
    """Materialise the calendar of every season with an active ruleset; returns how many."""
    with read_session(engine) as session:
        seasons = session.exec(select(Season).where(Season.active_ruleset_sha256.is_not(None))).all()
    for season in seasons:
        with write_session(engine) as session:
            materialise(session, season)
    return len(seasons)


def build_scheduler(engine: Engine, clock: Clock, database_url: str, *, sweep_seconds: float = 60,
                    leave_undecided: bool = False) -> BackgroundScheduler:
    """A BackgroundScheduler with one date job per pending boundary and a sweep, all firing `run_due_job`."""
    args = [database_url, leave_undecided]
    scheduler = BackgroundScheduler(timezone=timezone.utc, executors={"default": ThreadPoolExecutor(1)},
                                  job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1})
    with read_session(engine) as session:
        pending = session.exec(select(SeasonBoundary).where(SeasonBoundary.state != BoundaryState.done.value)
                               .order_by(SeasonBoundary.season_id, SeasonBoundary.seq)).all()
    for boundary in pending:
        wall = clock.wall_time(boundary.due_at)
        if wall is None:  # a fixed clock never reaches a deadline by itself; the sweep still looks
            continue
        scheduler.add_job(run_due_job, DateTrigger(run_date=wall), args=args, id=boundary.job_id,
                          name=boundary.job_id, replace_existing=True, misfire_grace_time=None, coalesce=True)
    scheduler.add_job(run_due_job, IntervalTrigger(seconds=sweep_seconds), args=args, id=SWEEP_ID,
                      name=SWEEP_ID, replace_existing=True, misfire_grace_time=None, coalesce=True)
    return scheduler


def serve_scheduler(database_url: str, *, clock: Clock | None = None, sweep_seconds: float = 60, once: bool = False,
                    heartbeat_seconds: float = HEARTBEAT_SECONDS, leave_undecided: bool = False,
                    on_ready: Callable[[BackgroundScheduler], None] | None = None) -> list[Step]:
    """Catch up on every overdue boundary, then (unless `once`) wait for the next ones until stopped,
    with a heartbeat every `heartbeat_seconds` from start to stop (`once`: one beat, at the end).
    `leave_undecided`: the allocation may run although submitted applications are undecided.
    Everything it has to say is logged (JSON lines under `configure_logging`), nothing printed."""
    _PROCESS["clock"] = clock or clock_from_env()
    get_plugin_manager()  # a plugin that fails to load is logged now, not at the first job asking a hook
    engine = get_engine(database_url)
    prepare_seasons(engine)
    heartbeat = Heartbeat(engine, _clock(), heartbeat_seconds)
    if once:
        try:
            return run_due(engine, _clock(), runner=runner_name(), on_step=_log_step, leave_undecided=leave_undecided)
        finally:
            heartbeat.beat()
    heartbeat.start()  # before the catch-up, which may run a long phase action
    try:
        steps = run_due(engine, _clock(), runner=runner_name(), on_step=_log_step, leave_undecided=leave_undecided)
        _serve(engine, database_url, sweep_seconds, heartbeat_seconds, leave_undecided, on_ready)
    finally:
        heartbeat.stop()
    return steps


def _serve(engine: Engine, database_url: str, sweep_seconds: float, heartbeat_seconds: float, leave_undecided: bool,
           on_ready: Callable[[BackgroundScheduler], None] | None) -> None:
    """Run the deadline jobs and the sweep until a stop signal (or, off the main thread, a shutdown)."""
    in_main_thread = threading.current_thread() is threading.main_thread()
    if in_main_thread:
        # Stop signals are blocked before any scheduler thread exists (threads inherit the mask)
        # and taken with sigwait below, never by a handler: a handler runs between any two
        # bytecodes of the main thread, and one that calls into APScheduler can wait forever on a
        # lock the interrupted code holds (an Event's condition, the pool's shutdown lock).
        previous_mask = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    scheduler = build_scheduler(engine, _clock(), database_url, sweep_seconds=sweep_seconds,
                                leave_undecided=leave_undecided)
    stopped = threading.Event()
    scheduler.add_listener(lambda _event: stopped.set(), EVENT_SCHEDULER_SHUTDOWN)
    scheduler.start()
    log.info("scheduler ready: %d deadline job(s), sweep every %gs, heartbeat every %gs",
             len(scheduler.get_jobs()) - 1, sweep_seconds, heartbeat_seconds)
    if on_ready is not None:
        on_ready(scheduler)
    if in_main_thread:
        try:
            received = signal.sigwait(STOP_SIGNALS)
            log.info("scheduler stopping on %s; a running job is finished first", signal.Signals(received).name)
            scheduler.shutdown(wait=True)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous_mask)
    stopped.wait()
