"""Tier rows that can never match because their conditions contradict one another.

A row matches only when every condition it lists is true, so two of its conditions that can
never both be true (a predicate and its negation, one fact `===` two different constants, date
or number ranges that do not meet, `in` lists with no common member) make it dead: the
administrator would never hear of it otherwise. The look is conservative: it gathers what the
row's conjunction plainly requires (through named predicates, `and`, `!`, a negated `or`) and
compares those requirements two at a time, so it never calls a satisfiable row dead, and it
leaves alone what it cannot read plainly (disjunctions, list operators, date arithmetic on facts).
Three-valued logic does not change this: a row with an undetermined condition does not match.
"""
from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.rules.compiler import NOT_CONST, Node
from core.rules.errors import Problem

__all__ = ["Need", "needs_of", "contradiction", "contradiction_problem"]

#: Orderings with a constant, and the ordering a flipped comparison (`c < x` is `x > c`) becomes.
ORDERINGS = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}
#: The kinds of value whose constants order the same way as the values the rules compare.
ORDERED_KINDS = ("date", "int", "number")


@dataclass(frozen=True)
class Need:
    """One thing a row needs, found in its conditions: an expression (`key`) holds or does not
    (`test` "holds"), or equals one of a set of constants ("in"), or is ordered against one."""

    key: Any
    test: str
    value: Any
    positive: bool
    pointer: str
    words: tuple[str, str]  # what it needs, in English and Chinese

    def __str__(self) -> str:
        return self.words[0]


def _key(node: Node) -> Any:
    """The expression a node computes, as a hashable value: equal keys give equal values on the
    same facts (every expression is deterministic), which is what lets two needs be compared."""
    if node.const is not NOT_CONST:
        try:
            hash(node.const)
            return ("const", type(node.const).__name__, node.const)
        except TypeError:
            return ("const", repr(node.const))
    if node.op == "var":
        return ("var", (node.path or "").removeprefix("$."))
    if node.op in ("pred", "derived"):
        return (node.op, node.path)
    return (node.op, node.path, tuple(_key(a) for a in node.args))


def _term(node: Node) -> str:
    """A compared expression the way the ruleset names it: a fact path, a derived value, a field."""
    if node.op == "var":
        return (node.path or "$").removeprefix("$.")
    if node.op in ("pred", "derived"):
        return str(node.path)
    if node.op == "get" and node.args:
        return f"{_term(node.args[0])}.{node.path}"
    return f"({node.op} …)"


def _shown(value: Any) -> str:
    if isinstance(value, frozenset):
        return json.dumps(sorted(value, key=repr), ensure_ascii=False, default=str)
    return json.dumps(value, ensure_ascii=False, default=str)


def _holds(node: Node, positive: bool) -> Need:
    """The need that an expression is true (or false), for a predicate and its negation."""
    if node.op == "pred":
        words = (f"{node.path!r} to hold", f"{node.path!r} 成立") if positive else \
                (f"{node.path!r} not to hold", f"{node.path!r} 不成立")
    else:
        words = ("the expression there to be true", "该处表达式为真") if positive else \
                ("the expression there to be false", "该处表达式为假")
    return Need(_key(node), "holds", True, positive, node.pointer, words)


def _compared(node: Node, positive: bool) -> Need | None:
    """The need a comparison of an expression with a constant states, or None for another shape."""
    if node.op in ("===", "!==", "in") and len(node.args) == 2:
        term, const = node.args
        if term.const is not NOT_CONST or const.const is NOT_CONST or term.type.kind == "any":
            return None  # untyped equality is strict (1 !== true), which sets of constants do not mirror
        if node.op == "in":
            if not isinstance(const.const, (tuple, list)):
                return None
            values = frozenset(const.const)
        else:
            values = frozenset((const.const,))
            positive = positive if node.op == "===" else not positive
        op = ("===" if len(values) == 1 and node.op != "in" else "in") if positive else \
             ("!==" if len(values) == 1 and node.op != "in" else "not in")
        shown = _shown(next(iter(values)) if op in ("===", "!==") else values)
        text = f"{_term(term)} {op} {shown}"
        return Need(_key(term), "in", values, positive, node.pointer, (text, text))
    if node.op in ORDERINGS and len(node.args) == 2 and positive:  # a negated ordering also holds for null
        a, b = node.args
        op = node.op
        if a.const is not NOT_CONST and b.const is NOT_CONST:
            a, b, op = b, a, ORDERINGS[op]
        if a.const is not NOT_CONST or b.const is NOT_CONST or b.const is None:
            return None
        if a.type.kind not in ORDERED_KINDS or b.type.kind not in ORDERED_KINDS:
            return None
        text = f"{_term(a)} {op} {_shown(b.const)}"
        return Need(_key(a), op, b.const, True, node.pointer, (text, text))
    return None


