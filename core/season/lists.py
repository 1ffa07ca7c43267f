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
from core.idnumbers import check_pupil_id
from core.models import Role, Season
from core.season.calendar import calendar_for, local_text
from core.season.models import LockedList, LockedListVersion
from core.workflow import Actor

__all__ = [
    "ListKind", "LIST_KINDS", "ListLocked", "import_list", "submit_list", "propose_correction",
    "decide_correction", "current_entries",
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


LIST_KINDS: dict[str, ListKind] = {
    "direct_promotion": ListKind({"zh": "对口直升名单", "en": "direct-promotion list"}, (Role.district_admin.value,),
                                 ("pupil_id_number", "name", "primary_school", "school_id")),
    "special_policy": ListKind({"zh": "政策优待名单", "en": "special-policy list"}, (Role.city_admin.value,),
                               ("pupil_id_number", "name", "category"),
                               ("military", "talent", "police_hero", "fire_rescue", "moral_model",
                                "ethnic_minority_migrant")),
    "province_staff": ListKind({"zh": "省属学校教职工子女名单", "en": "province-run school staff list"},
                               (Role.district_admin.value, Role.city_admin.value),
                               ("pupil_id_number", "name", "school_id")),
}


def _kind(kind: str) -> ListKind:
    if kind not in LIST_KINDS:
        raise InvalidInput("未知的名单类型", f"unknown list kind {kind!r}", field="kind")
    return LIST_KINDS[kind]


def _check_entries(kind: ListKind, entries: list[Mapping[str, Any]], year: int) -> list[dict[str, Any]]:
    seen: set[str] = set()
    clean = []
    for i, entry in enumerate(entries, start=1):
        missing = [key for key in kind.required if not str(entry.get(key) or "").strip()]
        if missing:
            raise InvalidInput(f"第{i}行缺少：{'、'.join(missing)}", f"row {i} lacks {', '.join(missing)}")
        check = check_pupil_id(str(entry["pupil_id_number"]), year)
        if not check.ok:
            raise InvalidInput(f"第{i}行：{check.problems[0]['zh']}", f"row {i}: {check.problems[0]['en']}")
        if check.number in seen:
            raise InvalidInput(f"第{i}行：学生重复", f"row {i}: pupil listed twice")
        if kind.categories and entry["category"] not in kind.categories:
            raise InvalidInput(f"第{i}行：未知的政策类别", f"row {i}: unknown category {entry['category']!r}")
        seen.add(check.number)
        clean.append({**entry, "pupil_id_number": check.number})
    return clean


def _ensure_responsible(kind: ListKind, owner: str, actor: Actor) -> None:
    if str(actor.role) not in kind.responsible:
        raise Forbidden(f"{kind.label['zh']}由{'、'.join(kind.responsible)}负责导入",
                        f"the {kind.label['en']} is imported by {', '.join(kind.responsible)}")
    if str(actor.role) == Role.district_admin.value and actor.district != owner:
        raise Forbidden("只能导入本区的名单", f"district staff import lists of their own district ({actor.district})")


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
    clean = _check_entries(spec, entries, season.year)
    with write_session(engine) as session:
        collection = calendar_for(session, season).collection
        if now >= collection.start:
            at = local_text(collection.start)
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
        clean = _check_entries(spec, entries, season.year)
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
