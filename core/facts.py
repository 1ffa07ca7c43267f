"""Collecting an application's facts from the data sources (§3.1) without ever losing it.

The sources are asked outside any database transaction (a slow source must not hold the
write lock); what they said is then stored in one write transaction: a FactRecord per valid
fragment, a ConnectorCall per source call, and the workflow move to "facts pending" when a
source failed (or back to "draft" when the last missing source answered).

Only a guardian may register a pupil: `confirm_guardian` asks the school record before a draft
is opened (core.portal.open_application), and a draft whose later fetch finds a record not
naming its guardian (an account without an ID number, a record changed since) is removed,
since it would hold the pupil (one application per pupil and season) from the real parents.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.access import ensure_can_act
from core.applications import fire_transition, move_version, remove_unsubmitted
from core.connectors.records import store_answers
from core.connectors.runtime import ConnectorRuntime, FetchResult, get_runtime
from core.db import by_id, read_session, write_session
from core.errors import InvalidInput, NotFound, SourceUnavailable, UserFacingError
from core.models import Account, Application, Role, Season
from core.season.calendar import check_can_submit
from core.workflow import Actor

__all__ = ["collect_facts", "retry_pending_facts", "confirm_guardian", "store_confirmed_record", "Collected", "NotTheGuardian",
           "RecordUnavailable"]

PENDING, DRAFT = "facts_pending", "draft"


class NotTheGuardian(UserFacingError):
    """The pupil's school record does not name the account that opened the application, which
    is therefore discarded (see `collect_facts`)."""

    code = "not_the_guardian"
    http_status = 409


class RecordUnavailable(SourceUnavailable):
    """The pupil's school record could not be asked (the source failed): nothing was opened."""


@dataclass(frozen=True)
class Collected:
    """What the guardian's progress list shows: one line per source, and the new state."""

    application_id: int
    state: str
    result: FetchResult


def collect_facts(engine: Engine, application_id: int, *, actor: Actor, now: datetime,
                  runtime: ConnectorRuntime | None = None, sources: list[str] | None = None) -> Collected:
    """Ask the sources about the pupil's family, store the answers, and park the application
    in "facts pending" while any source failed."""
    runtime = runtime or get_runtime()
    with read_session(engine) as session:
        application = by_id(session, Application, application_id)
        if application is None:
            raise NotFound("申请不存在", f"application {application_id} does not exist")
        ensure_can_act(actor, application)
        if application.state not in (DRAFT, PENDING):
            raise InvalidInput("申请已提交，数据已冻结", "the application is submitted; its facts are frozen")
        if str(actor.role) != Role.system.value:  # a guardian's own fetch counts as a change (§4.3)
            check_can_submit(session, by_id(session, Season, application.season_id), now=now)
        pupil_id_number = application.pupil_id_number
        guardian = by_id(session, Account, application.guardian_id)
        guardian_id_number = guardian.id_number if guardian is not None else None
    result = runtime.fetch_facts(pupil_id_number, sources=sources)
    listed = _guardian_is_listed(guardian_id_number, result)
    with write_session(engine) as session:
        application = by_id(session, Application, application_id)  # None: discarded meanwhile (a double click)
        state = application.state if application is not None else None
        if not listed or application is None:  # keep only the call log; free the pupil for the real parents
            if application is not None and state in (DRAFT, PENDING):
                remove_unsubmitted(session, application, actor=actor, now=now, reason="not_the_guardian")
            store_answers(session, None, (), result.outcomes)
        else:
            unfrozen = state in (DRAFT, PENDING)
            store_answers(session, application_id, result.fragments.values() if unfrozen else (), result.outcomes)
            if unfrozen:
                _take_name_from_record(application, result)
                if result.fragments:  # new facts: a confirmation page drawn before no longer submits
                    move_version(session, application_id, states=(DRAFT, PENDING))
    if not listed or state is None:
        raise NotTheGuardian("学籍记录中该学生的监护人不包括您，不能为其报名，本次填报已撤销；如有疑问，请联系学生所在区的教育局",
                             "the pupil's school record does not list you as a guardian: you cannot register this "
                             "pupil, and this draft has been removed; if this is wrong, contact the district's "
                             "education bureau")
    system = Actor.system("connectors")
    if state == DRAFT and not result.complete:
        state = fire_transition(engine, application_id, "wait_for_facts", account=None, actor=system, now=now).state
    elif state == PENDING and result.complete:
        state = fire_transition(engine, application_id, "facts_arrived", account=None, actor=system, now=now).state
    return Collected(application_id, state, result)


