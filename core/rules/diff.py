"""A semantic diff of two rulesets: what changed, by section and id, not by line."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.rules.ruleset import Ruleset

__all__ = ["diff", "Change"]

Change = dict[str, Any]


def _doc(x: Ruleset | Mapping[str, Any]) -> Mapping[str, Any]:
    return x.document if isinstance(x, Ruleset) else x


def _keyed(section: Any, key: str = "id") -> dict[str, Any]:
    if isinstance(section, Mapping):
        return dict(section)
    return {item[key]: item for item in section or ()}


def _compare(kind: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    out: list[Change] = []
    for ident in sorted(set(old) | set(new), key=str):
        if ident not in new:
            out.append({"kind": kind, "id": ident, "change": "removed", "old": old[ident]})
        elif ident not in old:
            out.append({"kind": kind, "id": ident, "change": "added", "new": new[ident]})
        elif old[ident] != new[ident]:
            fields = sorted(k for k in set(old[ident]) | set(new[ident]) if old[ident].get(k) != new[ident].get(k)) \
                if isinstance(old[ident], Mapping) and isinstance(new[ident], Mapping) else []
            out.append({"kind": kind, "id": ident, "change": "changed", "fields": fields,
                        "old": old[ident], "new": new[ident]})
    return out


SECTIONS = (
    ("parameter", lambda d: d["parameters"]),
    ("derived", lambda d: d["derived"]),
    ("predicate", lambda d: d["predicates"]),
    ("eligibility", lambda d: {"§1": d["eligibility"]}),
    ("catchment", lambda d: {"address": d["catchment"]}),
    ("evidence", lambda d: _keyed(d["evidence"])),
    ("three_year_rule", lambda d: {d["three_year_rule"]["id"]: d["three_year_rule"]}),
    ("coordinated", lambda d: _keyed(d["coordinated"])),
    ("tier_row", lambda d: _keyed(d["tiers"]["rows"])),
    ("hit_policy", lambda d: {"hit_policy": {"value": d["tiers"].get("hit_policy", "FIRST")}}),
    ("phase", lambda d: _keyed(d["calendar"]["phases"])),
    ("window", lambda d: _keyed(d["calendar"]["windows"])),
    ("state", lambda d: _keyed(d["workflow"]["states"])),
    ("transition", lambda d: _keyed(d["workflow"]["transitions"])),
    ("allocation", lambda d: {"allocation": d["allocation"]}),
    ("test", lambda d: _keyed(d["tests"]["cases"], "name")),
)


def diff(old: Ruleset | Mapping[str, Any], new: Ruleset | Mapping[str, Any]) -> list[Change]:
    """Every added, removed or changed parameter, date, predicate, row, check, phase … by id."""
    a, b = _doc(old), _doc(new)
    changes: list[Change] = [
        {"kind": "meta", "id": k, "change": "changed", "old": a["meta"].get(k), "new": b["meta"].get(k)}
        for k in sorted(set(a["meta"]) | set(b["meta"])) if a["meta"].get(k) != b["meta"].get(k)]
    for kind, pick in SECTIONS:
        changes += _compare(kind, pick(a), pick(b))
    return changes
