"""Comparison operators: strict ===/!==, orderings of numbers and dates, in, + and -."""
from __future__ import annotations

import operator as operator_module
from collections.abc import Callable
from functools import partial
from typing import Any

from core.rules.compiler import NOT_CONST, OPS, Compiler, Node, children, const_node, fold, fused, lifted2, operator
from core.rules.types import ANY, BOOL, INT, KIND_ZH, NUMBER, Type, comparable
from core.rules.values import UNDETERMINED as U, as_datetime

__all__ = ["check_enum", "orderable", "needs_instants"]


def check_enum(c: Compiler, a: Node, b: Node) -> None:
    """A constant compared with an enumerated fact must be one of its values."""
    for fact, lit in ((a, b), (b, a)):
        allowed = fact.type.enum
        if allowed and lit.const is not NOT_CONST and lit.type.kind in ("string", "list"):
            values = lit.const if lit.type.kind == "list" else (lit.const,)
            for v in values:
                if v is not None and v not in allowed:
                    values_allowed = ", ".join(sorted(allowed))
                    c.error(lit.pointer, f"{v!r} is never a value of {fact.path or 'this fact'} (allowed: {values_allowed})",
                            zh=f"{fact.path or '这个事实'} 永远不会取值 {v!r}（可取值：{values_allowed}）")


def _strict_equal(x, y) -> bool:
    if type(x) is not type(y) and not (isinstance(x, (int, float)) and isinstance(y, (int, float))
                                       and not isinstance(x, bool) and not isinstance(y, bool)):
        return False
    return x == y


def _equality(negate: bool):
    def compile_eq(c: Compiler, args: Any, at: str, scope: Type) -> Node:
        nodes = children(c, args, at, scope, 2)
        if nodes is None:
            return const_node(U, ANY, at)
        a, b = nodes
        if not comparable(a.type, b.type):
            return c.error(at, f"type mismatch: compares {a.type} with {b.type}",
                           zh=f"类型不匹配：把{a.type.zh}与{b.type.zh}比较")
        check_enum(c, a, b)
        fa, fb = a.fn, b.fn
        untyped = "any" in (a.type.kind, b.type.kind)
        one = fused(a, partial(operator_module.ne if negate else operator_module.eq, b.const)) \
            if b.const is not NOT_CONST and not untyped else None
        if one is not None:
            fn = one
        elif b.const is not NOT_CONST and not untyped:
            k = b.const

            def fn(e, it):
                x = fa(e, it)
                if x is U:
                    return U
                return (x != k) if negate else (x == k)
        else:
            def fn(e, it):
                x = fa(e, it)
                if x is U:
                    return U
                y = fb(e, it)
                if y is U:
                    return U
                same = _strict_equal(x, y) if untyped else x == y
                return (not same) if negate else same
        return fold(Node(fn, "!==" if negate else "===", (a, b), BOOL, at))
    return compile_eq


OPS["==="] = _equality(False)
OPS["!=="] = _equality(True)


DATE_HINT = (" (write dates as {\"date\": \"YYYY-MM-DD\"})", "（日期请写作 {\"date\": \"YYYY-MM-DD\"}）")


def orderable(c: Compiler, nodes: list[Node], at: str) -> str | None:
    """The shared kind of ordered operands (numbers, dates or datetimes), or None after an error."""
    kinds = {("number" if n.type.numeric else n.type.kind) for n in nodes} - {"any"}
    hint, hint_zh = DATE_HINT if "string" in kinds else ("", "")
    if len(kinds) > 1:
        c.error(at, f"type mismatch: orders {' with '.join(str(n.type) for n in nodes)}{hint}",
                zh=f"类型不匹配：比较大小的是{'与'.join(n.type.zh for n in nodes)}{hint_zh}")
        return None
    kind = kinds.pop() if kinds else "any"
    if kind not in ("number", "date", "datetime", "any"):
        c.error(at, f"only numbers, dates and datetimes are ordered, not {kind}{hint}",
                zh=f"只有数字、日期和日期时间可以比较大小，{KIND_ZH[kind]}不行{hint_zh}")
        return None
    return kind


def needs_instants(nodes: tuple[Node, ...] | list[Node]) -> bool:
    """Whether an ordering of these (type-checked) operands converts datetimes or untyped values at run time."""
    kinds = {("number" if n.type.numeric else n.type.kind) for n in nodes} - {"any"}
    return not kinds or kinds == {"datetime"}


