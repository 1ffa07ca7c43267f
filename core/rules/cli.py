"""`xuewei ruleset validate|test|diff` and `xuewei classify`: the ruleset from the command line."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from core.rules.catchments import CatchmentError, load_catchments
from core.rules.diff import diff, shown
from core.rules.errors import RulesetError
from core.rules.ruleset import Ruleset, load_ruleset
from core.rules.schemas import schema_problems
from core.rules.testing import run_tests

__all__ = ["ruleset", "classify"]


def _load_or_exit(path: str) -> Ruleset:
    try:
        return load_ruleset(path)
    except RulesetError as exc:
        click.echo(f"{path}: {len(exc.problems)} problem(s)", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(1)


@click.group()
def ruleset() -> None:
    """Yearly rulesets: validate, run their embedded tests, compare two versions."""


@ruleset.command("validate")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def validate(file: str) -> None:
    """Check FILE against the schema and the semantic rules; exit 1 listing every problem.
    Warnings (labels that disagree with the parameters their rules read) are listed, exit 0."""
    rs = _load_or_exit(file)
    click.echo(f"{file}: valid ({rs.meta['id']} {rs.meta['version']}, sha256 {rs.sha256})")
    for warning in rs.warnings:
        click.echo(f"warning: {warning}")


@ruleset.command("test")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("-v", "--verbose", is_flag=True, help="List passing cases too.")
def test(file: str, verbose: bool) -> None:
    """Run the embedded test cases of FILE; the last line reads `N passed, M failed`."""
    rs = _load_or_exit(file)
    results = run_tests(rs, Path(file).parent)
    for result in results:
        if not result.passed:
            click.echo(f"FAIL {result.name}")
            for difference in result.differences:
                click.echo(f"     {difference.message}")
        elif verbose:
            click.echo(f"ok   {result.name}")
    failed = sum(not r.passed for r in results)
    click.echo(f"{len(results) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


@ruleset.command("diff")
@click.argument("old", type=click.Path(exists=True, dir_okay=False))
@click.argument("new", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per change.")
def diff_command(old: str, new: str, as_json: bool) -> None:
    """What changed between two rulesets: parameters, dates, predicates, tier rows … by id."""
    changes = diff(_load_or_exit(old), _load_or_exit(new))
    for change in changes:
        if as_json:
            click.echo(json.dumps(change, ensure_ascii=False, sort_keys=True))
            continue
        mark = {"added": "+", "removed": "-", "changed": "~"}[change["change"]]
        detail = f" ({', '.join(change['fields'])})" if change.get("fields") else ""
        if change["kind"] == "meta":
            detail = f": {change['old']!r} -> {change['new']!r}"
        click.echo(f"{mark} {change['kind']} {change['id']}{detail}")
        for inner in change.get("details", ()):
            click.echo(f"    {inner['path'] or '(whole)'}: {shown(inner, 'old', '(absent)')} -> {shown(inner, 'new', '(absent)')}")
    if not as_json:
        click.echo(f"{len(changes)} change(s)")


@click.command()
@click.option("--ruleset", "ruleset_file", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--catchments", "catchments_file", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--input", "input_file", required=True, type=click.File(encoding="utf-8"),
              help="JSON lines: {\"id\": …, \"facts\": {…}} per application ('-' for stdin).")
@click.option("--explain", is_flag=True, help="Add the trace: matching row and, per better tier, the first failed condition.")
@click.option("--validate", is_flag=True, help="Check each facts document against the facts schema first.")
def classify(ruleset_file: str, catchments_file: str, input_file, explain: bool, validate: bool) -> None:
    """Classify applications; print one JSON line each: id, eligible, tier, row, reasons.

    A line that cannot be classified (not JSON, not an object, facts that do not fit the facts
    schema) gets a line {"id", "errors"} instead, and the rest go on; the exit status is then 1."""
    rs = _load_or_exit(ruleset_file)
    try:
        index = load_catchments(catchments_file)
    except CatchmentError as exc:
        for problem in exc.problems:
            click.echo(f"{catchments_file}: {problem}", err=True)
        sys.exit(1)
    refused = 0
    for number, line in enumerate(input_file, start=1):
        if not line.strip():
            continue
        record_id, facts, errors = _read_line(line, number)
        if facts is not None and validate:
            errors = [str(p) for p in schema_problems("facts", facts)]
        if not errors:
            try:
                result = rs.classify(facts, index, explain=explain)
            except (AttributeError, KeyError, TypeError, ValueError):  # facts of the wrong shape
                errors = [str(p) for p in schema_problems("facts", facts)]
                if not errors:
                    raise  # the facts fit the schema: a fault of the rules engine, not of the input
        if errors:
            refused += 1
            click.echo(json.dumps({"id": record_id, "errors": errors}, ensure_ascii=False))
            continue
        answer = {"id": record_id, "eligible": result.eligible, "tier": result.tier,
                  "row": result.row, "catchment": result.catchment, "reasons": result.reasons}
        if explain:
            answer["trace"] = result.trace
        click.echo(json.dumps(answer, ensure_ascii=False))
    if refused:
        click.echo(f"{refused} line(s) could not be classified: see their \"errors\"", err=True)
        sys.exit(1)


def _read_line(line: str, number: int) -> tuple[Any, dict | None, list[str]]:
    """(id, facts, errors) of one input line; the id is the line number when the line has none."""
    try:
        record = json.loads(line.rstrip("\r\n"))
    except json.JSONDecodeError as error:
        return number, None, [f"line {number}: not JSON: {error.msg} (column {error.colno})"]
    except ValueError as error:  # e.g. an integer of more digits than Python converts
        return number, None, [f"line {number}: not JSON: {error}"]
    if not isinstance(record, dict):
        return number, None, [f"line {number}: not a JSON object"]
    facts = record.get("facts", record)
    if not isinstance(facts, dict):
        return record.get("id", number), None, [f"line {number}: \"facts\" is not a JSON object"]
    return record.get("id", number), facts, []


@ruleset.command("simulate")
@click.argument("draft", type=click.Path(exists=True, dir_okay=False))
@click.option("--season", "year", required=True, type=int, help="The season whose submitted applications to replay.")
@click.option("--json", "as_json", is_flag=True, help="The matrix and the changes as one JSON document.")
def simulate_command(draft: str, year: int, as_json: bool) -> None:
    """Classify every submitted application of a season under DRAFT: tier matrix and who changes, why."""
    from sqlmodel import select

    from core.assessment import catchments_of
    from core.db import make_engine, read_session
    from core.models import Season
    from core.rules.simulate import simulate
    from core.ruleset_editor import submitted_subjects

    candidate = _load_or_exit(draft)
    with read_session(make_engine()) as session:
        season = session.exec(select(Season).where(Season.year == year)).first()
        if season is None:
            click.echo(f"no season {year}", err=True)
            sys.exit(1)
        report = simulate(candidate, submitted_subjects(session, season), catchments_of(session, season.id))
    if as_json:
        click.echo(json.dumps({"total": report.total, "matrix": [{"old": o, "new": n, "count": c} for (o, n), c in sorted(report.matrix.items())],
                               "changes": report.changes}, ensure_ascii=False, indent=1))
        return
    tiers = report.tiers()
    click.echo(f"{report.total} submitted application(s) of {year}; rows: current tier, columns: draft tier")
    click.echo("old\\new".ljust(14) + "".join(t.rjust(14) for t in tiers))
    for old in tiers:
        click.echo(old.ljust(14) + "".join(str(report.matrix.get((old, new), 0)).rjust(14) for new in tiers))
    click.echo(f"{len(report.changes)} applicant(s) change")
    for change in report.changes:
        old, new = change["old"], change["new"]
        click.echo(f"- {change['serial'] or change['id']}: {old['tier']} ({old['row']}) -> {new['tier']} ({new['row']})")
        click.echo(f"  why: {_why_moved(old, new)}")
    if report.changes:
        click.echo("(--json gives both explanations of every change in full)")


def _why_moved(old: dict[str, Any], new: dict[str, Any]) -> str:
    """The condition that moves an applicant, from the two explanations: why the draft no longer
    gives the row they had, else why the current ruleset did not give the row they get now."""
    for trace, row, verb in ((new["trace"], old["row"], "now fails"), (old["trace"], new["row"], "used to fail")):
        step = next((b for b in trace.get("better", ()) if b.get("row") == row), None)
        if step is not None and step.get("failed"):
            failed = step["failed"]
            expected = failed.get("expected") or {}
            return (f"row {row} {verb} {failed.get('condition')} ({failed.get('clause')}, "
                    f"{(failed.get('label') or {}).get('en', '')}): {failed.get('fact')} is "
                    f"{json.dumps(failed.get('actual'), ensure_ascii=False)}, expected {expected.get('op')} "
                    f"{json.dumps(expected.get('value'), ensure_ascii=False)}")
    if old["row"] is not None:
        return f"the draft has no row {old['row']} that decides it (a row removed or moved)"
    return "see --json for both explanations"
