"""The reviewers' queue and decisions: district staff see and decide their own district only."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import String, and_, cast, exists, func, or_
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.access import ensure_can_act
from core.applications import fire_in_session
from core.assessment import catchments_of, stored_or_assessed
from core.audit import append_event
from core.lifecycle import tell_after_commit
from core.db import read_session, write_session
from core.errors import Forbidden, InvalidInput, NotFound
from core.models import Account, Application, Document, Event, Role, RulesetStatus, RulesetVersion
from core.rules import CatchmentIndex
from core.rulesets import application_state_labels, workflow_for
from core.workflow import Actor, changed_since

__all__ = ["DECISIONS", "REOPEN", "DECIDED_STATES", "DOCUMENT_VERDICTS", "DOCUMENT_REVIEW_STATES", "PROBLEMS",
           "QueuePage", "QueueRow", "review_queue", "queue_rows", "mask_name", "decide", "reopen", "review_document",
           "unsettled_documents"]

DECISIONS = ("approve", "return_for_materials", "reject")
# The transition that takes a decision back (a mis-click on the wrong row): district and city
# administrators, with a reason, while review is open (rulesets/2021.json).
REOPEN = "reopen"
# What a reviewer can say of one uploaded document; every document starts "pending".
DOCUMENT_VERDICTS = ("accepted", "rejected")
DOCUMENT_REVIEW_STATES = ("submitted", "returned")  # the application is with the reviewers
# The states the reviewers' decision has settled, each with the state that names the decision:
# an allocated application was approved first.
DECIDED_STATES = {"approved": "approved", "allocated": "approved", "rejected": "rejected"}
REASON_MAX = 1000  # as the decision form's reason
# Filters a reviewer can pick, as code -> (zh, en).
PROBLEMS = {
    "documents": ("有上传材料待查看", "has uploaded documents to check"),
    "resubmitted": ("补充材料后重新提交", "resubmitted after a return"),
    "facts_pending": ("数据源未返回", "a data source has not answered"),
}
_REVIEWERS = {Role.reviewer.value, Role.district_admin.value}
_CITY = {Role.city_admin.value}
SEARCH_MAX = 40  # longer than any serial, ID number or name
PAGE_SIZE = 50
MAX_PAGE = 100_000  # past any real queue; keeps OFFSET within every database's range
EXPORT_BATCH = 1000  # applications read per query by the CSV download
# The queue's order on every database: first submission oldest first, never-submitted last, then
# id. submitted_at is set once, with the serial (a resubmission keeps both: core.workflow), so an
# application's place in this order only ever moves from the end to a time: what lets the CSV
# download read it by keyset without listing an application twice.
QUEUE_ORDER = (Application.submitted_at.asc().nulls_last(), Application.id)


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue and the filters that produced it."""

    items: list[Application]
    district: str | None
    state: str | None
    problem: str | None
    page: int
    has_more: bool
    assessments: dict[int, dict] = field(default_factory=dict)  # id -> tier, eligible, evidence problems
    search: str | None = None
    total: int = 0  # applications matching the filters, on every page (the page says "共 N 份")


def _matching(search: str):
    """SQL: the application a family's call is about, by what they can read out: the serial or
    the pupil's ID number (whole; both may end in "X", which is typed in either case), or part of
    the pupil's name."""
    if len(search) > SEARCH_MAX:
        raise InvalidInput(f"查找内容不能超过{SEARCH_MAX}个字符", f"search for at most {SEARCH_MAX} characters", field="q")
    escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return or_(Application.serial == search.upper(), Application.pupil_id_number == search.upper(),
               Application.pupil_name.like(f"%{escaped}%", escape="\\"))


