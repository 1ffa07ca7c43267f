"""The ruleset language: loading, validation, compilation, classification with explanations, diff.

Public names other areas use: `load_ruleset`, `Ruleset` (`.classify`, `.workflow`, `.calendar`,
`.allocation`, `.sha256`), `Classification`, `RulesetError`/`Problem`, `compile_guard`,
`canonical_json`, `diff`, and `core.rules.catchments.load_catchments`.
"""
from __future__ import annotations

from core.canonical import canonical_json
from core.rules.catchments import CatchmentIndex, load_catchments
from core.rules.diff import diff
from core.rules.errors import Problem, RulesetError
from core.rules.guards import compile_guard
from core.rules.ruleset import Classification, Ruleset, load_ruleset
from core.rules.schemas import schema_problems
from core.rules.values import UNDETERMINED

__all__ = ["load_ruleset", "Ruleset", "Classification", "RulesetError", "Problem", "compile_guard",
           "canonical_json", "diff", "load_catchments", "CatchmentIndex", "UNDETERMINED", "facts_problems"]


def facts_problems(facts: object) -> list[Problem]:
    """What makes a facts document invalid against schemas/facts.schema.json (classify assumes a valid one)."""
    return schema_problems("facts", facts)
