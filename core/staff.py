"""Staff accounts, made, listed, disabled and given new passwords by a city administrator (or
by `cli`, for the lost-password case of the only administrator)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from core.accounts import DISTRICT_ROLES, USERNAME, check_new_password, create_account, hash_password
from core.audit import append_event
from core.db import read_session, write_session
from core.errors import Forbidden, InvalidInput, NotFound
from core.models import Account, LoginSession, Role
from core.types import utcnow
from core.workflow import Actor

__all__ = ["STAFF_ROLES", "create_staff_account", "list_staff", "set_staff_active", "set_staff_password"]

STAFF_ROLES = (Role.reviewer.value, Role.district_admin.value, Role.city_admin.value, Role.operator.value)


def create_staff_account(engine: Engine, *, by: Account, username: str, password: str, role: str,
                         district: str | None, display_name: str, districts: list[str],
                         now: datetime | None = None) -> Account:
    """Only a city administrator makes staff; district staff get one of the season's districts, and
    city-wide staff none: a district chosen for them is refused rather than silently dropped, so
    the administrator learns the account will not be bound to it. `now`: the season clock's time
    the audit event is stamped with (default: the wall clock's)."""
    if by.role != Role.city_admin.value:
        raise Forbidden("只有市级管理员可以创建工作人员账号", "only a city administrator creates staff accounts")
    if role not in STAFF_ROLES:
        raise InvalidInput("请选择工作人员角色", "choose a staff role", field="role")
    display_name = display_name.strip()
    if len(display_name) > 80:
        raise InvalidInput("姓名不超过80个字符", "a name has at most 80 characters", field="display_name")
    district = district or None
    if district is not None and district not in districts:
        raise InvalidInput("请选择本年度的区县", "choose one of the season's districts", field="district")
    if district is not None and role not in DISTRICT_ROLES:
        raise InvalidInput("市级管理员和运维人员负责全市，不属于任何区县：请不要选择区县，或改选区审核员、区管理员",
                           "city administrators and operators work city-wide and belong to no district: leave the "
                           "district empty, or choose a district reviewer or administrator", field="district")
    actor = Actor(by.username, by.role, by.id, by.district)
    with write_session(engine) as session:
        return create_account(session, username=username, password=password, role=role, district=district,
                              display_name=display_name, by=actor, at=now)


def list_staff(engine: Engine) -> list[Account]:
    """Every account that is not a guardian, by role then name."""
    with read_session(engine) as session:
        return list(session.exec(select(Account).where(Account.role != Role.guardian.value)
                                 .order_by(Account.role, Account.username)))


def set_staff_active(engine: Engine, *, by: Actor, username: str, active: bool,
                     now: datetime | None = None) -> Account:
    """Disable a staff member who left (every login of theirs ends at once, and stays ended when
    the account is enabled again), or enable them again. Nobody disables themselves, nor the last
    active city administrator: either would leave the city without anyone to manage staff."""
    with write_session(engine) as session:
        account = _managed_account(session, by, username)
        if not active and account.is_active:
            if account.id == by.account_id:
                raise InvalidInput("不能停用自己的账号", "you cannot disable your own account")
            if account.role == Role.city_admin.value and len(_active_city_admins(session)) <= 1:
                raise InvalidInput("这是最后一个启用的市级管理员账号，不能停用：请先创建或启用另一个市级管理员",
                                   "this is the last active city administrator: make or enable another one first")
        if account.is_active != active:
            account.is_active = active
            session.add(account)
            if not active:
                _end_logins(session, account.id)
            _audit(session, by, account, "account_enabled" if active else "account_disabled", now)
        return account


def set_staff_password(engine: Engine, *, by: Actor, username: str, password: str,
                       now: datetime | None = None) -> Account:
    """A new password for a staff member who forgot theirs; every login of the account ends (the
    audit event says that it changed, never what to)."""
    check_new_password(password)
    with write_session(engine) as session:
        account = _managed_account(session, by, username)
        account.password_hash = hash_password(password)
        session.add(account)
        _end_logins(session, account.id)
        _audit(session, by, account, "account_password_set", now)
        return account


def _managed_account(session: Session, by: Actor, username: str) -> Account:
    """The staff account `by` may manage: a city administrator's or the command line's (`cli`);
    guardians' accounts are not managed here."""
    if by.role not in (Role.city_admin.value, Role.system):
        raise Forbidden("只有市级管理员可以管理工作人员账号", "only a city administrator manages staff accounts")
    username = username.strip()
    # A name no account can have (a NUL from a URL, which PostgreSQL refuses in text) is not looked up.
    account = session.exec(select(Account).where(Account.username == username)).first() \
        if USERNAME.fullmatch(username) else None
    if account is None or account.role == Role.guardian.value:
        raise NotFound(f"没有工作人员账号 {username}", f"no staff account {username}")
    return account


def _active_city_admins(session: Session) -> list[int]:
    """The active city administrators, locked (PostgreSQL) so that two of them disabling each
    other at once cannot both succeed; SQLite's writes are serial already."""
    return list(session.exec(select(Account.id).where(
        Account.role == Role.city_admin.value, Account.is_active.is_(True)).with_for_update()))


def _end_logins(session: Session, account_id: int) -> None:
    """End the account's logins on the server (at the wall clock's time, as a logout does): a
    copy of an old cookie is worth nothing, even after the account is enabled again."""
    session.execute(update(LoginSession).where(LoginSession.account_id == account_id, LoginSession.ended_at.is_(None))
                    .values(ended_at=utcnow()))


def _audit(session: Session, by: Actor, account: Account, action: str, at: datetime | None) -> None:
    append_event(session, actor=by.name, actor_role=str(by.role), subject_type="account", subject_id=account.id,
                 action=action, data={"username": account.username, "role": account.role}, at=at)
