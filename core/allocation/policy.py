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
ORDER_KEYS = frozenset({"tier", "lottery", "serial"})
LOCKED_KINDS = ("direct_promotion", "special_policy")
TREATMENTS = frozenset({COORDINATED})
PLACEMENTS = frozenset({"nearest_with_seats"})
LOTTERY = {"method": "keyed_hash", "hash": "sha256"}
_KEYS = frozenset(
    {
        "clause",
        "order",
        "overflow_order",
        "placement",
        "lottery",
        "tier_order",
        "property_reuse_years",
        "property_reuse_treatment",
    }
)


class PolicyError(ValueError):
    """The allocation policy in the ruleset cannot be used."""


@dataclass(frozen=True)
class AllocationPolicy:
    """How seats are given: tier order, the placement order, the three-year property rule."""

    overflow_order: tuple[str, ...] = ("tier", "lottery")
    tier_order: tuple[str, ...] = DEFAULT_TIER_ORDER
    property_reuse_years: int = 3
    property_reuse_treatment: str = COORDINATED
    order: tuple[str, ...] = (*LOCKED_KINDS, "tiers")
    clause: str = field(default="§6")

    def __post_init__(self) -> None:
        if not self.order or self.order[-1] != "tiers" or not set(self.order[:-1]) <= set(LOCKED_KINDS):
            raise PolicyError(f"order must list locked lists and end with 'tiers': {self.order!r}")
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
        if data.get("placement", "nearest_with_seats") not in PLACEMENTS:
            raise PolicyError(f"placement must be one of {sorted(PLACEMENTS)}")
        lottery = dict(data.get("lottery") or {})
        if any(lottery.get(key, value) != value for key, value in LOTTERY.items()):
            raise PolicyError(f"the lottery must be {LOTTERY} (HMAC-SHA-256 of seed and serial)")
        kwargs: dict[str, Any] = {}
        for key in ("overflow_order", "tier_order", "order"):
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
            "order": list(self.order),
            "overflow_order": list(self.overflow_order),
            "tier_order": list(self.tier_order),
            "property_reuse_years": self.property_reuse_years,
            "property_reuse_treatment": self.property_reuse_treatment,
            "clause": self.clause,
        }

    @classmethod
    def from_ruleset(cls, document: Mapping[str, Any], year: int) -> AllocationPolicy:
        """The policy of a whole ruleset: its `allocation` section, and the §6.1 window and treatment.

        Parameters are read as they stand on 31 May of the admission year (the §3.3 cut-off).
        """
        section = dict(document.get("allocation") or {})
        rule = document.get("three_year_rule") or {}
        years = rule.get("years", {})
        if "param" in years:
            section.setdefault("property_reuse_years", _parameter(document, years["param"], f"{year}-05-31"))
        elif "value" in years:
            section.setdefault("property_reuse_years", years["value"])
        if "on_fail" in rule:
            section.setdefault("property_reuse_treatment", rule["on_fail"])
        return cls.from_dict(section)

    def tier_ranks(self) -> dict[str, int]:
        """Position of each tier; coordinated and undetermined rank after every tier."""
        ranks = {tier: index for index, tier in enumerate(self.tier_order)}
        ranks[COORDINATED] = ranks[UNDETERMINED] = len(self.tier_order)
        return ranks


def _parameter(document: Mapping[str, Any], name: str, on: str) -> Any:
    """A dated parameter's value in force on an ISO date (the newest `from` not after it)."""
    values = [entry for entry in document["parameters"][name]["values"] if entry["from"] <= on]
    if not values:
        raise PolicyError(f"parameter {name} has no value in force on {on}")
    return max(values, key=lambda entry: entry["from"])["value"]
