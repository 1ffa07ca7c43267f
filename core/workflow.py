"""The workflow engine: states and transitions are ruleset data, the engine is small.

`fire()` checks that the transition exists from the current state, that the actor's role
may fire it and that its guard holds; it then runs the transition's effects, moves the state
with an optimistic version check (``UPDATE … WHERE id = :id AND version = :seen``), runs the
late effects (`LATE_EFFECTS`) and appends an audit event, all in the caller's write
transaction. A stale writer gets `StaleWrite` and nothing it did is kept.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from core.audit import append_event, append_events
from core.db import by_id, update_by_id, update_each_by_id, update_held
from core.errors import UserFacingError
from core.lifecycle import tell_after_commit
from core.models import Account, Application, Event, Role
from core.serials import issue_serial

__all__ = [
    "Actor", "Transition", "Workflow", "WorkflowError", "IllegalTransition", "NotPermitted",
    "GuardFailed", "ReasonRequired", "StaleWrite", "changed_since", "fire", "fire_many", "EFFECTS",
]

Guard = Callable[[Mapping[str, Any]], "bool | None"]
Effect = Callable[[Session, Application, "FireContext"], dict[str, Any]]


class WorkflowError(UserFacingError):
    """A refused transition; `zh` and `en` are messages fit to show a person."""

    code = "workflow_error"
    http_status = 409


class IllegalTransition(WorkflowError):
    code = "illegal_transition"


class NotPermitted(WorkflowError):
    code = "not_permitted"
    http_status = 403


class GuardFailed(WorkflowError):
    code = "guard_failed"


class ReasonRequired(WorkflowError):
    code = "reason_required"
    http_status = 422


class StaleWrite(WorkflowError):
    code = "conflict"


@dataclass(frozen=True)
class Actor:
    """Who fires a transition: an account (by name and role) or the system."""

    name: str
    role: Role | str
    account_id: int | None = None
    district: str | None = None

    @classmethod
    def system(cls, name: str = "scheduler") -> "Actor":
        return cls(name=name, role=Role.system)

    @classmethod
    def of(cls, account: Account) -> "Actor":
        """The actor a logged-in account acts as."""
        return cls(name=account.username, role=account.role, account_id=account.id, district=account.district)


@dataclass(frozen=True)
class Transition:
    """One edge of the workflow graph, as the ruleset declares it."""

    id: str
    sources: frozenset[str]
    target: str
    by: frozenset[str]
    label: Mapping[str, str]
    clause: str | None = None
    guard: Guard | None = None
    effects: tuple[str, ...] = ()
    reason_required: bool = False
    during: tuple[str, ...] = ()  # calendar phases in which people may fire it; empty: any time
    history_label: Mapping[str, str] | None = None  # what histories call it once fired; None: its target's label


@dataclass(frozen=True)
class Workflow:
    """The states and transitions of one ruleset version."""

    initial: str
    states: Mapping[str, Mapping[str, str]]
    transitions: Mapping[str, Transition] = field(default_factory=dict)

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], compile_guard: Callable[[Any], Guard] | None = None) -> "Workflow":
        """Build the graph from a ruleset's `workflow` section; guards compile once, here."""
        states = {s["id"]: s.get("label", {}) for s in spec["states"]}
        transitions = {}
        for t in spec["transitions"]:
            unknown = [s for s in [*t["from"], t["to"]] if s not in states]
            if unknown:
                raise ValueError(f"transition {t['id']!r} names unknown state(s) {unknown}")
            for effect in t.get("effects", ()):
                if effect not in EFFECTS:
                    raise ValueError(f"transition {t['id']!r} names unknown effect {effect!r}")
            guard = None
            if t.get("guard") is not None:
                if compile_guard is None:
                    raise ValueError(f"transition {t['id']!r} has a guard but no compiler was given")
                guard = compile_guard(t["guard"])
            transitions[t["id"]] = Transition(
                id=t["id"], sources=frozenset(t["from"]), target=t["to"], by=frozenset(t["by"]),
                label=t.get("label", {}), clause=t.get("clause"), guard=guard,
                effects=tuple(t.get("effects", ())), reason_required=bool(t.get("reason_required")),
                during=tuple(t.get("during", ())), history_label=t.get("history_label"),
            )
        return cls(initial=spec["initial"], states=states, transitions=transitions)

    def available(self, state: str, role: str) -> list[Transition]:
        """The transitions this role could fire from this state (guards not yet checked)."""
        return [t for t in self.transitions.values() if state in t.sources and str(role) in t.by]

    def state_label(self, state: str) -> Mapping[str, str]:
        return self.states.get(state, {"zh": state, "en": state})

    def happened(self, transition: Transition) -> Mapping[str, str]:
        """What a history calls a transition once fired: its `history_label`, else the label of
        the state it led to ("Approved"), never its own label, which is what a person presses
        ("Approve")."""
        return transition.history_label or self.state_label(transition.target)


