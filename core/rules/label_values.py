"""Labels that repeat a parameter's value, checked against it.

A label says "房产权证须于2021年5月31日前办理" while the rule reads the parameter
`evidence_cutoff`: once the parameter is edited, the label lies to every family that reads it.
This finds, in the zh/en labels of predicates, derived values, tier rows and checks, a date
("2021年5月31日" or 2021-05-31) that is no value the labelled rule reads now (its parameters at
`meta.effective.from`, its constant derived values, its date literals), and a number ("满1年",
"三年内") that is a value of one of its parameters for another period but none it reads now.

These are warnings, not errors: a label is prose, and a date in it may speak of something the
rule does not read; the loader keeps them apart from the problems that refuse a ruleset, the
command line prints them, and activating a version with any asks the administrator to confirm.
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from core.rules.errors import Problem, pointer_join

__all__ = ["label_warnings", "label_numbers", "label_dates"]

_ZH_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_NUMBER = re.compile(r"(?<![\d.])\d+(?:\.\d+)?(?![\d.])")
#: Chinese numerals that count something ("三年内", "满一年", "六个月"), not ordinals ("一类", "四类（一）").
_ZH_COUNT = re.compile(r"([一二两三四五六七八九十]{1,3})(?=(?:个)?(?:年|月|天|日|周岁|岁|次))")
_ZH_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def label_dates(text: str) -> list[str]:
    """The calendar dates a label names, as YYYY-MM-DD (not real dates are left out)."""
    found = []
    for match in (*_ZH_DATE.finditer(text), *_ISO_DATE.finditer(text)):
        try:
            found.append(date(int(match[1]), int(match[2]), int(match[3])).isoformat())
        except ValueError:
            continue
    return found


def _zh_number(text: str) -> int | None:
    """一 … 九十九 as a number; None for a form it does not read."""
    if "十" not in text:
        return _ZH_DIGITS.get(text) if len(text) == 1 else None
    tens, _, units = text.partition("十")
    if len(tens) > 1 or len(units) > 1 or "十" in units:
        return None
    return (_ZH_DIGITS.get(tens, 0) if tens else 1) * 10 + (_ZH_DIGITS.get(units, 0) if units else 0)


def label_numbers(text: str) -> list[int | float]:
    """The numbers a label says outside its dates: digits, and Chinese numerals that count."""
    bare = _ISO_DATE.sub(" ", _ZH_DATE.sub(" ", text))
    found: list[int | float] = [float(m[0]) if "." in m[0] else int(m[0]) for m in _NUMBER.finditer(bare)]
    found += [n for n in (_zh_number(m[1]) for m in _ZH_COUNT.finditer(bare)) if n is not None]
    return found


def _reads(expr: Any, doc: Mapping[str, Any], seen: set[tuple[str, str]]) -> Iterator[tuple[str, Any]]:
    """What an expression reads, through the predicates and derived values it names:
    ("param", name), ("derived", name) and ("date", literal)."""
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, Mapping) and len(node) == 1:
            (op, args), = node.items()
            name = args[0] if isinstance(args, list) and len(args) == 1 else args
            if op == "param" and isinstance(name, str):
                yield "param", name
            elif op == "date" and isinstance(name, str):
                yield "date", name
            elif op in ("pred", "derived") and isinstance(name, str) and (op, name) not in seen:
                seen.add((op, name))
                if op == "derived":
                    yield "derived", name
                spec = doc["predicates" if op == "pred" else "derived"].get(name)
                if isinstance(spec, Mapping):
                    stack.append(spec.get("when" if op == "pred" else "expr"))
            else:
                stack.append(args)


def _labelled(doc: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any], list[Any]]]:
    """Every label of a rule with the expressions the rule reads: (pointer of the thing, label, expressions)."""
    for name, spec in doc["derived"].items():
        yield pointer_join("/derived", name), spec["label"], [spec["expr"]]
    for name, spec in doc["predicates"].items():
        yield pointer_join("/predicates", name), spec["label"], [spec["when"]]
    for i, rule in enumerate(doc["evidence"]):
        yield f"/evidence/{i}", rule["label"], [rule["applies"], rule["require"]]
    rule = doc["three_year_rule"]
    yield "/three_year_rule", rule["label"], [rule["property"], rule["years"], rule["counted_to"]]
    for i, rule in enumerate(doc["coordinated"]):
        yield f"/coordinated/{i}", rule["label"], [rule["when"]]
    for i, row in enumerate(doc["tiers"]["rows"]):
        yield f"/tiers/rows/{i}", row["label"], [{"pred": name} for name in row["all"]]


def label_warnings(doc: Mapping[str, Any], current: Mapping[str, Any], derived: Mapping[str, Any]) -> list[Problem]:
    """Labels whose dates or numbers disagree with the parameters their rule reads.

    `current` holds each parameter's value at the ruleset's effective date, `derived` each
    derived value that is a constant (computed from parameters only).
    """
    warnings: list[Problem] = []
    for pointer, label, exprs in _labelled(doc):
        reads: set[tuple[str, Any]] = set()
        for expr in exprs:
            reads.update(_reads(expr, doc, set()))
        params = sorted(name for kind, name in reads if kind == "param" and name in doc["parameters"])
        now = {name: current.get(name) for name in params}
        now.update({name: derived[name] for kind, name in reads if kind == "derived" and name in derived})
        dates_now = {v for v in now.values() if isinstance(v, str)} | {v for kind, v in reads if kind == "date"}
        numbers_now = {v for v in now.values() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        dated = [name for name in params if doc["parameters"][name]["type"] == "date"]
        for lang in ("zh", "en"):
            text = label.get(lang, "")
            at = f"{pointer}/label/{lang}"
            if dated:
                for said in label_dates(text):
                    if said not in dates_now:
                        warnings.append(_warning(at, said, doc, dated, current, others=_periods(doc, dated, said)))
            numeric = [name for name in params if doc["parameters"][name]["type"] in ("integer", "number")]
            for said in label_numbers(text):
                if said in numbers_now:
                    continue
                others = _periods(doc, numeric, said)
                if others:
                    warnings.append(_warning(at, said, doc, [name for name, _ in others], current, others=others))
    return warnings


def _periods(doc: Mapping[str, Any], names: list[str], value: Any) -> list[tuple[str, str]]:
    """(parameter, from) of every dated value of these parameters equal to `value`."""
    return [(name, entry["from"]) for name in names for entry in doc["parameters"][name]["values"]
            if entry["value"] == value and not isinstance(entry["value"], bool)]


def _warning(at: str, said: Any, doc: Mapping[str, Any], names: list[str], current: Mapping[str, Any],
             others: list[tuple[str, str]]) -> Problem:
    as_of = doc["meta"]["effective"]["from"]
    values = ", ".join(f"{name} = {current.get(name)}" for name in names)
    values_zh = "，".join(f"{name} = {current.get(name)}" for name in names)
    if others:
        periods = ", ".join(f"{name} from {since}" for name, since in others)
        periods_zh = "，".join(f"{name} 自 {since} 起" for name, since in others)
        return Problem(at, f"the label says {said}, the value of parameter {periods}, but the rule reads it as of "
                           f"{as_of}: {values}; the label no longer says what the rule does",
                       zh=f"名称中写的是 {said}，这是参数 {periods_zh}的取值，而本规则按 {as_of} 取值：{values_zh}；"
                          "名称与规则已不一致")
    return Problem(at, f"the label says {said}, which is no value of the parameters the rule reads ({values}); "
                       "the label no longer says what the rule does",
                   zh=f"名称中写的是 {said}，但规则所读的参数都不是这个值（{values_zh}）；名称与规则已不一致")
