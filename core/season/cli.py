"""`xuewei scheduler` and `xuewei season status|replay`: the season clock from the command line."""
from __future__ import annotations

from datetime import datetime

import click
from sqlmodel import select

from core.clock import SHANGHAI, clock_from_env
from core.config import database_url
from core.db import make_engine, read_session, write_session
from core.errors import UserFacingError
from core.models import Season
from core.portal import current_season
from core.season.boundaries import materialise
from core.season.heartbeat import HEARTBEAT_SECONDS, heartbeat_status
from core.season.models import JobRun, SeasonBoundary, SeasonPhase, SeasonWindow

__all__ = ["scheduler", "season"]


@click.command()
@click.option("--once", is_flag=True, help="run every overdue boundary, then exit (cron-style)")
@click.option("--sweep-seconds", default=60.0, show_default=True, type=float,
              help="how often to look for due boundaries besides the per-deadline jobs")
@click.option("--heartbeat-seconds", default=HEARTBEAT_SECONDS, show_default=True, type=click.FloatRange(min=1),
              envvar="XUEWEI_HEARTBEAT_SECONDS", show_envvar=True,
              help="how often to record that this scheduler is alive (with --once: the cron interval)")
@click.option("--leave-undecided", is_flag=True,
              help="let the allocation run although submitted applications are still undecided (they get no seat; "
                   "the allocation's audit event records how many, per district and state)")
def scheduler(once: bool, sweep_seconds: float, heartbeat_seconds: float, leave_undecided: bool) -> None:
    """Fire the season's phase and window deadlines (run exactly one of these, never in the web workers).

    It logs JSON lines on stderr, APScheduler's own among them, and prints nothing, except the
    one-line reason (Chinese, then English) when a job fails with a known error: exit 1."""
    from core.season.scheduler import serve_scheduler

    try:
        serve_scheduler(database_url(), sweep_seconds=sweep_seconds, once=once, heartbeat_seconds=heartbeat_seconds,
                        leave_undecided=leave_undecided)
    except UserFacingError as error:  # recorded as the job's failed run too, for the dashboard
        raise click.ClickException(f"{error.zh} / {error.en}") from error


@click.group()
def season() -> None:
    """The season clock: phases, district windows, scheduler jobs, replay."""


def _local(instant) -> str:
    return instant.astimezone(SHANGHAI).strftime("%m-%d %H:%M") if instant else "-"


def _active_season(session) -> Season:
    found = current_season(session)
    if found is None:
        raise click.ClickException("no season with an active ruleset: activate one (`xuewei ruleset activate FILE`) "
                                   "or run `xuewei demo`")
    return found


@season.command("status")
@click.option("--runs", default=10, show_default=True, help="how many of the latest job runs to show")
def season_status(runs: int) -> None:
    """Print the phases, windows, what is due next and what ran (times in Beijing time)."""
    engine = make_engine()
    now = clock_from_env().now()
    with write_session(engine) as session:
        current = _active_season(session)
        materialise(session, current)
    with read_session(engine) as session:
        phases = session.exec(select(SeasonPhase).where(SeasonPhase.season_id == current.id)
                              .order_by(SeasonPhase.position)).all()
        windows = session.exec(select(SeasonWindow).where(SeasonWindow.season_id == current.id)
                               .order_by(SeasonWindow.opens_at)).all()
        due = session.exec(select(SeasonBoundary).where(SeasonBoundary.season_id == current.id,
                                                        SeasonBoundary.state != "done")
                           .order_by(SeasonBoundary.seq)).all()
        ran = session.exec(select(JobRun).where(JobRun.season_id == current.id)
                           .order_by(JobRun.id.desc()).limit(runs)).all()
        beat = heartbeat_status(session, current)
    click.echo(f"season {current.year} ({current.name}) — phase {current.phase}; now {_local(now)} (Asia/Shanghai)")
    click.echo("phases:")
    for p in phases:
        mark = "*" if p.starts_at <= now < p.ends_at else " "
        click.echo(f" {mark} {p.phase_id:<15} {_local(p.starts_at)} → {_local(p.ends_at)}  {p.state:<8} {p.clause} {p.label_zh}")
    click.echo("windows:")
    for w in windows:
        who = "、".join([*w.districts, *w.groups])
        mark = "*" if w.opens_at <= now < w.closes_at else " "
        click.echo(f" {mark} {w.window_id:<15} opens {_local(w.opens_at)}  {w.state:<8} {who}")
    click.echo("due next:" if due else "due next: nothing, every boundary is done")
    for b in due[:5]:
        late = "  OVERDUE" if b.due_at <= now else ""
        actions = f" [{', '.join(b.actions)}]" if b.actions else ""
        click.echo(f"   {_local(b.due_at)}  {b.job_id}  {b.state}{actions}{late}")
    _echo_heartbeat(beat)
    click.echo("ran:" if ran else "ran: nothing yet")
    for r in ran:
        click.echo(f"   {r.started_at:%Y-%m-%d %H:%M:%S}Z  {r.job_id:<36} {r.outcome:<13} {r.runner}")


def _echo_heartbeat(beat: dict) -> None:
    """The scheduler's last heartbeat (wall clock), and the dashboard's warning when it is stale."""
    if beat["seen"]:
        seen = datetime.fromisoformat(beat["seen_at"]).astimezone(SHANGHAI)
        click.echo(f"scheduler: last seen {seen:%m-%d %H:%M:%S} "
                   f"({beat['age_seconds']:g}s ago) on {beat['host']} pid {beat['pid']}, beats every "
                   f"{beat['interval_seconds']:g}s; next {beat['next_job_id'] or 'nothing'}")
    else:
        click.echo("scheduler: never seen")
    if beat["warning"]:
        click.echo(f"   警告 {beat['warning']['zh']}\n   WARNING {beat['warning']['en']}")


@season.command("replay")
@click.option("--population", default=5000, show_default=True, type=click.IntRange(1, 200_000),
              help="pupils in the sandbox city")
@click.option("--seed", default=1, show_default=True, type=int, help="the sandbox city's seed (same seed, same season)")
@click.option("--year", default=2021, show_default=True, type=int)
def season_replay(population: int, seed: int, year: int) -> None:
    """Run a whole season on the sandbox city in accelerated time; print the phase log and a summary."""
    from core.schema import upgrade
    from core.season.replay import ReplayError, replay_season

    engine = make_engine()
    upgrade(engine)
    try:
        report = replay_season(engine, population, seed, year=year, echo=click.echo)
    except ReplayError as exc:
        raise click.ClickException(str(exc)) from exc
    summary = report.summary
    states = sorted({state for counts in summary["submissions"].values() for state in counts})
    click.echo("\nsubmissions per district and state:")
    click.echo(f"  {'district':<10}" + "".join(f"{s:>15}" for s in states) + f"{'total':>8}")
    for district, counts in summary["submissions"].items():
        click.echo(f"  {district:<10}" + "".join(f"{counts.get(s, 0):>15}" for s in states)
                   + f"{sum(counts.values()):>8}")
    click.echo("tiers: " + ", ".join(f"{tier}: {n}" for tier, n in summary["tiers"].items()))
    click.echo(f"seats filled: {summary['seats']['filled']} ("
               + ", ".join(f"{how} {n}" for how, n in summary["seats"]["by_how"].items()) + ")")
    turned = sum(report.tallies["refused_early"].values())
    click.echo(f"guardians turned away before their window: {turned}; replay took {report.seconds:.1f}s")
