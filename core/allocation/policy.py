"""The ruleset's allocation policy, read from a plain dict."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "AllocationPolicy",
    "COORDINATED",
    "DEFAULT_TIER_ORDER",
    "ORDER_KEYS",
    "PolicyError",
    "UNDETERMINED",
]

DEFAULT_TIER_ORDER: tuple[str, ...] = ("1", "2", "3", "4a", "4b", "5", "6", "7")
COORDINATED = "coordinated"
UNDETERMINED = "undetermined"
ORDER_KEYS = frozenset({"tier", "lottery"})
TREATMENTS = frozenset({COORDINATED})
_KEYS = frozenset({"overflow_order", "tier_order", "property_reuse_years", "property_reuse_treatment", "clause"})


class PolicyError(ValueError):
    """The allocation policy in the ruleset cannot be used."""


@dataclass(frozen=True)
class AllocationPolicy:
    """How seats are given: tier order, the placement order, the three-year property rule."""

    overflow_order: tuple[str, ...] = ("tier", "lottery")
    tier_order: tuple[str, ...] = DEFAULT_TIER_ORDER
    property_reuse_years: int = 3
    property_reuse_treatment: str = COORDINATED
    clause: str = field(default="§6")

    def __post_init__(self) -> None:
        if not self.overflow_order or not set(self.overflow_order) <= ORDER_KEYS:
            raise PolicyError(f"overflow_order must name some of {sorted(ORDER_KEYS)}: {self.overflow_order!r}")
        if len(set(self.overflow_order)) != len(self.overflow_order):
            raise PolicyError(f"overflow_order repeats a key: {self.overflow_order!r}")
        if not self.tier_order or len(set(self.tier_order)) != len(self.tier_order):
            raise PolicyError(f"tier_order must list distinct tiers: {self.tier_order!r}")
        if {COORDINATED, UNDETERMINED} & set(self.tier_order):
            raise PolicyError("tier_order cannot contain 'coordinated' or 'undetermined'")
        if self.property_reuse_years < 1:
            raise PolicyError("property_reuse_years must be at least 1")
        if self.property_reuse_treatment not in TREATMENTS:
            raise PolicyError(f"property_reuse_treatment must be one of {sorted(TREATMENTS)}")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> AllocationPolicy:
        """Read the ruleset's `allocation` section; an unknown key is an error, never ignored."""
        data = dict(data or {})
        unknown = set(data) - _KEYS
        if unknown:
            raise PolicyError(f"unknown allocation policy keys: {sorted(unknown)}")
        kwargs: dict[str, Any] = {}
        for key in ("overflow_order", "tier_order"):
            if key in data:
                kwargs[key] = tuple(str(item) for item in data[key])
        if "property_reuse_years" in data:
            kwargs["property_reuse_years"] = int(data["property_reuse_years"])
        for key in ("property_reuse_treatment", "clause"):
            if key in data:
                kwargs[key] = str(data[key])
        return cls(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        """The policy as published in the export."""
        return {
            "overflow_order": list(self.overflow_order),
            "tier_order": list(self.tier_order),
            "property_reuse_years": self.property_reuse_years,
            "property_reuse_treatment": self.property_reuse_treatment,
            "clause": self.clause,
        }

    def tier_ranks(self) -> dict[str, int]:
        """Position of each tier; coordinated and undetermined rank after every tier."""
        ranks = {tier: index for index, tier in enumerate(self.tier_order)}
        ranks[COORDINATED] = ranks[UNDETERMINED] = len(self.tier_order)
        return ranks
