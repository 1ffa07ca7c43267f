"""`xuewei demo`: the embedded database with a 2021 season in progress and a login per role.

The season is the replay of a sandbox city (`core.season.replay`) stopped in the middle of
collection, so every page has something to show: districts whose windows opened, drafts,
submissions with serial numbers, reviews. The served clock stands at that moment and the
sandbox plugin answers from the same city, so a new guardian can register one of its pupils.
Running it again keeps the database as it is.
"""
from __future__ import annotations

import os
import secrets
from datetime import datetime

import click
from sqlmodel import select
from werkzeug.security import generate_password_hash

from core.accounts import create_account
from core.audit import append_event
from core.clock import parse_instant
from core.db import make_engine, read_session, write_session
from core.models import Account, Application
from core.paths import instance_dir
from core.schema import upgrade
from core.season.replay import replay_lottery_seed, replay_season
from core.workflow import Actor

__all__ = ["demo", "DEMO_ACCOUNTS", "prepare_demo", "signup_examples", "lottery_instructions", "DEMO_NOW"]

DEMO_SEED, DEMO_POPULATION = 2021, 1500
DEMO_NOW = "2021-06-08T15:00:00+08:00"  # a week into collection: every district's window is open

DEMO_ACCOUNTS = (
    # username, password, role, district, who
    ("reviewer", "reviewer-2021", "reviewer", "东湖区", "东湖区审核员 district reviewer"),
    ("district-admin", "district-2021", "district_admin", "东湖区", "东湖区管理员 district admin"),
    ("city-admin", "cityadmin-2021", "city_admin", None, "市级管理员 city administrator"),
    ("operator", "operator-2021", "operator", None, "运维值班 operator"),
)
DEMO_GUARDIAN = ("guardian", "guardian-2021", "家长（已提交一份申请） guardian")


def _secret_key() -> str:
    """A per-instance session key, kept in the instance folder so every worker shares it."""
    path = instance_dir() / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _claim_demo_guardian(session, at: datetime) -> None:
    """Give one replayed family that submitted in 东湖区 the demo guardian's login."""
    if session.exec(select(Account).where(Account.username == DEMO_GUARDIAN[0])).first() is not None:
        return
    application = session.exec(select(Application).where(
        Application.district == "东湖区", Application.serial.is_not(None)).order_by(Application.id)).first()
    account = session.get(Account, application.guardian_id)
    account.username, account.password_hash = DEMO_GUARDIAN[0], generate_password_hash(DEMO_GUARDIAN[1])
    session.add(account)
    append_event(session, actor="demo", actor_role="system", subject_type="account", subject_id=account.id,
                 action="demo_login_assigned", data={"application": application.id}, at=at)


def prepare_demo(echo=click.echo) -> None:
    """Migrate, replay the season up to the demo moment (once), and create the demo logins,
    stamped with that moment, where the replay stopped and the served clock stands: the audit
    trail then reads in order of time."""
    engine = make_engine()
    upgrade(engine)
    moment = parse_instant(DEMO_NOW)
    with read_session(engine) as session:
        replayed = session.exec(select(Application.id)).first() is not None
    if not replayed:
        echo(f"replaying the 2021 season on a sandbox city of {DEMO_POPULATION} pupils up to {DEMO_NOW} …")
        replay_season(engine, DEMO_POPULATION, DEMO_SEED, until=moment)
    system = Actor.system("demo")
    with write_session(engine) as session:
        _claim_demo_guardian(session, moment)
        for username, password, role, district, _ in DEMO_ACCOUNTS:
            if session.exec(select(Account).where(Account.username == username)).first() is None:
                create_account(session, username=username, password=password, role=role, district=district, by=system,
                               at=moment)
    engine.dispose()


def signup_examples(count: int = 3) -> list[tuple[str, str, str, str]]:
    """Sandbox families of 东湖区 nobody has registered yet, to sign up with in the demo:
    (guardian's name, guardian's ID number, pupil's name, pupil's ID number). The sandbox city
    is the demo's (same seed and size), so the identity check and the sources know them."""
    from plugins.sandbox.city import generate_city

    engine = make_engine()
    with read_session(engine) as session:
        taken = set(session.exec(select(Application.pupil_id_number)).all())
        accounts = set(session.exec(select(Account.id_number).where(Account.id_number.is_not(None))).all())
    engine.dispose()
    found = []
    for family in generate_city(DEMO_SEED, DEMO_POPULATION).families:
        pupil, parent = family.facts["pupil"], family.facts["guardians"][0]
        if (pupil["primary_school"].get("district") == "东湖区" and pupil["id_number"] not in taken
                and parent["id_number"] not in accounts and parent["relation"] in ("father", "mother")):
            found.append((parent["name"], parent["id_number"], pupil["name"], pupil["id_number"]))
            if len(found) == count:
                break
    return found


def lottery_instructions(year: int = 2021) -> list[str]:
    """How the demo's operator reveals the lottery seed the replay committed to: the seed is in
    no table (only its commitment is), and `lottery commit` rightly refuses a second one."""
    seed = replay_lottery_seed(DEMO_SEED)
    return [
        f"抽签种子 Lottery seed：回放只公布了承诺值（数据库中没有种子）；种子由沙盒种子 {DEMO_SEED} 推导，"
        "抽签时（分配之前）用下面的命令揭示",
        f"  The replay published only the commitment (no table holds the seed); the seed, derived from sandbox "
        f"seed {DEMO_SEED}, is revealed at the draw, before allocation (make demo: .venv/bin/xuewei):",
        f"  xuewei lottery reveal --season {year} --seed {seed}",
    ]


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def demo(host: str, port: int) -> None:
    """Set up the demo season on the embedded database and serve it."""
    os.environ.setdefault("XUEWEI_SECRET_KEY", _secret_key())
    os.environ.setdefault("XUEWEI_NOW", DEMO_NOW)
    os.environ.setdefault("XUEWEI_SANDBOX_SEED", str(DEMO_SEED))
    os.environ.setdefault("XUEWEI_SANDBOX_POPULATION", str(DEMO_POPULATION))
    prepare_demo()
    click.echo(f"\nxuewei demo: http://{host}:{port}/   (season time stands at {DEMO_NOW})\n\n演示账号 Demo logins:")
    for username, password, *_rest, who in (DEMO_GUARDIAN[:2] + (None, None, DEMO_GUARDIAN[2]), *DEMO_ACCOUNTS):
        click.echo(f"  {who:<36} {username:<16} {password}")
    click.echo("")
    for line in lottery_instructions():
        click.echo(line)
    click.echo("\n新家长可自行注册（沙盒家庭，任选其一；用户名、密码自定，人脸照片可不传）\n"
               "New guardians can sign up as one of these sandbox families (any username and password):")
    for parent, parent_id, pupil, pupil_id in signup_examples():
        click.echo(f"  家长 {parent} {parent_id}  →  学生 {pupil} {pupil_id}（东湖区）")
    click.echo("")
    from web.server import run_gunicorn

    run_gunicorn(host=host, port=port, workers=2, threads=4)
