"""Code generation for classification without explanations: one Python function per variant.

The closures of `compiler.py` cost a call per node; a classification makes about 130 of them,
which caps throughput near 90,000/s. This module turns an already compiled and type-checked
ruleset (its `Node` trees) into one straight-line function: named values become local
variables computed at most once, fact paths become subscripts, and short-circuiting Kleene
logic becomes nested `if`s. It is the lead's decision recorded in docs/rules.md, under rules
that keep the language's promise (no eval/exec, no attribute access, no unknown operators):

- the `ast` tree is built here only from the node types in `ALLOWED` (checked before compiling);
- every ruleset value enters as an `ast.Constant` or as a name bound in the namespace dict we
  build (never as source text, never as a string that is parsed);
- every identifier is generated here; the namespace has no builtins;
- the code object from `compile(tree, ...)` becomes a function via `types.FunctionType`.

The generated function covers `Ruleset.classify` without explanations whenever nothing is
undetermined and the basis address has a catchment: not eligible, a check failing, or a
FIRST row (or none) deciding. Anything else returns None and the caller runs the closures.
A node whose operator has no generated form here raises `Unsupported`, and that variant
keeps the closures throughout.
"""
from __future__ import annotations

import ast
import types
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from core.rules.compiler import NOT_CONST, Node, var_parts
from core.rules.ops_compare import needs_instants
from core.rules.ops_domain import addresses_agree
from core.rules.values import MISS, UNDETERMINED as U

__all__ = ["ALLOWED", "Unsupported", "FastPath", "Outcomes", "generate"]

ALLOWED = frozenset({
    ast.Module, ast.FunctionDef, ast.arguments, ast.arg, ast.Return, ast.Assign, ast.Expr, ast.If, ast.For,
    ast.Break, ast.Name, ast.Load, ast.Store, ast.Constant, ast.Compare, ast.Is, ast.IsNot, ast.Eq,
    ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp,
    ast.Not, ast.IfExp, ast.Call, ast.Subscript, ast.List, ast.Tuple, ast.Dict, ast.BinOp, ast.Add,
    ast.Sub, ast.Try, ast.ExceptHandler,
})

COMPARE = {"===": ast.Eq, "!==": ast.NotEq, "<": ast.Lt, "<=": ast.LtE, ">": ast.Gt, ">=": ast.GtE}
ARGS = ("facts", "school_of", "contains")
# Kleene connectives and quantifiers: (value that stops the scan, result when it does)
STOPS = {"and": (False, False), "or": (True, True), "some": (True, True), "all": (False, False),
         "none": (True, False)}


MAX_NAMES = 2_000  # a named value read in many exclusive branches is written out in each: keep it bounded


class Unsupported(Exception):
    """The ruleset uses an operator (or shape) this generator has no code for."""


def _load(name: str) -> ast.Name:
    return ast.Name(name, ast.Load())


def _store(name: str, value: ast.expr) -> ast.Assign:
    return ast.Assign([ast.Name(name, ast.Store())], value)


def _is(a: ast.expr, b: ast.expr, negate: bool = False) -> ast.expr:
    """`a is b` (or `is not`), decided now when both sides are literals."""
    if isinstance(a, ast.Constant) and isinstance(b, ast.Constant):
        return ast.Constant((a.value is b.value) != negate)
    return ast.Compare(a, [ast.IsNot() if negate else ast.Is()], [b])


def _if_exp(test: ast.expr, then: ast.expr, otherwise: ast.expr) -> ast.IfExp:
    return ast.IfExp(test, then, otherwise)


def _either_null(a: ast.expr, b: ast.expr) -> ast.expr:
    return ast.BoolOp(ast.Or(), [_is(a, ast.Constant(None)), _is(b, ast.Constant(None))])


BAIL = ast.Return(ast.Constant(None))  # undetermined somewhere: the closures decide
# operators whose generated value is always True or False (never null, never undetermined)
BOOLEAN = frozenset({"===", "!==", "<", "<=", ">", ">=", "in", "!", "and", "or", "some", "all", "none", "same_address"})


