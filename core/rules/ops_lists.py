"""List operators: some, all, none, filter, find, count (bodies read the current item)."""
from __future__ import annotations

from typing import Any

from core.rules.compiler import Compiler, Node, arg_list, const_node, need_bool, operator
from core.rules.errors import pointer_join
from core.rules.types import ANY, BOOL, INT, Type
from core.rules.values import UNDETERMINED as U

__all__: list[str] = []


def _list_and_body(c: Compiler, args: Any, at: str, scope: Type) -> tuple[Node, Node] | None:
    items = arg_list(args)
    if len(items) != 2:
        c.error(at, f"takes a list and a condition on each item, got {len(items)} argument(s)",
                zh=f"需要一个列表和一个针对每一项的条件，实际有 {len(items)} 个参数")
        return None
    lst = c.compile(items[0], pointer_join(at, 0), scope)
    if lst.type.kind not in ("list", "any"):
        c.error(lst.pointer, f"needs a list, but this gives {lst.type}", zh=f"需要列表，但这里得出{lst.type.zh}")
        return None
    item = lst.type.item if lst.type.kind == "list" else ANY
    body = c.compile(items[1], pointer_join(at, 1), item)
    if not need_bool(c, [body], "the item condition", "逐项条件"):
        return None
    return lst, body


def _quantifier(name: str, stop_on: bool, result_on_stop: bool):
    """some: stop at the first true item; all: at the first false; none: negated some."""
    def compile_quantifier(c: Compiler, args: Any, at: str, scope: Type) -> Node:
        parts = _list_and_body(c, args, at, scope)
        if parts is None:
            return const_node(U, ANY, at)
        lst, body = parts
        if lst.const is None or lst.const == ():
            return const_node(not result_on_stop, BOOL, at)
        fl, fb = lst.fn, body.fn
        otherwise = not result_on_stop

        def fn(e, it):
            items = fl(e, it)
            if items is U:
                return U
            r = otherwise
            for x in items or ():
                v = fb(e, x)
                if v is stop_on:
                    return result_on_stop
                if v is U:
                    r = U
            return r
        return Node(fn, name, (lst, body), BOOL, at)
    return compile_quantifier


operator("some")(_quantifier("some", True, True))
operator("all")(_quantifier("all", False, False))
operator("none")(_quantifier("none", True, False))


@operator("filter")
def _filter(c: Compiler, args: Any, at: str, scope: Type) -> Node:
    parts = _list_and_body(c, args, at, scope)
    if parts is None:
        return const_node(U, ANY, at)
    lst, body = parts
    if lst.const is None:
        return const_node(None, lst.type, at)
    fl, fb = lst.fn, body.fn

    def fn(e, it):
        items = fl(e, it)
        if items is U or items is None:
            return items
        out = []
        for x in items:
            v = fb(e, x)
            if v is U:
                return U
            if v:
                out.append(x)
        return out
    return Node(fn, "filter", (lst, body), lst.type, at)


@operator("find")
def _find(c: Compiler, args: Any, at: str, scope: Type) -> Node:
    """The first item meeting the condition, or null when none does."""
    parts = _list_and_body(c, args, at, scope)
    if parts is None:
        return const_node(U, ANY, at)
    lst, body = parts
    if lst.const is None:
        return const_node(None, lst.type.item or ANY, at)
    fl, fb = lst.fn, body.fn

    def fn(e, it):
        items = fl(e, it)
        if items is U or items is None:
            return items
        for x in items:
            v = fb(e, x)
            if v is True:
                return x
            if v is U:
                return U
        return None
    return Node(fn, "find", (lst, body), lst.type.item if lst.type.kind == "list" else ANY, at)


@operator("count")
def _count(c: Compiler, args: Any, at: str, scope: Type) -> Node:
    items = arg_list(args)
    if len(items) != 1:
        return c.error(at, "count takes one list", zh="count 只接受一个列表")
    lst = c.compile(items[0], pointer_join(at, 0) if isinstance(args, list) else at, scope)
    if lst.type.kind not in ("list", "any"):
        return c.error(lst.pointer, f"count needs a list, not {lst.type}", zh=f"count 需要列表，而不是{lst.type.zh}")
    fl = lst.fn

    def fn(e, it):
        v = fl(e, it)
        return v if v is U else len(v or ())
    return Node(fn, "count", (lst,), INT, at)


