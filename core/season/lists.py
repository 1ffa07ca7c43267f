"""Locked preparation lists (§4.1): direct promotion, special policy, province-run school staff.

The responsible role imports a list during preparation (before collection opens) and may
replace the draft until it submits it; once submitted the list cannot be modified. A later
correction is a new version with a reason, which a city administrator approves or refuses;
every step is an audit event, and the version the allocation reads is `current_version`.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.audit import append_event
from core.canonical import sha256_hex
from core.db import write_session
from core.errors import Forbidden, InvalidInput, NotFound, UserFacingError
from core.idnumbers import IdCheck, check_pupil_id
from core.imports import FIRST_DATA_LINE, ImportFailed, RowProblem, unknown_middle_school
from core.models import Role, School, Season
from core.season.calendar import calendar_for, local_text
from core.season.models import LockedList, LockedListVersion
from core.workflow import Actor

__all__ = [
    "ListKind", "LIST_KINDS", "ListLocked", "import_list", "submit_list", "propose_correction",
    "decide_correction", "current_entries", "may_act",
]


class ListLocked(UserFacingError):
    """A submitted list, or a list outside preparation: only an approved correction changes it."""

    code = "list_locked"
    http_status = 409


@dataclass(frozen=True)
class ListKind:
    """One kind of list: who is responsible for it and what each entry must say."""

    label: Mapping[str, str]
    responsible: tuple[str, ...]
    required: tuple[str, ...]
    categories: tuple[str, ...] = ()
    per_district: bool = False  # each district lists its own schools' pupils: every school_id is one of its middle schools
    school_kind: str | None = None  # every school_id is a middle school of this kind (core.models.School.kind)


LIST_KINDS: dict[str, ListKind] = {
    "direct_promotion": ListKind({"zh": "对口直升名单", "en": "direct-promotion list"}, (Role.district_admin.value,),
                                 ("pupil_id_number", "name", "primary_school", "school_id"), per_district=True),
    "special_policy": ListKind({"zh": "政策优待名单", "en": "special-policy list"}, (Role.city_admin.value,),
                               ("pupil_id_number", "name", "category"),
                               ("military", "talent", "police_hero", "fire_rescue", "moral_model",
                                "ethnic_minority_migrant")),
    "province_staff": ListKind({"zh": "省属学校教职工子女名单", "en": "province-run school staff list"},
                               (Role.district_admin.value, Role.city_admin.value),
                               ("pupil_id_number", "name", "school_id"), school_kind="province_run"),
}


def _kind(kind: str) -> ListKind:
    if kind not in LIST_KINDS:
        raise InvalidInput("未知的名单类型", f"unknown list kind {kind!r}", field="kind")
    return LIST_KINDS[kind]


def _check_entries(session: Session, season: Season, kind: ListKind, owner: str,
                   entries: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The entries with normalised ID numbers, each checked as an import checks a file: every line,
    each problem named by its CSV line (the header is line 1), and any problem refuses the list.
    An import and a correction go through here alike."""
    schools = _middle_schools(session, season)
    seen: dict[str, int] = {}
    clean: list[dict[str, Any]] = []
    problems: list[RowProblem] = []
    for line, entry in enumerate(entries, start=FIRST_DATA_LINE):
        missing = [key for key in kind.required if not str(entry.get(key) or "").strip()]
        if missing:
            problems.append(RowProblem(line, None, f"lacks {', '.join(missing)}", f"缺少：{'、'.join(missing)}"))
            continue
        check = check_pupil_id(str(entry["pupil_id_number"]), season.year)
        found = [*_pupil_problems(check, line, seen), *_category_problems(kind, entry, line),
                 *(_school_problems(kind, str(entry["school_id"]), line, owner, schools) if entry.get("school_id") else ())]
        problems += found
        if not found:
            clean.append({**entry, "pupil_id_number": check.number})
    if problems:
        raise ImportFailed(problems)
    return clean


def _pupil_problems(check: IdCheck, line: int, seen: dict[str, int]) -> list[RowProblem]:
    """A bad ID number, or one listed on an earlier line (`seen`: number → line, kept up to date here)."""
    if not check.ok:
        return [RowProblem(line, "pupil_id_number", check.problems[0]["en"], check.problems[0]["zh"])]
    first = seen.setdefault(check.number, line)
    if first != line:
        return [RowProblem(line, "pupil_id_number", f"pupil listed twice (first on line {first})",
                           f"学生重复（第 {first} 行已列出）")]
    return []


def _category_problems(kind: ListKind, entry: Mapping[str, Any], line: int) -> list[RowProblem]:
    if kind.categories and entry["category"] not in kind.categories:
        return [RowProblem(line, "category", f"unknown category {entry['category']!r}",
                           f"未知的政策类别 {entry['category']!r}")]
    return []


