"""Service functions for applications: what the web layer and the CLI call, never SQL in views.

Each function is one unit of work in one write transaction; lifecycle hooks run after commit.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, delete, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.access import ensure_can_act
from core.audit import append_event
from core.canonical import sha256_hex
from core.connectors.merge import merge_fragments
from core.connectors.runtime import Fetched
from core.db import by_id, read_session, update_held, write_session
from core.errors import InvalidInput, NotFound
from core.idnumbers import check_pupil_id
from core.models import Account, Application, ConnectorCall, Document, FactRecord, Role, Season
from core.rulesets import district_code, ruleset_document, workflow_for
from core.season.calendar import check_can_register, check_can_submit, check_during
from core.workflow import Actor, FireContext, IllegalTransition, StaleWrite, Workflow, fire, fire_many

__all__ = [
    "UNSUBMITTED", "check_can_start", "start_application", "remove_unsubmitted", "withdraw_draft", "submit_blocker",
    "move_version",
    "record_facts", "fact_records", "current_facts", "address_text", "basis_options",
    "choose_basis", "submit_application",
    "fire_transition", "fire_in_session", "fire_on_season", "SubmitOutcome",
]


@dataclass(frozen=True)
class SubmitOutcome:
    """What a guardian is told after pressing submit (also after a double click)."""

    application_id: int
    serial: str
    state: str


def _load(session: Session, application_id: int) -> Application:
    application = by_id(session, Application, application_id)
    if application is None:
        raise NotFound("申请不存在", f"application {application_id} does not exist")
    return application


def _active_sha(season: Season) -> str:
    """The season's active ruleset, or a refusal when there is none yet."""
    if not season.active_ruleset_sha256:
        raise InvalidInput("本年度规则尚未启用", f"season {season.year} has no active ruleset")
    return season.active_ruleset_sha256


def check_can_start(session: Session, *, season: Season, pupil_id_number: str, district: str, now: datetime,
                    guardian_id: int | None = None, school_group: str | None = None) -> str:
    """Refuse a draft that could not be opened: an ID failing GB 11643, a district outside the
    city, a first-login window not open (§2.2), a pupil who already has an application this
    season (the guardian who made it is told where it is, anyone else whom to ask). Returns the
    ID number as stored (upper-case check character)."""
    check = check_pupil_id(pupil_id_number, season.year)
    if not check.ok:
        raise InvalidInput(check.problems[0]["zh"], check.problems[0]["en"], field="pupil_id_number")
    document = ruleset_document(session, _active_sha(season))
    try:
        district_code(document, district)
    except KeyError:
        raise InvalidInput("请选择城区的区县", f"unknown district {district!r}", field="district") from None
    check_can_register(session, season, district=district, school_group=school_group, now=now)
    duplicate = session.exec(select(Application.guardian_id).where(
        Application.season_id == season.id, Application.pupil_id_number == check.number)).first()
    if duplicate is not None and duplicate == guardian_id:
        raise InvalidInput("您已为该学生报名，请在“我的报名”中查看和继续填报",
                           "you have already applied for this pupil: see it under 'My applications'",
                           field="pupil_id_number")
    if duplicate is not None:
        raise InvalidInput("该学生本年度已有报名记录；如非您家庭所报，请联系学生所在区的教育局",
                           "this pupil already has an application this season; if your family did not make it, "
                           "contact the district's education bureau",
                           field="pupil_id_number")
    return check.number


def start_application(session: Session, *, season: Season, guardian: Account, pupil_id_number: str,
                      pupil_name: str, district: str, now: datetime, school_group: str | None = None) -> Application:
    """Open a draft for one pupil inside their first-login window (§2.2) (see `check_can_start`)."""
    number = check_can_start(session, season=season, pupil_id_number=pupil_id_number, district=district, now=now,
                             guardian_id=guardian.id, school_group=school_group)
    workflow = workflow_for(session, season.active_ruleset_sha256)
    application = Application(season_id=season.id, guardian_id=guardian.id, pupil_id_number=number,
                              pupil_name=pupil_name, district=district, state=workflow.initial,
                              created_at=now, updated_at=now)
    session.add(application)
    session.flush()
    append_event(session, actor=guardian.username, actor_role=guardian.role, subject_type="application",
                 subject_id=application.id, action="application_started", to_state=application.state, at=now)
    return application


