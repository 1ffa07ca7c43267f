"""Domain operators: typed dates and date arithmetic, catchment membership, address equality."""
from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from core.rules.compiler import Compiler, Node, arg_list, children, const_node, fold, lifted2, operator
from core.rules.types import ANY, BOOL, DATE, DATETIME, INT, KIND_ZH, OBJECT_ZH, Type
from core.rules.values import UNDETERMINED as U, as_date, as_datetime

__all__ = ["parse_date", "add_years", "addresses_agree", "ADDRESS_KEYS"]

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ADDRESS_KEYS = ("district", "street", "number", "compound", "unit")


def parse_date(text: Any) -> date | None:
    """A calendar date from strict 'YYYY-MM-DD' text, or None when it is not one."""
    if not isinstance(text, str) or not DATE_RE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def add_years(day: date, years: int) -> date:
    """The same day `years` later (29 February becomes 28 February in common years)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


@operator("date")
def _date(c: Compiler, args: Any, at: str, scope: Type) -> Node:
    items = arg_list(args)
    if len(items) != 1 or parse_date(items[0]) is None:
        shown = items[0] if items else ""
        return c.error(at, f"bad date {shown!r}: write a real calendar date as YYYY-MM-DD",
                       zh=f"日期 {shown!r} 无效：请写一个真实存在的日期，格式为 YYYY-MM-DD")
    return const_node(items[0], DATE, at)


@operator("datetime")
def _datetime(c: Compiler, args: Any, at: str, scope: Type) -> Node:
    items = arg_list(args)
    try:
        value = as_datetime(items[0]) if len(items) == 1 and isinstance(items[0], str) else None
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        return c.error(at, "bad datetime: write ISO 8601 with an offset, e.g. 2021-06-16T17:00:00+08:00",
                       zh="日期时间无效：请按 ISO 8601 写明时区偏移，例如 2021-06-16T17:00:00+08:00")
    return const_node(value, DATETIME, at)


def _typed(c: Compiler, nodes: list[Node], kinds: tuple[str, ...], op: str) -> bool:
    """Report the first operand whose type is not the one `op` needs ('address' names a schema object)."""
    for n, kind in zip(nodes, kinds):
        ok = n.type.kind == "any" or (n.type.name == kind if kind == "address" else n.type.kind == kind)
        if not ok:
            wanted_zh = (OBJECT_ZH if kind == "address" else KIND_ZH)[kind]
            c.error(n.pointer, f"{op} needs {'an' if kind[0] in 'aeiou' else 'a'} {kind} here, not {n.type}",
                    zh=f"{op} 在这里需要{wanted_zh}，而不是{n.type.zh}")
            return False
    return True


@operator("days_between")
def _days_between(c: Compiler, args: Any, at: str, scope: Type) -> Node:
    """Days from the first date to the second (negative when the second is earlier)."""
    nodes = children(c, args, at, scope, 2)
    if nodes is None or not _typed(c, nodes, ("date", "date"), "days_between"):
        return const_node(U, ANY, at)
    fn = lifted2(nodes[0].fn, nodes[1].fn, lambda a, b: (as_date(b) - as_date(a)).days)
    return fold(Node(fn, "days_between", tuple(nodes), INT, at))


def _shift(name: str, step):
    def compile_shift(c: Compiler, args: Any, at: str, scope: Type) -> Node:
        nodes = children(c, args, at, scope, 2)
        if nodes is None or not _typed(c, nodes, ("date", "int"), name):
            return const_node(U, ANY, at)
        fn = lifted2(nodes[0].fn, nodes[1].fn, lambda d, n: step(as_date(d), n).isoformat())
        return fold(Node(fn, name, tuple(nodes), DATE, at))
    return compile_shift


operator("add_days")(_shift("add_days", lambda d, n: d + timedelta(days=n)))
operator("add_years")(_shift("add_years", add_years))


@operator("year")
def _year(c: Compiler, args: Any, at: str, scope: Type) -> Node:
    nodes = children(c, args, at, scope, 1)
    if nodes is None or not _typed(c, nodes, ("date",), "year"):
        return const_node(U, ANY, at)
    f = nodes[0].fn

    def fn(e, it):
        d = f(e, it)
        return d if d is U or d is None else int(d[:4])
    return fold(Node(fn, "year", tuple(nodes), INT, at))


@operator("in_catchment")
def _in_catchment(c: Compiler, args: Any, at: str, scope: Type) -> Node:
    """Whether an address lies inside the pupil's catchment (the one of the basis address)."""
    nodes = children(c, args, at, scope, 1)
    if nodes is None or not _typed(c, nodes, ("address",), "in_catchment"):
        return const_node(U, ANY, at)
    if nodes[0].const is None:
        return const_node(False, BOOL, at)
    f = nodes[0].fn

    def fn(e, it):
        addr = f(e, it)
        if addr is U:
            return U
        if addr is None or e.school is None:
            return False
        if addr is not e.last_address:
            e.last_address, e.last_inside = addr, e.index.contains(e.school, addr)
        return e.last_inside
    return Node(fn, "in_catchment", tuple(nodes), BOOL, at)


def addresses_agree(a, b) -> bool:
    """Whether two addresses name the same home: district, street, number, compound and unit agree."""
    return all(a.get(k) == b.get(k) for k in ADDRESS_KEYS)


@operator("same_address")
def _same_address(c: Compiler, args: Any, at: str, scope: Type) -> Node:
    """Two addresses name the same home (district, street, number, compound and unit agree)."""
    nodes = children(c, args, at, scope, 2)
    if nodes is None or not _typed(c, nodes, ("address", "address"), "same_address"):
        return const_node(U, ANY, at)
    if any(n.const is None for n in nodes):
        return const_node(False, BOOL, at)
    fa, fb = nodes[0].fn, nodes[1].fn

    def fn(e, it):
        a, b = fa(e, it), fb(e, it)
        if a is U or b is U:
            return U
        if a is None or b is None:
            return False
        return addresses_agree(a, b)
    return Node(fn, "same_address", tuple(nodes), BOOL, at)


