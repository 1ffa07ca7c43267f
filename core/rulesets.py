"""Ruleset versions in the database: stored by content hash, activated once, never edited.

An administrator's upload becomes a draft `RulesetVersion` known by the sha256 of its
canonical JSON. Activation retires the season's previous version and is an audited event.
Applications pin the sha256 they were submitted under and are always judged by that version.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from core.audit import append_event
from core.canonical import canonical_json, sha256_hex
from core.models import Application, RulesetStatus, RulesetVersion, Season
from core.paths import rulesets_dir
from core.rules import RulesetError, load_ruleset
from core.rules.errors import Problem
from core.rules.guards import compile_guard
from core.rules.testing import CaseResult, run_tests
from core.types import utcnow
from core.workflow import Actor, Workflow

__all__ = [
    "ensure_season", "season_for", "store_ruleset", "activate_ruleset", "ruleset_document", "clause_wordings", "workflow_for",
    "application_state_labels", "season_state_labels",
    "district_code", "RulesetNotActivatable", "check_activatable", "activation_refusals", "season_refusals",
]


class RulesetNotActivatable(Exception):
    """The ruleset failed validation or its embedded tests; `problems` says where and why, in
    English and Chinese (`Problem.message`, `Problem.zh`)."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(map(str, problems)))
        self.problems = problems


def ensure_season(session: Session, year: int, name: str | None = None) -> Season:
    """The season of `year`, created on first use."""
    season = session.exec(select(Season).where(Season.year == year)).first()
    if season is None:
        season = Season(year=year, name=name or f"{year}")
        session.add(season)
        session.flush()
    return season


def season_for(session: Session, document: dict[str, Any]) -> Season:
    """The season of a ruleset's year (`meta.year`), made on first use and named by its title: a
    city's first ruleset opens its first season, next year's draft its own."""
    meta = document.get("meta", {})
    return ensure_season(session, meta["year"], meta.get("title", {}).get("zh"))


def store_ruleset(session: Session, season: Season, document: dict[str, Any], actor: Actor, *,
                  at: datetime | None = None) -> RulesetVersion:
    """Keep a ruleset as a draft version of `season` (see `season_for`); storing identical
    content again returns the same row. `at`: the season clock's time (default: the wall clock's)."""
    text = canonical_json(document)
    digest = sha256_hex(text)
    existing = session.exec(select(RulesetVersion).where(RulesetVersion.sha256 == digest)).first()
    if existing is not None:
        return existing
    version = RulesetVersion(
        season_id=season.id, ruleset_id=document.get("meta", {}).get("id", "?"),
        version=str(document.get("meta", {}).get("version", "?")), sha256=digest,
        canonical_json=text, created_by=actor.name, created_at=at or utcnow())
    session.add(version)
    session.flush()
    append_event(session, actor=actor.name, actor_role=str(actor.role), subject_type="ruleset",
                 subject_id=digest[:16], action="ruleset_stored", to_state=RulesetStatus.draft.value,
                 data={"sha256": digest, "version": version.version}, at=at)
    return version


def activate_ruleset(session: Session, season: Season, sha256: str, actor: Actor, *,
                     at: datetime | None = None) -> RulesetVersion:
    """Make a stored version the season's active one, after it validates and its tests pass;
    `at`: the season clock's time (default: the wall clock's)."""
    version = session.exec(select(RulesetVersion).where(RulesetVersion.sha256 == sha256)).one()
    if version.status == RulesetStatus.active.value:
        return version
    refused = season_refusals(json.loads(version.canonical_json), season)
    if refused:
        raise RulesetNotActivatable(refused)
    if sha256 not in _ACTIVATABLE:  # the verdict depends on the content only, so it is kept
        check_activatable(json.loads(version.canonical_json))
        _ACTIVATABLE.add(sha256)
    replaced = None
    for previous in session.exec(select(RulesetVersion).where(
            RulesetVersion.season_id == season.id, RulesetVersion.status == RulesetStatus.active.value)):
        previous.status, replaced = RulesetStatus.retired.value, previous.sha256
        session.add(previous)
    from_state = version.status
    version.status, version.activated_at = RulesetStatus.active.value, at or utcnow()
    season.active_ruleset_sha256 = sha256
    session.add_all([version, season])
    append_event(session, actor=actor.name, actor_role=str(actor.role), subject_type="ruleset",
                 subject_id=sha256[:16], action="ruleset_activated", from_state=from_state,
                 to_state=RulesetStatus.active.value, data={"sha256": sha256, "season": season.year, "replaced": replaced},
                 at=at)
    return version