def _school_problems(kind: ListKind, code: str, line: int, owner: str,
                     schools: Mapping[str, tuple[str, str]]) -> list[RowProblem]:
    """A list names a middle school of the season (where it names one; the special-policy list
    need not); a district's list its own schools only (a school
    of another district would seat the pupil there under the wrong district's authority); the
    province-run staff list province-run schools only (§6.3: they serve their own staff's children)."""
    if code not in schools:
        return [unknown_middle_school(line, code)]
    district, school_kind = schools[code]
    if kind.per_district and district != owner:
        return [RowProblem(line, "school_id", f"school {code!r} is in {district}, not in {owner}: "
                                              "a district lists its own schools only",
                           f"学校 {code!r} 属于{district}，不属于{owner}；各区只能填报本区的学校")]
    if kind.school_kind is not None and school_kind != kind.school_kind:
        return [RowProblem(line, "school_id", f"school {code!r} is not a {kind.school_kind.replace('_', '-')} school",
                           f"学校 {code!r} 不是{_SCHOOL_KINDS.get(kind.school_kind, kind.school_kind)}学校")]
    return []


#: A school's kind as the list problems name it.
_SCHOOL_KINDS = {"province_run": "省属事业单位办"}


def _middle_schools(session: Session, season: Season) -> dict[str, tuple[str, str]]:
    """The season's middle schools: code → (district, kind)."""
    return {code: (district, kind) for code, district, kind in session.exec(
        select(School.code, School.district, School.kind).where(School.season_id == season.id,
                                                                School.stage == "middle")).all()}


def _refusal(kind: ListKind, owner: str, actor: Actor) -> Forbidden | None:
    """Why the actor may not import, submit or correct this list; None when it may."""
    if str(actor.role) not in kind.responsible:
        return Forbidden(f"{kind.label['zh']}由{'、'.join(kind.responsible)}负责导入",
                         f"the {kind.label['en']} is imported by {', '.join(kind.responsible)}")
    if str(actor.role) == Role.district_admin.value and actor.district != owner:
        return Forbidden("只能导入本区的名单", f"district staff import lists of their own district ({actor.district})")
    return None


def _ensure_responsible(kind: ListKind, owner: str, actor: Actor) -> None:
    refusal = _refusal(kind, owner, actor)
    if refusal is not None:
        raise refusal


def may_act(kind: str, owner: str, actor: Actor) -> bool:
    """Whether the actor may import, submit and propose corrections of this list, so a page offers
    only the forms the service would accept."""
    return kind in LIST_KINDS and _refusal(LIST_KINDS[kind], owner, actor) is None


def _event(session: Session, actor: Actor, action: str, version: LockedListVersion, now: datetime, **data) -> None:
    append_event(session, actor=actor.name, actor_role=str(actor.role), subject_type="locked_list",
                 subject_id=version.list_id, action=action, to_state=version.state, reason=version.reason, at=now,
                 data={"version": version.version, "entries_sha256": version.entries_sha256, **data})


def _versions(session: Session, locked: LockedList) -> list[LockedListVersion]:
    return list(session.exec(select(LockedListVersion).where(LockedListVersion.list_id == locked.id)
                             .order_by(LockedListVersion.version)))


def import_list(engine: Engine, season: Season, *, kind: str, owner: str, entries: list[Mapping[str, Any]],
                actor: Actor, now: datetime) -> LockedListVersion:
    """Import (or re-import) a draft list during preparation; a submitted list refuses."""
    spec = _kind(kind)
    _ensure_responsible(spec, owner, actor)
    with write_session(engine) as session:
        collection = calendar_for(session, season).collection
        if now >= collection.start:
            at = local_text(collection.start, year=True)
            raise ListLocked(f"名单须在信息采集开始（{at['zh']}）前导入；如需更正请提交更正申请",
                             f"lists are imported before collection opens ({at['en']}); propose a correction instead")
        locked = session.exec(select(LockedList).where(LockedList.season_id == season.id, LockedList.kind == kind,
                                                       LockedList.owner == owner)).first()
        if locked is None:
            locked = LockedList(season_id=season.id, kind=kind, owner=owner, created_at=now)
            session.add(locked)
            session.flush()
        versions = _versions(session, locked)
        if locked.current_version is not None:
            raise ListLocked(f"{spec.label['zh']}已提交，不能修改；更正须提交新版本并经市级管理员审批",
                             f"the {spec.label['en']} is submitted and cannot change; propose a correction "
                             "for a city administrator to approve")
        clean = _check_entries(session, season, spec, owner, entries)
        draft = versions[-1] if versions else LockedListVersion(list_id=locked.id, version=1, state="draft",
                                                                entries=[], entries_sha256="", created_by=actor.name)
        draft.entries, draft.entries_sha256, draft.created_at = clean, sha256_hex(clean), now
        session.add(draft)
        session.flush()
        _event(session, actor, "list_imported", draft, now, kind=kind, owner=owner, rows=len(clean))
        return draft


