"""Running a ruleset's embedded test cases: each family, patched, classified, compared."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.rules.catchments import CatchmentIndex, load_catchments
from core.rules.errors import Problem, pointer_join
from core.rules.loader import test_facts
from core.rules.ruleset import Classification, Ruleset

__all__ = ["CaseResult", "run_tests", "fixture_catchments"]


@dataclass(frozen=True)
class CaseResult:
    """One embedded case: passed or not, and what differed, each at the expectation it concerns
    (in English and Chinese, as a ruleset's problems are)."""

    name: str
    passed: bool
    differences: tuple[Problem, ...]
    got: Classification


def fixture_catchments(ruleset: Ruleset, base: Path | None = None) -> CatchmentIndex:
    """The catchments the embedded tests run against (inline, or a file beside the ruleset)."""
    tests = ruleset.document["tests"]
    if "catchments_file" in tests:
        return load_catchments((base or Path.cwd()) / tests["catchments_file"])
    return load_catchments(tests.get("catchments", []))


def _differences(expect: dict[str, Any], got: Classification, at: str) -> list[Problem]:
    """What the classification got wrong against the case's `expect` (at the pointer `at`)."""
    out = []
    for key in ("eligible", "tier", "row", "catchment"):
        if key in expect and expect[key] != getattr(got, key):
            found = getattr(got, key)
            out.append(Problem(pointer_join(at, key), f"{key}: expected {expect[key]!r}, got {found!r}",
                               zh=f"{key}：应为 {expect[key]!r}，实际为 {found!r}"))
    codes = [r["code"] for r in got.reasons]
    out += [Problem(pointer_join(at, "reasons_include"), f"reasons: expected {code!r} among {codes}",
                    zh=f"reasons：应包含 {code!r}，实际为 {codes}")
            for code in expect.get("reasons_include", ()) if code not in codes]
    failed = {b["row"]: b["failed"]["condition"] for b in (got.trace or {}).get("better", ())}
    for row, condition in expect.get("fails", {}).items():
        if failed.get(row) != condition:
            out.append(Problem(pointer_join(at, "fails", row),
                               f"row {row}: expected its first failed condition to be {condition!r}, got {failed.get(row)!r}",
                               zh=f"行 {row}：第一个不满足的条件应为 {condition!r}，实际为 {failed.get(row)!r}"))
    return out


def _fast_path_difference(fast: Classification, got: Classification, at: str) -> Problem:
    """The generated classifier and the closures disagree (a bug of the compiler, not of the case)."""
    return Problem(at, f"without explanation: tier {fast.tier!r}, row {fast.row!r}; with it: {got.tier!r}, {got.row!r}",
                   zh=f"不带解释时：tier {fast.tier!r}，row {fast.row!r}；带解释时：{got.tier!r}，{got.row!r}")


def run_tests(ruleset: Ruleset, base: Path | None = None) -> list[CaseResult]:
    """Classify every embedded case and compare it with its expectation."""
    index = fixture_catchments(ruleset, base)
    tests = ruleset.document["tests"]
    results = []
    for i, case in enumerate(tests["cases"]):
        facts = test_facts(case, tests.get("families", {}))
        got = ruleset.classify(facts, index, explain=True)
        fast = ruleset.classify(facts, index)
        diffs = _differences(case["expect"], got, f"/tests/cases/{i}/expect")
        if (fast.eligible, fast.tier, fast.row, fast.catchment) != (got.eligible, got.tier, got.row, got.catchment):
            diffs.append(_fast_path_difference(fast, got, f"/tests/cases/{i}"))
        results.append(CaseResult(case["name"], not diffs, tuple(diffs), got))
    return results
