"""Registration serial numbers (报名暨信息采集序号, §4.2): issued once, at submission.

Format (17 characters, documented in docs/serials.md)::

    2021 360102 000123 7
    year district sequence check

`district` is the six-digit administrative division code of the application's district,
`sequence` counts per season and district from 000001, and the check character is ISO 7064
MOD 11-2 over the first 16 digits (as on a resident ID number, so it may be ``X``).
"""
from __future__ import annotations

import re

from sqlalchemy import bindparam, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from core.models import SerialCounter

__all__ = ["issue_serial", "format_serial", "serial_check_char", "is_valid_serial"]

_WEIGHTS = tuple(pow(2, 16 - i, 11) for i in range(16))
_CHECK = "10X98765432"
_SHAPE = re.compile(r"^\d{4}\d{6}\d{6}[\dX]$")


def serial_check_char(first16: str) -> str:
    """ISO 7064 MOD 11-2 check character over 16 digits."""
    total = sum(int(d) * w for d, w in zip(first16, _WEIGHTS, strict=True))
    return _CHECK[(12 - total % 11) % 11]


def format_serial(year: int, district_code: str, sequence: int) -> str:
    """Compose a serial from its parts (sequence 1..999999)."""
    if not (len(district_code) == 6 and district_code.isdigit()):
        raise ValueError(f"district code must be six digits, got {district_code!r}")
    if not 0 < sequence < 1_000_000:
        raise ValueError(f"sequence out of range: {sequence}")
    body = f"{year:04d}{district_code}{sequence:06d}"
    return body + serial_check_char(body)


def is_valid_serial(serial: str) -> bool:
    """True when a serial has the documented shape and a correct check character."""
    return bool(_SHAPE.match(serial or "")) and serial_check_char(serial[:16]) == serial[16]


def _insert_counter(session: Session, season_id: int, district_code: str) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(SerialCounter).values(season_id=season_id, district_code=district_code, last=0)
    session.execute(statement.on_conflict_do_nothing())


def issue_serial(session: Session, *, season_id: int, year: int, district_code: str) -> str:
    """Take the next sequence number of a season's district inside the caller's transaction.

    The counter is bumped with one UPDATE … RETURNING, whose row lock orders concurrent
    submissions on PostgreSQL; only the district's first submission finds no row and creates
    it first (a statement less inside every other submission's write transaction, which on
    SQLite holds the database's one write lock). A rolled-back submission gives its number
    back, so the sequence has no gaps.
    """
    sequence = _bump_counter(session, season_id, district_code)
    if sequence is None:
        _insert_counter(session, season_id, district_code)
        sequence = _bump_counter(session, season_id, district_code)
    return format_serial(year, district_code, sequence)


_COUNTERS = SerialCounter.__table__
# Built once: it runs in every submission's write transaction.
_BUMP = (update(_COUNTERS)
         .where(_COUNTERS.c.season_id == bindparam("b_season"), _COUNTERS.c.district_code == bindparam("b_district"))
         .values(last=_COUNTERS.c.last + 1)
         .returning(_COUNTERS.c.last))


def _bump_counter(session: Session, season_id: int, district_code: str) -> int | None:
    bumped = session.connection().execute(_BUMP, {"b_season": season_id, "b_district": district_code})
    return bumped.scalar_one_or_none()