@dataclass
class FireContext:
    """What effects may need: who fires, when, and season-level values."""

    actor: Actor
    now: datetime
    season_year: int
    ruleset_sha256: str | None = None
    district_code: str | None = None
    facts: Mapping[str, Any] | None = None


def fire(
    session: Session,
    application: Application,
    transition_id: str,
    *,
    workflow: Workflow,
    context: FireContext,
    reason: str | None = None,
    seen_version: int | None = None,
    event_data: dict[str, Any] | None = None,
) -> Application:
    """Fire one transition on `application` inside the caller's write transaction; `event_data`
    is what the caller wants the audit event to keep of the moment besides (see core.review.decide)."""
    try:
        transition = _allowed(workflow, application, transition_id, context, reason)
    except IllegalTransition as refusal:
        if seen_version is None or seen_version == application.version:
            raise
        raise _moved_by(session, workflow, application, refusal) from refusal
    version = application.version if seen_version is None else seen_version
    changes: dict[str, Any] = {"state": transition.target, "version": version + 1, "updated_at": context.now}
    for effect in (e for e in transition.effects if e not in LATE_EFFECTS):
        changes.update(EFFECTS[effect](session, application, context))
    if update_by_id(session, Application, application.id, changes, version=version) != 1:
        raise changed_since(application.id, version)
    from_state = application.state
    by_id(session, Application, application.id, reload=True)  # the row as moved, into `application`
    late: dict[str, Any] = {}
    for effect in (e for e in transition.effects if e in LATE_EFFECTS):
        late.update(EFFECTS[effect](session, application, context))
    if late:
        update_held(session, application, late)
        changes.update(late)
    append_event(  # last: on PostgreSQL other writers wait for the audit head from here to COMMIT
        session, actor=context.actor.name, actor_role=str(context.actor.role),
        subject_type="application", subject_id=application.id, action=transition.id,
        from_state=from_state, to_state=transition.target, reason=reason,
        data={**{k: v for k, v in changes.items() if k in ("serial", "ruleset_sha256")}, **(event_data or {})} or None,
        at=context.now,
    )
    tell_after_commit(session, "application_state_changed", application_id=application.id, transition=transition.id,
                      from_state=from_state, to_state=transition.target, actor=context.actor.name)
    if "serial" in changes:
        tell_after_commit(session, "application_submitted", application_id=application.id,
                          serial=application.serial, ruleset_sha256=application.ruleset_sha256)
    return application


def changed_since(application_id: int, version: int) -> StaleWrite:
    """The refusal of a write from a page drawn at `version` of an application that has moved on
    since: the person reloads and sees what changed before acting again."""
    return StaleWrite("该申请在您打开此页面后已有变化，请刷新后重试",
                      f"application {application_id} changed since version {version}; reload and retry")


def _moved_by(session: Session, workflow: Workflow, application: Application,
              refusal: IllegalTransition) -> IllegalTransition:
    """The refusal of a step from a page drawn before someone else moved the application (a
    colleague's decision in another tab), saying who moved it last and when: the person then
    knows whom to ask rather than wondering why the button they saw does not work."""
    from core.season.calendar import local_text  # core.season imports the rulesets, which import this module

    last = session.exec(select(Event).where(Event.subject_type == "application",
                                            Event.subject_id == str(application.id))
                        .order_by(Event.id.desc()).limit(1)).first()
    if last is None:
        return refusal
    transition = workflow.transitions.get(last.action)
    done = workflow.happened(transition) if transition is not None else {"zh": last.action, "en": last.action}
    at = local_text(last.at)
    return IllegalTransition(
        f"{refusal.zh}：{last.actor}已于{at['zh']}执行「{done.get('zh', last.action)}」，请刷新页面查看",
        f"{refusal.en}: {last.actor} did “{done.get('en', last.action)}” at {at['en']}; reload the page to see it")


