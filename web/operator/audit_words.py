"""The audit log in words: each event's subject, action and states as zh/en labels.

The audit page and the dashboard's latest events (drawn by the server, redrawn by operator.js
from the same JSON) read these, so an event is worded once. An application's actions and states
are named by the workflow of the ruleset the event was recorded under, the season's states by its
phases and windows (both from core.dashboard.audit_words); a ruleset by its id and version;
rulesets, lists and the other subjects' kinds, actions and states by web.i18n.TERMS. A code nobody
named stays as it is.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from web.i18n import ROLE_LABELS, TERMS

__all__ = ["worded"]

Label = Mapping[str, str]

#: An application event that core.dashboard.audit_words was not given: its codes as they are.
_UNNAMED: Mapping[str, Mapping[str, Label]] = {"actions": {}, "states": {}}
#: Where a subject's states are named, other than applications' and the season's.
_STATE_TERMS = {"ruleset": "ruleset_status", "locked_list": "list_state"}


def worded(events: list[dict[str, Any]], words: Mapping[str, Mapping[Any, Any]]) -> list[dict[str, Any]]:
    """`events` (core.dashboard.audit_log) each with `words` (core.dashboard.audit_words of the
    same events): role, subject, action, from, to."""
    return [{**e, "words": _words(e, words)} for e in events]


def _words(event: Mapping[str, Any], words: Mapping[str, Mapping[Any, Any]]) -> dict[str, Label | None]:
    kind = event["subject_type"]
    subject = TERMS["subject_type"].get(kind) or {"zh": kind, "en": kind}
    flow = words["applications"].get(event["seq"], _UNNAMED) if kind == "application" else None
    actions = flow["actions"] if flow is not None else TERMS["event_action"]
    named = words["rulesets"].get(event["subject_id"]) if kind == "ruleset" else None
    return {
        "role": ROLE_LABELS.get(event["actor_role"]) or _code(event["actor_role"]),
        "subject": {lang: f"{name} {named or event['subject_id']}" for lang, name in subject.items()},
        "action": actions.get(event["action"]) or _code(event["action"]),
        "from": _state(kind, event["from_state"], words, flow),
        "to": _state(kind, event["to_state"], words, flow),
    }


def _state(kind: str, state: str | None, words: Mapping[str, Mapping[Any, Any]],
           flow: Mapping[str, Mapping[str, Label]] | None) -> Label | None:
    if not state:
        return None
    if flow is not None:  # an application's, by the workflow it was recorded under
        named = flow["states"].get(state)
    elif kind == "season":
        named = words["season"].get(state)
    else:
        named = TERMS.get(_STATE_TERMS.get(kind, ""), {}).get(state)
    return named or _code(state)


def _code(code: str) -> Label:
    return {"zh": code, "en": code}
