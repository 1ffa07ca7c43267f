"""CSRF tokens, security headers, login sessions, login rate limiting and role decorators."""
from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import lru_cache, wraps
from typing import Any

from flask import Flask, current_app, flash, g, redirect, request, session, url_for
from sqlalchemy import bindparam, func, update
from sqlmodel import select

from core.accounts import authenticate, prepare_authentication
from core.db import DirectRead, detached, read_session, write_session
from core.errors import UserFacingError
from core.identity import check_guardian_login
from core.models import Account, LoginSession
from core.types import utcnow
from core.workflow import Actor
from web.context import engine, plugin_hooks
from web.errors import http_error, is_api_request, page_before_path
from web.i18n import t
from web.inputs import refuse_nul_characters
from web.models import LoginAttempt
from web.sessions import SteppedSessionInterface

__all__ = [
    "init_app", "csrf_token", "login_user", "logout_user", "current_account", "current_actor",
    "login_required", "role_required", "client_ip", "attempt_login", "check_login_allowed", "record_login_attempt",
    "TooManyAttempts", "CSRF_HEADER", "CSRF_FIELD", "MAX_FAILURES", "ACCOUNT_MAX_FAILURES", "FAILURE_WINDOW",
    "KNOWN_ADDRESS_DAYS",
]

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
MAX_FAILURES = 5  # per user name and client address
# Per user name from every address: a password sprayed from many addresses (a botnet, or a
# carrier NAT's pool) is stopped too. Addresses the user logged in from lately stay open,
# so a stranger's failures cannot lock the user out of their own phone.
ACCOUNT_MAX_FAILURES = 20
KNOWN_ADDRESS_DAYS = 30
FAILURE_WINDOW = timedelta(minutes=15)
_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
    "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
])


class CsrfFailed(UserFacingError):
    code = "csrf_failed"
    http_status = 400


class TooManyAttempts(UserFacingError):
    code = "too_many_attempts"
    http_status = 429