def needs_of(node: Node, positive: bool = True) -> Iterator[Need]:
    """What `node` being true (or, `positive` false, being false) plainly requires."""
    if node.const is not NOT_CONST:
        return
    compared = _compared(node, positive)
    if compared is not None:
        yield compared
        return
    yield _holds(node, positive)
    if node.op == "pred" and node.ref is not None:
        yield from needs_of(node.ref, positive)
    elif node.op == "!" and node.args:
        yield from needs_of(node.args[0], not positive)
    elif (node.op == "and" and positive) or (node.op == "or" and not positive):
        for arg in node.args:
            yield from needs_of(arg, positive)


def _ordered(value: Any, op: str, bound: Any) -> bool:
    """Whether `value op bound` can hold; null is never ordered (an ordering with null is false)."""
    if value is None:
        return False
    try:
        return {"<": value < bound, "<=": value <= bound, ">": value > bound, ">=": value >= bound}[op]
    except TypeError:  # values this look cannot order: assume they may meet
        return True


def _apart(a: Need, b: Need) -> bool:
    """Whether the two needs, on the same expression, can never hold together."""
    if a.test == "holds" or b.test == "holds":
        return a.test == b.test and a.positive != b.positive
    if a.test == "in" and b.test == "in":
        if a.positive and b.positive:
            return not (a.value & b.value)
        if a.positive != b.positive:
            allowed, excluded = (a, b) if a.positive else (b, a)
            return allowed.value <= excluded.value
        return False
    if a.test == "in" or b.test == "in":
        member, order = (a, b) if a.test == "in" else (b, a)
        return member.positive and not any(_ordered(v, order.test, order.value) for v in member.value)
    low, high = (a, b) if a.test in (">", ">=") else (b, a)
    if low.test not in (">", ">=") or high.test not in ("<", "<="):
        return False  # two lower (or two upper) bounds always meet
    try:
        return low.value > high.value or (low.value == high.value and (low.test == ">" or high.test == "<"))
    except TypeError:
        return False


def contradiction(conditions: Sequence[tuple[str, Node]]) -> tuple[tuple[int, Need], tuple[int, Need]] | None:
    """The first two needs of a conjunction (by the index of the condition each comes from)
    that can never hold together, else None."""
    seen: dict[Any, list[tuple[int, Need]]] = {}
    for index, (_, node) in enumerate(conditions):
        for need in needs_of(node):
            earlier = seen.setdefault(need.key, [])
            for other in earlier:
                if _apart(other[1], need):
                    return other, (index, need)
            earlier.append((index, need))
    return None


def contradiction_problem(row: Mapping[str, Any], pointer: str, conditions: Sequence[tuple[str, Node]]) -> Problem | None:
    """A problem at the row's pointer naming the two conditions that contradict each other, or None."""
    found = contradiction(conditions)
    if found is None:
        return None
    (i, first), (j, second) = found
    name_i, name_j = conditions[i][0], conditions[j][0]
    at_i, at_j = f"{pointer}/all/{i}", f"{pointer}/all/{j}"
    return Problem(
        pointer,
        f"row {row['id']!r} can never match: its condition {name_i!r} ({at_i}) needs {first.words[0]} "
        f"(at {first.pointer}), but its condition {name_j!r} ({at_j}) needs {second.words[0]} "
        f"(at {second.pointer}); both can never hold at once",
        zh=f"行 {row['id']!r} 永远不会被命中：它的条件 {name_i!r}（{at_i}）要求 {first.words[1]}"
           f"（位于 {first.pointer}），而条件 {name_j!r}（{at_j}）要求 {second.words[1]}"
           f"（位于 {second.pointer}），两者不可能同时成立")
