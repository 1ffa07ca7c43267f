"""Logic operators: and, or, ! and if, in Kleene three-valued logic with constant folding."""
from __future__ import annotations

from typing import Any

from core.rules.compiler import Compiler, Node, children, const_node, fold, kleene, need_bool, operator
from core.rules.types import ANY, BOOL, NULL, Type, comparable
from core.rules.values import UNDETERMINED as U

__all__: list[str] = []


def _connective(nodes: list[Node], unit: bool, at: str) -> Node | list[Node]:
    """Fold constants out of and/or: the unit (true for and) drops, the other value decides."""
    if any(n.const is (not unit) for n in nodes):
        return const_node(not unit, BOOL, at)
    rest = [n for n in nodes if n.const is not unit]
    if not rest:
        return const_node(unit, BOOL, at)
    return rest[0] if len(rest) == 1 else rest


def _connective_op(name: str, unit: bool):
    """and (unit true: stops at false) and or (unit false: stops at true)."""
    def compile_connective(c: Compiler, args: Any, at: str, scope: Type) -> Node:
        nodes = children(c, args, at, scope, (1, 99))
        if nodes is None or not need_bool(c, nodes, name):
            return const_node(U, ANY, at)
        nodes = _connective(nodes, unit, at)
        if isinstance(nodes, Node):
            return nodes
        return Node(kleene(nodes, not unit), name, tuple(nodes), BOOL, at)
    return compile_connective


operator("and")(_connective_op("and", True))
operator("or")(_connective_op("or", False))


@operator("!")
def _not(c: Compiler, args: Any, at: str, scope: Type) -> Node:
    nodes = children(c, args, at, scope, 1)
    if nodes is None or not need_bool(c, nodes, "!"):
        return const_node(U, ANY, at)
    f = nodes[0].fn

    def fn(e, it):
        v = f(e, it)
        return U if v is U else not v
    return fold(Node(fn, "!", tuple(nodes), BOOL, at))


@operator("if")
def _if(c: Compiler, args: Any, at: str, scope: Type) -> Node:
    nodes = children(c, args, at, scope, (3, 99))
    if nodes is None or len(nodes) % 2 == 0:
        return c.error(at, "if takes condition, value pairs and a final else value (an odd count)",
                       zh="if 需要若干对“条件, 值”再加一个最后的否则值（参数个数为奇数）")
    conds, values = nodes[0:-1:2], [*nodes[1:-1:2], nodes[-1]]
    if not need_bool(c, conds, "an if condition", "if 的条件"):
        return const_node(U, ANY, at)
    t = next((v.type for v in values if v.type.kind != "null"), NULL)
    for v in values:
        if not comparable(t, v.type):
            return c.error(v.pointer, f"if branches give different types ({t} and {v.type})",
                           zh=f"if 的各分支得出的类型不同（{t.zh}与{v.type.zh}）")
    live = [(a, b) for a, b in zip(conds, values) if a.const is not False]
    if not live or live[0][0].const is True:
        chosen = live[0][1] if live else values[-1]
        return Node(chosen.fn, chosen.op, chosen.args, t, chosen.pointer, path=chosen.path,
                    const=chosen.const, ref=chosen.ref)
    pairs = tuple((a.fn, b.fn) for a, b in live)
    last = values[-1].fn

    def fn(e, it):
        for cond, value in pairs:
            v = cond(e, it)
            if v is True:
                return value(e, it)
            if v is not False:
                return U
        return last(e, it)
    return Node(fn, "if", tuple(nodes), t, at)
