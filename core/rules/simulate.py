"""Simulating a draft ruleset over a season's frozen facts: who would change tier, and why."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from core.rules.catchments import CatchmentIndex
from core.rules.ruleset import Ruleset

__all__ = ["Subject", "SimulationReport", "simulate", "tier_key"]


@dataclass(frozen=True)
class Subject:
    """One submitted application: its id, serial, frozen facts and the ruleset it was pinned to."""

    id: Any
    serial: str | None
    facts: dict[str, Any]
    pinned: Ruleset


@dataclass
class SimulationReport:
    """The old-tier x new-tier matrix and every applicant whose outcome changes."""

    matrix: Counter = field(default_factory=Counter)
    changes: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0
    # By change id, the clause wordings of the ruleset of each side ("old": the pinned one, "new":
    # the draft): the page words each explanation's clauses as its own ruleset does, the JSON
    # of `xuewei ruleset simulate` keeps the ids.
    clauses: dict[Any, dict[str, Any]] = field(default_factory=dict)

    def tiers(self) -> list[str]:
        """Every tier appearing on either side, best first."""
        keys = {k for pair in self.matrix for k in pair}
        return sorted(keys, key=lambda k: (not k.isdigit(), int(k) if k.isdigit() else 0, k))


def tier_key(tier: Any) -> str:
    """A tier as a matrix label: '1'…'7', 'coordinated', 'undetermined', or 'ineligible'."""
    return "ineligible" if tier is None else str(tier)


def simulate(draft: Ruleset, subjects: Iterable[Subject], catchments: CatchmentIndex) -> SimulationReport:
    """Classify each subject under its pinned ruleset and under the draft; keep both explanations of
    changes, and for the page the clause wordings of the rulesets that made them."""
    report = SimulationReport()
    for subject in subjects:
        old = subject.pinned.classify(subject.facts, catchments, explain=True)
        new = draft.classify(subject.facts, catchments, explain=True)
        report.total += 1
        report.matrix[(tier_key(old.tier), tier_key(new.tier))] += 1
        if (old.eligible, old.tier, old.row) != (new.eligible, new.tier, new.row):
            report.changes.append({"id": subject.id, "serial": subject.serial,
                                   "old": old.to_dict(), "new": new.to_dict()})
            report.clauses[subject.id] = {"old": subject.pinned.clauses, "new": draft.clauses}
    return report