UNSUBMITTED = ("draft", "facts_pending")  # the states a family may still withdraw from, or take documents back in


def remove_unsubmitted(session: Session, application: Application, *, actor: Actor, now: datetime,
                       reason: str) -> None:
    """Remove an application never submitted, in the caller's write transaction: what the sources
    said about the family, its uploads' rows (the files, stored once by content, stay) and the
    row, so that it no longer holds the pupil (one application per pupil and season). The
    connector calls stay, no longer tied to it (operators' health figures); the audit trail
    records who, when and why (`reason`: "withdrawn" by the family, "not_the_guardian")."""
    if application.state not in UNSUBMITTED:
        raise InvalidInput("申请已提交，不能撤销", "the application is submitted; it cannot be withdrawn")
    application_id, state = application.id, application.state
    session.execute(update(ConnectorCall).where(ConnectorCall.application_id == application_id)
                    .values(application_id=None))
    session.execute(delete(FactRecord).where(FactRecord.application_id == application_id))
    session.execute(delete(Document).where(Document.application_id == application_id))
    session.delete(application)
    append_event(session, actor=actor.name, actor_role=str(actor.role), subject_type="application",
                 subject_id=application_id, action="application_discarded", from_state=state, reason=reason, at=now)


def withdraw_draft(engine: Engine, application_id: int, *, account: Account, now: datetime) -> None:
    """The family takes back a draft before submitting it (a wrong district, a typo they cannot
    otherwise undo) and may start again."""
    with write_session(engine) as session:
        application = _load(session, application_id)
        ensure_can_act(Actor.of(account), application)
        remove_unsubmitted(session, application, actor=Actor.of(account), now=now, reason="withdrawn")


def move_version(session: Session, application_id: int, *, states: Iterable[str]) -> bool:
    """Raise the application's version for a change that is no transition (an upload, a removed
    document, facts fetched again) while it is in one of `states`; False when it is not (any
    more). Whatever a page drawn before showed is then out of date: its submit, which sends the
    version it saw, is refused (`core.workflow.changed_since`) and the family looks again."""
    moved = session.execute(update(Application)
                            .where(Application.id == application_id, Application.state.in_(tuple(states)))
                            .values(version=Application.version + 1))
    return moved.rowcount == 1


def submit_blocker(application: Application, records: list[Row], facts: dict[str, Any]) -> InvalidInput | None:
    """What must be done before the irreversible submit (§4.2), or None: the family's data fetched
    (else the tier would be judged on missing facts), and, when the sources know a property,
    lease or demolished home, one of them chosen as the basis. `records` and `facts` are the
    application's (`fact_records`, `current_facts`)."""
    if not any(record.source != "pupil_record" for record in records):
        return InvalidInput("请先获取家庭数据（第2步）再提交", "fetch the family's data (step 2) before submitting")
    if application.residence_basis is None and basis_options(facts):
        return InvalidInput("请先选择居住依据（第3步）再提交", "choose the residence basis (step 3) before submitting",
                            field="basis")
    return None


def record_facts(session: Session, application: Application, *, source: str, payload: dict[str, Any],
                 fetched_at: datetime, connector: str = "") -> FactRecord:
    """Store what one source returned, with its digest; frozen applications refuse new facts."""
    if application.frozen_facts is not None:
        raise InvalidInput("申请已提交，数据已冻结", "the application is submitted; its facts are frozen")
    record = FactRecord(application_id=application.id, source=source, connector=connector or source,
                        fetched_at=fetched_at, payload_digest=sha256_hex(payload), payload=payload)
    session.add(record)
    session.flush()
    return record


_FACTS = FactRecord.__table__
_FACT_ROWS = (select(_FACTS.c.id, _FACTS.c.source, _FACTS.c.connector, _FACTS.c.fetched_at, _FACTS.c.payload,
                     _FACTS.c.payload_digest)
              .where(_FACTS.c.application_id == bindparam("application_id"))
              .order_by(_FACTS.c.fetched_at, _FACTS.c.id))


