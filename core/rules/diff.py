"""A semantic diff of two rulesets: what changed, by section and id, not by line.

A changed entry names its changed `fields` and, in `details`, every value that differs inside
it with the old and the new value (`{"path": "values/0/value", "old": 3, "new": 5}`; a side
without a value there has no key): "values changed" alone does not tell a reviewer what to check.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from difflib import SequenceMatcher
from typing import Any

from core.rules.errors import pointer_join
from core.rules.ruleset import Ruleset

__all__ = ["diff", "Change", "shown"]

Change = dict[str, Any]
SHOWN_CHARS = 120  # a value longer than this (a whole expression, a family) is cut in what people read


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
            out.append({"kind": kind, "id": ident, "change": "removed", "old": old[ident],
                        "details": [{"path": "", "old": old[ident]}]})
        elif ident not in old:
            out.append({"kind": kind, "id": ident, "change": "added", "new": new[ident],
                        "details": [{"path": "", "new": new[ident]}]})
        elif old[ident] != new[ident]:
            fields = sorted(k for k in set(old[ident]) | set(new[ident]) if old[ident].get(k) != new[ident].get(k)) \
                if isinstance(old[ident], Mapping) and isinstance(new[ident], Mapping) else []
            out.append({"kind": kind, "id": ident, "change": "changed", "fields": fields,
                        "details": _details(old[ident], new[ident]), "old": old[ident], "new": new[ident]})
    return out


def _details(old: Any, new: Any, path: str = "") -> list[dict[str, Any]]:
    """Each differing value inside two versions of an entry, by its path relative to the entry.

    Objects are compared key by key and lists item by item: an item added to or removed from a
    list is one detail at its index (in the new list, or the old), so a condition appended to a
    long `all` reads as that condition; anything else that differs is one detail, whole."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        out = []
        for key in [*old, *(k for k in new if k not in old)]:
            at = pointer_join(path, key)
            if key in old and key in new:
                out += _details(old[key], new[key], at)
            else:
                out.append({"path": at[1:], **({"old": old[key]} if key in old else {"new": new[key]})})
        return out
    if isinstance(old, list) and isinstance(new, list):
        return _list_details(old, new, path)
    return [] if old == new else [{"path": path[1:], "old": old, "new": new}]


def _list_details(old: list[Any], new: list[Any], path: str) -> list[dict[str, Any]]:
    """Two lists' differences: the items one has and the other lacks (matched as difflib matches
    lines), and the items in the same place that changed, compared inside."""
    if len(old) == len(new):
        return [detail for i, (a, b) in enumerate(zip(old, new)) for detail in _details(a, b, pointer_join(path, i))]
    matcher = SequenceMatcher(None, [_text(item) for item in old], [_text(item) for item in new], autojunk=False)
    out: list[dict[str, Any]] = []
    for _, i1, i2, j1, j2 in matcher.get_opcodes():
        paired = min(i2 - i1, j2 - j1)
        for i, j in zip(range(i1, i1 + paired), range(j1, j1 + paired)):
            out += _details(old[i], new[j], pointer_join(path, j))
        out += [{"path": pointer_join(path, i)[1:], "old": old[i]} for i in range(i1 + paired, i2)]
        out += [{"path": pointer_join(path, j)[1:], "new": new[j]} for j in range(j1 + paired, j2)]
    return out


def _text(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def shown(detail: Mapping[str, Any], side: str, absent: str) -> str:
    """One side of a detail as people read it: JSON text, cut after SHOWN_CHARS, or `absent`."""
    if side not in detail:
        return absent
    text = json.dumps(detail[side], ensure_ascii=False)
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS - 1] + "…"


SECTIONS = (
    ("clause", lambda d: d.get("clauses", {})),  # how pages word each clause id
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
