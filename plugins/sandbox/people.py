"""People and their papers for the sandbox: ID numbers, names, credit codes, dates."""
from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta

from core.idnumbers import credit_code_check_char, resident_id_check_char
from plugins.sandbox.names import GIVEN, SURNAMES

__all__ = ["People", "iso"]

CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def iso(day: date) -> str:
    """A date as facts.schema.json writes it."""
    return day.isoformat()


class People:
    """Hands out unique resident ID numbers, names and business codes, reproducibly."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._sequence: dict[tuple[str, str, int], int] = defaultdict(int)
        self._licences = 0

    def id_number(self, region: str, born: date, male: bool) -> str:
        """A GB 11643 number unique in this city (odd sequence for men, even for women)."""
        birth = f"{born.year:04d}{born.month:02d}{born.day:02d}"
        key = (region, birth, int(male))
        self._sequence[key] += 1
        sequence = 2 * self._sequence[key] - (1 if male else 0)
        if sequence > 999:
            raise OverflowError(f"more than 499 people born on {birth} in {region}")
        first17 = f"{region}{birth}{sequence:03d}"
        return first17 + resident_id_check_char(first17)

    def name(self, surname: str | None = None) -> str:
        """A Chinese name, with the given surname (the family's) or a random one."""
        pick = self.rng.random
        given = GIVEN[int(pick() * len(GIVEN))] + (GIVEN[int(pick() * len(GIVEN))] if pick() < 0.5 else "")
        return (surname or SURNAMES[int(pick() * len(SURNAMES))]) + given

    def licence_number(self, region: str) -> str:
        """A unified social credit code (GB 32100) with a correct check character."""
        self._licences += 1
        body = "".join(self.rng.choice(CODE_CHARS) for _ in range(8)) + CODE_CHARS[self._licences % 31]
        first17 = f"92{region}{body}"
        return first17 + credit_code_check_char(first17)

    def day_between(self, first: date, last: date) -> date:
        """A day in [first, last]: birth dates, certificates, leases, contracts."""
        return first + timedelta(days=int(self.rng.random() * ((last - first).days + 1)))
