"""The season's calendar (§2.2, §4): phases and first-login windows, read from the ruleset.

Every request asks these functions with the injectable clock's `now`, so the dates in the
active ruleset — not the scheduler — decide whether a guardian may register or submit: a late
or stopped scheduler can neither keep collection open nor let a district in early.
Windows are keyed by the primary school's district (its coordinating district for
province-run and private schools, the hukou or residence district for pupils studying outside
the urban area — the ruleset's `window_key` computes that from the facts) or by a named school
group, which wins over the district.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlmodel import Session

from core.clock import SHANGHAI, parse_instant
from core.errors import UserFacingError
from core.models import Season
from core.rulesets import ruleset_document

__all__ = [
    "Phase", "Window", "Calendar", "CalendarMissing", "CollectionClosed", "WindowNotOpen",
    "calendar_of", "calendar_for", "check_can_register", "check_can_submit", "window_status",
    "local_text", "last_phase_end",
]


class CollectionClosed(UserFacingError):
    """Collection has not started or is over (§2.2, §4.3)."""

    code = "collection_closed"
    http_status = 403


class WindowNotOpen(CollectionClosed):
    """The guardian's district (or school group) has not reached its first-login window yet."""

    code = "window_not_open"


class CalendarMissing(UserFacingError):
    """The active ruleset dates nothing, so nothing may open (fail closed)."""

    code = "calendar_missing"
    http_status = 503


@dataclass(frozen=True)
class Phase:
    """A dated phase; `end` is exclusive (17:00:00 on 16 June is already closed)."""

    id: str
    clause: str
    label: Mapping[str, str]
    start: datetime
    end: datetime

    def contains(self, now: datetime) -> bool:
        return self.start <= now < self.end


@dataclass(frozen=True)
class Window:
    """A first-login window: who may start registering from `opens_at` until `closes_at`."""

    id: str
    clause: str
    label: Mapping[str, str]
    districts: tuple[str, ...]
    groups: tuple[str, ...]
    opens_at: datetime
    closes_at: datetime


@dataclass(frozen=True)
class Calendar:
    """One ruleset's calendar, in aware UTC datetimes."""

    phases: tuple[Phase, ...]
    windows: tuple[Window, ...]
    window_phase: str

    def phase(self, phase_id: str) -> Phase:
        return next(p for p in self.phases if p.id == phase_id)

    @property
    def collection(self) -> Phase:
        """The phase whose end closes every window (the ruleset's `window_phase`)."""
        return self.phase(self.window_phase)

    def phase_at(self, now: datetime) -> Phase | None:
        """The phase running at `now`, None between phases."""
        return next((p for p in self.phases if p.contains(now)), None)

    def window_for(self, district: str | None, school_group: str | None = None) -> Window | None:
        """The window of a school group if it has one, else of the district (§2.2)."""
        if school_group:
            for window in self.windows:
                if school_group in window.groups:
                    return window
        return next((w for w in self.windows if district in w.districts), None)


def calendar_of(document: Mapping[str, Any]) -> Calendar | None:
    """Parse a ruleset document's `calendar` section; None when it has none."""
    spec = document.get("calendar")
    if not spec:
        return None
    phases = tuple(Phase(p["id"], p["clause"], p["label"], parse_instant(p["start"]), parse_instant(p["end"]))
                   for p in spec["phases"])
    window_phase = spec.get("window_phase") or phases[0].id
    closes = next(p.end for p in phases if p.id == window_phase)
    windows = tuple(Window(w["id"], w["clause"], w["label"], tuple(w.get("districts", ())),
                           tuple(w.get("groups", ())), parse_instant(w["opens_at"]), closes)
                    for w in spec["windows"])
    return Calendar(phases, windows, window_phase)


_CALENDARS: dict[str, Calendar | None] = {}


def calendar_for(session: Session, season: Season) -> Calendar:
    """The calendar of the season's active ruleset (parsed once per ruleset version)."""
    sha = season.active_ruleset_sha256
    if sha is None:
        raise CalendarMissing("本年度规则尚未启用，暂不开放", f"season {season.year} has no active ruleset")
    if sha not in _CALENDARS:
        _CALENDARS[sha] = calendar_of(ruleset_document(session, sha))
    calendar = _CALENDARS[sha]
    if calendar is None:
        raise CalendarMissing("本年度规则未设置日程，暂不开放", f"the active ruleset of {season.year} has no calendar")
    return calendar


def last_phase_end(session: Session, season: Season, transitions: Iterable[Any]) -> datetime | None:
    """Until when these workflow transitions can be fired: the end of the last calendar phase
    their `during` names; None when none of them is held to a phase."""
    phases = {phase for transition in transitions for phase in transition.during}
    if not phases:
        return None
    calendar = calendar_for(session, season)
    return max(calendar.phase(phase).end for phase in phases)


