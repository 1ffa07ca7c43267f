"""Why a condition did not hold: the first failing fact, what was expected and what was found."""
from __future__ import annotations

from typing import Any

from core.rules.compiler import NOT_CONST, Node
from core.rules.values import UNDETERMINED as U, jsonable

__all__ = ["why_not", "fact_path", "shown"]

QUANTIFIERS = ("some", "all", "none")


def _join(prefix: str, path: str) -> str:
    return f"{prefix}.{path}" if prefix and path else (prefix or path)


def fact_path(node: Node, prefix: str = "") -> str | None:
    """The fact (or derived value) an operand reads, as a path a person can follow."""
    if node.op == "var":
        return node.path[2:] if node.path.startswith("$.") else _join(prefix, node.path)
    if node.op == "get":
        inner = fact_path(node.args[0], prefix)
        return _join(inner or "", node.path)
    if node.op in ("derived", "pred"):
        return node.path
    if node.op == "param":
        return f"param:{node.path}"
    for child in node.args:
        if child.const is NOT_CONST or child.op == "param":
            found = fact_path(child, prefix)
            if found:
                return found
    return None


def shown(value: Any) -> Any:
    """A value as the trace shows it: an address by its text, a record by its id."""
    if isinstance(value, dict):
        if "text" in value:
            return value["text"]
        if "id" in value:
            return {"id": value["id"]}
        return {k: shown(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [shown(v) for v in value]
    return jsonable(value)


def _leaf(node: Node, e, it, prefix: str, negated: bool = False) -> dict[str, Any]:
    operands = [a for a in node.args if a.const is NOT_CONST]
    fact = operands[0] if operands else None
    others = [a for a in node.args if a is not fact]
    if node.op == "in_catchment":
        expected: Any = e.school
    elif others:
        expected = shown(others[0].fn(e, it)) if len(others) == 1 else [shown(o.fn(e, it)) for o in others]
    else:
        expected = True
    actual = fact.fn(e, it) if fact is not None else node.fn(e, it)
    return {"fact": fact_path(fact, prefix) if fact is not None else None,
            "expected": {"op": ("not " if negated else "") + node.op, "value": expected},
            "actual": shown(actual)}


def item_path(lst: Node, e, it, prefix: str, item: Any, i: int) -> str:
    """The path of a list item as a fact, seeing through derived filters (parents -> guardians[1])."""
    node, scope, pre = lst, it, prefix
    while node.op == "derived" and node.ref is not None:
        node, scope, pre = node.ref, e.facts, ""
    if node.op == "filter":
        source = node.args[0]
        for j, candidate in enumerate(source.fn(e, scope) or ()):
            if candidate is item:
                return f"{fact_path(source, pre)}[{j}]"
    return f"{fact_path(lst, prefix) or ''}[{i}]"


def why_not(node: Node, e, it, prefix: str = "") -> dict[str, Any]:
    """Explain a boolean node that is false or undetermined: its first failing leaf."""
    op = node.op
    if op in ("pred", "derived") and node.ref is not None:
        return why_not(node.ref, e, e.facts, "")
    if op in ("and", "or"):
        for child in node.args:
            if child.fn(e, it) is not True:
                return why_not(child, e, it, prefix)
    if op == "!":
        inner = node.args[0]
        if inner.op in ("pred", "derived") or not inner.args:
            return {"fact": fact_path(inner, prefix), "expected": {"op": "===", "value": False},
                    "actual": shown(inner.fn(e, it))}
        return _leaf(inner, e, it, prefix, negated=True)
    if op in QUANTIFIERS:
        lst, body = node.args
        items = lst.fn(e, it)
        base = fact_path(lst, prefix) or ""
        if items is U:
            return {"fact": base, "expected": {"op": op, "value": "a list"}, "actual": "undetermined"}
        for i, item in enumerate(items or ()):
            v = body.fn(e, item)
            if op == "all" and v is not True:
                return why_not(body, e, item, item_path(lst, e, it, prefix, item, i))
            if op == "none" and v is U:
                return why_not(body, e, item, item_path(lst, e, it, prefix, item, i))
            if op == "none" and v is True:
                return {"fact": item_path(lst, e, it, prefix, item, i), "expected": {"op": "none", "value": "no item like this"},
                        "actual": shown(item)}
        if op == "some" and items:
            found = why_not(body, e, items[0], item_path(lst, e, it, prefix, items[0], 0))
            found["of"] = len(items)
            return found
        return {"fact": base, "expected": {"op": op, "value": "at least one matching item"},
                "actual": shown(items)}
    return _leaf(node, e, it, prefix)