def fire_many(session: Session, applications: Sequence[Application], transition_id: str, *,
              prepare: Callable[[Application], tuple[Workflow, FireContext]]) -> None:
    """`fire` on many applications in the caller's write transaction, with one UPDATE statement
    and one append to the audit chain: the system's season steps (closing collection,
    allocating) move thousands of applications. The same checks as `fire`, and no reason; a
    transition with effects (a ruleset may give it some) is fired one application at a time
    with `fire`. A `StaleWrite` when any application changed meanwhile (the caller's
    transaction then rolls back whole). The application objects are not refreshed.

    `prepare(application)` gives the workflow and the context `fire` would be given.
    """
    moves, events = [], []
    for application in applications:
        workflow, context = prepare(application)
        transition = _allowed(workflow, application, transition_id, context, None)
        if transition.effects:
            fire(session, application, transition_id, workflow=workflow, context=context)
            continue
        moves.append((application.id, application.version,  # moved only if still at the version checked
                      {"state": transition.target, "version": application.version + 1, "updated_at": context.now}))
        events.append(dict(actor=context.actor.name, actor_role=str(context.actor.role), subject_type="application",
                           subject_id=application.id, action=transition.id, from_state=application.state,
                           to_state=transition.target, at=context.now))
    if not moves:
        return
    moved = update_each_by_id(session, Application, moves)
    if moved != len(moves):
        raise StaleWrite("部分申请已被他人修改，请重试", f"{len(moves) - moved} of {len(moves)} applications changed meanwhile")
    append_events(session, events)
    for event in events:
        tell_after_commit(session, "application_state_changed", application_id=event["subject_id"],
                          transition=event["action"], from_state=event["from_state"], to_state=event["to_state"],
                          actor=event["actor"])


def _allowed(workflow: Workflow, application: Application, transition_id: str, context: FireContext,
             reason: str | None) -> Transition:
    """The transition, if this actor may fire it on the application now; else the refusal."""
    transition = workflow.transitions.get(transition_id)
    state_zh = workflow.state_label(application.state).get("zh", application.state)
    if transition is None or application.state not in transition.sources:
        action_zh = transition.label.get("zh", transition_id) if transition is not None else transition_id
        raise IllegalTransition(
            f"当前状态为「{state_zh}」，不能执行「{action_zh}」",
            f"transition {transition_id!r} is not allowed from state {application.state!r}")
    if str(context.actor.role) not in transition.by:
        raise NotPermitted(
            f"您的角色无权执行「{transition.label.get('zh', transition.id)}」",
            f"role {str(context.actor.role)!r} may not fire {transition.id!r}")
    if transition.reason_required and not (reason or "").strip():
        raise ReasonRequired("请填写原因，申请人将看到该原因", f"{transition.id!r} needs a reason the guardian will see")
    if transition.guard is not None:
        verdict = transition.guard({"application": _guard_view(application), "now": context.now})
        if verdict is not True:
            raise GuardFailed(
                f"条件不满足，不能执行「{transition.label.get('zh', transition.id)}」",
                f"the guard of {transition.id!r} does not hold" + (" (undetermined)" if verdict is None else ""))
    return transition


def _guard_view(application: Application) -> dict[str, Any]:
    return {
        "state": application.state, "district": application.district, "serial": application.serial,
        "version": application.version, "tier": application.tier,
    }


def _freeze_facts(session: Session, application: Application, context: FireContext) -> dict[str, Any]:
    if context.facts is None:
        raise GuardFailed("尚未获取数据，不能提交", "no facts collected yet; cannot submit")
    pupil = context.facts.get("pupil")
    if not isinstance(pupil, dict) or pupil.get("primary_school") is None:  # what the school record brings
        raise GuardFailed("尚未获取学生的学籍信息，不能提交；请先核对学籍信息",
                          "the pupil's school record has not been fetched; cannot submit")
    return {"frozen_facts": dict(context.facts)}


def _pin_ruleset(session: Session, application: Application, context: FireContext) -> dict[str, Any]:
    if not context.ruleset_sha256:
        raise GuardFailed("本年度规则尚未启用", "no active ruleset for the season")
    return {"ruleset_sha256": context.ruleset_sha256}


def _issue_serial(session: Session, application: Application, context: FireContext) -> dict[str, Any]:
    if application.serial:  # a resubmission after returned materials keeps its number
        return {}
    if not context.district_code:
        raise GuardFailed("未知的区县代码", f"no district code for {application.district!r}")
    serial = issue_serial(session, season_id=application.season_id, year=context.season_year,
                          district_code=context.district_code)
    return {"serial": serial, "submitted_at": context.now}


EFFECTS: dict[str, Effect] = {
    "freeze_facts": _freeze_facts,
    "pin_ruleset": _pin_ruleset,
    "issue_serial": _issue_serial,
}
# Effects that lock a row other transactions need too (a district's serial counter: at the
# opening of one district's window, every submission), run after the move and written by an
# UPDATE of their own, so that the row is held only for that UPDATE, the audit append and COMMIT.
LATE_EFFECTS = frozenset({"issue_serial"})
