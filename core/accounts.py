"""Accounts: guardians sign themselves up, staff accounts are made by a city administrator."""
from __future__ import annotations

import re
from datetime import datetime
from functools import cache

from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from core.audit import append_event
from core.errors import InvalidInput
from core.models import Account, Role
from core.types import utcnow
from core.workflow import Actor

__all__ = ["create_account", "authenticate", "prepare_authentication", "check_new_password", "hash_password",
           "MIN_PASSWORD_LENGTH"]

MIN_PASSWORD_LENGTH = 8
USERNAME = re.compile(r"[\w.@-]{1,80}")  # letters (Chinese too), digits and . _ - @: shown in logs and lists as typed
DISTRICT_ROLES = frozenset({Role.reviewer.value, Role.district_admin.value})  # accounts bound to one district


def create_account(session: Session, *, username: str, password: str, role: Role | str,
                   district: str | None = None, display_name: str = "", by: Actor | None = None,
                   at: datetime | None = None) -> Account:
    """A new account with a salted, slow password hash; district staff must name their district.
    `at`: the season clock's time, when the caller has one (default: the wall clock's)."""
    role = Role(role).value
    username = username.strip()
    if not USERNAME.fullmatch(username):
        raise InvalidInput("用户名只能由字母、汉字、数字和 . _ - @ 组成，不超过80个字符",
                           "a username has at most 80 letters, digits and . _ - @", field="username")
    check_new_password(password)
    if role in DISTRICT_ROLES and not district:
        raise InvalidInput("区级账号必须指定区县", "district staff accounts need a district", field="district")
    if session.exec(select(Account).where(Account.username == username)).first() is not None:
        raise InvalidInput("该用户名已被使用", "that username is taken", field="username")
    account = Account(username=username, password_hash=hash_password(password), role=role,
                      district=district, display_name=display_name or username, created_at=at or utcnow())
    session.add(account)
    session.flush()
    by = by or Actor.system("setup")
    append_event(session, actor=by.name, actor_role=str(by.role), subject_type="account", subject_id=account.id, action="account_created",
                 data={"role": role, "district": district}, at=at)
    return account


def check_new_password(password: str) -> None:
    """Refuse a password too short to set, at sign-up, creation or a reset alike."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"密码至少{MIN_PASSWORD_LENGTH}位", f"passwords have at least {MIN_PASSWORD_LENGTH} characters",
                           field="password")


def hash_password(password: str) -> str:
    """A salted, slow hash: what an account stores instead of its password."""
    return generate_password_hash(password)


def authenticate(session: Session, username: str, password: str) -> Account | None:
    """The active account with this name and password, or None (same answer for both misses)."""
    account = session.exec(select(Account).where(Account.username == username.strip())).first()
    if account is None or not account.is_active:
        check_password_hash(_dummy_hash(), password)  # same work either way: no user enumeration by timing
        return None
    return account if check_password_hash(account.password_hash, password) else None


@cache
def _dummy_hash() -> str:
    """What a password is checked against when there is no such account. Made once per process,
    not at import: every command of the CLI imports this module, and hashing is slow on purpose."""
    return generate_password_hash("not-a-real-password")


def prepare_authentication() -> None:
    """Make the stand-in hash before the first login, so the first miss costs what every other
    login costs (no account enumeration by timing, even once)."""
    _dummy_hash()