_ACTIVATABLE: set[str] = set()


def check_activatable(document: dict[str, Any]) -> None:
    """Refuse a ruleset that does not validate, whose workflow does not build, or whose
    embedded test cases do not all pass."""
    try:
        ruleset = load_ruleset(document)
    except RulesetError as exc:
        raise RulesetNotActivatable(exc.problems) from exc
    try:
        Workflow.from_spec(document["workflow"], compile_guard=compile_guard)
    except (KeyError, ValueError, RulesetError) as exc:
        raise RulesetNotActivatable([Problem("/workflow", f"the workflow does not build: {exc}",
                                             zh=f"流程（workflow）无法建立：{exc}")]) from exc
    refused = activation_refusals([], run_tests(ruleset, rulesets_dir()))
    if refused:
        raise RulesetNotActivatable(refused)


def season_refusals(document: dict[str, Any], season: Season) -> list[Problem]:
    """Why a version that validates still cannot become this season's: it is another year's (a
    copy made for next year, stored while this season runs, would replace this season's
    calendar with next year's)."""
    year = document.get("meta", {}).get("year")
    if year == season.year:
        return []
    return [Problem("/meta/year", f"the ruleset is for {year}, this season is {season.year}: a ruleset is "
                                  "activated in the season of its year",
                    zh=f"该规则用于 {year} 年度，当前是 {season.year} 年度：规则只能在其所属年度启用")]


def activation_refusals(problems: list[Problem], results: list[CaseResult]) -> list[Problem]:
    """Why a version cannot become active: its validation problems, else every difference of a
    failing embedded case. The version's page says this beside the greyed-out button, in the
    words the refusal itself uses."""
    return list(problems) or [
        Problem(d.pointer, f"case {r.name!r} fails: {d.message}", zh=f"测试用例 {r.name!r} 未通过：{d.zh}")
        for r in results if not r.passed for d in r.differences]


_DOCUMENTS: dict[str, dict[str, Any]] = {}


def ruleset_document(session: Session, sha256: str) -> dict[str, Any]:
    """The parsed ruleset of a version (cached: a stored version never changes)."""
    if sha256 not in _DOCUMENTS:
        version = session.exec(select(RulesetVersion).where(RulesetVersion.sha256 == sha256)).one()
        _DOCUMENTS[sha256] = json.loads(version.canonical_json)
    return _DOCUMENTS[sha256]


def clause_wordings(session: Session, sha256: str | None) -> Mapping[str, Mapping[str, str]]:
    """How a version words its clause ids for pages (its `clauses`, core.rules.clauses); none
    without a version (a season before its first activation)."""
    return {} if sha256 is None else ruleset_document(session, sha256).get("clauses", {})


_WORKFLOWS: dict[str, Workflow] = {}


def workflow_for(session: Session, sha256: str) -> Workflow:
    """The compiled workflow of a ruleset version, built once per process."""
    if sha256 not in _WORKFLOWS:
        _WORKFLOWS[sha256] = Workflow.from_spec(ruleset_document(session, sha256)["workflow"],
                                                compile_guard=compile_guard)
    return _WORKFLOWS[sha256]


def application_state_labels(session: Session, applications: Iterable[Application]) -> dict[int, dict[str, str]]:
    """Each application's state as the ruleset it is judged by names it, application id → {"zh",
    "en"}: a submitted application keeps the wording of the version it was submitted under."""
    seasons: dict[int, Season] = {}
    labels = {}
    for a in applications:
        if a.season_id not in seasons:
            seasons[a.season_id] = session.get(Season, a.season_id)
        labels[a.id] = dict(workflow_for(session, a.judging_ruleset(seasons[a.season_id])).state_label(a.state))
    return labels


def season_state_labels(session: Session, season: Season) -> dict[str, dict[str, str]]:
    """Every workflow state of the season's active ruleset in the ruleset's order, state id →
    {"zh", "en"}: what a count per state or a choice of state is worded by (none before the
    season's first activation)."""
    if not season.active_ruleset_sha256:
        return {}
    workflow = workflow_for(session, season.active_ruleset_sha256)
    return {state: dict(workflow.state_label(state)) for state in workflow.states}


def district_code(document: dict[str, Any], district: str) -> str:
    """The six-digit code of a district as the ruleset lists it (used in serial numbers)."""
    for entry in document.get("districts", ()):
        if entry["name"] == district:
            return entry["code"]
    raise KeyError(f"district {district!r} is not listed in the ruleset")