def _boolean(node: Node) -> bool:
    """Whether the generated value of `node` is surely a bool (a named value: its body's)."""
    while node.const is NOT_CONST and node.op in ("pred", "derived") and node.ref is not None:
        node = node.ref
    return node.const is True or node.const is False or (node.const is NOT_CONST and node.op in BOOLEAN)


def _rename(statements: list, old: str, new: str) -> None:
    """Every use of the variable `old` in `statements` becomes `new`."""
    for statement in statements:
        for n in ast.walk(statement):
            if isinstance(n, ast.Name) and n.id == old:
                n.id = new


def _holds(v: ast.expr, want: bool, boolean: bool) -> ast.expr:
    """The test `v is want`; a plain truth test where `v` is surely a bool."""
    if boolean and not isinstance(v, ast.Constant):
        return v if want else ast.UnaryOp(ast.Not(), v)
    return _is(v, ast.Constant(want))


class _Generator:
    """Builds the statements of one function; `value` appends code and returns a Name or Constant.

    Generated values are never UNDETERMINED: wherever the closures would meet it (a missing
    fact, a condition that is neither true nor false), the function returns None instead and
    the closures decide. `uses` counts the places each cached named value is read (a place
    inside a loop counts twice): a value read once needs no cache variable.
    """

    def __init__(self, uses: Mapping[int, int] | None = None, holds: set[tuple[int, int]] | None = None) -> None:
        self.namespace: dict[str, Any] = {"__builtins__": {}, "_MISS": MISS, "_Missing": (KeyError, TypeError)}
        self.count = 0
        self.uses = uses
        self.seen: dict[int, int] = {}
        self.holds = holds  # (read, prefix length) pairs whose value a later read uses; None: as if all of them
        self.wanted: set[tuple[int, int]] = set()  # the pairs later reads used (for the next pass's `holds`)
        self.reads = 0
        self.held: dict[tuple, str] = {}  # (source variable, keys) -> the local holding that path's value
        self.loops = 0
        self.catchment_memo = False
        self.school_known = False
        self.catchment_address: Node | None = None  # the expression whose address gave the school
        # what is surely computed where the code is being appended: cached values (slot -> None) and
        # held paths (("path", source variable, keys) -> the (read, prefix length) that holds it)
        self.ready: dict[Any, Any] = {}
        self.sited: set[int] = set()  # cached values with code computing them already appended somewhere
        self.guarded: set[int] = set()  # cached values computed behind a "not yet" test (start as _MISS)

    def fresh(self, stem: str) -> str:
        self.count += 1
        if self.count > MAX_NAMES:
            raise Unsupported(f"more than {MAX_NAMES} generated names: the closures are the better fit")
        return f"{stem}{self.count}"

    def bind(self, value: Any, stem: str = "k") -> ast.Name:
        """A value the code needs, as a name in the namespace (the value never becomes text)."""
        name = self.fresh(stem)
        self.namespace[name] = value
        return _load(name)

    def constant(self, value: Any) -> ast.expr:
        if value is U:
            raise Unsupported("an expression that is undetermined whatever the facts")
        if value is None or type(value) in (bool, int, float, str):
            return ast.Constant(value)
        return self.bind(value)

    def assign(self, out: list, value: ast.expr) -> ast.Name:
        name = self.fresh("t")
        out.append(_store(name, value))
        return _load(name)

    # -- expressions ------------------------------------------------------------------
    def value(self, node: Node, it: str, out: list) -> ast.expr:
        """Append the statements computing `node` for the current item `it`; return its value."""
        if node.const is not NOT_CONST:
            return self.constant(node.const)
        handler = getattr(self, "op_" + OP_NAMES.get(node.op, "unsupported"))
        return handler(node, it, out)

    def op_unsupported(self, node: Node, it: str, out: list) -> ast.expr:
        raise Unsupported(f"no generated form for {node.op!r} (at {node.pointer})")

    def read(self, node: Node, it: str, out: list, test: Callable[[ast.expr], ast.expr] | None = None,
             careful_test: Callable[[ast.expr], ast.expr] | None = None) -> ast.Name | None:
        """A fact read (`var` with a path, `get`), with `test` applied to its value; None for other nodes."""
        if node.const is not NOT_CONST or node.op not in ("var", "get"):
            return None
        if node.op == "var":
            keys, root = var_parts(node) or ((), False)
            if not keys:
                return None
            return self.follow(_load("facts" if root else it), keys, out, test, careful_test, False)
        source = self.value(node.args[0], it, out)
        return self.follow(source, tuple(node.path.split(".")), out, test, careful_test, True)

    def follow(self, source: ast.expr, keys: tuple[str, ...], out: list,
               test: Callable[[ast.expr], ast.expr] | None, careful_test: Callable[[ast.expr], ast.expr] | None,
               nullable: bool) -> ast.Name:
        """The value at `keys` below `source` (`nullable`: the source itself may be null), `test` applied.

        The read is tried as one subscript chain: when every key is there and nothing on the
        way is null, that is the value. Otherwise (KeyError, TypeError) the keys are followed
        one by one: an absent key gives up (undetermined), a null on the way gives null, and
        `careful_test` (default `test`) judges that value, which may be null.

        Path prefixes that other reads share are held in locals (`p7 = facts["pupil"]`) by
        both ways of reading, null included (a null on the way holds null below it); a later
        read starts from the longest prefix surely held where it runs (`ready`), and treats
        that local as possibly null. A read that gives up returns, so it holds nothing.
        """
        careful_test = careful_test or test
        self.reads += 1
        start, base, hold = 0, source, {}
        if isinstance(source, ast.Name):
            start = next((n for n in range(len(keys), 0, -1) if ("path", source.id, keys[:n]) in self.ready), 0)
            if start:
                base = self.held_path(source.id, keys[:start])  # maybe null: every step below is guarded
            for n in range(start + 1, len(keys) + 1):
                if self.holds is None or (self.reads, n) in self.holds:
                    hold[n] = self.held.setdefault((source.id, keys[:n]), f"p{len(self.held)}")
        if start == len(keys):
            return base if test is None else self.assign(out, careful_test(base))
        result = hold[len(keys)] if test is None and len(keys) in hold else self.fresh("t")
        chain, body, careful = base, [], [_store(result, base)]
        for n in range(start + 1, len(keys) + 1):
            key = ast.Constant(keys[n - 1])
            chain = ast.Subscript(chain, key, ast.Load())
            step = [ast.If(ast.Compare(key, [ast.NotIn()], [_load(result)]), [BAIL], []),
                    _store(result, ast.Subscript(_load(result), key, ast.Load()))]
            careful += [ast.If(_is(_load(result), ast.Constant(None), True), step, [])] if n > 1 or nullable else step
            if n in hold:
                if hold[n] != result:
                    careful.append(_store(hold[n], _load(result)))
                body.append(_store(hold[n], chain))
                chain = _load(hold[n])
        if test is not None:
            careful.append(_store(result, careful_test(_load(result))))
            body.append(_store(result, test(chain)))
        elif result not in hold.values():
            body.append(_store(result, chain))
        out.append(ast.Try(body, [ast.ExceptHandler(_load("_Missing"), None, careful)], [], []))
        self.ready.update({("path", source.id, keys[:n]): (self.reads, n) for n in hold})
        return _load(result)

    def held_path(self, source: str, keys: tuple[str, ...]) -> ast.Name | None:
        """The local surely holding the value at `keys` below the variable `source` here (maybe null), or None."""
        provider = self.ready.get(("path", source, keys))
        if provider is None:
            return None
        self.wanted.add(provider)
        return _load(self.held[(source, keys)])

    def tested(self, node: Node, it: str, out: list, test: Callable[[ast.expr], ast.expr],
               careful_test: Callable[[ast.expr], ast.expr] | None = None) -> ast.expr:
        """`test` applied to a node's value, read and tested in one step where the node is a fact.

        `careful_test` is the test for any value, null included; `test` may assume what a
        subscript chain that did not fail proves (it may raise TypeError for a null).
        """
        found = self.read(node, it, out, test, careful_test)
        return found if found is not None else self.assign(out, (careful_test or test)(self.value(node, it, out)))

    def op_var(self, node: Node, it: str, out: list) -> ast.expr:
        return self.read(node, it, out) or _load("facts" if node.path.startswith("$") else it)

    def op_get(self, node: Node, it: str, out: list) -> ast.expr:
        return self.read(node, it, out)

    def named(self, node: Node, out: list) -> ast.expr:
        """A derived value or predicate: computed at most once per classification."""
        body = node.ref
        if node.slot < 0:
            return self.value(body, "facts", out)
        self.seen[node.slot] = self.seen.get(node.slot, 0) + (2 if self.loops else 1)
        if self.uses is not None and self.uses.get(node.slot, 0) < 2:
            return self.value(body, "facts", out)
        memo = f"m{node.slot}"
        if node.slot in self.ready:
            return _load(memo)
        ready = dict(self.ready)
        first = self.count
        inner: list = []
        v = self.value(body, "facts", inner)
        if isinstance(v, ast.Constant) and not inner:
            return v  # known where it is read (e.g. the basis address in its own catchment): nothing to remember
        self.compute_into(inner, 0, first, v, memo)
        if node.slot not in self.sited and not self.loops:
            # nothing before this place computes it, and no loop comes back here: no test needed
            self.sited.add(node.slot)
            out += inner
            self.ready[node.slot] = None
            return _load(memo)
        self.sited.add(node.slot)
        self.guarded.add(node.slot)
        out.append(ast.If(_is(_load(memo), _load("_MISS")), inner, []))
        self.ready = {**ready, node.slot: None}
        return _load(memo)

    def op_pred(self, node: Node, it: str, out: list) -> ast.expr:
        return self.named(node, out)

    op_derived = op_pred

    def op_compare(self, node: Node, it: str, out: list) -> ast.expr:
        a, b = node.args
        op = COMPARE[node.op]
        if node.op in ("===", "!=="):
            if "any" in (a.type.kind, b.type.kind):
                raise Unsupported("untyped equality")
            if b.const is not NOT_CONST:
                k = self.constant(b.const)
                return self.tested(a, it, out, lambda v: ast.Compare(v, [op()], [k]))
            x, y = self.value(a, it, out), self.value(b, it, out)
            same = ast.Compare(x, [ast.Eq()], [y])
            return self.assign(out, ast.UnaryOp(ast.Not(), same) if node.op == "!==" else same)
        if len(node.args) != 2 or needs_instants(node.args):
            raise Unsupported("an ordering of three operands or of datetimes")
        if b.const is not NOT_CONST and b.const is not None:
            k = self.constant(b.const)
            return self.tested(a, it, out, lambda v: ast.Compare(v, [op()], [k]), lambda v: _if_exp(
                _is(v, ast.Constant(None)), ast.Constant(False), ast.Compare(v, [op()], [k])))
        x, y = self.value(a, it, out), self.value(b, it, out)
        return self.assign(out, _if_exp(_either_null(x, y), ast.Constant(False), ast.Compare(x, [op()], [y])))

    def op_in(self, node: Node, it: str, out: list) -> ast.expr:
        x, coll = node.args
        if coll.const is NOT_CONST:
            raise Unsupported("in over a list read from the facts")
        members = self.bind(frozenset(coll.const))
        return self.tested(x, it, out, lambda v: ast.Compare(v, [ast.In()], [members]))

    def op_arith(self, node: Node, it: str, out: list) -> ast.expr:
        x, y = self.value(node.args[0], it, out), self.value(node.args[1], it, out)
        total = ast.BinOp(x, ast.Add() if node.op == "+" else ast.Sub(), y)
        return self.assign(out, _if_exp(_either_null(x, y), ast.Constant(None), total))

    def op_not(self, node: Node, it: str, out: list) -> ast.expr:
        return self.assign(out, ast.UnaryOp(ast.Not(), self.value(node.args[0], it, out)))

    def op_connective(self, node: Node, it: str, out: list, then: list | None = None) -> ast.expr | None:
        """and/or: the operand that decides ends the scan; one neither true nor false gives up.

        With `then`, no value is made: `then` runs where every operand is `not stop` (all true
        for `and`, all false for `or`), and the code goes on after it where one is `stop`.
        """
        stop, _ = STOPS[node.op]
        result = None if then is not None else self.fresh("t")
        block = out
        ready = self.ready
        for i, child in enumerate(node.args):
            since, first = len(block), self.count
            v = self.value(child, it, block)
            if i == 0:
                ready = dict(self.ready)  # what later operands compute may not have run
            boolean, last = _boolean(child), i == len(node.args) - 1
            if result is not None and last and boolean:
                self.compute_into(block, since, first, v, result)  # the last operand, true or false, is the result
                self.ready = ready
                return _load(result)
            go_on: list = then if then is not None and last else []
            if result is None:
                decided = [] if boolean else [ast.If(_is(v, ast.Constant(stop), True), [BAIL], [])]
            else:
                decided = [_store(result, ast.Constant(stop))]
                if not boolean:
                    decided = [ast.If(_is(v, ast.Constant(stop)), decided, [BAIL])]
            block.append(ast.If(_holds(v, not stop, boolean), go_on, decided))
            block = go_on
        if result is not None:
            block.append(_store(result, ast.Constant(not stop)))
        elif not node.args:
            out += then
        self.ready = ready
        return None if result is None else _load(result)

    def compute_into(self, statements: list, since: int, first: int, v: ast.expr, target: str) -> None:
        """Leave the value `v` of `statements[since:]` in the variable `target`.

        Where `v` is a variable made for it there (numbered after `first`), that variable is
        renamed `target`, which saves a copy; else `target = v` is appended.
        """
        if isinstance(v, ast.Name) and v.id[0] == "t" and int(v.id[1:]) > first:
            _rename(statements[since:], v.id, target)
        else:
            statements.append(_store(target, v))

    def op_if(self, node: Node, it: str, out: list) -> ast.expr:
        conds, values = node.args[0:-1:2], [*node.args[1:-1:2], node.args[-1]]
        live = [(a, b) for a, b in zip(conds, values) if a.const is not False]
        result = self.fresh("t")
        block = out
        ready = self.ready
        for i, (cond, val) in enumerate(live):
            c = self.value(cond, it, block)
            if i == 0:
                ready = dict(self.ready)
            then: list = []
            before = dict(self.ready)
            then.append(_store(result, self.value(val, it, then)))
            self.ready = before  # the next branch runs only when this one did not
            if _boolean(cond):
                otherwise: list = []
                block.append(ast.If(_holds(c, True, True), then, otherwise))
                block = otherwise
            else:
                undecided = ast.If(_is(c, ast.Constant(False), True), [BAIL], [])
                block.append(ast.If(_is(c, ast.Constant(True)), then, [undecided]))
                block = undecided.orelse
        block.append(_store(result, self.value(values[-1], it, block)))
        self.ready = ready
        return _load(result)

    def scan(self, node: Node, it: str, out: list, start: ast.expr, on_item: Callable[[ast.expr, str, str, bool], list],
             null_is_empty: bool) -> ast.expr:
        """A loop over a list-valued operand; a null list is empty, or (`null_is_empty` false) gives null."""
        lst, body = node.args
        items = self.value(lst, it, out)
        result = self.fresh("t")
        item = self.fresh("x")
        loop_body: list = []
        self.loops += 1
        ready = dict(self.ready)
        v = self.value(body, item, loop_body)
        self.ready = ready
        self.loops -= 1
        loop_body += on_item(v, item, result, _boolean(body))
        source = ast.BoolOp(ast.Or(), [items, ast.Tuple([], ast.Load())]) if null_is_empty else items
        loop = [_store(result, start), ast.For(ast.Name(item, ast.Store()), source, loop_body, [])]
        if null_is_empty:
            out += loop
        else:
            out.append(ast.If(_is(items, ast.Constant(None)), [_store(result, ast.Constant(None))], loop))
        return _load(result)

    def op_quantifier(self, node: Node, it: str, out: list) -> ast.expr:
        stop_on, result_on_stop = STOPS[node.op]

        def on_item(v: ast.expr, item: str, result: str, boolean: bool) -> list:
            return [ast.If(_holds(v, stop_on, boolean), [_store(result, ast.Constant(result_on_stop)), ast.Break()], [])]
        return self.scan(node, it, out, ast.Constant(not result_on_stop), on_item, True)

    def op_filter(self, node: Node, it: str, out: list) -> ast.expr:
        append = self.bind(list.append, "f")

        def on_item(v: ast.expr, item: str, result: str, boolean: bool) -> list:
            return [ast.If(v, [ast.Expr(ast.Call(append, [_load(result), _load(item)], []))], [])]
        return self.scan(node, it, out, ast.List([], ast.Load()), on_item, False)

    def op_find(self, node: Node, it: str, out: list) -> ast.expr:
        def on_item(v: ast.expr, item: str, result: str, boolean: bool) -> list:
            return [ast.If(_holds(v, True, boolean), [_store(result, _load(item)), ast.Break()], [])]
        return self.scan(node, it, out, ast.Constant(None), on_item, False)

    def op_count(self, node: Node, it: str, out: list) -> ast.expr:
        v = self.value(node.args[0], it, out)
        return self.assign(out, ast.Call(self.bind(len, "f"), [ast.BoolOp(ast.Or(), [v, ast.Tuple([], ast.Load())])], []))

    def op_in_catchment(self, node: Node, it: str, out: list) -> ast.expr:
        """Membership of the pupil's catchment, remembering the last address asked about.

        The address the catchment was found from lies in it (`CatchmentIndex.school_of`):
        the same named derived value needs no lookup.
        """
        arg, basis = node.args[0], self.catchment_address
        if self.school_known and basis is not None and arg.op == basis.op == "derived" and arg.path == basis.path:
            return ast.Constant(True)
        self.catchment_memo = True
        a = self.value(arg, it, out)
        t = self.fresh("t")
        inside = _store("last_inside", ast.Call(_load("contains"), [_load("school"), a], []))
        ask = ast.If(_is(a, _load("last_address"), True),
                     [ast.If(ast.Compare(a, [ast.NotEq()], [_load("last_address")]), [inside], []), _store("last_address", a)], [])
        unknown = _is(a, ast.Constant(None)) if self.school_known else _either_null(a, _load("school"))
        out.append(ast.If(unknown, [_store(t, ast.Constant(False))], [ask, _store(t, _load("last_inside"))]))
        return _load(t)

    def op_same_address(self, node: Node, it: str, out: list) -> ast.expr:
        a, b = self.value(node.args[0], it, out), self.value(node.args[1], it, out)
        agree = ast.Call(self.bind(addresses_agree, "f"), [a, b], [])
        return self.assign(out, _if_exp(_either_null(a, b), ast.Constant(False), agree))