def csrf_token() -> str:
    """This session's CSRF token, made on first use; forms carry it, API calls send it as a header."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def _check_csrf() -> None:
    expected = session.get("csrf")
    sent = request.headers.get(CSRF_HEADER) or (request.form.get(CSRF_FIELD) if not request.is_json else None)
    if not expected or not sent or not hmac.compare_digest(str(expected), str(sent)):
        raise CsrfFailed("页面已过期或请求来源不可信，请刷新后重试",
                         "the form expired or the request did not come from this site; reload and try again")


def _session_stamp(account: Account) -> str:
    # Changes when the password changes, so old sessions of that account stop working.
    return _stamp(current_app.secret_key, account.password_hash)


@lru_cache(maxsize=4096)
def _stamp(secret_key: str, password_hash: str) -> str:
    # Remembered: it is checked on every request of a logged-in user.
    return hmac.new(secret_key.encode(), password_hash.encode(), "sha256").hexdigest()[:16]


def login_user(account: Account) -> None:
    """Start a fresh session for `account`: nothing from before login survives (no fixation)."""
    language = session.get("lang")
    session.clear()
    session["account_id"] = account.id
    session["stamp"] = _session_stamp(account)
    session["sid"] = secrets.token_urlsafe(32)
    session["csrf"] = secrets.token_urlsafe(32)
    with write_session(engine()) as db:
        db.add(LoginSession(sid=session["sid"], account_id=account.id))
    if language:
        session["lang"] = language
    session.permanent = True
    g.account = account


def logout_user() -> None:
    """End the login on the server too, so a copy of the cookie is worth nothing, then forget it."""
    sid = session.get("sid")
    if sid:
        with write_session(engine()) as db:
            db.execute(update(LoginSession).where(LoginSession.sid == sid, LoginSession.ended_at.is_(None))
                       .values(ended_at=utcnow()))
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    g.account = None


# It runs on every request of a logged-in user: compiled once, run without SQLAlchemy's
# per-execution work (see DirectRead).
_ACCOUNT_COLUMNS = tuple(Account.__table__.columns.keys())
_ACCOUNT_OF_LOGIN = DirectRead(
    select(*Account.__table__.columns, LoginSession.ended_at).join(LoginSession, LoginSession.account_id == Account.id)
    .where(Account.id == bindparam("account_id"), LoginSession.sid == bindparam("sid")))


def _load_account() -> Account | None:
    account_id = session.get("account_id")
    if account_id is None:
        return None
    found = _ACCOUNT_OF_LOGIN.first(engine(), account_id=account_id, sid=str(session.get("sid", "")))
    account = None
    if found is not None and found.is_active and found.ended_at is None:
        account = detached(Account, zip(_ACCOUNT_COLUMNS, found))
    if account is None or not _stamp_holds(str(session.get("stamp", "")), account):
        session.clear()
        return None
    return account


def _stamp_holds(stamp: str, account: Account) -> bool:
    """The session's stamp is the account's under the key or an earlier one still accepted
    (`SECRET_KEY_FALLBACKS`: a rotated key signs nobody out)."""
    keys = (current_app.secret_key, *(current_app.config["SECRET_KEY_FALLBACKS"] or ()))
    return any(hmac.compare_digest(stamp, _stamp(key, account.password_hash)) for key in keys)


#: Forms anyone may send without a login (their own CSRF token comes with the page).
_ANONYMOUS_FORMS = frozenset({"auth.login", "auth.signup", "auth.logout"})


def _login_ended() -> bool:
    """A page's form sent after its login ended (expired, or logged out in another tab): the
    session no longer holds the form's CSRF token, and telling the person to log in again
    beats "the request did not come from this site". Logged out in another tab, the browser
    may hold a new anonymous session by now (the login page it landed on made one, with a
    token of its own): a form that carries a token, to a page that needs a login, from a
    request with no login, is that case too. Nothing is done for such a request either way."""
    if g.account is not None or is_api_request():
        return False
    if "csrf" not in session:
        return request.endpoint not in _ANONYMOUS_FORMS
    return bool(request.form.get(CSRF_FIELD)) and _needs_login(request.endpoint)


def _needs_login(endpoint: str | None) -> bool:
    """Whether the view of `endpoint` is behind `login_required` (or `role_required`)."""
    view = current_app.view_functions.get(endpoint or "")
    return bool(getattr(view, "needs_login", False))


def current_account() -> Account | None:
    """The logged-in account of this request, or None."""
    return g.get("account")


def current_actor() -> Actor:
    """The logged-in account as the workflow's Actor."""
    account = current_account()
    return Actor.of(account)


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Anonymous visitors go to the login page (pages) or get 401 (API)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_account() is None:
            if is_api_request():
                raise http_error(401)
            return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))
        return view(*args, **kwargs)

    wrapped.needs_login = True  # type: ignore[attr-defined]  (read by _login_ended)
    return wrapped


