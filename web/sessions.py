"""The login cookie: Flask's signed cookie session, with an expiry that slides in steps.

A login lasts `PERMANENT_SESSION_LIFETIME` (8 hours) from the last request, as before; but
Flask re-signs and re-sends the cookie on every answer to slide it, and families poll their
status page, where that re-signing was an eighth of the cost of a `304 Not Modified`. Here the
cookie is re-sent only when the session changed or when it was signed more than
`REFRESH_AFTER` ago, so a login idle for the lifetime minus at most that step expires.

For the same polling, a worker remembers the cookies whose signature it has checked (see
`VerifiedCookies`): the same browser sends the same cookie until it is re-sent, and checking
its signature again was a sixth of a 304's cost.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from itsdangerous import BadSignature

from core.types import utcnow

__all__ = ["SteppedSessionInterface", "VerifiedCookies", "REFRESH_AFTER"]

REFRESH_AFTER = timedelta(minutes=5)
_PLAIN = (str, int, float, bool, type(None))


class SignedSession(SecureCookieSession):
    """A session that remembers when its cookie was signed (None: not signed yet)."""

    signed_at: datetime | None = None


class VerifiedCookies:
    """Cookies this worker has verified, with what they hold and when they were signed.

    A cookie string carries its signature: once checked under the current keys it stays good
    until it is older than the lifetime, which the session interface checks on every use.
    Only sessions of plain values are kept (one with flashed messages holds a list, which a
    request may change in place). When `limit` cookies are kept, the memory starts over (no
    eviction bookkeeping on the polled path), and it starts over when the keys change.
    """

    def __init__(self, limit: int = 4096) -> None:
        self.limit = limit
        # The keys and the cookies verified under them, replaced as one (threads share it).
        self._memory: tuple[tuple, dict[str, tuple[dict[str, Any], datetime]]] = ((), {})

    def get(self, keys: tuple, cookie: str) -> tuple[dict[str, Any], datetime] | None:
        """What `cookie` holds and when it was signed, if it was verified under `keys`."""
        verified_under, known = self._memory
        return known.get(cookie) if keys == verified_under else None

    def remember(self, keys: tuple, cookie: str, data: dict[str, Any], signed_at: datetime) -> None:
        if not all(isinstance(value, _PLAIN) for value in data.values()):
            return
        verified_under, known = self._memory
        if keys != verified_under or len(known) >= self.limit:
            known = {}
            self._memory = (keys, known)
        known[cookie] = (data, signed_at)


class SteppedSessionInterface(SecureCookieSessionInterface):
    """Signed cookie sessions whose expiry slides at most once per `REFRESH_AFTER`."""

    session_class = SignedSession

    def __init__(self) -> None:
        self.verified = VerifiedCookies()

    def open_session(self, app: Flask, request: Request) -> SignedSession | None:
        """Flask's own, except that the session keeps the time its cookie was signed, and a
        cookie verified before is not verified again."""
        if not app.secret_key:
            return None
        cookie = request.cookies.get(self.get_cookie_name(app))
        if not cookie:
            return self.session_class()
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        lifetime = app.permanent_session_lifetime
        known = self.verified.get(keys, cookie)
        if known is None:
            try:
                data, signed_at = self.get_signing_serializer(app).loads(
                    cookie, max_age=int(lifetime.total_seconds()), return_timestamp=True)
            except BadSignature:
                return self.session_class()
            self.verified.remember(keys, cookie, data, signed_at)
        else:
            data, signed_at = known
            if not timedelta(0) <= utcnow() - signed_at <= lifetime:
                return self.session_class()  # expired, as itsdangerous would have found
        session = self.session_class(data)
        session.signed_at = signed_at
        return session

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        if session.modified:
            return True
        if not (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            return False
        signed_at = getattr(session, "signed_at", None)
        return signed_at is None or utcnow() - signed_at >= REFRESH_AFTER
