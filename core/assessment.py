"""The provisional assessment of an application: the pinned (or active) ruleset over its facts."""
from __future__ import annotations

from functools import lru_cache
from threading import Lock
from typing import Any

from sqlalchemy import URL, bindparam
from sqlmodel import Session, select

from core.applications import current_facts
from core.db import by_id
from core.models import Application, Catchment, CatchmentsVersion, School, Season
from core.rules import CatchmentIndex, Classification, Ruleset, load_catchments, load_ruleset
from core.rulesets import ruleset_document

__all__ = ["assess", "catchments_of", "ruleset_of", "stored_or_assessed"]

_RULESETS: dict[str, Ruleset] = {}
_CATCHMENTS: dict[tuple, CatchmentIndex] = {}  # see catchments_of for the key
_LOCK = Lock()


def ruleset_of(session: Session, sha256: str) -> Ruleset:
    """The compiled ruleset of a version (compiled once per process: versions never change)."""
    with _LOCK:
        cached = _RULESETS.get(sha256)
    if cached is None:
        cached = load_ruleset(ruleset_document(session, sha256))
        with _LOCK:
            _RULESETS[sha256] = cached
    return cached


# Read on every assessment (each page of an application): built once.
_VERSION = select(CatchmentsVersion.version).where(CatchmentsVersion.season_id == bindparam("season_id"))


@lru_cache(maxsize=16)
def _database(url: URL) -> str:
    """The database a URL names, without its password (part of the index's key)."""
    return url.render_as_string(hide_password=True)


def catchments_of(session: Session, season_id: int) -> CatchmentIndex:
    """The season's catchments as imported (school codes are the catchment ids).

    Building the index validates every catchment's rules, far more work than a page, so it is
    built once per process and season, and again only when `CatchmentsVersion` says that the
    schools or catchments have changed since (on any host: the count is in the database). The
    key also names the database and the season's creation time, so two databases in one process
    (tests, benchmarks) never share an index.
    """
    season = by_id(session, Season, season_id)
    version = session.connection().execute(_VERSION, {"season_id": season_id}).scalar()
    key = (_database(session.get_bind().url), season.id, season.created_at, version or 0)
    with _LOCK:
        cached = _CATCHMENTS.get(key)
    if cached is None:
        rows = session.exec(select(Catchment, School).join(School, Catchment.school_id == School.id)
                            .where(Catchment.season_id == season_id).order_by(Catchment.id)).all()
        cached = load_catchments([{"school_id": school.code, "school_name": school.name,
                                   "district": school.district, "rules": catchment.rules}
                                  for catchment, school in rows])
        with _LOCK:
            for stale in [k for k in _CATCHMENTS if k[:3] == key[:3]]:
                del _CATCHMENTS[stale]
            _CATCHMENTS[key] = cached
    return cached


def assess(session: Session, application: Application, catchments: CatchmentIndex | None = None, *,
           facts: dict[str, Any] | None = None) -> Classification:
    """Eligibility, evidence checks and tier as things stand, with the trace for explanations.

    Before submission this runs the season's active ruleset over the facts collected so far;
    after submission the pinned ruleset over the frozen facts. Pass `facts` (from
    `current_facts`) when you have them already, to save reading and merging them again.
    """
    season = by_id(session, Season, application.season_id)
    ruleset = ruleset_of(session, application.judging_ruleset(season))
    catchments = catchments if catchments is not None else catchments_of(session, season.id)
    facts = facts if facts is not None else current_facts(session, application)
    return ruleset.classify(facts, catchments, explain=True)


def stored_or_assessed(session: Session, application: Application, catchments: CatchmentIndex | None = None, *,
                       facts: dict[str, Any] | None = None) -> dict[str, Any]:
    """The classification the season stored (after §6 classification), else a provisional one.

    `evidence_problems` lists the reasons that are failed evidence checks (the ruleset's
    `evidence` section): things the family can answer with a document.
    """
    season = by_id(session, Season, application.season_id)
    if application.classification is not None:
        result = {"provisional": False, **application.classification}
        code = result.get("catchment")
        name = code and session.connection().execute(_SCHOOL_NAME, {"season_id": season.id, "code": code}).scalar()
    else:
        catchments = catchments if catchments is not None else catchments_of(session, season.id)
        result = {"provisional": True, **assess(session, application, catchments, facts=facts).to_dict()}
        name = catchments.catchments.get(result.get("catchment"), {}).get("school_name")
    if name:  # families know their school by its name, not by its code
        result["catchment_name"] = name
    ruleset = ruleset_of(session, application.judging_ruleset(season))
    evidence = {check["id"] for check in ruleset.document.get("evidence", [])}
    result["evidence_problems"] = [r["code"] for r in result.get("reasons", []) if r.get("code") in evidence]
    return result


# Built once: the polled status page of a classified application reads it.
_SCHOOL_NAME = select(School.name).where(School.season_id == bindparam("season_id"), School.code == bindparam("code"))