def local_text(instant: datetime, *, year: bool = False) -> dict[str, str]:
    """An instant as a guardian reads it, in Beijing time: {"zh": "6月2日 14:00", "en": "2 June 14:00"};
    with `year` as staff read it ("2021年6月2日 14:00", "2 June 2021 14:00"), since what they
    compare may be another year's (next year's draft calendar beside this season's clock)."""
    local = instant.astimezone(SHANGHAI)
    if year:
        return {"zh": f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}",
                "en": f"{local.day} {local:%B %Y %H:%M}"}
    return {"zh": f"{local.month}月{local.day}日 {local:%H:%M}", "en": f"{local.day} {local:%B %H:%M}"}


def _who(district: str | None, school_group: str | None, window: Window | None) -> str:
    if school_group and window is not None and school_group in window.groups:
        return school_group
    return district or "?"


def check_can_submit(session: Session, season: Season, *, now: datetime) -> Phase:
    """Refuse a guardian's registration step or submission outside collection (§4.2, §4.3)."""
    collection = calendar_for(session, season).collection
    if now >= collection.end:
        at = local_text(collection.end)
        raise CollectionClosed(f"信息采集已于{at['zh']}截止，不能再提交或修改",
                               f"collection closed at {at['en']}; nothing can be submitted or changed")
    if now < collection.start:
        at = local_text(collection.start)
        raise CollectionClosed(f"信息采集将于{at['zh']}开始", f"collection opens {at['en']}")
    return collection


def check_during(session: Session, season: Season, phase_ids: tuple[str, ...], *, now: datetime) -> Phase:
    """Refuse a person's step outside the calendar phases the workflow allows it in."""
    if phase_ids == (calendar_for(session, season).collection.id,):
        return check_can_submit(session, season, now=now)
    calendar = calendar_for(session, season)
    phases = [calendar.phase(phase_id) for phase_id in phase_ids]
    running = next((phase for phase in phases if phase.contains(now)), None)
    if running is not None:
        return running
    names = {"zh": "、".join(p.label["zh"] for p in phases), "en": ", ".join(p.label["en"] for p in phases)}
    first, last = min(p.start for p in phases), max(p.end for p in phases)
    if now < first:
        at = local_text(first)
        raise CollectionClosed(f"该操作于{at['zh']}开放（{names['zh']}）", f"this step opens {at['en']} ({names['en']})")
    at = local_text(last)
    raise CollectionClosed(f"该操作只能在{names['zh']}期间办理，已于{at['zh']}截止",
                           f"this step is only possible during {names['en']}; it closed at {at['en']}")


def check_can_register(session: Session, season: Season, *, district: str | None, school_group: str | None = None,
                       now: datetime) -> Window | None:
    """Refuse a first registration before the district's (or school group's) window opens (§2.2)."""
    calendar = calendar_for(session, season)
    window = calendar.window_for(district, school_group)
    opens = window.opens_at if window is not None else calendar.collection.start
    if now < opens and now < calendar.collection.end:
        at, who = local_text(opens), _who(district, school_group, window)
        label = window.label if window is not None else calendar.collection.label
        raise WindowNotOpen(f"{who}的信息采集时段（{label['zh']}）于{at['zh']}开始，请届时登录",
                            f"{who} opens {at['en']} ({label['en']}); please come back then")
    check_can_submit(session, season, now=now)
    return window


def window_status(session: Session, season: Season, *, district: str | None, school_group: str | None = None,
                  now: datetime) -> dict[str, Any]:
    """What a guardian sees: when their window opens, whether it is open, and how long is left."""
    calendar = calendar_for(session, season)
    window = calendar.window_for(district, school_group)
    opens = window.opens_at if window is not None else calendar.collection.start
    closes = calendar.collection.end
    state = "not_yet" if now < opens else ("open" if now < closes else "closed")
    opens_text, closes_text = local_text(opens), local_text(closes)
    who = _who(district, school_group, window)
    messages = {
        "not_yet": (f"{who}将于{opens_text['zh']}开放信息采集", f"{who} opens {opens_text['en']}"),
        "open": (f"信息采集进行中，{closes_text['zh']}截止", f"collection is open until {closes_text['en']}"),
        "closed": (f"信息采集已于{closes_text['zh']}截止", f"collection closed at {closes_text['en']}"),
    }
    zh, en = messages[state]
    return {
        "state": state,
        "window": None if window is None else {"id": window.id, "label": dict(window.label)},
        "opens_at": opens.astimezone(timezone.utc).isoformat(),
        "closes_at": closes.astimezone(timezone.utc).isoformat(),
        "seconds_until_open": max(0, int((opens - now).total_seconds())),
        "seconds_left": max(0, int((closes - max(now, opens)).total_seconds())) if state != "closed" else 0,
        "message": {"zh": zh, "en": en},
    }
