"""Running a ruleset's embedded test cases: each family, patched, classified, compared."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.rules.catchments import CatchmentIndex, load_catchments
from core.rules.loader import test_facts
from core.rules.ruleset import Classification, Ruleset

__all__ = ["CaseResult", "run_tests", "fixture_catchments"]


@dataclass(frozen=True)
class CaseResult:
    """One embedded case: passed or not, and what differed."""

    name: str
    passed: bool
    differences: tuple[str, ...]
    got: Classification


def fixture_catchments(ruleset: Ruleset, base: Path | None = None) -> CatchmentIndex:
    """The catchments the embedded tests run against (inline, or a file beside the ruleset)."""
    tests = ruleset.document["tests"]
    if "catchments_file" in tests:
        return load_catchments((base or Path.cwd()) / tests["catchments_file"])
    return load_catchments(tests.get("catchments", []))


def _differences(expect: dict[str, Any], got: Classification) -> list[str]:
    out = []
    for key in ("eligible", "tier", "row", "catchment"):
        if key in expect and expect[key] != getattr(got, key):
            out.append(f"{key}: expected {expect[key]!r}, got {getattr(got, key)!r}")
    codes = [r["code"] for r in got.reasons]
    out += [f"reasons: expected {code!r} among {codes}" for code in expect.get("reasons_include", ()) if code not in codes]
    failed = {b["row"]: b["failed"]["condition"] for b in (got.trace or {}).get("better", ())}
    for row, condition in expect.get("fails", {}).items():
        if failed.get(row) != condition:
            out.append(f"row {row}: expected its first failed condition to be {condition!r}, got {failed.get(row)!r}")
    return out


def run_tests(ruleset: Ruleset, base: Path | None = None) -> list[CaseResult]:
    """Classify every embedded case and compare it with its expectation."""
    index = fixture_catchments(ruleset, base)
    tests = ruleset.document["tests"]
    results = []
    for case in tests["cases"]:
        facts = test_facts(case, tests.get("families", {}))
        got = ruleset.classify(facts, index, explain=True)
        fast = ruleset.classify(facts, index)
        diffs = _differences(case["expect"], got)
        if (fast.eligible, fast.tier, fast.row, fast.catchment) != (got.eligible, got.tier, got.row, got.catchment):
            diffs.append(f"without explanation: tier {fast.tier!r}, row {fast.row!r}; with it: {got.tier!r}, {got.row!r}")
        results.append(CaseResult(case["name"], not diffs, tuple(diffs), got))
    return results
