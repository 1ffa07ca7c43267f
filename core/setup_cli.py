"""A city's first setup and scripted administration from the command line: the first city
administrator's account (`xuewei account create`), a staff account's new password or its
disabling when nobody can log in to the /staff page (`xuewei account password|disable|enable`),
and a year's ruleset stored and activated (`xuewei ruleset activate`), with the checks and
audit events of the web pages.

A new installation has no account to log in with and no season: these two commands make both;
everything after (staff accounts, imports, later versions) is done in the browser or by script.
"""
from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

from core import ruleset_editor as editor
from core.accounts import create_account
from core.clock import clock_from_env
from core.db import make_engine, write_session
from core.errors import UserFacingError
from core.models import Role
from core.rules.errors import RulesetError
from core.rules.loader import read_document
from core.rulesets import RulesetNotActivatable, season_for, store_ruleset
from core.staff import set_staff_active, set_staff_password
from core.workflow import Actor

__all__ = ["account", "activate_command"]

ACTOR = Actor.system("cli")
T = TypeVar("T")
#: The roles an account made here may have: guardians sign up themselves (face check, §3.1).
STAFF_ROLES = [role.value for role in Role if role not in (Role.guardian, Role.system)]


@click.group()
def account() -> None:
    """Accounts from the command line: the first city administrator of a new installation, and
    the only administrator's lost password."""


@account.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(STAFF_ROLES), default=Role.city_admin.value, show_default=True)
@click.option("--district", help="the district of a district reviewer or administrator")
@click.option("--name", "display_name", help="the person's name as pages show it")
@click.password_option(envvar="XUEWEI_NEW_PASSWORD",
                       help="asked twice without echo (or XUEWEI_NEW_PASSWORD: never on the command line)")
def create_account_command(username: str, role: str, district: str | None, display_name: str | None,
                           password: str) -> None:
    """Create a staff account; audited as made by `cli`."""
    def create():
        with write_session(make_engine()) as session:
            return create_account(session, username=username.strip(), password=password, role=role,
                                  district=district, display_name=display_name, by=ACTOR)

    made = _refusals_as_exit(create)
    click.echo(f"account {made.username} ({made.role}) created")


@account.command("password")
@click.argument("username")
@click.password_option(envvar="XUEWEI_NEW_PASSWORD",
                       help="asked twice without echo (or XUEWEI_NEW_PASSWORD: never on the command line)")
def password_command(username: str, password: str) -> None:
    """Set a staff account's new password (the only administrator's lost one); its logins end."""
    _refusals_as_exit(lambda: set_staff_password(make_engine(), by=ACTOR, username=username, password=password,
                                                 now=clock_from_env().now()))
    click.echo(f"account {username.strip()}: new password set, its logins ended")


@account.command("disable")
@click.argument("username")
def disable_command(username: str) -> None:
    """Disable a staff account at once (never the last active city administrator)."""
    _set_active(username, active=False)


@account.command("enable")
@click.argument("username")
def enable_command(username: str) -> None:
    """Enable a disabled staff account again."""
    _set_active(username, active=True)


def _set_active(username: str, *, active: bool) -> None:
    _refusals_as_exit(lambda: set_staff_active(make_engine(), by=ACTOR, username=username, active=active,
                                               now=clock_from_env().now()))
    click.echo(f"account {username.strip()} {'enabled' if active else 'disabled'}")


def _refusals_as_exit(step: Callable[[], T]) -> T:
    """Run `step` and return what it returns; a refusal is printed in both languages, with exit 1."""
    try:
        return step()
    except UserFacingError as refused:
        raise click.ClickException(f"{refused.zh} / {refused.en}") from None


@click.command("activate")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", "confirmed", is_flag=True,
              help="confirm what activating does at once (a new season opening, a date already past)")
def activate_command(path: Path, confirmed: bool) -> None:
    """Store a ruleset in its year's season and activate it, as the administrator's page does.

    Refused, with every problem printed and exit 1, unless it validates and its embedded tests
    pass; what it would do at once (open a new season, fire a date already past) is printed and
    needs --yes. A refused ruleset is not stored either.
    """
    try:
        document = read_document(path)
        problems = editor.check(document)  # before its year names a season
        if problems:
            raise RulesetError(problems)
        with write_session(make_engine()) as session:
            season = season_for(session, document)
            version = store_ruleset(session, season, document, ACTOR)
            editor.activate(session, version.sha256, ACTOR, now=clock_from_env().now(), confirmed=confirmed)
            label = f"{version.ruleset_id} {version.version} ({version.sha256[:12]}) active in season {season.year}"
    except (RulesetError, RulesetNotActivatable) as refused:
        for problem in refused.problems:
            click.echo(f"  {problem.pointer or '/'}: {problem.message}", err=True)
        hint = "" if confirmed or isinstance(refused, RulesetError) else " (if this is meant, run again with --yes)"
        click.echo(f"{path.name}: not activated{hint}", err=True)
        sys.exit(1)
    click.echo(label)
