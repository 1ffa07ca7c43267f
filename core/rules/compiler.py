"""The expression compiler: JSON-Logic syntax, strict semantics, Python closures.

Every expression is type-checked against the facts schema and compiled once into a tree of
`Node`s whose `fn(env, item)` closures do the work. Operators are looked up in a fixed
table (`OPS`); nothing reaches eval, exec, attributes or imports. Missing facts evaluate to
UNDETERMINED, which propagates through Kleene logic (false wins over undetermined in `and`,
true wins in `or`).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from core.rules.errors import Problem, pointer_join
from core.rules.types import ANY, BOOL, INT, NUMBER, STRING, NULL, SchemaTypes, Type, comparable, list_of
from core.rules.values import MISS, UNDETERMINED

__all__ = ["Node", "Compiler", "OPS", "LOOSE", "NOT_CONST", "LEAVES"]

U = UNDETERMINED
NOT_CONST = object()
LOOSE = {"==": "===", "!=": "!=="}
LEAVES = ("===", "!==", "in", "var")


class Node:
    """A compiled expression: its closure, operator, children, type and where it came from."""

    __slots__ = ("fn", "op", "args", "type", "pointer", "path", "const", "ref", "slot")

    def __init__(self, fn, op, args, type_, pointer, *, path=None, const=NOT_CONST, ref=None, slot=-1):
        self.fn, self.op, self.args, self.type = fn, op, args, type_
        self.pointer, self.path, self.const, self.ref, self.slot = pointer, path, const, ref, slot


def const_node(value: Any, type_: Type, pointer: str) -> Node:
    """A node whose value is known when the ruleset loads."""
    return Node(lambda e, it, v=value: v, "const", (), type_, pointer, const=value)


class Compiler:
    """Compiles expressions of one ruleset; collects every problem instead of stopping."""

    def __init__(self, schema: SchemaTypes | None, *, params: Mapping[str, tuple[Any, Type]] | None = None,
                 param_problem: Callable[[str], tuple[str, str] | None] | None = None,
                 known: Mapping[str, Any] | None = None):
        self.schema = schema
        self.root = schema.of(schema.document) if schema is not None else ANY
        self.params = dict(params or {})
        self.param_problem = param_problem
        self.known = dict(known or {})  # fact paths whose value is fixed in this specialisation
        self.problems: list[Problem] = []
        self.named: dict[str, dict[str, Any]] = {"derived": {}, "pred": {}}
        self.compiled: dict[tuple[str, str], Node] = {}
        self._compiling: list[tuple[str, str]] = []
        self.slots: dict[tuple[str, str], int] = {}

    # -- bookkeeping ------------------------------------------------------------------
    def error(self, pointer: str, message: str, *, zh: str) -> Node:
        """Record a problem (English `message`, Chinese `zh`); the node stands in, undetermined."""
        self.problems.append(Problem(pointer, message, zh=zh))
        return const_node(U, ANY, pointer)

    def define(self, kind: str, name: str, expr: Any, pointer: str, meta: Mapping[str, Any] | None = None) -> None:
        """Declare a named derived value or predicate; it compiles on first use or in `finish`."""
        self.named[kind][name] = {"expr": expr, "pointer": pointer, "meta": dict(meta or {})}

    def named_node(self, kind: str, name: str, pointer: str) -> Node:
        """The compiled body of a named derived value or predicate."""
        key = (kind, name)
        if key in self.compiled:
            return self.compiled[key]
        entry = self.named[kind].get(name)
        if entry is None:
            return self.unknown_name(kind, name, pointer)
        if key in self._compiling:
            chain = " -> ".join(n for _, n in self._compiling[self._compiling.index(key):])
            return self.error(pointer, f"{name!r} refers to itself ({chain} -> {name})",
                              zh=f"{name!r} 引用了它自己（{chain} -> {name}）")
        self._compiling.append(key)
        body = self.compile(entry["expr"], entry["pointer"], self.root)
        self._compiling.pop()
        if kind == "pred" and body.type.kind not in ("bool", "any"):
            self.error(entry["pointer"], f"predicate {name!r} must be true or false, but its expression gives {body.type}",
                       zh=f"条件 {name!r} 必须得出真或假，但它的表达式得出{body.type.zh}")
        self.compiled[key] = body
        return body

    def unknown_name(self, kind: str, name: str, pointer: str) -> Node:
        """A reference to a predicate or derived value the ruleset does not define."""
        known = ", ".join(sorted(self.named[kind]))
        word, word_zh = ("predicate", "条件") if kind == "pred" else ("derived value", "派生值")
        return self.error(pointer, f"unknown {word} {name!r} (known: {known or 'none'})",
                          zh=f"未定义的{word_zh} {name!r}（已定义：{known or '无'}）")

    def slot(self, kind: str, name: str) -> int:
        """The cache slot of a named value in `Env.cache` (one list per evaluation)."""
        return self.slots.setdefault((kind, name), len(self.slots))

    def finish(self) -> None:
        """Compile every declared name, so unused ones are checked too."""
        for kind in ("derived", "pred"):
            for name in list(self.named[kind]):
                self.named_node(kind, name, self.named[kind][name]["pointer"])

    # -- the compiler -----------------------------------------------------------------
    def compile(self, expr: Any, pointer: str, scope: Type) -> Node:
        """Compile one expression found at `pointer`, where `var` reads from `scope`."""
        if isinstance(expr, bool) or expr is None:
            return const_node(expr, BOOL if isinstance(expr, bool) else NULL, pointer)
        if isinstance(expr, int):
            return const_node(expr, INT, pointer)
        if isinstance(expr, float):
            return const_node(expr, NUMBER, pointer)
        if isinstance(expr, str):
            return const_node(expr, STRING, pointer)
        if isinstance(expr, list):
            items = [self.compile(x, pointer_join(pointer, i), scope) for i, x in enumerate(expr)]
            if any(n.const is NOT_CONST for n in items):
                return self.error(pointer, "a list literal may hold only constants", zh="列表字面量只能包含常量")
            item_type = items[0].type if items else ANY
            for n in items[1:]:
                if not comparable(item_type, n.type):
                    return self.error(n.pointer, f"list items of different types ({item_type} and {n.type})",
                                      zh=f"列表中的项类型不一致（{item_type.zh}与{n.type.zh}）")
            return const_node(tuple(n.const for n in items), list_of(item_type), pointer)
        if not isinstance(expr, Mapping) or len(expr) != 1:
            return self.error(pointer, "an expression object must have exactly one key, its operator",
                              zh="表达式对象必须恰好有一个键，即它的运算符")
        (op, args), = expr.items()
        at = pointer_join(pointer, op)
        if op in LOOSE:
            return self.error(at, f"loose equality {op!r} is not allowed: it converts types (1 == \"1\"); use {LOOSE[op]!r}",
                              zh=f"不允许宽松相等 {op!r}：它会转换类型（1 == \"1\" 成立）；请改用 {LOOSE[op]!r}")
        spec = OPS.get(op)
        if spec is None:
            return self.error(at, f"unknown operator {op!r}", zh=f"未知的运算符 {op!r}")
        return spec(self, args, at, scope)


def operator(name: str):
    """Register a compile function for operator `name` in the fixed table."""
    def register(fn):
        OPS[name] = fn
        return fn
    return register


OPS: dict[str, Callable[[Compiler, Any, str, Type], Node]] = {}


def arg_list(args: Any) -> list:
    """JSON-Logic allows a single argument without the list."""
    return args if isinstance(args, list) else [args]


def children(c: Compiler, args: Any, at: str, scope: Type, count: int | tuple[int, int] | None = None) -> list[Node] | None:
    """Compile an operator's arguments, checking how many there are."""
    items = arg_list(args)
    lo, hi = (count, count) if isinstance(count, int) else (count or (0, 99))
    if not lo <= len(items) <= hi:
        want = str(lo) if lo == hi else f"{lo} to {hi}"
        c.error(at, f"takes {want} argument(s), got {len(items)}", zh=f"需要 {want} 个参数，实际有 {len(items)} 个")
        return None
    return [c.compile(x, pointer_join(at, i) if isinstance(args, list) else at, scope) for i, x in enumerate(items)]


