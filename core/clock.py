"""The season clock, injectable so tests and demos can replay a season.

- real: the wall clock;
- fixed: `XUEWEI_NOW=2021-06-01T09:59:00+08:00` stops time at that moment;
- accelerated: `XUEWEI_CLOCK_START=<iso>` and `XUEWEI_CLOCK_SPEED=<factor>` run time from
  that moment, `factor` times faster than the wall clock. With `XUEWEI_CLOCK_EPOCH=<iso wall
  time>` every process (web workers, the scheduler) agrees on when season time was `START`;
  without it each process starts its own season time at `START` when it starts.

`wall_time(instant)` answers the scheduler's question "at what wall-clock time will season time
reach `instant`?" (None for a fixed clock, where time only moves when a test moves it).

Every request and every phase action asks the clock; nothing else reads the system time to
decide whether a window is open.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Protocol
from zoneinfo import ZoneInfo

__all__ = ["Clock", "RealClock", "FixedClock", "AcceleratedClock", "clock_from_env", "SHANGHAI", "parse_instant"]

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, aware, in UTC."""

    def wall_time(self, instant: datetime) -> datetime | None:
        """The wall-clock time at which this clock reaches `instant`; None if it never will by itself."""


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant; a value without an offset is read as Asia/Shanghai time."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=SHANGHAI)
    return value.astimezone(timezone.utc)


class RealClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def wall_time(self, instant: datetime) -> datetime | None:
        return instant.astimezone(timezone.utc)


@dataclass
class FixedClock:
    """Time stands still at `at` until a test moves it with `advance` or `set`."""

    at: datetime

    def now(self) -> datetime:
        return self.at.astimezone(timezone.utc)

    def advance(self, delta: timedelta) -> None:
        self.at = self.at + delta

    def set(self, at: datetime) -> None:
        self.at = at

    def wall_time(self, instant: datetime) -> datetime | None:
        return None


@dataclass
class AcceleratedClock:
    """Season time that starts at `start` and runs `speed` times faster than the wall clock."""

    start: datetime
    speed: float = 60.0
    epoch: datetime | None = None
    _origin: float = field(default_factory=time.monotonic)

    def _wall_elapsed(self) -> float:
        if self.epoch is not None:
            return (datetime.now(timezone.utc) - self.epoch).total_seconds()
        return time.monotonic() - self._origin

    def now(self) -> datetime:
        return self.start.astimezone(timezone.utc) + timedelta(seconds=self._wall_elapsed() * self.speed)

    def wall_time(self, instant: datetime) -> datetime | None:
        ahead = (instant - self.now()).total_seconds() / self.speed
        return datetime.now(timezone.utc) + timedelta(seconds=ahead)


def clock_from_env() -> Clock:
    """The clock the environment asks for; the real one when nothing is set."""
    if os.environ.get("XUEWEI_NOW"):
        return FixedClock(parse_instant(os.environ["XUEWEI_NOW"]))
    if os.environ.get("XUEWEI_CLOCK_START"):
        epoch = os.environ.get("XUEWEI_CLOCK_EPOCH")
        return AcceleratedClock(parse_instant(os.environ["XUEWEI_CLOCK_START"]),
                                float(os.environ.get("XUEWEI_CLOCK_SPEED", "60")),
                                parse_instant(epoch) if epoch else None)
    return RealClock()
