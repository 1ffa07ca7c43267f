"""Read models and steps of the people-facing pages: season status, an application's page,
the guardian's start and the return of materials."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.access import ensure_can_view
from core.allocation.models import AllocationRun, AllocationSeat
from core.allocation.publication import family_seat, is_published
from core.allocation.store import seat_of_application
from core.applications import (UNSUBMITTED, basis_options, check_can_start, current_facts, fact_records,
                               fire_transition, start_application, submit_blocker)
from core.assessment import stored_or_assessed
from core.connectors.runtime import ConnectorRuntime
from core.connectors.sources import SOURCES
from core.db import DirectRead, by_id, read_session, write_session
from core.documents import removable_documents
from core.facts import confirm_guardian, store_confirmed_record
from core.errors import InvalidInput, NotFound, UserFacingError
from core.models import (Account, Application, CatchmentsVersion, ConnectorCall, Document, Event, FactRecord, Role,
                         Season, unclassified)
from core.review import DECIDED_STATES, DECISIONS
from core.rulesets import application_state_labels, clause_wordings, ruleset_document, season_state_labels, workflow_for
from core.season.calendar import calendar_for, last_phase_end, local_text, window_status
from core.season.models import GraduateRow
from core.workflow import Actor, Workflow

__all__ = [
    "active_season", "current_season", "season_districts", "active_districts", "active_state_labels", "season_overview",
    "applications_of", "read_application_state_labels", "open_application",
    "load_application", "application_view", "guardian_page_view", "StatusView", "ApplicationView", "supply_materials",
    "status_page_version", "STATUS_PAGE_ROWS", "NOT_ON_STATUS_PAGE", "EVENT_LABELS", "REASON_LABELS", "event_labels",
]


def current_season(session: Session) -> Season | None:
    """The newest season with an active ruleset: the one guardians register in; None on a new
    installation, before the first ruleset is activated."""
    return session.exec(select(Season).where(Season.active_ruleset_sha256.is_not(None))
                        .order_by(Season.year.desc())).first()


def active_season(session: Session) -> Season:
    """The season guardians register in (`current_season`), or NotFound before there is one."""
    season = current_season(session)
    if season is None:
        raise NotFound("本年度报名尚未开放", "no admission season is open yet")
    return season


def season_districts(session: Session, season: Season) -> list[dict[str, Any]]:
    """The districts of the season's active ruleset, each with name and code."""
    return list(ruleset_document(session, season.active_ruleset_sha256).get("districts", []))


def active_districts(engine: Engine) -> list[dict[str, Any]]:
    """The active season's districts, or none before a season is set up (for form choices)."""
    with read_session(engine) as session:
        try:
            return season_districts(session, active_season(session))
        except NotFound:
            return []


def active_state_labels(engine: Engine) -> dict[str, dict[str, str]]:
    """The active season's workflow states worded by its ruleset, or none before a season is set
    up (the review queue's state filter offers them, worded as its table words them)."""
    with read_session(engine) as session:
        season = current_season(session)
        return {} if season is None else season_state_labels(session, season)


def season_overview(engine: Engine, *, now: datetime) -> dict[str, Any]:
    """The running phase and every district's window, as the guardian's home page shows them."""
    with read_session(engine) as session:
        season = active_season(session)
        calendar = calendar_for(session, season)
        phase = calendar.phase_at(now)
        districts = [{"name": d["name"], **window_status(session, season, district=d["name"], now=now)}
                     for d in season_districts(session, season)]
    return {"season": {"year": season.year, "name": season.name},
            "phase": None if phase is None else {"id": phase.id, "label": dict(phase.label), "clause": phase.clause},
            "districts": districts}


def applications_of(engine: Engine, account: Account) -> list[Application]:
    """A guardian's own applications, newest first."""
    with read_session(engine) as session:
        return list(session.exec(select(Application).where(Application.guardian_id == account.id)
                                 .order_by(Application.created_at.desc(), Application.id.desc())))


def read_application_state_labels(engine: Engine, applications: list[Application]) -> dict[int, dict[str, str]]:
    """`core.rulesets.application_state_labels` in a read session of its own, for a page listing
    applications read earlier (the guardian's home, the review queue)."""
    with read_session(engine) as session:
        return application_state_labels(session, applications)