def fact_records(session: Session, application: Application) -> list[Row]:
    """Everything the sources returned for an application, oldest first: rows with a FactRecord's
    id, source, connector, fetched_at, payload and payload_digest (not ORM objects: every step of
    the journey reads them, and a submission inside its write transaction)."""
    session.flush()  # as the ORM's query would: records added but not yet written count too
    return session.connection().execute(_FACT_ROWS, {"application_id": application.id}).all()


def current_facts(session: Session, application: Application,
                  records: list[Row] | None = None) -> dict[str, Any]:
    """The facts document as of now: the newest record per source, merged, with provenance.

    Pass `records` (from `fact_records`) when you have them already, to save the query.
    """
    if application.frozen_facts is not None:
        return application.frozen_facts
    if records is None:
        records = fact_records(session, application)
    newest = {record.source: record for record in records}  # a later record of a source wins
    facts = merge_fragments(
        Fetched(r.source, r.connector, r.fetched_at, r.payload, r.payload_digest)
        for r in sorted(newest.values(), key=lambda r: r.id))
    if application.residence_basis is not None:
        facts["basis"] = application.residence_basis
    return facts


def address_text(address: dict[str, Any] | None) -> str:
    """An address as one line: the text printed on its source document, else built from its parts."""
    address = address or {}
    return address.get("text") or "".join(str(address.get(k, "")) for k in ("district", "street", "number", "compound"))


def basis_options(facts: dict[str, Any]) -> list[dict[str, Any]]:
    """The properties, leases and demolished home the sources know of: what a family may name as
    its residence basis (kind, id, address text and a detail for the list)."""
    options = [{"kind": "property", "id": p.get("id"), "address": address_text(p.get("address")),
                "detail": p.get("cert_type")} for p in facts.get("properties") or []]
    options += [{"kind": "lease", "id": lease.get("id"), "address": address_text(lease.get("address")),
                 "detail": "registered" if lease.get("registered") else "unregistered"}
                for lease in facts.get("leases") or []]
    demolition = facts.get("demolition")
    if demolition:  # the demolished home itself (§3.4); a resettlement flat is a property of its own
        options.append({"kind": "demolition", "id": demolition.get("id"),
                        "address": address_text(demolition.get("original_address")),
                        "detail": demolition.get("agreement_on")})
    return options


def choose_basis(engine: Engine, application_id: int, *, account: Account, basis: dict[str, Any],
                 now: datetime) -> Application:
    """Name the property, lease or demolished home the family lives at (before submission)."""
    if basis.get("kind") not in ("property", "lease", "demolition"):
        raise InvalidInput("请选择房产、租赁或拆迁住址作为居住依据", "choose a property, lease or demolition basis",
                           field="basis")
    with read_session(engine) as session:  # outside the write transaction: SQLite has one writer at a time
        application = _load(session, application_id)
        ensure_can_act(Actor.of(account), application)
        known = {(option["kind"], option["id"]) for option in basis_options(current_facts(session, application))}
    if application.frozen_facts is None and (basis["kind"], basis.get("id")) not in known:  # submitted: refused below
        raise InvalidInput("请从已获取的房产、租赁或拆迁记录中选择居住依据",
                           "choose the basis among the properties, leases and demolition the sources returned",
                           field="basis")
    with write_session(engine) as session:
        application = _load(session, application_id)
        ensure_can_act(Actor.of(account), application)
        if application.frozen_facts is not None:
            raise InvalidInput("申请已提交，不能修改", "the application is submitted and cannot change")
        check_can_submit(session, by_id(session, Season, application.season_id), now=now)
        chosen = {"residence_basis": {"kind": basis["kind"], "id": basis.get("id")},
                  "version": application.version + 1, "updated_at": now}
        update_held(session, application, chosen)
        append_event(session, actor=account.username, actor_role=account.role, subject_type="application",
                     subject_id=application.id, action="basis_chosen", data=application.residence_basis, at=now)
        return application


def fire_transition(engine: Engine, application_id: int, transition_id: str, *, account: Account | None,
                    now: datetime, reason: str | None = None, seen_version: int | None = None,
                    actor: Actor | None = None) -> Application:
    """Fire a workflow transition as an account (or the system) in one write transaction."""
    with write_session(engine) as session:
        return fire_in_session(session, application_id, transition_id, account=account, now=now, reason=reason,
                               seen_version=seen_version, actor=actor)