OP_NAMES = {"var": "var", "get": "get", "pred": "pred", "derived": "derived", "===": "compare", "!==": "compare",
            "<": "compare", "<=": "compare", ">": "compare", ">=": "compare", "in": "in", "+": "arith",
            "-": "arith", "!": "not", "and": "connective", "or": "connective", "if": "if", "some": "quantifier",
            "all": "quantifier", "none": "quantifier", "filter": "filter", "find": "find", "count": "count",
            "in_catchment": "in_catchment", "same_address": "same_address"}


class Outcomes(NamedTuple):
    """How the generated code builds its results (the caller's own objects, bound by name)."""

    make: Callable[..., Any]  # (eligible, tier, row, catchment, reasons) -> Classification
    row_reasons: Mapping[str, Any]  # row id -> its reason
    no_row: Any  # the reason when no row matches
    ineligible: Any  # the reason when no eligibility route holds
    checks_failed: Callable[..., Any]  # (school, *one bool per check) -> the result when some check failed


class FastPath:
    """A generated classifier: `fn(facts, index.school_of, index.contains)` and its `tree`."""

    __slots__ = ("fn", "tree", "namespace")

    def __init__(self, fn: Callable[..., Any], tree: ast.Module, namespace: Mapping[str, Any]):
        self.fn, self.tree, self.namespace = fn, tree, namespace