def open_application(engine: Engine, *, account: Account, pupil_id_number: str, pupil_name: str,
                     district: str, now: datetime, runtime: ConnectorRuntime | None = None) -> Application:
    """Start a draft in the active season: what `check_can_start` checks (the ID, the district's
    window, §2.2), then the school record must name the account holder as the pupil's guardian
    (`confirm_guardian`; asked outside any transaction), and is kept with the draft."""
    with read_session(engine) as session:
        number = check_can_start(session, season=active_season(session), pupil_id_number=pupil_id_number,
                                 district=district, now=now, guardian_id=account.id)
    record = confirm_guardian(engine, account, number, runtime=runtime)
    with write_session(engine) as session:  # checked again: another family may have opened one meanwhile
        application = start_application(session, season=active_season(session), guardian=account,
                                        pupil_id_number=number, pupil_name=pupil_name.strip(), district=district,
                                        now=now)
        if record is not None:
            store_confirmed_record(session, application, record)
        return application


def load_application(session: Session, actor: Actor, application_id: int) -> Application:
    """The application if this actor may see it; 404 when it does not exist, 403 otherwise."""
    application = by_id(session, Application, application_id)
    if application is None:
        raise _no_such_application(application_id)
    ensure_can_view(actor, application)
    return application


def _no_such_application(application_id: int) -> NotFound:
    return NotFound("申请不存在", f"application {application_id} does not exist")


def _newest(column, *where):
    return select(func.max(column)).where(*where).scalar_subquery()


# The tables whose rows about an application the status page shows (directly or through the
# provisional assessment), and those it does not; a test checks that every table with an
# `application_id` is in one of the two, so the validator below cannot miss a new one.
STATUS_PAGE_ROWS = (Document, FactRecord, AllocationSeat)
NOT_ON_STATUS_PAGE = (ConnectorCall, GraduateRow)  # calls to sources; the graduates database (§5)
# Compiled once and run without SQLAlchemy's per-execution work (see DirectRead): the page is
# polled, and that work costs SQLAlchemy far more than the database takes to run the query.
_STATUS_PAGE_INPUTS = DirectRead(select(
    Application.id, Application.guardian_id, Application.district,  # for the access check
    Application.season_id, Application.pupil_name, Application.state, Application.version, Application.serial,
    Application.ruleset_sha256, Application.tier, Application.updated_at, unclassified(),
    _newest(Event.seq, Event.subject_type == "application", Event.subject_id == bindparam("subject_id")),
    select(func.count()).select_from(Document).where(Document.application_id == Application.id).scalar_subquery(),
    *(_newest(table.id, table.application_id == Application.id).label(f"newest_{table.__tablename__}")
      for table in STATUS_PAGE_ROWS),
    _newest(AllocationRun.id, AllocationRun.season_id == Application.season_id),
    select(CatchmentsVersion.version).where(CatchmentsVersion.season_id == Application.season_id).scalar_subquery(),
    select(Season.active_ruleset_sha256).where(Season.id == Application.season_id).scalar_subquery(),
).where(Application.id == bindparam("application_id")))


def status_page_version(engine: Engine, actor: Actor, application_id: int, *, now: datetime) -> tuple | None:
    """Everything the status page of a submitted application is drawn from, in one small query:
    equal tuples mean the page would be drawn the same, so it can answer a conditional GET
    (families poll this page). None for a draft, whose page shows the district's window and so
    changes with the clock. 404 and 403 as for the page itself.

    The inputs: the application's own columns (every transition raises `version`; a stored
    classification sets `tier` and ends `unclassified`), the newest audit event about it
    (decisions with their reasons, document verdicts), its newest rows in `STATUS_PAGE_ROWS`
    and how many documents it has, and of its season the newest allocation run, the catchments
    version (school names, the provisional assessment) and the active ruleset; and, once it has a
    seat, whether seats are published at `now` (the page changes when the publication phase opens).
    """
    row = _STATUS_PAGE_INPUTS.first(engine, application_id=application_id, subject_id=str(application_id))
    if row is None:
        raise _no_such_application(application_id)
    ensure_can_view(actor, row)  # the row has the application's guardian_id and district
    if row.serial is None:
        return None
    return (*row, None if row.newest_allocationseat is None else _published(engine, row.season_id, now))


def _published(engine: Engine, season_id: int, now: datetime) -> bool:
    """Whether seats are published at `now` (a parsed calendar is cached: only a first read asks the database)."""
    with read_session(engine) as session:
        return is_published(session, by_id(session, Season, season_id), now)


