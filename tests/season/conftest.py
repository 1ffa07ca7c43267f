"""Fixtures of the season clock: the 2021 calendar materialised as rows, and instants in Beijing time."""
from __future__ import annotations

import pytest

from core.clock import FixedClock, parse_instant
from core.db import write_session
from core.season.boundaries import materialise


def at(text: str):
    """An instant written as Beijing time, e.g. at("2021-06-16T16:59:59")."""
    return parse_instant(text if "+" in text else f"{text}+08:00")


@pytest.fixture
def calendar_rows(engine, season):
    """The season's phases, windows and boundaries as rows (what the scheduler does on start)."""
    with write_session(engine) as session:
        return materialise(session, season)


@pytest.fixture
def season_clock() -> FixedClock:
    """Season time before anything has happened: 14 May 2021, 12:00 Beijing time."""
    return FixedClock(at("2021-05-14T12:00:00"))
