"""Chinese first, English on request: the page language and the helpers templates use."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from urllib.parse import urlencode

from flask import Flask, request, session

from core.clock import SHANGHAI
from core.documents import DOCUMENT_KINDS

__all__ = ["LANGUAGES", "ROLE_LABELS", "current_language", "t", "label", "role_label", "document_kind", "local_time",
           "other_language_url", "init_app"]

LANGUAGES = ("zh", "en")

#: Account roles as people call them.
ROLE_LABELS = {
    "guardian": {"zh": "监护人", "en": "Guardian"},
    "reviewer": {"zh": "区审核员", "en": "District reviewer"},
    "district_admin": {"zh": "区管理员", "en": "District administrator"},
    "city_admin": {"zh": "市级管理员", "en": "City administrator"},
    "operator": {"zh": "运维人员", "en": "Operator"},
    "system": {"zh": "系统", "en": "System"},
}


def current_language() -> str:
    """`?lang=` wins and is remembered in the session; otherwise the session's, else zh-CN."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        session["lang"] = asked
        return asked
    remembered = session.get("lang")
    return remembered if remembered in LANGUAGES else "zh"


def t(zh: str, en: str) -> str:
    """Pick the text of the page language; every user-facing string is written in both."""
    return en if current_language() == "en" else zh


def label(value: Mapping[str, str] | str | None) -> str:
    """A ruleset label ({"zh": …, "en": …}) in the page language, falling back to Chinese."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return value.get(current_language()) or value.get("zh") or value.get("en") or ""


def other_language_url() -> str:
    """This page in the other language: the same query (a queue's filters, say) with `lang` swapped."""
    query = [(key, value) for key, value in request.args.items(multi=True) if key != "lang"]
    return "?" + urlencode([*query, ("lang", "zh" if current_language() == "en" else "en")])


def role_label(role: str) -> str:
    """An account role in the page language ("区审核员"), or the role itself if unknown."""
    return label(ROLE_LABELS.get(str(role))) or str(role)


_DOCUMENT_KIND_LABELS = {code: {"zh": zh, "en": en} for code, zh, en in DOCUMENT_KINDS}


def document_kind(kind: str) -> str:
    """What an uploaded document is ("户口簿"), in the page language; the code itself if unknown."""
    return label(_DOCUMENT_KIND_LABELS.get(kind)) or kind


def local_time(value: datetime | str | None, pattern: str = "%m-%d %H:%M") -> str:
    """An instant (stored in UTC; a datetime or ISO text) as Nanchang's local time, "06-16 17:00":
    the way the policy states times and the way guardians and staff read them."""
    if not value:
        return "—"
    instant = datetime.fromisoformat(value) if isinstance(value, str) else value
    return instant.astimezone(SHANGHAI).strftime(pattern)


def init_app(app: Flask) -> None:
    """Make `t`, `label` and `lang` available in every template, and the `local_time` filter."""
    app.add_template_filter(local_time)

    @app.context_processor
    def _language():
        return {"t": t, "label": label, "role_label": role_label, "document_kind": document_kind,
                "other_language_url": other_language_url,
                "lang": current_language()}
