"""`xuewei allocate` and `xuewei lottery commit|reveal|verify`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from jsonschema import Draft202012Validator
from sqlmodel import select

from core.clock import clock_from_env
from core.db import make_engine, read_session
from core.models import Season
from core.paths import schemas_dir
from core.season.undecided import UndecidedApplications, check_all_decided

from .allocate import Allocation, AllocationError
from .export import pupils_csv, schools_csv, to_json
from .lottery import LotteryError
from .store import allocate_season, commit_seed, reveal_seed
from .verify import verify_export

__all__ = ["allocate_command", "lottery", "school_table"]


def school_table(allocation: Allocation) -> str:
    """The per-school table: capacity, locked lists, applicants per tier, the draw and the flows."""
    names = {school.id: school.name for school in allocation.schools}
    header = ("school", "cap", "direct", "special", "applicants per tier", "overflow", "drawn", "cut-off",
              "left", "placed in", "free", "name")  # fmt: skip
    rows = [header]
    for row in allocation.results:
        rows.append(
            (
                row.school,
                str(row.capacity),
                str(len(row.direct)),
                str(len(row.special)),
                " ".join(f"{tier}:{len(serials)}" for tier, serials in row.applicants.items()) or "-",
                row.overflow_tier or "-",
                str(row.lottery_size),
                "-" if row.cutoff_rank is None else f"{row.cutoff_rank}/{row.lottery_size}",
                str(row.placed_elsewhere),
                str(row.placed_in),
                str(row.free),
                names[row.school],
            )
        )
    widths = [max(len(line[column]) for line in rows) for column in range(len(header) - 1)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line[:-1], widths, strict=True)) + "  " + line[-1]
        for line in rows
    )


def _season_id(engine, year: int) -> int:
    with read_session(engine) as session:
        season = session.exec(select(Season).where(Season.year == year)).first()
    if season is None:
        raise click.ClickException(f"no season {year}")
    return season.id


@click.command("allocate")
@click.option("--season", "year", type=int, required=True, help="Admission year, e.g. 2021.")
@click.option("--seed", help="Reveal the committed lottery seed now (hex); checked against the commitment.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Write allocation.json, pupils.csv and schools.csv into this folder.")  # fmt: skip
@click.option("--leave-undecided", is_flag=True,
              help="Allocate although submitted applications are still undecided: they get no seat.")
def allocate_command(year: int, seed: str | None, out: Path | None, leave_undecided: bool) -> None:
    """Pre-allocate the season's seats (§6, §8.1) and print the per-school table.

    Refused while submitted applications are undecided (named per district and state), unless
    `--leave-undecided`: nobody can decide them once the review phase is over (docs/season.md)."""
    engine = make_engine()
    season_id = _season_id(engine, year)
    with read_session(engine) as session:
        try:
            left_out = check_all_decided(session, session.get(Season, season_id), leave_undecided=leave_undecided)
        except UndecidedApplications as exc:
            raise click.ClickException(f"{exc.zh} / {exc.en}") from exc
    try:
        if seed:
            reveal_seed(engine, year, seed)
        run = allocate_season(engine, season_id, clock_from_env().now(), actor="cli")
    except (AllocationError, LotteryError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(school_table(run.allocation))
    state = "unchanged (same inputs, same export)" if run.unchanged else "stored"
    click.echo(f"run {run.run_id} {state}: {len(run.allocation.seats)} pupils, export sha256 {run.export_sha256}")
    if left_out:
        click.echo("left out, undecided: " + "; ".join(
            f"{district} {name} {count}" for district, names in left_out.items() for name, count in names.items()))
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "allocation.json").write_text(to_json(run.document), encoding="utf-8")
        (out / "pupils.csv").write_text(pupils_csv(run.document), encoding="utf-8")
        (out / "schools.csv").write_text(schools_csv(run.document), encoding="utf-8")
        click.echo(f"exports written to {out}")


@click.group()
def lottery() -> None:
    """The verifiable lottery: commit a seed, reveal it at the draw, verify a published export."""


@lottery.command("commit")
@click.option("--season", "year", type=int, required=True)
def lottery_commit(year: int) -> None:
    """Draw a seed, store and print its SHA-256 commitment; print the seed once for the operator to keep."""
    try:
        seed, commitment = commit_seed(make_engine(), year)
    except (AllocationError, LotteryError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"commitment (publish now): {commitment}")
    click.echo(f"seed (keep secret until the draw): {seed}")


@lottery.command("reveal")
@click.option("--season", "year", type=int, required=True)
@click.option("--seed", required=True, help="The committed seed, hex.")
def lottery_reveal(year: int, seed: str) -> None:
    """Reveal the seed for the draw; refused unless it matches the published commitment."""
    try:
        reveal_seed(make_engine(), year, seed)
    except (AllocationError, LotteryError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"seed of season {year} matches its commitment and is revealed")


@lottery.command("verify")
@click.option("--inputs", "path", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="A published allocation export (allocation.json).")  # fmt: skip
def lottery_verify(path: Path) -> None:
    """Recompute every school's draw from the export alone; exit 1 listing each difference."""
    export = json.loads(path.read_text(encoding="utf-8"))
    schema = json.loads((schemas_dir() / "allocation-export.schema.json").read_text(encoding="utf-8"))
    problems = sorted(Draft202012Validator(schema).iter_errors(export), key=lambda error: list(error.absolute_path))
    if problems:
        for problem in problems[:20]:
            click.echo(f"{problem.json_path}: {problem.message}", err=True)
        raise click.ClickException(f"{path} is not an allocation export ({len(problems)} schema problem(s))")
    differences = verify_export(export)
    for difference in differences:
        click.echo(str(difference))
    if differences:
        click.echo(f"{len(differences)} difference(s): the export does not match its own draw", err=True)
        sys.exit(1)
    click.echo(f"{len(export['schools'])} schools, {len(export['pupils'])} pupils: every draw verifies")