def _queue_query(account: Account, *, state: str | None, district: str | None, problem: str | None,
                 search: str | None):
    """The queue's SELECT, oldest submission first, and the district it is held to: district staff
    always their own, city staff the one they asked for (None: every district). The page and
    the CSV download filter through this one query."""
    if account.role in _REVIEWERS:
        district = account.district
    elif account.role not in _CITY:
        raise Forbidden("无权查看审核队列", "you may not see the review queue")
    if problem and problem not in PROBLEMS:
        raise InvalidInput("未知的筛选条件", f"unknown problem filter {problem!r}", field="problem")
    query = select(Application) if search is None else select(Application).where(_matching(search))
    if district:
        query = query.where(Application.district == district)
    if state:
        query = query.where(Application.state == state)
    if problem == "documents":
        query = query.where(exists().where(Document.application_id == Application.id,
                                           Document.review_state == "pending"))
    elif problem == "resubmitted":
        query = query.where(exists().where(Event.subject_type == "application",
                                           Event.subject_id == cast(Application.id, String),
                                           Event.action == "supply_materials"))
    elif problem == "facts_pending":
        query = query.where(Application.state == "facts_pending")
    return query.order_by(*QUEUE_ORDER), district


def review_queue(engine: Engine, *, account: Account, state: str | None = "submitted", district: str | None = None,
                 problem: str | None = None, page: int = 1, search: str | None = None) -> QueuePage:
    """Applications to review, oldest submission first, and how many match in all (one COUNT
    over the same filters); district staff are held to their district."""
    search = (search or "").strip() or None
    query, district = _queue_query(account, state=state, district=district, problem=problem, search=search)
    counting = query.with_only_columns(func.count(Application.id), maintain_column_froms=True).order_by(None)
    page = min(max(1, page), MAX_PAGE)
    query = query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    with read_session(engine) as session:
        _refuse_unknown_state(session, state)
        rows = list(session.exec(query))
        items = rows[:PAGE_SIZE]
        total = session.exec(counting).one()
        assessments = _assessments(session, [a for a in items if a.frozen_facts is not None])
    return QueuePage(items, district, state, problem, page, len(rows) > PAGE_SIZE, assessments, search, total)


@dataclass(frozen=True)
class QueueRow:
    """One application of the queue as the CSV download lists it (the pupil's name masked);
    `tier` means something only when `assessed` (its facts are frozen), as in the page's table."""

    serial: str | None
    pupil: str
    district: str
    school: str | None
    assessed: bool
    tier: str | None
    state: str
    state_label: dict[str, str]
    waiting_since: datetime


def mask_name(name: str | None) -> str:
    """A pupil's name as a list that leaves the system shows it: the first character, then "*"
    ("张小明" → "张*"); enough for a reviewer to tell rows apart, too little to identify a child."""
    name = (name or "").strip()
    return f"{name[0]}*" if name else ""


def queue_rows(engine: Engine, *, account: Account, state: str | None = "submitted", district: str | None = None,
               problem: str | None = None, search: str | None = None) -> Iterator[QueueRow]:
    """Every application the queue would show with these filters (all pages), in the queue's
    order, for the CSV download. The filters are checked before this returns (a refusal is an
    error, not an empty file); the rows are read EXPORT_BATCH at a time, each batch in a read
    session of its own, so no session is held while the response is being sent.

    Each batch continues after the last application of the one before (by QUEUE_ORDER, not by
    OFFSET), so no application is listed twice, and none is skipped because others before it
    left the filter. A row is the application as it stood when its batch was read: one decided
    after its row was read is listed as it was; one that leaves the filter before its batch is
    read is not listed; one that comes into the filter at a place already read (a returned
    application resubmitted keeps its first submission time) is not listed either. The next
    download shows both as they are."""
    search = (search or "").strip() or None
    query, _district = _queue_query(account, state=state, district=district, problem=problem, search=search)
    with read_session(engine) as session:
        _refuse_unknown_state(session, state)
    return _batches(engine, query)


def _after(submitted_at: datetime | None, application_id: int):
    """SQL: the applications after this one in QUEUE_ORDER."""
    if submitted_at is None:
        return and_(Application.submitted_at.is_(None), Application.id > application_id)
    return or_(Application.submitted_at > submitted_at, Application.submitted_at.is_(None),
               and_(Application.submitted_at == submitted_at, Application.id > application_id))