def _check(g: _Generator, check: Any, out: list) -> ast.expr:
    """Whether the check fails (see loader.py), True or False; undetermined gives up."""
    if check.kind == "evidence":
        applies, require = check.parts
        if applies.const is True:
            return ast.UnaryOp(ast.Not(), g.value(require, "facts", out))
        a = g.value(applies, "facts", out)
        result = g.fresh("f")
        rest: list = []
        ready = dict(g.ready)
        rest.append(_store(result, ast.UnaryOp(ast.Not(), g.value(require, "facts", rest))))
        g.ready = ready
        out.append(ast.If(_holds(a, False, _boolean(applies)), [_store(result, ast.Constant(False))], rest))
        return _load(result)
    if check.kind == "coordinated":
        (when,) = check.parts
        v = g.value(when, "facts", out)
        if not _boolean(when):
            out.append(ast.If(ast.BoolOp(ast.And(), [_is(v, ast.Constant(True), True), _is(v, ast.Constant(False), True)]),
                              [BAIL], []))
        return v
    if check.kind == "three_year":
        prop, since = check.parts
        if since is None:
            raise Unsupported("a three-year rule whose years or date are read from the facts")
        p = g.value(prop, "facts", out)
        result, pupil_number, use = g.fresh("f"), g.fresh("t"), g.fresh("x")
        pupil = g.held_path("facts", ("pupil",)) or ast.Subscript(_load("facts"), ast.Constant("pupil"), ast.Load())
        pupil_id = ast.Subscript(pupil, ast.Constant("id_number"), ast.Load())  # a null pupil is a TypeError too
        uses = _if_exp(ast.Compare(ast.Constant("enrolment_uses"), [ast.In()], [p]),
                       ast.Subscript(p, ast.Constant("enrolment_uses"), ast.Load()), ast.Tuple([], ast.Load()))
        other_use = ast.BoolOp(ast.And(), [
            ast.Compare(ast.Subscript(_load(use), ast.Constant("year"), ast.Load()), [ast.Gt()], [ast.Constant(since)]),
            ast.Compare(ast.Subscript(_load(use), ast.Constant("pupil_id_number"), ast.Load()), [ast.NotEq()], [_load(pupil_number)])])
        scan = [ast.Try([_store(pupil_number, pupil_id)], [ast.ExceptHandler(_load("_Missing"), None, [BAIL])], [], []),
                ast.For(ast.Name(use, ast.Store()), uses, [ast.If(other_use, [_store(result, ast.Constant(True)), ast.Break()], [])], [])]
        out += [_store(result, ast.Constant(False)), ast.If(_is(p, ast.Constant(None), True), scan, [])]
        return _load(result)
    raise Unsupported(f"a check of kind {check.kind!r}")