@dataclass
class StatusView:
    """What the status page of a submitted application shows, and no more: it is the page
    families poll, so it reads neither fact records nor connector calls."""

    application: Application
    state_label: dict[str, str]
    documents: list[Document]
    assessment: dict[str, Any] | None
    events: list[Event]
    seat: dict[str, Any] | None
    event_labels: dict[str, Mapping[str, str]]  # an event's action -> what the history calls it
    # Once the reviewers have decided: the state naming their decision and its label, else None.
    review_result: dict[str, Any] | None
    # Until when the family may take its next step from here, in words (a returned application's
    # materials, §8.1: until verification ends), when the workflow dates it; else None.
    act_until: dict[str, str] | None
    # How the ruleset it is judged by words its clause ids (core.rules.clauses): its pages show
    # "第六部分 一类" where the assessment, the trace and the seat's reason cite "§6-1".
    clauses: Mapping[str, Mapping[str, str]]

    @property
    def feedback(self) -> list[Event]:
        """Reviewers' decisions (an approval too, which needs no reason: the family wants to know
        when it came) and every other reason the guardian is meant to read."""
        return [e for e in self.events if e.action in DECISIONS or (e.reason and e.actor_role != "guardian")]

    @staticmethod
    def reason_words(event: Event) -> Mapping[str, str] | str | None:
        """An event's reason as people read it: a code the system wrote ("not_the_guardian") in
        words, a person's reason as they typed it."""
        return REASON_LABELS.get(event.reason or "", event.reason)

    @property
    def removable_documents(self) -> set[int]:
        """The documents the family may still take back (core.documents.removable_documents)."""
        return removable_documents(self.application.state, self.documents, self.events)

    @property
    def document_reasons(self) -> dict[int, str]:
        """Why each rejected document was rejected (its latest verdict's reason), shown beside it."""
        reasons: dict[int, str] = {}
        for e in self.events:  # oldest first: a later verdict wins
            if e.action in ("document_accepted", "document_rejected") and isinstance(e.data, dict):
                reasons.pop(e.data.get("document_id"), None)
                if e.reason:
                    reasons[e.data.get("document_id")] = e.reason
        return reasons


@dataclass
class ApplicationView(StatusView):
    """Everything an application's page shows, gathered in one read."""

    facts: dict[str, Any]
    sources: list[dict[str, Any]]
    records: list[Row]  # see core.applications.fact_records
    transitions: list[dict[str, Any]]
    basis_options: list[dict[str, Any]] = field(default_factory=list)
    window: dict[str, Any] | None = None
    # The ruleset it is judged by ("nanchang-2021 1.0.0"), and whether it keeps it for good (it
    # was submitted under it) or follows the season's active one: mid-season, one queue can hold both.
    ruleset: dict[str, Any] | None = None

    @property
    def chosen_basis(self) -> dict[str, Any] | None:
        """The basis option the family chose (kind, id, address), as the list offered it."""
        chosen = self.application.residence_basis or {}
        return next((o for o in self.basis_options if (o["kind"], o["id"]) == (chosen.get("kind"), chosen.get("id"))),
                    None)

    @property
    def submit_blocker(self) -> UserFacingError | None:
        """Why the application cannot be submitted yet (core.applications.submit_blocker), or None."""
        return submit_blocker(self.application, self.records, self.facts)

    @property
    def may_withdraw(self) -> bool:
        """Whether the family may still withdraw this application (core.applications.withdraw_draft)."""
        return self.application.state in UNSUBMITTED

    @property
    def family_fetched(self) -> bool:
        """Whether more than the school record has been fetched: before that, an assessment
        could only say that facts are missing."""
        return any(record.source != "pupil_record" for record in self.records)

    @property
    def other_school_district(self) -> str | None:
        """The district of the pupil's primary school when the school record places it in the
        urban area but in another district than the application's; else None. A pupil registers
        in the school's district (§2.2), with exceptions (private schools, school groups) that a
        person must judge: so the family and the reviewer are told, and nothing is changed."""
        pupil = self.facts.get("pupil")
        school = pupil.get("primary_school") if isinstance(pupil, dict) else None
        if not isinstance(school, dict) or school.get("in_urban_area") is not True:
            return None
        district = school.get("district")
        return district if isinstance(district, str) and district and district != self.application.district else None

    def to_dict(self) -> dict[str, Any]:
        """The API's representation."""
        a = self.application
        return {
            "id": a.id, "serial": a.serial, "state": a.state, "state_label": self.state_label,
            "version": a.version, "district": a.district, "pupil_name": a.pupil_name,
            "pupil_id_number": a.pupil_id_number, "residence_basis": a.residence_basis,
            "submitted_at": a.submitted_at.isoformat() if a.submitted_at else None,
            "facts": self.facts, "sources": self.sources,
            "documents": [_document_dict(d) for d in self.documents],
            "assessment": self.assessment, "basis_options": self.basis_options,
            "transitions": self.transitions, "seat": self.seat, "window": self.window,
            "other_school_district": self.other_school_district,
            "feedback": [{"at": e.at.isoformat(), "action": e.action, "to_state": e.to_state, "reason": e.reason}
                         for e in self.feedback],
        }


