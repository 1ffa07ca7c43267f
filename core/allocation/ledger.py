"""The property ledger of §6.1: one urban property gives one family's child a seat once in three years."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter

from .model import Pupil, Seat

__all__ = [
    "LEDGER_HOWS", "PropertyConflict", "PropertyUse", "find_reuse", "ledger_index", "season_conflicts", "uses_from",
]  # fmt: skip

# Seats whose basis was the family's property (direct and special seats rest on lists, not on it).
LEDGER_HOWS = frozenset({"tier", "lottery", "placed"})


@dataclass(slots=True)
class PropertyUse:
    """A property certificate that gave a seat: the key of the certificate, the admission year, the pupil."""

    property_key: str
    year: int
    serial: str
    family_key: str


@dataclass(frozen=True, slots=True)
class PropertyConflict:
    """A later claim on a property another family already used inside the window."""

    serial: str
    property_key: str
    used_year: int
    used_by: str


def _within(use_year: int, year: int, window_years: int) -> bool:
    # Property age is counted to 31 May of the admission year, so admission years compare directly:
    # a use for year Y blocks years Y .. Y + window - 1.
    return 0 <= year - use_year < window_years


def find_reuse(
    property_key: str, family_key: str, year: int, ledger: Iterable[PropertyUse], window_years: int = 3
) -> PropertyUse | None:
    """The earliest use by another family that blocks this claim, for the fact-collection step to warn with."""
    blocking = [
        use
        for use in ledger
        if use.property_key == property_key and use.family_key != family_key and _within(use.year, year, window_years)
    ]
    return min(blocking, key=lambda use: (use.year, use.serial), default=None)


def ledger_index(ledger: Iterable[PropertyUse]) -> dict[str, list[PropertyUse]]:
    """Uses grouped by property key, so a whole season is checked in one pass."""
    index: dict[str, list[PropertyUse]] = defaultdict(list)
    for use in ledger:
        index[use.property_key].append(use)
    return index


def season_conflicts(
    claims: Sequence[Pupil], year: int, ledger: Iterable[PropertyUse], window_years: int = 3
) -> dict[str, PropertyConflict]:
    """Claims that lose their property basis: a use by another family in the window, or an earlier claim this season.

    Earlier means submitted earlier (then the lower serial); the first family keeps the basis.
    """
    index = ledger_index(ledger)
    claimed = Counter(pupil.property_key for pupil in claims)
    # A key claimed once this season and absent from the ledger cannot conflict.
    contested = [pupil for pupil in claims if claimed[pupil.property_key] > 1 or pupil.property_key in index]
    contested.sort(key=attrgetter("serial"))
    contested.sort(key=attrgetter("submitted_at"))
    conflicts: dict[str, PropertyConflict] = {}
    first_claim: dict[str, tuple[str, str]] = {}
    for pupil in contested:
        key = pupil.property_key
        if key is None:
            continue
        family = pupil.family
        uses = index.get(key)
        earlier = find_reuse(key, family, year, uses, window_years) if uses else None
        if earlier is not None:
            conflicts[pupil.serial] = PropertyConflict(pupil.serial, key, earlier.year, earlier.serial)
            continue
        first_serial, first_family = first_claim.setdefault(key, (pupil.serial, family))
        if first_family != family:
            conflicts[pupil.serial] = PropertyConflict(pupil.serial, key, year, first_serial)
    return conflicts


def uses_from(claims: Iterable[Pupil], seats: Mapping[str, Seat], year: int) -> list[PropertyUse]:
    """The ledger rows this season adds: every claimed property that was the basis of a seat."""
    return [
        PropertyUse(pupil.property_key, year, pupil.serial, pupil.family)
        for pupil in claims
        if pupil.property_key is not None and seats[pupil.serial].how in LEDGER_HOWS
    ]
