"""Seats: direct promotion, special policy, tiers, the verifiable lottery, nearest-seat placement, §6.1 ledger."""

from __future__ import annotations

from .allocate import Allocation, AllocationError, allocate
from .ledger import PropertyConflict, PropertyUse, find_reuse, season_conflicts
from .lottery import LotteryError, commitment_of, lottery_number, new_seed, reveal
from .model import Pupil, School, SchoolResult, Seat
from .policy import AllocationPolicy, PolicyError
from .reasons import Explainer
from .store import allocate_season, run_season_allocation

__all__ = [
    "Allocation",
    "AllocationError",
    "AllocationPolicy",
    "Explainer",
    "LotteryError",
    "PolicyError",
    "PropertyConflict",
    "PropertyUse",
    "Pupil",
    "School",
    "SchoolResult",
    "Seat",
    "allocate",
    "allocate_season",
    "commitment_of",
    "find_reuse",
    "lottery_number",
    "new_seed",
    "reveal",
    "run_season_allocation",
    "season_conflicts",
]