def fold(node: Node) -> Node:
    """Evaluate a pure node whose arguments are all constants, once, now."""
    if node.args and all(a.const is not NOT_CONST for a in node.args):
        value = node.fn(None, None)
        folded = const_node(value, node.type, node.pointer)
        folded.op, folded.args = node.op, node.args
        return folded
    return node


def kleene(nodes: list[Node], stop: bool) -> Callable[[Any, Any], Any]:
    """`and` (stop=False) or `or` (stop=True) in three-valued logic.

    Cached named values among the operands are read from the evaluation's cache right here,
    which saves a call per operand on the hottest loop of classification.
    """
    other = not stop
    if all(n.slot < 0 for n in nodes):
        fns = tuple(n.fn for n in nodes)

        def plain(e, it):
            r = other
            for f in fns:
                v = f(e, it)
                if v is stop:
                    return stop
                if v is not other:
                    r = U
            return r
        return plain
    steps = tuple((n.slot, n.ref.fn) if n.slot >= 0 else (-1, n.fn) for n in nodes)

    def with_cache(e, it):
        cache, r = e.cache, other
        for slot, f in steps:
            if slot < 0:
                v = f(e, it)
            else:
                v = cache[slot]
                if v is MISS:
                    v = cache[slot] = f(e, e.facts)
            if v is stop:
                return stop
            if v is not other:
                r = U
        return r
    return with_cache