def _ordering(name: str, test: Callable[[Any, Any], bool]):
    def compile_cmp(c: Compiler, args: Any, at: str, scope: Type) -> Node:
        nodes = children(c, args, at, scope, (2, 3))
        if nodes is None:
            return const_node(U, ANY, at)
        kind = orderable(c, nodes, at)
        if kind is None:
            return const_node(U, ANY, at)
        fns = tuple(n.fn for n in nodes)
        convert = as_datetime if needs_instants(nodes) else None

        if len(fns) == 2 and convert is None and nodes[1].const is not NOT_CONST and nodes[1].const is not U:
            fa, k = fns[0], nodes[1].const

            def fn(e, it):
                x = fa(e, it)
                if x is U:
                    return U
                return False if x is None or k is None else test(x, k)
        elif len(fns) == 2 and convert is None:
            fa, fb = fns

            def fn(e, it):
                x = fa(e, it)
                if x is U:
                    return U
                y = fb(e, it)
                if y is U:
                    return U
                if x is None or y is None:
                    return False
                return test(x, y)
        else:
            def fn(e, it):
                vals = []
                for f in fns:
                    v = f(e, it)
                    if v is U:
                        return U
                    if v is None:
                        return False
                    vals.append(v)
                try:
                    if convert is not None:
                        vals = [convert(v) if isinstance(v, str) else v for v in vals]
                    return all(test(x, y) for x, y in zip(vals, vals[1:]))
                except (TypeError, ValueError):
                    return U
        return fold(Node(fn, name, tuple(nodes), BOOL, at))
    return compile_cmp


OPS["<"] = _ordering("<", lambda x, y: x < y)
OPS["<="] = _ordering("<=", lambda x, y: x <= y)
OPS[">"] = _ordering(">", lambda x, y: x > y)
OPS[">="] = _ordering(">=", lambda x, y: x >= y)


@operator("in")
def _in(c: Compiler, args: Any, at: str, scope: Type) -> Node:
    nodes = children(c, args, at, scope, 2)
    if nodes is None:
        return const_node(U, ANY, at)
    x, coll = nodes
    if coll.type.kind not in ("list", "any"):
        return c.error(coll.pointer, f"in needs a list as its second argument, not {coll.type}",
                       zh=f"in 的第二个参数必须是列表，而不是{coll.type.zh}")
    if coll.type.kind == "list" and not comparable(x.type, coll.type.item):
        return c.error(at, f"type mismatch: looks for {x.type} in a {coll.type}",
                       zh=f"类型不匹配：在{coll.type.zh}中查找{x.type.zh}")
    check_enum(c, x, coll)
    fx, fl = x.fn, coll.fn
    one = fused(x, frozenset(coll.const).__contains__) if coll.const is not NOT_CONST else None
    if one is not None:
        fn = one
    elif coll.const is not NOT_CONST:
        members = frozenset(coll.const)

        def fn(e, it):
            v = fx(e, it)
            return U if v is U else v in members
    else:
        def fn(e, it):
            v = fx(e, it)
            if v is U:
                return U
            lst = fl(e, it)
            if lst is U:
                return U
            return isinstance(lst, (list, tuple)) and v in lst
    return fold(Node(fn, "in", (x, coll), BOOL, at))


def _arith(name: str, sign: int):
    def compile_arith(c: Compiler, args: Any, at: str, scope: Type) -> Node:
        nodes = children(c, args, at, scope, 2)
        if nodes is None:
            return const_node(U, ANY, at)
        for n in nodes:
            if not n.type.numeric and n.type.kind != "any":
                return c.error(n.pointer, f"{name} needs numbers, not {n.type} (use add_days/days_between for dates)",
                               zh=f"{name} 需要数字，而不是{n.type.zh}（日期请用 add_days/days_between）")
        fn = lifted2(nodes[0].fn, nodes[1].fn, lambda x, y: x + sign * y)
        t = INT if all(n.type.kind == "int" for n in nodes) else NUMBER
        return fold(Node(fn, name, tuple(nodes), t, at))
    return compile_arith


OPS["+"] = _arith("+", 1)
OPS["-"] = _arith("-", -1)
