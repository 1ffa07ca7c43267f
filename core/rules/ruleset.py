"""A loaded ruleset and its classification of one application: eligibility, checks, tier, trace."""
from __future__ import annotations

import re

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.canonical import canonical_json, sha256_hex
from core.rules.catchments import CatchmentIndex
from core.rules.codegen import Outcomes, generate
from core.rules.errors import RulesetError
from core.rules.explain import shown, why_not
from core.rules.loader import Check, Compiled, Row, build, read_document, reason as _reason, specialise
from core.rules.schemas import schema_document
from core.rules.types import SchemaTypes
from core.rules.schemas import schema_problems
from core.rules.values import UNDETERMINED as U, Env, jsonable

__all__ = ["Ruleset", "Classification", "load_ruleset"]

COORDINATED, UNDETERMINED_TIER = "coordinated", "undetermined"


@dataclass(slots=True)
class Classification:
    """Where one application stands: eligible (or None), tier, the row, the catchment, reasons.

    `reasons` hold the ruleset's own reason objects: treat them as read-only.
    """

    eligible: bool | None
    tier: int | str | None
    row: str | None
    catchment: str | None
    reasons: list[dict[str, Any]]
    trace: dict[str, Any] | None = None
    matches: tuple[str, ...] = ()

    @property
    def school_id(self) -> str | None:
        return self.catchment

    def to_dict(self, id: Any = None) -> dict[str, Any]:
        """The JSON line `xuewei classify` prints."""
        out: dict[str, Any] = {} if id is None else {"id": id}
        out.update(eligible=self.eligible, tier=self.tier, row=self.row, catchment=self.catchment,
                   reasons=self.reasons)
        if self.matches:
            out["matches"] = list(self.matches)
        if self.trace is not None:
            out["trace"] = self.trace
        return out


def _made(eligible: bool | None, tier: int | str | None, row: str | None, catchment: str | None,
          reasons: list[dict[str, Any]], _new: Any = object.__new__) -> Classification:
    """`Classification(eligible, tier, row, catchment, reasons)`, without the call to the dataclass's
    `__init__` (a third of the cost of a result; the generated classifier makes one per applicant).
    tests/rules/test_fast_path.py checks that both give equal results and that no field is missed."""
    result = _new(Classification)
    result.eligible = eligible
    result.tier = tier
    result.row = row
    result.catchment = catchment
    result.reasons = reasons
    result.trace = None
    result.matches = ()
    return result


NO_CATCHMENT = {"zh": "居住地址不在任何学区范围内，由教育部门统筹安排", "en": "the residence is in no catchment; placed by the authority"}
NO_ROW = {"zh": "不符合任何学区生源类别，由教育部门统筹安排", "en": "fits no catchment tier; placed by the authority"}
UNKNOWN = {"zh": "缺少必要信息，需人工审核", "en": "a needed fact is missing; manual review"}


def _unknown(code: str, clause: str, label: Mapping[str, str]) -> dict[str, Any]:
    """A reason for an undetermined rule: which rule could not be decided, and that it goes to review."""
    return _reason(code, clause, {"zh": f"{UNKNOWN['zh']}：{label['zh']}", "en": f"{UNKNOWN['en']}: {label['en']}"})