def submit_list(engine: Engine, season: Season, list_id: int, *, actor: Actor, now: datetime) -> LockedListVersion:
    """Submit the draft: from now on the list is locked (§4.1)."""
    with write_session(engine) as session:
        locked = session.get(LockedList, list_id)
        if locked is None or locked.season_id != season.id:
            raise NotFound("名单不存在", f"list {list_id} does not exist")
        _ensure_responsible(_kind(locked.kind), locked.owner, actor)
        if locked.current_version is not None:
            raise ListLocked("名单已提交", "the list is already submitted")
        draft = _versions(session, locked)[-1]
        draft.state, draft.decided_by, draft.decided_at = "submitted", actor.name, now
        locked.current_version = draft.version
        session.add_all([draft, locked])
        session.flush()
        _event(session, actor, "list_submitted", draft, now)
        return draft


def propose_correction(engine: Engine, season: Season, list_id: int, *, entries: list[Mapping[str, Any]],
                       reason: str, actor: Actor, now: datetime) -> LockedListVersion:
    """A correction of a submitted list: a new version with a reason, waiting for a city administrator."""
    if not (reason or "").strip():
        raise InvalidInput("请填写更正原因", "a correction needs a reason", field="reason")
    with write_session(engine) as session:
        locked = session.get(LockedList, list_id)
        if locked is None or locked.season_id != season.id:
            raise NotFound("名单不存在", f"list {list_id} does not exist")
        spec = _kind(locked.kind)
        _ensure_responsible(spec, locked.owner, actor)
        if locked.current_version is None:
            raise InvalidInput("名单尚未提交，可直接重新导入", "the list is not submitted yet; import it again")
        versions = _versions(session, locked)
        if any(v.state == "proposed" for v in versions):
            raise ListLocked("已有待审批的更正", "a correction is already waiting for approval")
        clean = _check_entries(session, season, spec, locked.owner, entries)
        version = LockedListVersion(list_id=locked.id, version=versions[-1].version + 1, state="proposed",
                                    entries=clean, entries_sha256=sha256_hex(clean), reason=reason.strip(),
                                    created_by=actor.name, created_at=now)
        session.add(version)
        session.flush()
        _event(session, actor, "list_correction_proposed", version, now, replaces=locked.current_version)
        return version


def decide_correction(engine: Engine, season: Season, version_id: int, *, approve: bool, actor: Actor,
                      now: datetime, reason: str | None = None) -> LockedListVersion:
    """A city administrator approves (it becomes the list) or refuses a proposed correction; a
    refusal says why, for the district that proposed it."""
    if str(actor.role) != Role.city_admin.value:
        raise Forbidden("名单更正须由市级管理员审批", "only a city administrator decides list corrections")
    reason = (reason or "").strip() or None
    if not approve and reason is None:
        raise InvalidInput("请填写驳回原因，提出更正的区将看到该原因", "say why the correction is refused; the district reads it",
                           field="reason")
    with write_session(engine) as session:
        version = session.get(LockedListVersion, version_id)
        if version is None or version.state != "proposed":
            raise ListLocked("没有待审批的更正", "no correction is waiting for a decision")
        locked = session.get(LockedList, version.list_id)
        if locked.season_id != season.id:
            raise NotFound("名单不存在", f"list version {version_id} does not exist")
        version.decided_by, version.decided_at, version.decision_reason = actor.name, now, reason
        if approve:
            for previous in _versions(session, locked):
                if previous.version == locked.current_version:
                    previous.state = "superseded"
                    session.add(previous)
            version.state, locked.current_version = "approved", version.version
        else:
            version.state = "refused"
        session.add_all([version, locked])
        session.flush()
        _event(session, actor, "list_correction_approved" if approve else "list_correction_refused",
               version, now, decision_reason=reason)
        return version


def current_entries(session: Session, season: Season, kind: str, owner: str) -> list[dict[str, Any]] | None:
    """The entries of a list as it stands (submitted or last approved correction); None if not submitted."""
    locked = session.exec(select(LockedList).where(LockedList.season_id == season.id, LockedList.kind == kind,
                                                   LockedList.owner == owner)).first()
    if locked is None or locked.current_version is None:
        return None
    return session.exec(select(LockedListVersion).where(LockedListVersion.list_id == locked.id,
                                                        LockedListVersion.version == locked.current_version)).one().entries