def _document_dict(document: Document) -> dict[str, Any]:
    return {"id": document.id, "kind": document.kind, "filename": document.filename,
            "media_type": document.media_type, "size": document.size, "sha256": document.sha256,
            "uploaded_at": document.uploaded_at.isoformat(), "review_state": document.review_state}


def _source_progress(calls: list[Row], records: list[Row]) -> list[dict[str, Any]]:
    last_call = {c.source: c for c in calls}  # ordered oldest first: the last one wins
    last_record = {r.source: r for r in records}
    progress = []
    for source in SOURCES:
        call, record = last_call.get(source.name), last_record.get(source.name)
        if call is None:
            status = "fetched" if record is not None else "waiting"
        elif call.outcome != "ok":
            status = "failed"
        else:
            status = "fetched" if record is not None and record.fetched_at >= call.started_at else "none"
        progress.append({"source": source.name, "label": {"zh": source.label_zh, "en": source.label_en},
                         "status": status, "connector": record.connector if record else None,
                         "fetched_at": record.fetched_at.isoformat() if record else None,
                         "asked_at": call.started_at.isoformat() if call else None})
    return progress


def _season_and_workflow(session: Session, application: Application) -> tuple[Season, Workflow]:
    """The application's season, and the workflow of the ruleset it is (or will be) judged by."""
    season = by_id(session, Season, application.season_id)
    return season, workflow_for(session, application.judging_ruleset(season))


# Built once, like the validator's query: these run on every status page.
_DOCUMENTS = (select(Document).where(Document.application_id == bindparam("application_id"))
              .order_by(Document.uploaded_at, Document.id))
_EVENTS = (select(Event).where(Event.subject_type == "application", Event.subject_id == bindparam("subject_id"))
           .order_by(Event.seq))
_HAS_FACTS = select(FactRecord.id).where(FactRecord.application_id == bindparam("application_id")).limit(1)
# The calls the progress list needs, as rows (a fetch writes one per source).
_CALLS = (select(ConnectorCall.source, ConnectorCall.outcome, ConnectorCall.started_at)
          .where(ConnectorCall.application_id == bindparam("application_id"))
          .order_by(ConnectorCall.started_at, ConnectorCall.id))


#: What the history calls the events that are not workflow transitions (a transition's event
#: is called as `Workflow.happened` says, from the ruleset's workflow).
EVENT_LABELS = {
    "application_started": {"zh": "开始填报", "en": "Application started"},
    "basis_chosen": {"zh": "选择居住依据", "en": "Residence basis chosen"},
    "document_uploaded": {"zh": "上传材料", "en": "Document uploaded"},
    "document_accepted": {"zh": "材料已认可", "en": "Document accepted"},
    "document_rejected": {"zh": "材料未认可", "en": "Document rejected"},
    "document_removed": {"zh": "删除材料", "en": "Document removed"},
    "application_discarded": {"zh": "未提交的申请已删除", "en": "Unsubmitted application removed"},
}

#: The reasons the system writes into events as codes (a person's reasons are their own words).
REASON_LABELS = {
    "not_the_guardian": {"zh": "学籍记录列出的监护人中没有该账户持有人",
                         "en": "the school record does not name the account holder among the pupil's guardians"},
}


def event_labels(workflow: Workflow) -> dict[str, Mapping[str, str]]:
    """What a history calls an application's events, as what happened: a transition as
    `Workflow.happened` words it ("Approved", not the button's "Approve"), any other event by
    EVENT_LABELS."""
    return {**EVENT_LABELS, **{t.id: workflow.happened(t) for t in workflow.transitions.values()}}


def _review_result(workflow: Workflow, state: str) -> dict[str, Any] | None:
    """The reviewers' decision once made, named by the state it led to (see DECIDED_STATES)."""
    decided = DECIDED_STATES.get(state)
    return None if decided is None else {"state": decided, "label": dict(workflow.state_label(decided))}


def _status_fields(session: Session, season: Season, application: Application, workflow: Workflow, *,
                   actor: Actor, now: datetime | None, has_facts: bool,
                   facts: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "application": application,
        "state_label": dict(workflow.state_label(application.state)),
        "event_labels": event_labels(workflow),
        "review_result": _review_result(workflow, application.state),
        "documents": list(session.scalars(_DOCUMENTS, {"application_id": application.id})),
        "events": list(session.scalars(_EVENTS, {"subject_id": str(application.id)})),
        "assessment": stored_or_assessed(session, application, facts=facts) if has_facts else None,
        "seat": _seat(session, season, application, actor, now),
        "act_until": _family_deadline(session, season, workflow, application),
        "clauses": clause_wordings(session, application.judging_ruleset(season)),
    }


