"""Staff accounts, made and listed by a city administrator."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import select

from core.accounts import DISTRICT_ROLES, create_account
from core.db import read_session, write_session
from core.errors import Forbidden, InvalidInput
from core.models import Account, Role
from core.workflow import Actor

__all__ = ["STAFF_ROLES", "create_staff_account", "list_staff"]

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
