"""One school's catchment draw: whole tiers while they fit, the overflowing tier by lottery number."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

__all__ = ["Draw", "draw_school"]


@dataclass(frozen=True, slots=True)
class Draw:
    """Who of a catchment got in and who did not, and the figures of the draw.

    Lottery ranks are implicit: `won[i]` drew rank i + 1 and `lost[i]` drew rank
    `lottery_seats + i + 1`.
    """

    whole: tuple[str, ...]  # admitted because their whole tier fitted
    won: tuple[str, ...]  # admitted by the lottery, in draw order
    lost: tuple[str, ...]  # the rest of the overflowing tier, in draw order
    full: tuple[str, ...]  # tiers after the overflowing one, or an overflowing tier with no seat left
    overflow_tier: str | None
    lottery_seats: int
    cutoff_number: str | None

    @property
    def lottery_size(self) -> int:
        """How many took part in the draw."""
        return len(self.won) + len(self.lost)

    @property
    def cutoff_rank(self) -> int | None:
        """The last admitted lottery rank, if a draw took place."""
        return self.lottery_seats or None

    @property
    def left_out(self) -> int:
        """Catchment pupils this school could not take."""
        return len(self.lost) + len(self.full)


def draw_school(
    seats_left: int,
    applicants: Mapping[str, Sequence[str]],
    tier_order: Sequence[str],
    number: Callable[[str], str],
) -> Draw:
    """Run the §6 draw of one school; allocation and `lottery verify` share it so both read the rule alike.

    A tier that fits is admitted whole. The first tier that does not fit is ordered by lottery
    number (ties to the serial) and admitted up to the seats left; when no seat is left it gets
    no draw. Every later tier is left out.
    """
    whole: list[str] = []
    full: list[str] = []
    won: list[str] = []
    lost: list[str] = []
    overflow_tier = cutoff_number = None
    lottery_seats = 0
    for tier in tier_order:
        group = applicants.get(tier)
        if not group:
            continue
        if overflow_tier is not None:
            full.extend(sorted(group))
        elif len(group) <= seats_left:
            whole.extend(sorted(group))
            seats_left -= len(group)
        elif seats_left == 0:
            overflow_tier = tier
            full.extend(sorted(group))
        else:
            overflow_tier = tier
            ordered = sorted(group, key=lambda serial: (number(serial), serial))
            won, lost = ordered[:seats_left], ordered[seats_left:]
            lottery_seats, cutoff_number = seats_left, number(won[-1])
            seats_left = 0
    return Draw(tuple(whole), tuple(won), tuple(lost), tuple(full), overflow_tier, lottery_seats, cutoff_number)