def fire_on_season(engine: Engine, season_id: int, transition_id: str, *, actor: Actor, now: datetime,
                   batch_size: int, keep_alive: Callable[[], Any] | None = None) -> int:
    """Fire a system transition on every application of the season in one of its source states
    (closing collection, allocating), `batch_size` per transaction with `fire_many`, so a killed
    run keeps what it committed and resumes with the rest; returns how many moved."""
    moved = 0
    while True:
        with write_session(engine) as session:
            season = session.get(Season, season_id)
            sources = workflow_for(session, season.active_ruleset_sha256).transitions[transition_id].sources
            batch = session.exec(select(Application).where(
                Application.season_id == season_id, Application.state.in_(sorted(sources)))
                .order_by(Application.id).limit(batch_size)).all()

            def prepare(application: Application) -> tuple[Workflow, FireContext]:
                sha = application.judging_ruleset(season)
                return workflow_for(session, sha), FireContext(actor=actor, now=now, season_year=season.year,
                                                               ruleset_sha256=sha)

            fire_many(session, batch, transition_id, prepare=prepare)
        moved += len(batch)
        if len(batch) < batch_size:
            return moved
        if keep_alive is not None:
            keep_alive()


def fire_in_session(session: Session, application_id: int, transition_id: str, *, account: Account | None,
                    now: datetime, reason: str | None = None, seen_version: int | None = None,
                    actor: Actor | None = None, event_data: dict[str, Any] | None = None,
                    facts: dict[str, Any] | None = None) -> Application:
    """`fire_transition` inside the caller's write transaction, for callers that batch many (the season
    replay) or have read the application's facts in it already (`facts`, as `current_facts` gives them)."""
    actor = actor or Actor.of(account)
    application = _load(session, application_id)
    ensure_can_act(actor, application)
    season = by_id(session, Season, application.season_id)
    sha = application.judging_ruleset(season) or _active_sha(season)
    workflow = workflow_for(session, sha)
    transition = workflow.transitions.get(transition_id)
    if transition is not None and transition.during and str(actor.role) != Role.system.value:
        check_during(session, season, transition.during, now=now)  # the clock, never the scheduler
    document = ruleset_document(session, sha)
    context = FireContext(actor=actor, now=now, season_year=season.year, ruleset_sha256=sha,
                          district_code=district_code(document, application.district),
                          facts=current_facts(session, application) if facts is None else facts)
    return fire(session, application, transition_id, workflow=workflow,
                context=context, reason=reason, seen_version=seen_version, event_data=event_data)


def submit_application(engine: Engine, application_id: int, *, account: Account, now: datetime,
                       seen_version: int | None = None) -> SubmitOutcome:
    """Submit once (§4.2): facts frozen, ruleset pinned, serial issued.

    A second submit of an already submitted application (a double click, a retried request,
    a second tab) is not an error: it answers with the serial the first one got. A submit from a
    page drawn before the application last changed (`seen_version`: an upload in another tab,
    see `move_version`) is refused: the family never saw what it would submit.
    """
    try:
        with write_session(engine) as session:  # the facts checked are the facts frozen: read once, here
            application = _load(session, application_id)
            ensure_can_act(Actor.of(account), application)
            records = fact_records(session, application)
            facts = current_facts(session, application, records)
            blocker = submit_blocker(application, records, facts) if application.serial is None else None
            if blocker is not None:
                raise blocker
            application = fire_in_session(session, application_id, "submit", account=account, now=now,
                                          seen_version=seen_version, facts=facts)
    except (StaleWrite, IllegalTransition) as refusal:
        with read_session(engine) as session:
            application = _load(session, application_id)
            if application.serial is None and isinstance(refusal, StaleWrite):
                raise StaleWrite("提交前该申请已有变化（如在其他页面上传或删除了材料、重新获取了数据），请重新核对后再提交",
                                 "the application changed since this page was drawn (a document uploaded or removed, "
                                 "data fetched again elsewhere): check it again, then submit") from refusal
            if application.serial is None:
                raise
    return SubmitOutcome(application.id, application.serial, application.state)
