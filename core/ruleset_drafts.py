"""What an administrator keeps on stored ruleset versions: a note saying what each is for, and
the deletion of a draft that turned out a mistake.

Versions are never edited (core.rulesets); a note is not part of the content, so it may change.
Only a draft that was never active and that nothing refers to may go: an application judged by
it, a season running it or an allocation made under it would lose the rules it was decided by.
Both are audited, like storing and activating.
"""
from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from core.allocation.models import AllocationRun
from core.audit import append_event
from core.errors import InvalidInput, NotFound
from core.models import RULESET_NOTE_MAX, Application, RulesetStatus, RulesetVersion, Season
from core.rules.errors import Problem
from core.workflow import Actor

__all__ = ["set_note", "deletion_refusals", "delete_draft", "DraftNotDeletable", "RULESET_NOTE_MAX"]

NEVER_ACTIVE = (RulesetStatus.draft.value, RulesetStatus.validated.value)


class DraftNotDeletable(InvalidInput):
    """A deletion refused: the version was active once, or something refers to it (`problems`)."""

    code = "ruleset_not_deletable"
    http_status = 409

    def __init__(self, problems: list[Problem]):
        super().__init__("；".join(p.zh for p in problems), "; ".join(p.message for p in problems))
        self.problems = problems


def _locked(session: Session, sha256: str) -> RulesetVersion:
    """The version's row, locked until commit on PostgreSQL (SQLite writes one at a time): an
    activation, which any later reference must start with, waits for the deletion or sees it."""
    version = session.exec(select(RulesetVersion).where(RulesetVersion.sha256 == sha256).with_for_update()).first()
    if version is None:
        raise NotFound("规则版本不存在", f"no ruleset version {sha256[:12]}")
    return version


def set_note(session: Session, sha256: str, note: str, actor: Actor) -> RulesetVersion:
    """Say what a stored version is for (blank removes the note); a change is audited."""
    text = " ".join(note.split())  # one line: it is shown in the versions table
    if len(text) > RULESET_NOTE_MAX:
        raise InvalidInput(f"备注不能超过 {RULESET_NOTE_MAX} 个字（现为 {len(text)} 个）",
                           f"the note is longer than {RULESET_NOTE_MAX} characters ({len(text)})", field="note")
    version = _locked(session, sha256)
    previous, version.note = version.note, text or None
    if version.note != previous:
        session.add(version)
        append_event(session, actor=actor.name, actor_role=str(actor.role), subject_type="ruleset",
                     subject_id=sha256[:16], action="ruleset_note_changed",
                     data={"sha256": sha256, "note": version.note, "previous": previous})
    return version


def deletion_refusals(session: Session, version: RulesetVersion) -> list[Problem]:
    """Why a version cannot be deleted, in English and Chinese; empty for a draft never active
    that no season, application or allocation refers to."""
    sha256, refused = version.sha256, []
    if version.status not in NEVER_ACTIVE or version.activated_at is not None:
        refused.append(Problem("", "the version has been active: applications may have been decided under it",
                               zh="该版本曾经启用，可能已有申请按其判定，不能删除"))
    if session.exec(select(Season.year).where(Season.active_ruleset_sha256 == sha256)).first() is not None:
        refused.append(Problem("", "a season runs on this version", zh="有年度正在使用该版本，不能删除"))
    pinned = session.exec(select(func.count()).select_from(Application)
                          .where(Application.ruleset_sha256 == sha256)).one()
    if pinned:
        refused.append(Problem("", f"{pinned} submitted applications are judged by this version",
                               zh=f"已有 {pinned} 份申请按该版本提交并判定，不能删除"))
    if session.exec(select(AllocationRun.id).where(AllocationRun.ruleset_sha256 == sha256)).first() is not None:
        refused.append(Problem("", "seats were allocated under this version", zh="已有学位分配按该版本进行，不能删除"))
    return refused


def delete_draft(session: Session, sha256: str, actor: Actor) -> RulesetVersion:
    """Delete a draft nothing refers to (`deletion_refusals`), keeping in the audit trail what
    it was: its id, version, season and note (the content is gone; the sha256 names it)."""
    version = _locked(session, sha256)
    refused = deletion_refusals(session, version)
    if refused:
        raise DraftNotDeletable(refused)
    season = session.get(Season, version.season_id)
    session.delete(version)
    append_event(session, actor=actor.name, actor_role=str(actor.role), subject_type="ruleset",
                 subject_id=sha256[:16], action="ruleset_deleted", from_state=version.status,
                 data={"sha256": sha256, "ruleset_id": version.ruleset_id, "version": version.version,
                       "season": season.year, "note": version.note})
    return version