def _seat(session: Session, season: Season, application: Application, actor: Actor,
          now: datetime | None) -> dict[str, Any] | None:
    """The seat as the viewer may see it: staff the whole seat as soon as it is stored (they
    check it before publication), the family only from publication on (core.allocation.publication)."""
    seat = seat_of_application(session, application.id)
    if str(actor.role) == Role.guardian.value:
        return family_seat(session, season, seat, now)
    return None if seat is None else {**seat, "published": is_published(session, season, now)}


def _application_view(session: Session, application: Application, actor: Actor,
                      now: datetime | None) -> ApplicationView:
    season, workflow = _season_and_workflow(session, application)
    records = fact_records(session, application)
    calls = session.connection().execute(_CALLS, {"application_id": application.id}).all()
    facts = current_facts(session, application, records)
    transitions = [{"id": t.id, "label": dict(t.label), "reason_required": t.reason_required}
                   for t in workflow.available(application.state, str(actor.role))]
    window = None if now is None else window_status(session, season, district=application.district, now=now)
    fields = _status_fields(session, season, application, workflow, actor=actor, now=now, has_facts=bool(records),
                            facts=facts)
    return ApplicationView(**fields,
                           facts=facts,
                           sources=_source_progress(calls, records), records=records, transitions=transitions,
                           basis_options=basis_options(facts), window=window,
                           ruleset=_judging_ruleset(session, application, season))


def _judging_ruleset(session: Session, application: Application, season: Season) -> dict[str, Any] | None:
    sha256 = application.judging_ruleset(season)
    if sha256 is None:
        return None
    meta = ruleset_document(session, sha256)["meta"]
    return {"name": f"{meta['id']} {meta['version']}", "pinned": application.ruleset_sha256 is not None}


def application_view(engine: Engine, actor: Actor, application_id: int, *,
                     now: datetime | None = None) -> ApplicationView:
    """The application page's content, for anyone allowed to see it; with `now`, the district's
    collection window as well (what the guardian has left before collection closes)."""
    with read_session(engine) as session:
        return _application_view(session, load_application(session, actor, application_id), actor, now)


def guardian_page_view(engine: Engine, actor: Actor, application_id: int, *, now: datetime) -> StatusView:
    """The guardian's page of an application: the whole application while it is filled in;
    once it has a serial number, the status page (a `StatusView`)."""
    with read_session(engine) as session:
        application = load_application(session, actor, application_id)
        if application.serial is None:
            return _application_view(session, application, actor, now)
        has_facts = session.scalar(_HAS_FACTS, {"application_id": application.id}) is not None
        season, workflow = _season_and_workflow(session, application)
        return StatusView(**_status_fields(session, season, application, workflow, actor=actor, now=now,
                                           has_facts=has_facts))


def _family_deadline(session: Session, season: Season, workflow: Workflow,
                     application: Application) -> dict[str, str] | None:
    """The end of the last calendar phase in which the family may act on the application in its
    state (the `during` of the guardian's transitions from it), as a guardian reads a time."""
    until = last_phase_end(session, season, workflow.available(application.state, Role.guardian.value))
    return None if until is None else local_text(until)


_RETURNS_AND_UPLOADS = (select(Event.action).where(Event.subject_type == "application",
                                                   Event.subject_id == bindparam("subject_id"),
                                                   Event.action.in_(("return_for_materials", "document_uploaded")))
                        .order_by(Event.seq.desc()).limit(1))


def supply_materials(engine: Engine, application_id: int, *, account: Account, now: datetime) -> Application:
    """Send a returned application back to the reviewers once the asked-for documents are uploaded:
    something must have been uploaded since it was returned (§8.1 "补充材料"), or the reviewer would
    find the same application again."""
    with read_session(engine) as session:
        application = by_id(session, Application, application_id)
        if application is None:
            raise _no_such_application(application_id)
        ensure_can_view(Actor.of(account), application)
        latest = session.scalar(_RETURNS_AND_UPLOADS, {"subject_id": str(application_id)})
    if application.state == "returned" and latest == "return_for_materials":
        raise InvalidInput("请先按审核意见上传补充材料，再重新提交审核",
                           "upload the materials the reviewer asked for before sending the application back",
                           field="file")
    return fire_transition(engine, application_id, "supply_materials", account=account, now=now)