def _batches(engine: Engine, query) -> Iterator[QueueRow]:
    batch = query
    while True:
        with read_session(engine) as session:
            items = list(session.exec(batch.limit(EXPORT_BATCH)))
            assessments = _assessments(session, [a for a in items if a.frozen_facts is not None])
            labels = application_state_labels(session, items)
        for a in items:
            line = assessments.get(a.id, {})
            school = None if line.get("tier") == "coordinated" else (line.get("catchment_name") or line.get("catchment"))
            yield QueueRow(a.serial, mask_name(a.pupil_name), a.district, school, a.id in assessments, line.get("tier"),
                           a.state, labels[a.id], a.updated_at)
        if len(items) < EXPORT_BATCH:
            return
        batch = query.where(_after(items[-1].submitted_at, items[-1].id))


def _refuse_unknown_state(session: Session, state: str | None) -> None:
    """Refuse a state that no ruleset ever in force names, as an unknown problem filter is: a
    mistyped `state` would otherwise show an empty queue, as if nothing waited. Before any
    ruleset is in force there is no application to filter, and nothing to refuse."""
    if state is None:
        return
    in_force = session.exec(select(RulesetVersion.sha256).where(
        RulesetVersion.status.in_((RulesetStatus.active.value, RulesetStatus.retired.value)))).all()
    if in_force and not any(state in workflow_for(session, sha).states for sha in in_force):
        raise InvalidInput("未知的申请状态", f"unknown state {state!r}", field="state")


def _assessments(session: Session, applications: list[Application]) -> dict[int, dict]:
    """The tier line of each submitted application on the page (catchments read once per season)."""
    indexes: dict[int, CatchmentIndex] = {}
    found = {}
    for application in applications:
        if application.season_id not in indexes:
            indexes[application.season_id] = catchments_of(session, application.season_id)
        result = stored_or_assessed(session, application, indexes[application.season_id])
        found[application.id] = {"tier": result["tier"], "eligible": result["eligible"],
                                 "provisional": result["provisional"],
                                 "evidence_problems": result["evidence_problems"],
                                 "catchment": result.get("catchment"), "catchment_name": result.get("catchment_name")}
    return found


def unsettled_documents(review_states: Iterable[str]) -> dict[str, int]:
    """How many of an application's documents (given by their review states) still wait for a
    verdict, and how many were rejected: what a reviewer approving anyway is asked about first."""
    counted = Counter(review_states)
    return {"pending": counted["pending"], "rejected": counted["rejected"]}


def decide(engine: Engine, application_id: int, decision: str, *, account: Account, now: datetime,
           reason: str | None = None, seen_version: int | None = None) -> Application:
    """Approve, return for materials or reject; the workflow checks role, reach and reason, and audits.
    The decision is the reviewer's even with documents unsettled (the page asks first), so an
    approval's audit event keeps how many were, for a later audit to see."""
    if decision not in DECISIONS:
        raise InvalidInput("未知的审核决定", f"unknown decision {decision!r}", field="decision")
    with write_session(engine) as session:
        event_data = None
        if decision == "approve":
            states = session.exec(select(Document.review_state).where(Document.application_id == application_id))
            event_data = {"documents": unsettled_documents(states)}
        reason = (reason or "").strip() or None
        application = fire_in_session(session, application_id, decision, account=account, now=now, reason=reason,
                                      seen_version=seen_version, event_data=event_data)
        kind, message = _decision_message(decision, application.serial, reason)
        tell_after_commit(session, "notify_guardian", guardian_id=application.guardian_id,
                          application_id=application.id, kind=kind, message=message)
        return application


