"""The `xuewei` console script. Each area adds its click group or command here."""
from __future__ import annotations

import sys

import click

from core.allocation.cli import allocate_command, lottery
from core.audit import verify_chain
from core.db import make_engine, read_session
from core.demo import demo
from core.imports_cli import import_command
from core.logs import configure_logging, log_level
from core.plugins_cli import plugins_command
from core.rules.cli import classify, ruleset
from core.schema import upgrade
from core.setup_cli import account, activate_command
from core.season.cli import scheduler, season

__all__ = ["main"]


@click.group()
@click.version_option(package_name="xuewei")
def main() -> None:
    """xuewei (学位): the admission season's workflow server."""
    configure_logging(log_level())


@main.group()
def db() -> None:
    """The database named by DATABASE_URL (default: SQLite in the instance folder)."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate every table to the newest revision."""
    engine = make_engine()
    upgrade(engine)
    click.echo(f"database at {engine.url.render_as_string(hide_password=True)} is up to date")


@main.group()
def audit() -> None:
    """The hash-chained audit trail."""


@audit.command("verify")
def audit_verify() -> None:
    """Walk the chain; exit 1 naming the first row that was altered or removed."""
    with read_session(make_engine()) as session:
        problem = verify_chain(session)
    if problem is not None:
        click.echo(f"audit chain broken at {problem}", err=True)
        sys.exit(1)
    click.echo("audit chain verifies")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, envvar="XUEWEI_HOST", show_envvar=True)
@click.option("--port", default=8000, show_default=True, type=int, envvar="XUEWEI_PORT", show_envvar=True)
@click.option("--workers", type=int, envvar="XUEWEI_WORKERS", show_envvar=True, show_default="2 per core",
              help="worker processes")
@click.option("--threads", type=int, envvar="XUEWEI_THREADS", show_envvar=True, show_default="2",
              help="threads per worker (gthread; 1: sync workers)")
@click.option("--preload/--no-preload", default=False, show_default=True, envvar="XUEWEI_PRELOAD", show_envvar=True,
              help="build the app once in the master before forking (database pools are reset after fork)")
@click.option("--timeout", default=30, show_default=True, type=int, envvar="XUEWEI_TIMEOUT", show_envvar=True,
              help="seconds before a silent worker is killed and replaced")
@click.option("--keepalive", default=5, show_default=True, type=int, envvar="XUEWEI_KEEPALIVE", show_envvar=True,
              help="seconds an idle keep-alive connection stays open")
@click.option("--proxy-hops", default=0, show_default=True, type=int, envvar="XUEWEI_PROXY_HOPS", show_envvar=True,
              help="trusted proxies in front (nginx, load balancer) whose X-Forwarded-* headers count")
@click.option("--max-requests", default=0, show_default=True, type=int, envvar="XUEWEI_MAX_REQUESTS", show_envvar=True,
              help="recycle a worker after this many requests (0: never)")
@click.option("--access-log/--no-access-log", default=True, show_default=True, envvar="XUEWEI_ACCESS_LOG",
              show_envvar=True)
def serve(**settings) -> None:
    """Serve the web app under gunicorn (the scheduler runs separately: `xuewei scheduler`)."""
    from web.server import run_gunicorn

    # An option left unset takes ServeOptions' default (workers: two per core).
    run_gunicorn(**{name: value for name, value in settings.items() if value is not None})


# Each area's commands, registered in one place.
for command in (demo, ruleset, classify, allocate_command, lottery, scheduler, season, plugins_command, import_command,
                account):
    main.add_command(command)
ruleset.add_command(activate_command)  # the one ruleset command that needs the database
