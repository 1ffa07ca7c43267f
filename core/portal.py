"""Read models for the people-facing pages: the season in force and its districts."""
from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from core.errors import NotFound
from core.models import Season
from core.rulesets import ruleset_document

__all__ = ["active_season", "season_districts"]


def active_season(session: Session) -> Season:
    """The newest season with an active ruleset: the one guardians register in."""
    season = session.exec(select(Season).where(Season.active_ruleset_sha256.is_not(None))
                          .order_by(Season.year.desc())).first()
    if season is None:
        raise NotFound("本年度报名尚未开放", "no admission season is open yet")
    return season


def season_districts(session: Session, season: Season) -> list[dict[str, Any]]:
    """The districts of the season's active ruleset, each with name, code and label."""
    return list(ruleset_document(session, season.active_ruleset_sha256).get("districts", []))
