"""Chinese first, English on request: the page language and the helpers templates use."""
from __future__ import annotations

from collections.abc import Mapping

from flask import Flask, request, session

__all__ = ["LANGUAGES", "current_language", "t", "label", "init_app"]

LANGUAGES = ("zh", "en")


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


def init_app(app: Flask) -> None:
    """Make `t`, `label` and `lang` available in every template."""

    @app.context_processor
    def _language():
        return {"t": t, "label": label, "lang": current_language()}
