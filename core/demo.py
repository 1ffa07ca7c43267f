"""`xuewei demo`: an embedded database with the 2021 season and a login for each role.

Running it again keeps what is there: the ruleset is stored by content hash and accounts
that exist are left alone.
"""
from __future__ import annotations

import json
import os
import secrets

import click
from sqlmodel import select

from core.accounts import create_account
from core.db import make_engine, write_session
from core.models import Account
from core.paths import instance_dir, ruleset_path
from core.rulesets import activate_ruleset, ensure_season, store_ruleset
from core.schema import upgrade
from core.workflow import Actor

__all__ = ["demo", "DEMO_ACCOUNTS", "prepare_demo"]

DEMO_ACCOUNTS = (
    # username, password, role, district, what they see
    ("guardian", "guardian-2021", "guardian", None, "家长 guardian"),
    ("reviewer", "reviewer-2021", "reviewer", "东湖区", "东湖区审核员 district reviewer"),
    ("district-admin", "district-2021", "district_admin", "东湖区", "东湖区管理员 district admin"),
    ("city-admin", "cityadmin-2021", "city_admin", None, "市级管理员 city administrator"),
    ("operator", "operator-2021", "operator", None, "运维值班 operator"),
)


def _secret_key() -> str:
    """A per-instance session key, kept in the instance folder so every worker shares it."""
    path = instance_dir() / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def prepare_demo(year: int = 2021) -> None:
    """Migrate the database, activate the year's ruleset and create the demo accounts."""
    engine = make_engine()
    upgrade(engine)
    system = Actor.system("demo")
    with write_session(engine) as session:
        season = ensure_season(session, year, f"南昌市{year}年城区小升初")
        version = store_ruleset(session, season, json.loads(ruleset_path(year).read_text()), system)
        activate_ruleset(session, season, version.sha256, system)
        for username, password, role, district, _ in DEMO_ACCOUNTS:
            if not _exists(session, username):
                create_account(session, username=username, password=password, role=role, district=district, by=system)
    engine.dispose()


def _exists(session, username: str) -> bool:
    return session.exec(select(Account).where(Account.username == username)).first() is not None


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def demo(host: str, port: int) -> None:
    """Set up the demo season on the embedded database and serve it."""
    os.environ.setdefault("XUEWEI_SECRET_KEY", _secret_key())
    prepare_demo()
    click.echo(f"\nxuewei demo: http://{host}:{port}/\n\n演示账号 Demo logins:")
    for username, password, _role, _district, who in DEMO_ACCOUNTS:
        click.echo(f"  {who:<34} {username:<16} {password}")
    click.echo("")
    from web.server import run_gunicorn

    run_gunicorn(host=host, port=port, workers=2, threads=4)
