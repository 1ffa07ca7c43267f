"""Benchmark: classify 100,000 synthetic applicants with the 2021 ruleset.

Prints applicants per second with and without explanations (and without them again on facts
already in the CPU cache), and the ratio against the same rules (eligibility, evidence,
exclusions, tier rows) run through a public JSON-Logic interpreter (`panzi-json-logic`,
import name `json_logic`) in the same run.

    .venv/bin/python bench/classify.py [--n 100000] [--baseline-n 5000]
"""
from __future__ import annotations

import argparse
import copy
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from json_logic import builtins as jl_builtins  # noqa: E402
from json_logic import jsonLogic  # noqa: E402

from core.paths import ruleset_path  # noqa: E402
from core.rules import load_catchments, load_ruleset  # noqa: E402
from core.rules.ops_domain import ADDRESS_KEYS, add_years  # noqa: E402
from families import make_catchments, make_families  # noqa: E402


# -- the baseline: the same expressions, inlined into plain JSON-Logic ---------------------
def to_json_logic(expr: Any, doc: dict[str, Any]) -> Any:
    """Inline predicates, derived values and parameters; map our domain operators to custom ones."""
    if isinstance(expr, list):
        return [to_json_logic(x, doc) for x in expr]
    if not isinstance(expr, dict):
        return expr
    (op, args), = expr.items()
    if op == "pred":
        return to_json_logic(doc["predicates"][args]["when"], doc)
    if op == "derived":
        return to_json_logic(doc["derived"][args]["expr"], doc)
    if op == "param":
        return doc["parameters"][args]["values"][-1]["value"]
    if op == "date":
        return args
    if op == "find":
        return {"first": [{"filter": to_json_logic(args, doc)}]}
    return {op: to_json_logic(args, doc)}


class Baseline:
    """The 2021 decision run by the JSON-Logic interpreter, with the same catchment index."""

    def __init__(self, doc: dict[str, Any], index):
        self.index = index
        self.school: str | None = None
        ops = dict(jl_builtins.BUILTINS)
        ops.update({
            "get": lambda data, obj, path: self._get(obj, path),
            "first": lambda data, items: items[0] if items else None,
            "in_catchment": lambda data, addr: addr is not None and self.school in self.index.schools_of(addr),
            "same_address": lambda data, a, b: a is not None and b is not None and all(a.get(k) == b.get(k) for k in ADDRESS_KEYS),
            "add_years": lambda data, d, n: add_years(date.fromisoformat(d), n).isoformat(),
        })
        self.ops = ops
        t = lambda e: to_json_logic(e, doc)  # noqa: E731
        self.eligibility = [t({"pred": name}) for name in doc["eligibility"]["any"]]
        self.address = t(doc["catchment"]["address"])
        self.evidence = [(t(r["applies"]), t(r["require"])) for r in doc["evidence"]]
        self.coordinated = [t(r["when"]) for r in doc["coordinated"]]
        self.rows = [(r["tier"], r["id"], t({"and": [{"pred": p} for p in r["all"]]})) for r in doc["tiers"]["rows"]]

    @staticmethod
    def _get(obj, path):
        for key in path.split("."):
            if obj is None:
                return None
            obj = obj.get(key)
        return obj

    def classify(self, facts: dict[str, Any]) -> tuple[Any, Any]:
        ops = self.ops
        if not any(jsonLogic(e, facts, ops) for e in self.eligibility):
            return None, None
        address = jsonLogic(self.address, facts, ops)
        self.school = self.index.school_of(address) if address else None
        for applies, require in self.evidence:
            if jsonLogic(applies, facts, ops) and not jsonLogic(require, facts, ops):
                return "coordinated", None
        if any(jsonLogic(e, facts, ops) for e in self.coordinated) or self.school is None:
            return "coordinated", None
        for tier, row, expr in self.rows:
            if jsonLogic(expr, facts, ops):
                return tier, row
        return "coordinated", None


