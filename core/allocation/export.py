"""Published exports of an allocation: JSON with everything to recompute the draws, and CSV tables."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from core.spreadsheets import formula_safe

from .allocate import Allocation
from .reasons import Explainer

__all__ = ["EXPORT_FORMAT", "export_document", "pupils_csv", "schools_csv", "to_json"]

EXPORT_FORMAT = "xuewei-allocation-export/1"
LOTTERY_ALGORITHM = "HMAC-SHA-256(seed, utf8(serial)), hex; commitment = SHA-256(seed bytes)"

PUPIL_COLUMNS = (
    "serial", "school", "how", "tier", "catchment_school", "lottery_number", "lottery_rank",
    "distance_m", "note", "why_zh", "why_en",
)  # fmt: skip
SCHOOL_COLUMNS = (
    "school", "name", "district", "kind", "capacity", "direct", "special", "applicants",
    "overflow_tier", "lottery_size", "lottery_seats", "cutoff_rank", "cutoff_number",
    "placed_elsewhere", "placed_in", "admitted", "free",
)  # fmt: skip


def export_document(allocation: Allocation) -> dict[str, Any]:
    """The export as plain data (see schemas/allocation-export.schema.json)."""
    explain = Explainer(allocation)
    schools = []
    for school, result in zip(allocation.schools, allocation.results, strict=True):
        schools.append(
            {
                "id": school.id,
                "name": school.name,
                "district": school.district,
                "kind": school.kind,
                "capacity": result.capacity,
                "direct": list(result.direct),
                "special": list(result.special),
                "applicants": {tier: list(serials) for tier, serials in result.applicants.items()},
                "overflow_tier": result.overflow_tier,
                "lottery_size": result.lottery_size,
                "lottery_seats": result.lottery_seats,
                "cutoff_rank": result.cutoff_rank,
                "cutoff_number": result.cutoff_number,
                "placed_elsewhere": result.placed_elsewhere,
                "placed_in": result.placed_in,
                "admitted": result.admitted,
            }
        )
    pupils = []
    for seat in allocation.seats:
        row = seat.as_dict()
        row["why"] = explain.why(seat)
        pupils.append(row)
    return {
        "format": EXPORT_FORMAT,
        "season": allocation.season,
        "policy": allocation.policy.to_dict(),
        "lottery": {
            "algorithm": LOTTERY_ALGORITHM,
            "seed": allocation.seed,
            "commitment": allocation.commitment,
        },
        "schools": schools,
        "pupils": pupils,
    }


def to_json(document: dict[str, Any]) -> str:
    """Canonical JSON text: sorted keys, compact, UTF-8 text, one trailing newline; same inputs, same bytes.

    Compact because only then does the json module use its C encoder (a season is ~50 MB).
    """
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


def _table(columns: tuple[str, ...], rows: Iterable[Iterable[Any]]) -> str:
    """A CSV table for staff to open in Excel, text cells kept from running as formulas (school
    names are imported). Only allocation.json is digested and verified (`verify_export`); these
    tables are derived from it and carry no digest, so guarding them changes nothing verified."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([formula_safe(value) for value in row] for row in rows)
    return buffer.getvalue()


def pupils_csv(document: dict[str, Any]) -> str:
    """One row per pupil: where, how and why."""
    fields = PUPIL_COLUMNS[:-2]
    return _table(
        PUPIL_COLUMNS,
        ([*(pupil[field] for field in fields), pupil["why"]["zh"], pupil["why"]["en"]] for pupil in document["pupils"]),
    )


def schools_csv(document: dict[str, Any]) -> str:
    """One row per school: the per-school table with applicants per tier as `tier:count` pairs."""
    rows = []
    for school in document["schools"]:
        row = dict(school, school=school["id"])
        row["direct"] = len(school["direct"])
        row["special"] = len(school["special"])
        row["applicants"] = " ".join(f"{tier}:{len(serials)}" for tier, serials in school["applicants"].items())
        row["free"] = school["capacity"] - school["admitted"]
        rows.append([row[column] for column in SCHOOL_COLUMNS])
    return _table(SCHOOL_COLUMNS, rows)
