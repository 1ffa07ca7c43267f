"""The graduates database (§5): a frozen snapshot of every application, its counts and CSV export.

The snapshot is written in one transaction, so an interrupted build leaves nothing and the
next run builds it whole; a second build finds the first and returns it unchanged.
"""
from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from core.audit import append_event
from core.canonical import sha256_hex
from core.db import read_session, write_session
from core.models import Application, Role, Season
from core.season.models import GraduateRow, GraduateSnapshot
from core.spreadsheets import formula_safe

__all__ = ["build_graduates_database", "graduates_csv", "snapshot_counts", "GRADUATES", "CSV_COLUMNS"]

GRADUATES = "graduates"
CSV_COLUMNS = ("serial", "pupil_id_number", "pupil_name", "district", "state", "tier")


def _existing(session: Session, season_id: int, label: str) -> GraduateSnapshot | None:
    return session.exec(select(GraduateSnapshot).where(GraduateSnapshot.season_id == season_id,
                                                       GraduateSnapshot.label == label)).first()


def snapshot_counts(rows) -> list[dict]:
    """Counts per (district, state, tier), sorted, as stored with the snapshot."""
    counter = Counter((row.district, row.state, row.tier) for row in rows)
    return [{"district": d, "state": s, "tier": t, "count": n}
            for (d, s, t), n in sorted(counter.items(), key=lambda item: (item[0][0], item[0][1], item[0][2] or ""))]


def build_graduates_database(engine: Engine, season_id: int, now: datetime, label: str = GRADUATES,
                             actor: str = "scheduler") -> GraduateSnapshot:
    """Freeze every application of the season as it stands now; built once per label."""
    try:
        with write_session(engine) as session:
            snapshot = _existing(session, season_id, label)
            if snapshot is not None:
                return snapshot
            applications = session.exec(select(Application).where(Application.season_id == season_id)
                                         .order_by(Application.id)).all()
            rows = [GraduateRow(snapshot_id=0, application_id=a.id, serial=a.serial, pupil_id_number=a.pupil_id_number,
                                pupil_name=a.pupil_name, district=a.district, state=a.state, tier=a.tier)
                    for a in applications]
            digest = sha256_hex([[r.application_id, r.serial, r.pupil_id_number, r.district, r.state, r.tier]
                                 for r in rows])
            snapshot = GraduateSnapshot(season_id=season_id, label=label, season_time=now, built_by=actor,
                                        row_count=len(rows), counts=snapshot_counts(rows), sha256=digest)
            session.add(snapshot)
            session.flush()
            for row in rows:
                row.snapshot_id = snapshot.id
            session.add_all(rows)
            season = session.get(Season, season_id)
            append_event(session, actor=actor, actor_role=Role.system.value, subject_type="season",
                         subject_id=season.year, action="graduates_database_built", at=now,
                         data={"label": label, "rows": len(rows), "sha256": digest})
            return snapshot
    except IntegrityError:  # another runner built it at the same moment: theirs is the snapshot
        with read_session(engine) as session:
            return _existing(session, season_id, label)


def graduates_csv(session: Session, snapshot_id: int) -> str:
    """The snapshot as UTF-8 CSV, one application a line, for the education bureau's report; text
    cells (the pupil's name as the family typed it) kept from running as Excel formulas. The
    snapshot's sha256 is over its rows' values, never over this file's bytes (and nothing
    re-computes it from a file), so the guard leaves the digest as it was."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in session.exec(select(GraduateRow).where(GraduateRow.snapshot_id == snapshot_id)
                            .order_by(GraduateRow.application_id)):
        writer.writerow([formula_safe(getattr(row, column) or "") for column in CSV_COLUMNS])
    return out.getvalue()
