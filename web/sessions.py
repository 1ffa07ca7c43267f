"""The login cookie: Flask's signed cookie session, with an expiry that slides in steps.

A login lasts `PERMANENT_SESSION_LIFETIME` (8 hours) from the last request, as before; but
Flask re-signs and re-sends the cookie on every answer to slide it, and families poll their
status page, where that re-signing was an eighth of the cost of a `304 Not Modified`. Here the
cookie is re-sent only when the session changed or when it was signed more than
`REFRESH_AFTER` ago, so a login idle for the lifetime minus at most that step expires.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from itsdangerous import BadSignature

from core.types import utcnow

__all__ = ["SteppedSessionInterface", "REFRESH_AFTER"]

REFRESH_AFTER = timedelta(minutes=5)


class SignedSession(SecureCookieSession):
    """A session that remembers when its cookie was signed (None: not signed yet)."""

    signed_at: datetime | None = None


class SteppedSessionInterface(SecureCookieSessionInterface):
    """Signed cookie sessions whose expiry slides at most once per `REFRESH_AFTER`."""

    session_class = SignedSession

    def open_session(self, app: Flask, request: Request) -> SignedSession | None:
        """Flask's own, except that the session keeps the time its cookie was signed."""
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        cookie = request.cookies.get(self.get_cookie_name(app))
        if not cookie:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data, signed_at = serializer.loads(cookie, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
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
