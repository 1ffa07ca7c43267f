"""Runtime values of the expression language: the third truth value and date helpers."""
from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

__all__ = ["UNDETERMINED", "MISS", "Env", "as_date", "as_datetime", "jsonable"]


class _Undetermined:
    """A fact the rules need is missing: neither true nor false (manual review)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNDETERMINED"

    def __bool__(self) -> bool:
        raise TypeError("UNDETERMINED has no truth value; test it with `is`")


UNDETERMINED = _Undetermined()


MISS = object()  # a cache slot not computed yet


class Env:
    """What one evaluation sees: the facts, the catchment index, the pupil's catchment, a cache."""

    __slots__ = ("facts", "index", "school", "cache", "last_address", "last_inside")

    def __init__(self, facts, index=None, slots=0):
        self.facts = facts
        self.index = index
        self.school = None
        self.cache = [MISS] * slots
        self.last_address = self.last_inside = None  # pupil and parents often share one address object


@lru_cache(maxsize=4096)
def as_date(text: str) -> date:
    """A date from its ISO text (dates travel as 'YYYY-MM-DD' strings, which order correctly)."""
    return date.fromisoformat(text)


def as_datetime(value) -> datetime:
    """An aware datetime from a datetime or its ISO text with an offset."""
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def jsonable(value):
    """A value as it can appear in a JSON trace."""
    if value is UNDETERMINED:
        return "undetermined"
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, tuple):
        return [jsonable(v) for v in value]
    return value