def lifted2(fa: Callable[[Any, Any], Any], fb: Callable[[Any, Any], Any], combine: Callable[[Any, Any], Any]):
    """A closure combining two operands: undetermined if either is, null if either is null."""
    def fn(e, it):
        x, y = fa(e, it), fb(e, it)
        if x is U or y is U:
            return U
        if x is None or y is None:
            return None
        return combine(x, y)
    return fn


def need_bool(c: Compiler, nodes: list[Node], what: str, what_zh: str | None = None) -> bool:
    """Report arguments that are not true/false; `what` names the operator, or the part in words."""
    ok = True
    for n in nodes:
        if n.type.kind not in ("bool", "any"):
            c.error(n.pointer, f"{what} needs true/false, but this gives {n.type}",
                    zh=f"{what_zh or what} 需要真或假，但这里得出{n.type.zh}")
            ok = False
    return ok


# -- data ------------------------------------------------------------------------------
def _getter(path: tuple[str, ...]) -> Callable[[Any], Any]:
    """Follow `path` into dicts: an absent key is UNDETERMINED, null stays null."""
    def get(v):
        for k in path:
            v = v.get(k, U)
            if v is None or v is U:
                return v
        return v
    return get


def reader(path: tuple[str, ...], root: bool, test: Callable[[Any], Any] | None = None):
    """A closure reading a fact path (and applying a C-level `test` to it), in one frame.

    Leaves are most of the work, so the common path lengths are unrolled: an absent key
    gives UNDETERMINED, a null on the way gives null (which `test` then judges).
    """
    if len(path) == 1:
        (k0,) = path

        def read1(e, it):
            v = (e.facts if root else it).get(k0, U)
            if v is U or test is None:
                return v
            return test(v)
        return read1
    if len(path) == 2:
        k0, k1 = path

        def read2(e, it):
            v = (e.facts if root else it).get(k0, U)
            if v is U:
                return U
            if v is not None:
                v = v.get(k1, U)
                if v is U:
                    return U
            return v if test is None else test(v)
        return read2
    if len(path) == 3:
        k0, k1, k2 = path

        def read3(e, it):
            v = (e.facts if root else it).get(k0, U)
            if v is U:
                return U
            if v is not None:
                v = v.get(k1, U)
                if v is U:
                    return U
                if v is not None:
                    v = v.get(k2, U)
                    if v is U:
                        return U
            return v if test is None else test(v)
        return read3
    def readn(e, it):
        v = e.facts if root else it
        for k in path:
            v = v.get(k, U)
            if v is U:
                return U
            if v is None:
                break
        return v if test is None else test(v)
    return readn


def fused(node: Node, test: Callable[[Any], Any]) -> Callable[[Any, Any], Any] | None:
    """One closure that reads `node`'s value and applies a C-level `test`, when node allows it.

    Covers fact paths, cached derived values and predicates, and a field of a cached derived
    value (`{"get": [{"derived": "basis_property"}, "usage"]}`); None for anything else.
    """
    parts = var_parts(node)
    if parts is not None:
        return reader(*parts, test)
    source, key = node, None
    if node.op == "get" and "." not in node.path and node.args[0].slot >= 0:
        source, key = node.args[0], node.path
    if source.slot < 0:
        return None
    slot, body = source.slot, source.ref.fn

    def cached_test(e, it):
        v = e.cache[slot]
        if v is MISS:
            v = e.cache[slot] = body(e, e.facts)
        if v is U:
            return U
        if key is not None and v is not None:
            v = v.get(key, U)
            if v is U:
                return U
        return test(v)
    return cached_test


def var_parts(node: Node) -> tuple[tuple[str, ...], bool] | None:
    """The path and root flag of a `var` node with a non-empty path, else None."""
    if node.op != "var" or not node.path or node.path == "$":
        return None
    root = node.path.startswith("$.")
    return tuple(p for p in (node.path[2:] if root else node.path).split(".") if p), root


def resolve_path(c: Compiler, base: Type, path: tuple[str, ...], at: str, shown: str) -> Type | None:
    """The type at `path` below `base`, reporting the first segment that does not exist."""
    t = base
    for i, key in enumerate(path):
        nxt = c.schema.field(t, key) if c.schema is not None else ANY
        if nxt is None:
            where = ".".join(path[:i]) or ("the current item" if base is not c.root else "the facts")
            where_zh = ".".join(path[:i]) or ("当前项" if base is not c.root else "事实数据")
            if t.kind == "object":
                known = ", ".join(sorted(t.schema.get("properties", {})))
                c.error(at, f"fact {shown!r} does not exist: {where} has no field {key!r} (it has: {known})",
                        zh=f"事实 {shown!r} 不存在：{where_zh} 没有字段 {key!r}（它有：{known}）")
            else:
                c.error(at, f"fact {shown!r} does not exist: {where} is {t}, not an object",
                        zh=f"事实 {shown!r} 不存在：{where_zh} 是{t.zh}，不是对象")
            return None
        t = nxt
    return t


