"""Workflow guards: expressions over {"application": {...}, "now": aware datetime}."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from core.rules.compiler import Compiler
from core.rules.errors import Problem, RulesetError
from core.rules.values import UNDETERMINED, Env

__all__ = ["compile_guard", "guard_problems"]


def _compile(expr: Any, pointer: str):
    compiler = Compiler(None)
    node = compiler.compile(expr, pointer, compiler.root)
    if node.type.kind not in ("bool", "any"):
        compiler.error(pointer, f"a guard must be true or false, but gives {node.type}",
                       zh=f"流转条件（guard）必须得出真或假，但得出{node.type.zh}")
    return node, compiler.problems


def guard_problems(expr: Any, pointer: str = "") -> list[Problem]:
    """What is wrong with a guard expression (empty when it compiles)."""
    return _compile(expr, pointer)[1]


def compile_guard(expr: Any) -> Callable[[Mapping[str, Any]], bool | None]:
    """Compile a guard once; the callable answers True, False, or None when undetermined.

    Guards are untyped (the application view is free-form), so equality also checks types
    at run time, and datetimes compare as instants.
    """
    node, problems = _compile(expr, "")
    if problems:
        raise RulesetError(problems)
    fn = node.fn

    def guard(context: Mapping[str, Any]) -> bool | None:
        value = fn(Env(context), context)
        return None if value is UNDETERMINED else bool(value)
    return guard