def with_root_links(facts: dict[str, Any]) -> dict[str, Any]:
    """JSON-Logic has no way to reach the document root inside some/all/filter: give every list item a '$' link."""
    doc = copy.deepcopy(facts)

    def link(value):
        if isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    item["$"] = doc
                    for v in list(item.values()):
                        if v is not doc:
                            link(v)
        elif isinstance(value, dict):
            for k, v in value.items():
                if k != "$":
                    link(v)
    link(doc)
    return doc


def rate(fn, items) -> float:
    """Items per second of this process's CPU time (the machine may be shared; wall time would lie)."""
    start = time.process_time()
    for item in items:
        fn(item)
    return len(items) / (time.process_time() - start)


def interleaved(runs: list[tuple[Any, list]], rounds: int) -> tuple[list[float], list[list[float]]]:
    """Rates of several runs measured in alternating slices, so a busy spell hits them all alike.

    Returns the overall rates and, per run, the rate of each round (for a median ratio).
    """
    seconds = [0.0] * len(runs)
    per_round: list[list[float]] = [[] for _ in runs]
    for r in range(rounds):
        for i, (fn, items) in enumerate(runs):
            part = items[r * len(items) // rounds:(r + 1) * len(items) // rounds]
            start = time.process_time()
            for item in part:
                fn(item)
            spent = time.process_time() - start
            seconds[i] += spent
            per_round[i].append(len(part) / spent)
    return [len(items) / s for (_, items), s in zip(runs, seconds)], per_round


CACHED = 1_000  # families whose facts stay in the CPU cache when classified over and over


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--baseline-n", type=int, default=5_000, help="applicants run through the interpreter")
    args = parser.parse_args()

    ruleset = load_ruleset(ruleset_path(2021))
    catchment_list = make_catchments()
    index = load_catchments(catchment_list)
    families = make_families(args.n, catchment_list)
    baseline = Baseline(ruleset.document, index)
    sample = families[: args.baseline_n]
    linked = [with_root_links(f) for f in sample]

    agree = sum((r.tier, r.row) == baseline.classify(f)
                for r, f in ((ruleset.classify(f0, index), f1) for f0, f1 in zip(sample, linked)))
    tiers: dict[Any, int] = {}
    for f in families:
        t = ruleset.classify(f, index).tier
        tiers[t] = tiers.get(t, 0) + 1

    (plain, interpreted), rounds = interleaved(
        [(lambda f: ruleset.classify(f, index), families), (baseline.classify, linked)], 20)
    ratios = sorted(c / i for c, i in zip(*rounds))
    explained = rate(lambda f: ruleset.classify(f, index, explain=True), families[: max(args.n // 5, 1)])
    # The same code on facts already in the CPU cache: what is left of the first figure's cost
    # once reading 100,000 families from main memory is not part of it (see docs/rules.md).
    in_cache = rate(lambda f: ruleset.classify(f, index), families[:CACHED] * (args.n // CACHED or 1))

    print(f"applicants: {args.n:,} (tiers: {', '.join(f'{k}={v}' for k, v in sorted(tiers.items(), key=str))})")
    print(f"compiled, no explanation:   {plain:12,.0f} applicants/s")
    print(f"compiled, with explanation: {explained:12,.0f} applicants/s")
    print(f"compiled, no explanation, the first {CACHED:,} again and again (facts in the CPU cache): "
          f"{in_cache:,.0f} applicants/s")
    print(f"json_logic interpreter:     {interpreted:12,.0f} applicants/s  ({len(linked):,} applicants; "
          f"same tier and row for {agree}/{len(linked)})")
    print(f"ratio compiled/interpreter: {plain / interpreted:12.1f}x overall, "
          f"{ratios[len(ratios) // 2]:.1f}x median of {len(ratios)} interleaved rounds")


if __name__ == "__main__":
    main()