def _check_tree(tree: ast.AST) -> None:
    for n in ast.walk(tree):
        if type(n) not in ALLOWED:
            raise Unsupported(f"generated a {type(n).__name__} node, which is not allowed")


def _body(g: _Generator, compiled: Any, outcomes: Outcomes) -> list:
    """The statements of the generated classifier (see `generate`)."""
    make = g.bind(outcomes.make, "f")
    body: list = []
    not_eligible = ast.Call(make, [ast.Constant(False), ast.Constant(None), ast.Constant(None), ast.Constant(None),
                                   ast.List([g.bind(outcomes.ineligible)], ast.Load())], [])
    g.op_connective(Node(None, "or", tuple(n for _, n in compiled.eligibility), None, ""), "facts", body,
                    [ast.Return(not_eligible)])
    address = g.value(compiled.catchment_address, "facts", body)
    body.append(ast.If(_is(address, ast.Constant(None)), [BAIL], []))
    body.append(_store("school", ast.Call(_load("school_of"), [address], [])))
    body.append(ast.If(_is(_load("school"), ast.Constant(None)), [BAIL], []))
    g.school_known, g.catchment_address = True, compiled.catchment_address
    known = len(body)
    fails = [_check(g, check, body) for check in compiled.checks]
    if fails:
        decide = ast.Call(g.bind(outcomes.checks_failed, "f"), [_load("school"), *fails], [])
        body.append(ast.If(ast.BoolOp(ast.Or(), fails) if len(fails) > 1 else fails[0], [ast.Return(decide)], []))
    for row in compiled.rows:
        made = ast.Call(make, [ast.Constant(True), ast.Constant(row.tier), ast.Constant(row.id), _load("school"),
                               ast.List([g.bind(outcomes.row_reasons[row.id])], ast.Load())], [])
        g.op_connective(Node(None, "and", tuple(n for _, n in row.conditions if n.const is not True), None, ""),
                        "facts", body, [ast.Return(made)])
    body.append(ast.Return(ast.Call(make, [ast.Constant(True), ast.Constant("coordinated"), ast.Constant(None),
                                           _load("school"), ast.List([g.bind(outcomes.no_row)], ast.Load())], [])))
    if g.catchment_memo:  # the basis address lies in its own catchment: the first address `in_catchment` knows
        body[known:known] = [_store("last_address", address), _store("last_inside", ast.Constant(True))]
    return body


