"""What a guardian reads about a seat: zh-CN first, then English, with the clause."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .model import Seat

if TYPE_CHECKING:
    from .allocate import Allocation

__all__ = ["Explainer"]

_WHY_LEFT_OUT = {
    "lottery_out": (
        "{catchment}学区{tier}类生源超过剩余学位，随机派位第{rank}名（共{size}人、{seats}个学位），未能录取",
        "tier {tier} of the {catchment} catchment exceeded the seats left; drawn {rank} of {size} "
        "for {seats} seats, not admitted",
    ),
    "full": (
        "{catchment}的学位已由更优先的生源类别录满，{tier}类生源未能录取",
        "the seats of {catchment} were filled by higher tiers; tier {tier} was not admitted",
    ),
    "property_reuse": (
        "作为入学依据的房产在三年内（{year}年）已作为其他家庭子女的入学依据，本次不再作为入学依据（§6.1）",
        "the property named as residence already gave another family's child a seat within three years "
        "({year}), so it is no basis this time (§6.1)",
    ),
    "coordinated": (
        "不划分学区生源类别，由教育部门统筹安排（原因见类别认定说明）",
        "no catchment tier; placed by the authority (the classification says why)",
    ),
    "undetermined": (
        "生源类别未能确定，由教育部门统筹安排",
        "the tier could not be determined; placed by the authority",
    ),
}

_WHERE = {
    "direct": ("对口直升{school}（§4.1，名单已锁定）", "direct promotion to {school} (§4.1, locked list)"),
    "special": ("按特殊政策名单安排至{school}（§3.5）", "placed at {school} under a special-policy list (§3.5)"),
    "tier": (
        "{school}学区{tier}类生源，该类别人数未超过剩余学位，全部录取（§6）",
        "tier {tier} of the {school} catchment; the whole tier fitted in the seats left and was admitted (§6)",
    ),
    "lottery": (
        "{school}学区{tier}类生源超过剩余学位，随机派位第{rank}名（共{size}人、{seats}个学位），录取（§6）",
        "tier {tier} of the {school} catchment exceeded the seats left; drawn {rank} of {size} "
        "for {seats} seats, admitted (§6)",
    ),
    "placed": (
        "按实际居住地就近统筹安排至{school}（{distance_zh}，§6）",
        "placed by residence at the nearest school with seats, {school} ({distance_en}, §6)",
    ),
    "unplaced": (
        "全市已无空余学位，由教育部门另行统筹安排",
        "no seat is free in the city; the education bureau will arrange a place",
    ),
}

# Where the classification said why the authority places the pupil (Pupil.grounds), that is cited
# instead of the general words above: the ruleset's own reason and clause.
_GROUNDS = ("类别认定：{grounds}", "classification: {grounds}")
_DISTANCE = (("约{km}公里", "about {km} km"),
             ("居住地未定位，距离未知", "distance unknown: the residence was not located"))

_UNCONFIRMED = ("；未确认对口直升，按学区生源录取", "; direct promotion was not confirmed, so the catchment admitted")


class Explainer:
    """Renders the reason of each seat of one allocation."""

    def __init__(self, allocation: Allocation) -> None:
        self._names = {school.id: school.name for school in allocation.schools}
        self._draws = {result.school: result for result in allocation.results}
        self._conflicts = allocation.conflicts
        self._grounds = allocation.grounds
        self._texts: dict[tuple, tuple[str, str]] = {}

    def why(self, seat: Seat) -> dict[str, str]:
        """The reason of one seat as {"zh": ..., "en": ...}."""
        conflict = self._conflicts.get(seat.serial)
        grounds = self._grounds.get(seat.serial, ()) if seat.note in ("coordinated", "undetermined") else ()
        # Most seats share their reason with others (same school, tier and way in): render each once.
        key = (seat.how, seat.note, seat.school, seat.catchment_school, seat.tier, seat.lottery_rank,
               seat.distance_m, conflict.used_year if conflict else None, grounds)  # fmt: skip
        texts = self._texts.get(key)
        if texts is None:
            texts = self._texts[key] = self._render(seat, conflict.used_year if conflict else "", grounds)
        return {"zh": texts[0], "en": texts[1]}

    def _render(self, seat: Seat, year: int | str, grounds: tuple[tuple[str, str, str], ...]) -> tuple[str, str]:
        draw = self._draws.get(seat.catchment_school or "")
        values = {
            "school": self._names.get(seat.school or "", ""),
            "catchment": self._names.get(seat.catchment_school or "", ""),
            "tier": seat.tier,
            "rank": seat.lottery_rank,
            "size": draw.lottery_size if draw else 0,
            "seats": draw.lottery_seats if draw else 0,
            "year": year,
        }
        distance = _DISTANCE[seat.distance_m is None]
        km = "" if seat.distance_m is None else f"{seat.distance_m / 1000:.1f}"
        values["distance_zh"], values["distance_en"] = distance[0].format(km=km), distance[1].format(km=km)
        where = "placed" if seat.how == "coordinated" else seat.how
        parts = [(zh.format(**values), en.format(**values))
                 for zh, en in (_WHY_LEFT_OUT.get(seat.note, ("", "")), _WHERE[where]) if zh]
        if grounds:  # the classification's own words, not a template: not formatted
            parts[0] = (_GROUNDS[0].format(grounds="；".join(f"{zh}（{clause}）" for clause, zh, _ in grounds)),
                        _GROUNDS[1].format(grounds="; ".join(f"{en} ({clause})" for clause, _, en in grounds)))
        zh = "；".join(part[0] for part in parts)
        en = "; ".join(part[1] for part in parts)
        if seat.note == "direct_unconfirmed":
            zh, en = zh + _UNCONFIRMED[0], en + _UNCONFIRMED[1]
        return zh, en[:1].upper() + en[1:]
