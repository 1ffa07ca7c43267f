"""Conditional GET for the page families poll: the status page of a submitted application.

The page carries an ETag computed from everything it is drawn from (`core.portal.
status_page_version`), from who is looking and in which language, and from the code that
draws it. A browser that asks again with `If-None-Match` gets `304 Not Modified` after two
small queries instead of the page's eight and its rendering. The ETag is computed before the
page is read, so a change landing in between can only make the next request draw the page
again, never keep a stale one.
"""
from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from flask import Response, current_app, request, session
from werkzeug.http import quote_etag

from web.i18n import current_language
from web.security import current_account

__all__ = ["page_etag", "not_modified", "unchanged_since", "message_waiting", "revalidate_each_time", "code_digest"]

_ROOT = Path(__file__).resolve().parent.parent
_CODE = ("core", "web")
_SUFFIXES = {".py", ".html", ".js", ".css", ".json"}
_CACHING = "private, no-cache"  # the browser may keep the page, but asks before showing it


@cache
def code_digest() -> str:
    """A digest of the code and templates that draw pages: a new release never answers 304 for
    a page the old one drew. Equal on every host of one release, so any worker can answer."""
    digest = hashlib.sha256()
    for folder in _CODE:
        for path in sorted((_ROOT / folder).rglob("*")):
            if path.suffix in _SUFFIXES and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(_ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def page_etag(*inputs: object) -> str:
    """The ETag of a page drawn from `inputs` for the logged-in account, in the page language.

    The account's name and role appear in the navigation, and the CSRF token in its logout
    form, so they are inputs too.
    """
    account = current_account()
    parts = (code_digest(), current_language(), account.id, account.username, account.display_name,
             account.role, session.get("csrf"), inputs)
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def message_waiting() -> bool:
    """A flashed message waits: the page drawn now shows it once. That page must be neither
    answered 304 nor kept for revalidation (its ETag is the page's without the message, so a
    reload would answer 304 and show the message again)."""
    return bool(session.get("_flashes"))


def unchanged_since(etag: str) -> bool:
    """The browser holds the page with this ETag, and no message is waiting to be shown."""
    return etag in request.if_none_match and not message_waiting()


def revalidate_each_time(response: Response, etag: str) -> Response:
    """Let the browser keep the page, but only to ask with its ETag every time before showing it
    (no-cache is not no-store: it never shows a stale page)."""
    response.set_etag(etag)
    response.headers["Cache-Control"] = _CACHING
    response.vary.add("Cookie")
    return response


def not_modified(etag: str) -> Response:
    """304 with the same validator and caching rules as the page itself, its headers given at
    once (it is the answer polling gets, and setting them one by one cost twice as much)."""
    return current_app.response_class(
        status=304, headers=(("ETag", quote_etag(etag)), ("Cache-Control", _CACHING), ("Vary", "Cookie")))
