"""`xuewei import schools|capacities|catchments FILE --season YEAR`: the import pages for scripts.

The same import as the page (`core.imports.import_file`): the same checks and problems, the same
audit event, with the command line as its actor; a refused file prints every problem and exits 1.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click
from sqlmodel import select

from core.db import make_engine, write_session
from core.imports import IMPORTERS, ImportFailed, import_file
from core.models import Season
from core.workflow import Actor

__all__ = ["import_command"]

ACTOR = Actor.system("cli")


@click.command("import")
@click.argument("kind", type=click.Choice(sorted(IMPORTERS)))
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--season", "year", required=True, type=int, help="The season (year) to import into.")
@click.option("--replace", is_flag=True,
              help="catchments: confirm that the file replaces all of the season's catchments, "
                   "removing those of the schools it leaves out")
def import_command(kind: str, path: Path, year: int, replace: bool) -> None:
    """Import a schools, capacities or catchments file (UTF-8 CSV; catchments also JSON) into a season.

    Schools and capacities files update the rows they name; a catchments file is the whole city's
    catchments and replaces the season's (see schemas/catchments.md).
    """
    with write_session(make_engine()) as session:
        season = session.exec(select(Season).where(Season.year == year)).first()
        if season is None or season.active_ruleset_sha256 is None:
            raise click.ClickException(f"no season {year} with an active ruleset (its districts are checked)")
        try:
            result = import_file(session, season, kind, path.read_bytes(), actor=ACTOR, filename=path.name,
                                 replace=replace)
        except ImportFailed as failed:
            for problem in failed.problems:
                click.echo(str(problem), err=True)
            click.echo(f"{path.name}: {len(failed.problems)} problem(s); nothing was imported", err=True)
            sys.exit(1)
    click.echo(result.message)