def generate(compiled: Any, outcomes: Outcomes, name: str = "classify") -> FastPath | None:
    """The generated classifier of one compiled variant, or None when it cannot have one.

    The function returns the result built with `outcomes`, or None whenever the closures
    must decide (something undetermined, or an address without a catchment).
    """
    if compiled.hit_policy != "FIRST":
        return None
    uses = holds = None
    for final in (False, False, True):  # the first pass counts where each named value is read, the second which
        # path prefixes a later read could start from
        g = _Generator(uses, holds if final else None)
        try:
            body = _body(g, compiled, outcomes)
        except Unsupported:
            return None
        uses, holds = uses if uses is not None else g.seen, g.wanted
    start = [_store("school", ast.Constant(None))]
    if g.catchment_memo:
        start += [_store("last_address", ast.Constant(None)), _store("last_inside", ast.Constant(None))]
    memos = sorted(g.guarded)
    if memos:
        start.append(ast.Assign([ast.Name(f"m{slot}", ast.Store()) for slot in memos], _load("_MISS")))
    args = ast.arguments(posonlyargs=[], args=[ast.arg(a) for a in ARGS], kwonlyargs=[], kw_defaults=[], defaults=[])
    tree = ast.Module([ast.FunctionDef(name=name, args=args, body=start + body, decorator_list=[])], type_ignores=[])
    ast.fix_missing_locations(tree)
    _check_tree(tree)
    try:
        module_code = compile(tree, f"<generated {name}>", "exec")
    except (SyntaxError, RecursionError):  # e.g. more than 20 nested loops and handlers
        return None
    code = next(c for c in module_code.co_consts if isinstance(c, types.CodeType))
    return FastPath(types.FunctionType(code, g.namespace, name), tree, g.namespace)