def confirm_guardian(engine: Engine, account: Account, pupil_id_number: str, *,
                     runtime: ConnectorRuntime | None = None) -> FetchResult | None:
    """Before a draft is opened for a pupil: the school record must name the account holder among
    the pupil's guardians. A draft holds the pupil for the season (one application per pupil),
    so a stranger must not be able to open one. Returns the school record's fetch, to store with
    the draft; None for an account without an ID number, which is not checked (see
    `_guardian_is_listed`). A refusal stores the call log only."""
    if not account.id_number:
        return None
    result = (runtime or get_runtime()).fetch_facts(pupil_id_number, sources=["pupil_record"])
    if "pupil_record" in result.fragments and _guardian_is_listed(account.id_number, result):
        return result
    with write_session(engine) as session:
        store_answers(session, None, (), result.outcomes)
    if result.failed:
        raise RecordUnavailable("学籍系统暂时无法访问，请稍后再试", "the school record cannot be asked now; try again later")
    if "pupil_record" not in result.fragments:
        raise InvalidInput("未找到该学生的学籍记录，请核对身份证号；如无误，请联系就读小学",
                           "no school record of this pupil: check the ID number, or ask the primary school",
                           field="pupil_id_number")
    raise NotTheGuardian("学籍记录中该学生的监护人不包括您，不能为其报名；如有疑问，请联系学生所在区的教育局",
                         "the pupil's school record does not list you as a guardian: you cannot register this "
                         "pupil; if this is wrong, contact the district's education bureau", field="pupil_id_number")


def store_confirmed_record(session: Session, application: Application, result: FetchResult) -> None:
    """Keep the school record `confirm_guardian` fetched with the draft just opened, as a fetch would."""
    store_answers(session, application.id, result.fragments.values(), result.outcomes)
    _take_name_from_record(application, result)


def _take_name_from_record(application: Application, result: FetchResult) -> None:
    """The pupil's name as the school record spells it, not as typed when the draft was opened:
    the reviewers' queue, the serial list and the graduates database (§5) carry it."""
    record = result.fragments.get("pupil_record")
    pupil = record.payload.get("pupil") if record is not None else None
    name = pupil.get("name") if isinstance(pupil, dict) else None
    if isinstance(name, str) and 0 < len(name.strip()) <= 80:
        application.pupil_name = name.strip()


def _guardian_is_listed(guardian_id_number: str | None, result: FetchResult) -> bool:
    """Whether the school record, when this fetch brought it, names among the pupil's guardians
    the account holder who opened the application (`guardian_id_number`): only a guardian may
    register a pupil, and see what the sources say about the family. Not checked for an account
    without an ID number (made through the Python API, as the demo's and the tests' are): every
    account signed up on the web or through the API has a verified one."""
    record = result.fragments.get("pupil_record")
    if record is None or not guardian_id_number:
        return True
    named = {str(g.get("id_number", "")).upper() for g in record.payload.get("guardians") or () if isinstance(g, dict)}
    return guardian_id_number.upper() in named


def retry_pending_facts(engine: Engine, *, now: datetime, runtime: ConnectorRuntime | None = None,
                        limit: int = 100) -> list[Collected]:
    """Ask the sources again for every application waiting in "facts pending" (oldest first)."""
    with read_session(engine) as session:
        waiting = session.exec(select(Application.id).where(Application.state == PENDING)
                               .order_by(Application.updated_at).limit(limit)).all()
    system = Actor.system("connectors")
    collected = []
    for application_id in waiting:
        try:
            collected.append(collect_facts(engine, application_id, actor=system, now=now, runtime=runtime))
        except NotTheGuardian:  # nothing stored; the others are still asked
            continue
    return collected
