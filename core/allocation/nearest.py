"""Nearest school with a free seat, without scanning every school for every pupil."""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from math import sqrt

from .model import School

__all__ = ["FreeSeats"]

_SLACK = 1e-6  # metres; keeps the triangle-inequality cut safe against rounding


def _distance(ax: float, ay: float, bx: float, by: float) -> float:
    # sqrt of a sum of products is correctly rounded in IEEE 754, so every machine agrees on ties.
    dx = ax - bx
    dy = ay - by
    return sqrt(dx * dx + dy * dy)


class FreeSeats:
    """Free seats per school and a nearest-free-seat query.

    Each query starts from an anchor school near the residence (its catchment school) and walks
    the anchor's schools in order of distance from the anchor. By the triangle inequality a
    school t is at least d(anchor, t) - d(anchor, residence) from the residence, so the walk
    stops as soon as that bound exceeds the best distance found. Schools only fill up, so a
    per-anchor pointer skips the full ones at the head of the list for good.
    """

    def __init__(self, schools: Iterable[School], free: MutableMapping[str, int]) -> None:
        self._xy = {school.id: (school.x, school.y) for school in schools}
        self._ids = sorted(self._xy)
        self.free = free
        self._left = sum(max(0, free.get(school_id, 0)) for school_id in self._ids)
        self._neighbours: dict[str, list[tuple[float, str]]] = {}
        self._head: dict[str, int] = {}

    def take(self, school_id: str) -> None:
        """Use one free seat of this school."""
        if self.free[school_id] <= 0:
            raise ValueError(f"school {school_id} has no free seat")
        self.free[school_id] -= 1
        self._left -= 1

    def nearest_school(self, x: float, y: float) -> str:
        """The school nearest to a point (free or not), ties to the lower id: an anchor for a pupil without one."""
        return min(self._ids, key=lambda school_id: (_distance(x, y, *self._xy[school_id]), school_id))

    def _walk(self, anchor: str) -> list[tuple[float, str]]:
        neighbours = self._neighbours.get(anchor)
        if neighbours is None:
            ax, ay = self._xy[anchor]
            neighbours = sorted((_distance(ax, ay, *self._xy[other]), other) for other in self._ids)
            self._neighbours[anchor] = neighbours
            self._head[anchor] = 0
        return neighbours

    def nearest_free(self, x: float, y: float, anchor: str) -> tuple[str, float] | None:
        """The nearest school with a free seat to (x, y), ties to the lower id; None when the city is full."""
        if self._left <= 0:
            return None
        free = self.free
        neighbours = self._walk(anchor)
        head = self._head[anchor]
        while free[neighbours[head][1]] <= 0:
            head += 1
        self._head[anchor] = head
        ax, ay = self._xy[anchor]
        offset = _distance(x, y, ax, ay) + _SLACK
        best_distance = float("inf")
        best_id = ""
        xy = self._xy
        for index in range(head, len(neighbours)):
            from_anchor, school_id = neighbours[index]
            if from_anchor - offset > best_distance:
                break
            if free[school_id] <= 0:
                continue
            distance = _distance(x, y, *xy[school_id])
            if distance < best_distance or (distance == best_distance and school_id < best_id):
                best_distance = distance
                best_id = school_id
        return best_id, best_distance