class Ruleset:
    """A validated, compiled ruleset: one year's policy, known by the sha256 of its canonical JSON."""

    def __init__(self, document: dict[str, Any], compiled: Compiled):
        self.document = document
        self._c = compiled
        self.sha256 = sha256_hex(canonical_json(document))
        self.meta = document["meta"]
        self.workflow = document["workflow"]
        self.calendar = document["calendar"]
        self.allocation = document["allocation"]
        # Problems that do not refuse it: labels that disagree with parameters, clauses cited without wording.
        self.warnings = compiled.warnings
        self.clauses = document.get("clauses", {})  # how pages word its clause ids (core.rules.clauses.clause_text)
        self._row_reasons = {row.id: _reason(row.id, row.clause, row.label) for row in compiled.rows}
        # A failed condition may name a derived value or a predicate where it names a fact: the trace
        # gives its label too, so pages word "basis_usage" as the ruleset does ("作为依据的房屋用途").
        self._value_labels = {name: spec["label"] for section in ("derived", "predicates")
                              for name, spec in document.get(section, {}).items() if spec.get("label")}
        self._no_row = _reason("no_row", "§6", NO_ROW)
        spec = document["eligibility"]
        self._ineligible = _reason("eligibility", spec["clause"], spec["label"])
        self._variants = {kind: specialise(document, {"basis.kind": kind}) for kind in _basis_kinds()}
        self._fast: dict[Any, Any] = {}  # basis kind -> generated classifier, or False; made on first use
        self._bound: tuple = (None, None, None)  # the last catchment index and its methods the generated code calls

    def _generated(self, kind: Any):
        """The generated classifier for facts with this basis kind (False when there is none): see codegen.py.

        Made on first use, so loading a ruleset (and explaining with it) costs no code generation.
        """
        key = kind if kind in self._variants else None
        fast = self._fast.get(key)
        if fast is None:
            compiled = self._c if key is None else self._variants[key]
            made = generate(compiled, self._outcomes(compiled), f"classify_{key or 'general'}")
            fast = self._fast[key] = False if made is None else made.fn
        return fast

    def _outcomes(self, compiled: Compiled) -> Outcomes:
        """How generated code builds its results, the same ones the closure path gives."""
        def checks_failed(school: str, *fails: bool) -> Classification:
            result = self._checked([check for check, failed in zip(compiled.checks, fails) if failed], [], None)
            result.catchment = school
            return result
        return Outcomes(_made, self._row_reasons, self._no_row, self._ineligible, checks_failed)

    def __repr__(self) -> str:
        return f"<Ruleset {self.meta['id']} {self.meta['version']} {self.sha256[:12]}>"

    # -- classification ---------------------------------------------------------------
    def classify(self, facts: Mapping[str, Any], catchments: CatchmentIndex, *, explain: bool = False) -> Classification:
        """Decide eligibility (§1), the checks (§3, §6.1, §6.2) and the tier (§6) of one application."""
        if not explain:
            basis = facts.get("basis")
            kind = basis.get("kind") if basis else None
            fast = self._fast.get(kind)
            if fast is None:
                fast = self._generated(kind)
            if fast is not False:
                index, school_of, contains = self._bound
                if index is not catchments:
                    index, school_of, contains = self._bound = (catchments, catchments.school_of, catchments.contains)
                result = fast(facts, school_of, contains)
                if result is not None:
                    return result
            c = self._variants.get(kind, self._c)
        else:
            c = self._c
        e = Env(facts, catchments, c.slots)
        trace: dict[str, Any] | None = {} if explain else None
        verdict = c.eligible(e, facts)
        if verdict is not True:
            return self._not_eligible(e, verdict, trace)
        address = c.catchment_address.fn(e, facts)
        school = None if address is U or address is None else catchments.school_of(address)
        e.school = school
        if trace is not None:
            trace["eligibility"] = {"verdict": True}
            trace["basis_address"] = shown(address)
            trace["catchment"] = school
        if trace is None and school is not None and c.hit_policy == "FIRST":
            settled = self._settled(c, e, school)
            if settled is not None:
                return settled
        decided = self._checks(c, e, trace)
        if decided is not None:
            decided.catchment = school
            return decided
        if address is U:
            return self._finish(Classification(True, UNDETERMINED_TIER, None, None,
                                               [_reason("catchment", self.document["catchment"]["clause"], UNKNOWN)]), trace)
        if school is None:
            return self._finish(Classification(True, COORDINATED, None, None,
                                               [_reason("no_catchment", self.document["catchment"]["clause"], NO_CATCHMENT)]), trace)
        return self._tiers(c, e, school, trace)

    def _settled(self, c: Compiled, e: Env, school: str) -> Classification | None:
        """The common case in one loop: no check fails, and a FIRST row decides; else None."""
        for check in c.checks:
            if check.fails(e) is not False:
                return None
        facts = e.facts
        for row in c.rows:
            v = row.fn(e, facts)
            if v is True:
                return Classification(True, row.tier, row.id, school, [self._row_reasons[row.id]])
            if v is not False:
                return None
        return Classification(True, COORDINATED, None, school, [self._no_row])

    def _finish(self, result: Classification, trace: dict[str, Any] | None) -> Classification:
        result.trace = trace
        return result

    def _not_eligible(self, e: Env, verdict: Any, trace: dict[str, Any] | None) -> Classification:
        spec = self.document["eligibility"]
        if verdict is U:
            result = Classification(None, UNDETERMINED_TIER, None, None, [_reason("eligibility", spec["clause"], UNKNOWN)])
        else:
            result = Classification(False, None, None, None, [self._ineligible])
        if trace is not None:
            trace["eligibility"] = {"verdict": jsonable(verdict if verdict is U else False),
                                    "routes": [self._failure(name, node, e) for name, node in self._c.eligibility]}
        return self._finish(result, trace)

    def _checks(self, c: Compiled, e: Env, trace: dict[str, Any] | None) -> Classification | None:
        failed: list[Check] = []
        unknown: list[Check] = []
        for check in c.checks:
            v = check.fails(e)
            if v is True:
                failed.append(check)
            elif v is not False:
                unknown.append(check)
        if not failed and not unknown:
            return None
        if trace is not None:
            trace["checks"] = [self._check_trace(ch, e, "failed" if ch in failed else "undetermined")
                               for ch in c.checks if ch in failed or ch in unknown]
        return self._checked(failed, unknown, trace)

    def _checked(self, failed: list[Check], unknown: list[Check], trace: dict[str, Any] | None) -> Classification:
        """The result when checks failed or were undetermined: ineligible, undetermined or coordinated."""
        hard = [ch for ch in failed if ch.outcome == "ineligible"]
        if hard:
            return self._finish(Classification(False, None, None, None, [ch.reason() for ch in hard]), trace)
        if any(ch.outcome == "ineligible" for ch in unknown):
            return self._finish(Classification(None, UNDETERMINED_TIER, None, None,
                                               [_unknown(ch.id, ch.clause, ch.label) for ch in unknown]), trace)
        placed = [ch for ch in failed if ch.outcome == COORDINATED]
        if placed:
            return self._finish(Classification(True, COORDINATED, None, None, [ch.reason() for ch in placed]), trace)
        reasons = [ch.reason() for ch in failed] + [_unknown(ch.id, ch.clause, ch.label) for ch in unknown]
        return self._finish(Classification(True, UNDETERMINED_TIER, None, None, reasons), trace)

    def _check_trace(self, check: Check, e: Env, status: str) -> dict[str, Any]:
        out = {"id": check.id, "clause": check.clause, "label": dict(check.label), "status": status}
        if check.kind == "evidence" and check.explain_node is not None:
            out["failed"] = why_not(check.explain_node, e, e.facts)
        return out

    def _tiers(self, c: Compiled, e: Env, school: str, trace: dict[str, Any] | None) -> Classification:
        facts = e.facts
        policy = c.hit_policy
        matched: list[Row] = []
        pending: Row | None = None
        for row in c.rows:
            v = row.fn(e, facts)
            if v is True:
                matched.append(row)
                if policy == "FIRST":
                    break
            elif v is not False:
                if pending is None or row.tier < pending.tier:
                    pending = row
                if policy == "FIRST":
                    break
        best = (matched[0] if policy == "FIRST" else min(matched, key=lambda r: r.tier)) if matched else None
        if pending is not None and (best is None or pending.tier < best.tier):
            result = Classification(True, UNDETERMINED_TIER, None, school, [_unknown(pending.id, pending.clause, pending.label)])
            stop = pending
        elif best is None:
            result = Classification(True, COORDINATED, None, school, [self._no_row])
            stop = None
        else:
            result = Classification(True, best.tier, best.id, school, [self._row_reasons[best.id]],
                                    matches=tuple(r.id for r in matched) if policy == "COLLECT" else ())
            stop = best
        if trace is not None:
            self._tier_trace(e, trace, stop)
        return self._finish(result, trace)

    def _tier_trace(self, e: Env, trace: dict[str, Any], stop: Row | None) -> None:
        better = []
        for row in self._c.rows:
            if row is stop:
                break
            if stop is not None and row.tier >= stop.tier:
                continue
            for name, node in row.conditions:
                if node.fn(e, e.facts) is not True:
                    better.append({"row": row.id, "tier": row.tier, "clause": row.clause, "label": dict(row.label),
                                   "failed": self._failure(name, node, e)})
                    break
        trace["better"] = better
        if stop is None:
            return
        entry = {"row": stop.id, "tier": stop.tier, "clause": stop.clause, "label": dict(stop.label)}
        unsure = next(((name, node) for name, node in stop.conditions if node.fn(e, e.facts) is not True), None)
        if unsure is None:
            trace["matched"] = entry
        else:
            trace["undetermined"] = {**entry, "failed": self._failure(*unsure, e)}

    def _failure(self, name: str, node, e: Env) -> dict[str, Any]:
        spec = self._c.predicates[name]
        out = {"condition": name, "clause": spec["clause"], "label": dict(spec["label"]),
               "value": jsonable(node.fn(e, e.facts))}
        out.update(why_not(node, e, e.facts))
        named = self._value_labels.get(out.get("fact") or "")
        if named:
            out["fact_label"] = dict(named)
        source = _source_of(e.facts.get("sources"), out.get("fact") or "")
        if source:
            out["source"] = dict(source)
        return out

    # -- calendar ---------------------------------------------------------------------
    def window_for(self, facts: Mapping[str, Any]) -> dict[str, Any] | None:
        """The staggered first-login window (§2.2) of a pupil: by school group, else by district."""
        e = Env(facts, None, self._c.slots)
        group = self._c.window_group.fn(e, facts)
        district = self._c.window_district.fn(e, facts)
        windows = self.calendar["windows"]
        for w in windows:
            if group not in (None, U) and group in w.get("groups", ()):
                return w
        for w in windows:
            if district not in (None, U) and district in w.get("districts", ()):
                return w
        return None


def _source_of(sources: Any, fact: str) -> Mapping[str, Any] | None:
    """The provenance of a fact path ("pupil.hukou.head_relation", "guardians[0].hukou.address"):
    the entry of the field ("pupil.hukou") when a source other than the key's first brought it
    (core/connectors/merge.py), else the key's ("pupil")."""
    if not isinstance(sources, Mapping):
        return None
    steps = re.sub(r"\[\d+\]", "", fact).split(".")
    return sources.get(".".join(steps[:2])) or sources.get(steps[0])


def _basis_kinds() -> tuple[str, ...]:
    """The values `basis.kind` can take, per the facts schema: one compiled variant each."""
    types = SchemaTypes(schema_document("facts"))
    kind = types.field(types.field(types.of(types.document), "basis"), "kind")
    return tuple(sorted(kind.enum or ()))


def load_ruleset(source: str | Path | Mapping[str, Any]) -> Ruleset:
    """Validate (schema, then semantics) and compile a ruleset from a path or a mapping."""
    document = read_document(source)
    problems = schema_problems("ruleset", document)
    if problems:
        raise RulesetError(problems)
    return Ruleset(document, build(document))