def role_required(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Logged in, and with one of `roles`; anyone else gets 403."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if current_account().role not in roles:
                raise http_error(403)
            return view(*args, **kwargs)

        return login_required(wrapped)

    return decorate


def client_ip() -> str:
    """The client's address as the server saw it (a proxy must set REMOTE_ADDR via ProxyFix)."""
    return (request.remote_addr or "unknown")[:64]


def check_login_allowed(username: str, ip: str) -> None:
    """Refuse a login after too many recent failures: from this address, or for this user from anywhere.

    Failures count since the window's start or the last success, whichever is later. The
    second limit spares an address this user logged in from in the last KNOWN_ADDRESS_DAYS.
    """
    since = utcnow() - FAILURE_WINDOW
    name = username.strip().lower()[:80]
    minutes = int(FAILURE_WINDOW.total_seconds() // 60)
    with read_session(engine()) as db:
        if _failures_since_success(db, since, LoginAttempt.username == name, LoginAttempt.ip == ip) >= MAX_FAILURES:
            raise TooManyAttempts(f"登录失败次数过多，请{minutes}分钟后再试",
                                  f"too many failed logins; try again in {minutes} minutes")
        if (_failures_since_success(db, since, LoginAttempt.username == name) >= ACCOUNT_MAX_FAILURES
                and not _known_address(db, name, ip)):
            raise TooManyAttempts(
                f"该账号近期登录失败次数过多，为保护账号，暂停从未登录过的网络登录。请{minutes}分钟后再试，"
                "或在以前成功登录过的网络（如家中无线网络）上登录",
                f"too many failed logins to this account lately: logins from networks it never logged in from are "
                f"paused; try again in {minutes} minutes, or log in from a network you used before (your home Wi-Fi)")


def _failures_since_success(db: Any, since: datetime, *which: Any) -> int:
    """Failed tries matching `which` after `since` and after the last success matching `which`."""
    last_success = db.exec(select(func.max(LoginAttempt.at)).where(
        *which, LoginAttempt.succeeded.is_(True))).one()
    start = max(since, last_success) if last_success else since
    return db.exec(select(func.count()).select_from(LoginAttempt).where(
        *which, LoginAttempt.succeeded.is_(False), LoginAttempt.at > start)).one()


def _known_address(db: Any, name: str, ip: str) -> bool:
    """Whether this user logged in successfully from this address in the last KNOWN_ADDRESS_DAYS."""
    return db.exec(select(LoginAttempt.id).where(
        LoginAttempt.username == name, LoginAttempt.ip == ip, LoginAttempt.succeeded.is_(True),
        LoginAttempt.at > utcnow() - timedelta(days=KNOWN_ADDRESS_DAYS)).limit(1)).first() is not None


def record_login_attempt(username: str, ip: str, succeeded: bool) -> None:
    """Keep one row per try, in the database so every worker counts the same failures."""
    with write_session(engine()) as db:
        db.add(LoginAttempt(username=username.strip().lower()[:80], ip=ip, succeeded=succeeded))


class WrongCredentials(UserFacingError):
    code = "unauthenticated"
    http_status = 401


def attempt_login(username: str, password: str, face_image: bytes | None = None) -> Account:
    """Throttle, check the password, check a guardian's identity, then start the session.

    Every refusal is a UserFacingError (429 throttled, 401 wrong credentials, 422 identity);
    the same message for an unknown user and a wrong password.
    """
    ip = client_ip()
    check_login_allowed(username, ip)
    with read_session(engine()) as db:
        account = authenticate(db, username, password)
    if account is not None:
        try:
            check_guardian_login(plugin_hooks(), account, face_image)
        except UserFacingError:
            record_login_attempt(username, ip, False)
            raise
    record_login_attempt(username, ip, account is not None)
    if account is None:
        raise WrongCredentials("用户名或密码错误", "wrong username or password")
    login_user(account)
    return account


# Added to every answer that does not set them itself.
SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY), ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)


def _security_headers(response):
    # One look at the names already set, then appends: `Headers.setdefault` scans the list
    # three times per header (about a twentieth of the CPU of a polled 304).
    headers = response.headers
    present = {name.lower() for name, _value in headers}
    for name, value in SECURITY_HEADERS:
        if name.lower() not in present:
            headers.add(name, value)
    if current_account() is not None and "cache-control" not in present:
        headers.add("Cache-Control", "no-store")
    return response


def init_app(app: Flask) -> None:
    """Load the account, check CSRF on every state-changing request, add headers to every answer."""
    app.session_interface = SteppedSessionInterface()
    prepare_authentication()

    @app.before_request
    def _before():
        g.account = _load_account()
        if request.method in _UNSAFE:
            if _login_ended():
                flash(t("登录已过期或已在其他页面退出，请重新登录。刚才提交的内容未能保存，登录后请重新填写。",
                        "Your login expired or you logged out elsewhere: log in again. What you just sent was "
                        "not saved; please enter it again after logging in."), "error")
                return redirect(url_for("auth.login", next=page_before_path()))
            _check_csrf()
        refuse_nul_characters()

    app.after_request(_security_headers)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["current_account"] = current_account