def reopen(engine: Engine, application_id: int, *, account: Account, now: datetime, reason: str | None,
           seen_version: int | None = None) -> Application:
    """Take back a decision made in error: the application is with the reviewers again. The
    workflow checks who (administrators, own district), when (review open) and the reason, and
    audits; the family is told, since the decision they were told of no longer stands."""
    reason = (reason or "").strip() or None
    if reason is not None and len(reason) > REASON_MAX:
        raise InvalidInput(f"原因不能超过{REASON_MAX}字", f"the reason is longer than {REASON_MAX} characters",
                           field="reason")
    with write_session(engine) as session:
        application = fire_in_session(session, application_id, REOPEN, account=account, now=now, reason=reason,
                                      seen_version=seen_version)
        serial = application.serial
        tell_after_commit(session, "notify_guardian", guardian_id=application.guardian_id,
                          application_id=application.id, kind="reopened", message={
                              "zh": f"您的小升初报名（{serial}）的审核决定已撤销，将重新审核：{reason}。",
                              "en": f"The decision on your application {serial} was withdrawn; it will be reviewed "
                                    f"again: {reason}."})
        return application


def _decision_message(decision: str, serial: str | None, reason: str | None) -> tuple[str, dict[str, str]]:
    """What the family's message channels (SMS, WeChat: `notify_guardian`) say of a decision, by
    the serial, not the pupil's name: the reviewers' reason is what the family must act on."""
    said = {"zh": f"：{reason}", "en": f": {reason}"} if reason else {"zh": "", "en": ""}
    if decision == "approve":
        return "approved", {"zh": f"您的小升初报名（{serial}）已审核通过。", "en": f"Your application {serial} is approved."}
    if decision == "return_for_materials":
        return "returned", {"zh": f"您的小升初报名（{serial}）需补充材料{said['zh']}。请登录报名系统上传。",
                            "en": f"Your application {serial} needs more documents{said['en']}. Log in to upload them."}
    return "rejected", {"zh": f"您的小升初报名（{serial}）未通过审核{said['zh']}。",
                        "en": f"Your application {serial} was not approved{said['en']}."}


def review_document(engine: Engine, application_id: int, document_id: int, verdict: str, *, account: Account,
                    now: datetime, reason: str | None = None, seen_version: int | None = None) -> Document:
    """Accept an uploaded document, or reject it with the reason the guardian reads (for
    example "照片不清晰"); audited on the application. Only district staff deciding in their
    district, and only while the application is with the reviewers. With `seen_version`, only
    if the application is still as the reviewer saw it (a verdict does not move it)."""
    if account.role not in _REVIEWERS:
        raise Forbidden("无权审核材料", "you may not review documents")
    with write_session(engine) as session:
        document = session.get(Document, document_id)
        if document is None or document.application_id != application_id:
            raise NotFound("材料不存在", f"document {document_id} of application {application_id} does not exist")
        application = session.get(Application, application_id)
        ensure_can_act(Actor.of(account), application)
        if seen_version is not None and seen_version != application.version:
            raise changed_since(application_id, seen_version)
        if verdict not in DOCUMENT_VERDICTS:
            raise InvalidInput("未知的材料审核结论", f"unknown document verdict {verdict!r}", field="verdict")
        reason = (reason or "").strip() or None
        if verdict == "rejected" and reason is None:
            raise InvalidInput("请填写不认可的原因（申请人可见）", "say why the document is rejected; the guardian reads it",
                               field="reason")
        if reason is not None and len(reason) > REASON_MAX:
            raise InvalidInput(f"原因不能超过{REASON_MAX}字", f"the reason is longer than {REASON_MAX} characters",
                               field="reason")
        if application.state not in DOCUMENT_REVIEW_STATES:
            raise InvalidInput("该申请当前不在审核中，不能审核材料", "the application is not under review", field="verdict")
        document.review_state = verdict
        session.add(document)
        append_event(session, actor=account.username, actor_role=account.role, subject_type="application",
                     subject_id=application.id, action=f"document_{verdict}", reason=reason, at=now,
                     data={"document_id": document.id, "kind": document.kind})
        return document