@operator("var")
def _var(c: Compiler, args: Any, at: str, scope: Type) -> Node:
    items = arg_list(args)
    if len(items) != 1 or not isinstance(items[0], str):
        return c.error(at, "var takes one path string; defaults are not allowed (a missing fact is undetermined)",
                       zh="var 只接受一个路径字符串；不允许默认值（缺失的事实即为不确定）")
    text = items[0]
    from_root = text.startswith("$.") or text == "$"
    rel = text[2:] if text.startswith("$.") else ("" if text == "$" else text)
    path = tuple(p for p in rel.split(".") if p != "") if rel else ()
    base = c.root if from_root else scope
    t = resolve_path(c, base, path, at, text)
    if t is None:
        return const_node(U, ANY, at)
    if base is c.root and ".".join(path) in c.known:
        return const_node(c.known[".".join(path)], t, at)
    if not path:
        fn = (lambda e, it: e.facts) if from_root else (lambda e, it: it)
    else:
        fn = reader(path, from_root)
    return Node(fn, "var", (), t, at, path=text)


@operator("param")
def _param(c: Compiler, args: Any, at: str, scope: Type) -> Node:
    items = arg_list(args)
    if len(items) != 1 or not isinstance(items[0], str):
        return c.error(at, "param takes one parameter name", zh="param 只接受一个参数名")
    name = items[0]
    if name not in c.params:
        known = ", ".join(sorted(c.params))
        return c.error(at, f"unknown parameter {name!r} (known: {known or 'none'})",
                       zh=f"未定义的参数 {name!r}（已定义：{known or '无'}）")
    problem = c.param_problem(name) if c.param_problem else None
    if problem:
        message, zh = problem
        return c.error(at, message, zh=zh)
    value, t = c.params[name]
    node = const_node(value, t, at)
    node.op, node.path = "param", name
    return node


def _named_ref(kind: str):
    def compile_ref(c: Compiler, args: Any, at: str, scope: Type) -> Node:
        items = arg_list(args)
        if len(items) != 1 or not isinstance(items[0], str):
            return c.error(at, f"{kind} takes one name", zh=f"{kind} 只接受一个名称")
        name = items[0]
        body = c.named_node(kind, name, at)
        if body.const is not NOT_CONST:
            node = const_node(body.const, body.type, at)
            node.op, node.path, node.ref = kind, name, body
            return node
        inner = body.fn
        if body.op in LEAVES and all(a.op in ("var", "const", "param") for a in body.args):
            fn = inner if scope is c.root else (lambda e, it: inner(e, e.facts))
            return Node(fn, kind, (), body.type, at, path=name, ref=body)
        slot = c.slot(kind, name)

        def cached(e, it):
            cache = e.cache
            v = cache[slot]
            if v is MISS:
                v = cache[slot] = inner(e, e.facts)
            return v
        return Node(cached, kind, (), body.type, at, path=name, ref=body, slot=slot)
    return compile_ref


OPS["derived"] = _named_ref("derived")
OPS["pred"] = _named_ref("pred")


@operator("get")
def _get(c: Compiler, args: Any, at: str, scope: Type) -> Node:
    items = arg_list(args)
    if len(items) != 2 or not isinstance(items[1], str):
        return c.error(at, "get takes an object expression and a field path string",
                       zh="get 需要一个对象表达式和一个字段路径字符串")
    obj = c.compile(items[0], pointer_join(at, 0), scope)
    path = tuple(items[1].split("."))
    t = resolve_path(c, obj.type, path, pointer_join(at, 1), items[1])
    if t is None:
        return const_node(U, ANY, at)
    if obj.const is None:
        return const_node(None, t, at)
    inner = obj.fn
    if len(path) == 1 and obj.slot >= 0:
        (key,), slot, body = path, obj.slot, obj.ref.fn

        def fn(e, it):  # a field of a cached derived value, read without the extra call
            v = e.cache[slot]
            if v is MISS:
                v = e.cache[slot] = body(e, e.facts)
            if v is None or v is U:
                return v
            return v.get(key, U)
    elif len(path) == 1:
        (key,) = path

        def fn(e, it):
            v = inner(e, it)
            if v is None or v is U:
                return v
            return v.get(key, U)
    else:
        get = _getter(path)

        def fn(e, it):
            v = inner(e, it)
            if v is None or v is U:
                return v
            return get(v)
    return Node(fn, "get", (obj,), t, at, path=items[1])


from core.rules import ops_logic, ops_compare, ops_lists, ops_domain  # noqa: E402,F401  (they register their operators)
