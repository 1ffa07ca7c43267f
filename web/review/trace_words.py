"""The decision trace (core/rules/explain.py, docs/rules.md) in words: template filters for the
values a failed condition expected and found.

A trace value is untyped JSON, so it reads by its shape: booleans as 是/否, lists joined, an ID
number masked, an instant in Nanchang time, a code of the facts vocabulary in words ("father":
父亲), "undetermined" as a missing fact; a catchment by its school's name when the page knows it.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from web.i18n import TERMS, label, local_time, t, term
from web.review.fact_sheet import fact_name, listed, masked, nothing, yes_no

__all__ = ["trace_value", "expectation", "fact_words"]

_ID_NUMBER = re.compile(r"\d{17}[\dX]")
_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T")  # a datetime's ISO text; a date alone stays as it is

# An operator of the expression language as a phrase around its expected value ("{}").
_OPERATORS = {
    "===": ("等于 {}", "equal to {}"),
    "!==": ("不等于 {}", "not equal to {}"),
    "in": ("属于 {} 之一", "one of {}"),
    "<": ("< {}", "< {}"), "<=": ("≤ {}", "≤ {}"), ">": ("> {}", "> {}"), ">=": ("≥ {}", "≥ {}"),
    "in_catchment": ("在学区 {} 内", "in the catchment of {}"),
    "same_address": ("与 {} 地址相同", "the same address as {}"),
}
# A list condition (explain.py gives these an English description, not a value).
_QUANTIFIERS = {
    "some": ("至少一项符合", "at least one item qualifies"),
    "all": ("每一项都符合", "every item qualifies"),
    "none": ("没有一项符合", "no item qualifies"),
}


def trace_value(value: Any) -> str:
    """A value the trace expected or found, in words."""
    if value is None or value == []:
        return nothing()
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, list):
        return listed(trace_value(item) for item in value)
    if isinstance(value, Mapping):
        return listed(f"{key}: {trace_value(item)}" for key, item in value.items())
    text = str(value)
    if text == "undetermined":
        return t("无法判定（缺少数据）", "undetermined (a fact is missing)")
    if _ID_NUMBER.fullmatch(text):
        return masked(text)
    if _INSTANT.match(text):
        return local_time(text, "%Y-%m-%d %H:%M")
    kind = next((kind for kind, codes in TERMS.items() if text in codes), None)
    return text if kind is None else term(kind, text)


def fact_words(failed: Mapping[str, Any]) -> str:
    """What a failed condition read, in words: a derived value or predicate by the label the
    trace gives it (the ruleset's), a fact by the fact sheet's vocabulary, else its raw path
    (an older trace, a path the vocabulary has no word for)."""
    path = str(failed.get("fact") or "")
    return label(failed.get("fact_label")) or fact_name(path) or path


def expectation(expected: Mapping[str, Any], schools: Mapping[str, str] | None = None) -> str:
    """What a failed condition expected ({"op": "in_catchment", "value": "dh-yuzhang"}) as a phrase;
    "not …" operators are the negated ones. A catchment reads as its school's name where
    `schools` (code -> name) has it: reviewers know 豫章中学, not dh-yuzhang."""
    op = str(expected.get("op", ""))
    if op in _QUANTIFIERS:
        return t(*_QUANTIFIERS[op])
    negated, op = op.startswith("not "), op.removeprefix("not ")
    zh, en = _OPERATORS.get(op, ("{}", "{}"))
    if negated:
        zh, en = "不" + zh, "not " + en
    value = expected.get("value")
    if op == "in_catchment":
        value = (schools or {}).get(value, value)
    return t(zh, en).format(trace_value(value))
