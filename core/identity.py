"""Guardian sign-up: the resident ID checked, the person checked through the identity hook."""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import select

from core.accounts import create_account
from core.db import write_session
from core.errors import InvalidInput, SourceUnavailable
from core.hookspecs import IdentityVerdict
from core.idnumbers import age_on, check_resident_id
from core.models import Account, Role
from core.plugins import NOT_PLUGIN_FAILURES, Hooks
from core.workflow import Actor

__all__ = ["sign_up_guardian", "check_guardian_login", "IdentityRejected"]

log = logging.getLogger(__name__)

ADULT_AGE = 18  # who may sign up as a guardian
IDENTITY_FIELDS = ("name", "id_number", "face_image")  # where a failed check's message is shown


class IdentityRejected(InvalidInput):
    code = "identity_rejected"


def _unavailable() -> SourceUnavailable:
    """The refusal when no identity verdict can be had: the guardian is told to try again later."""
    return SourceUnavailable("人脸识别服务暂时无法使用，请稍后再试", "the identity check is unavailable; try again later",
                             field="face_image")


def _verdict(hooks: Hooks, *, id_number: str, name: str, face_image: bytes | None) -> IdentityVerdict | None:
    """The identity plugins' verdict, None when none answered. A plugin that raises (its service
    is down) or answers anything but ``{"verified": <bool>, ...}`` refuses the sign-up or log-in
    as unavailable (503): a person is never taken as verified on an answer nobody can read, and
    a vendor's failure is not a server error (a `sys.exit()` included: see NOT_PLUGIN_FAILURES)."""
    try:
        verdict = hooks.verify_identity(id_number=id_number, name=name, face_image=face_image)
    except NOT_PLUGIN_FAILURES:
        raise
    except BaseException:
        log.exception("verify_identity failed: the identity check is refused as unavailable")
        raise _unavailable() from None
    if verdict is not None and not (isinstance(verdict, dict) and isinstance(verdict.get("verified"), bool)):
        log.error("verify_identity answered an invalid verdict (a %s, not {\"verified\": <bool>, ...}): the "
                  "identity check is refused as unavailable", type(verdict).__name__)
        raise _unavailable()
    return verdict


def _verified(hooks: Hooks, *, id_number: str, name: str, face_image: bytes | None) -> bool:
    """Ask the identity plugins; True when one verified the person, False when none answered."""
    verdict = _verdict(hooks, id_number=id_number, name=name, face_image=face_image)
    if verdict is not None and not verdict["verified"]:
        reason = verdict.get("reason")
        field = verdict.get("field") if verdict.get("field") in IDENTITY_FIELDS else "face_image"
        raise IdentityRejected(f"身份核验未通过：{reason}" if reason else "身份核验未通过，请核对后重试",
                               f"the identity check failed ({reason})" if reason else "the identity check failed",
                               field=field)
    return verdict is not None


def check_guardian_login(hooks: Hooks, account: Account, face_image: bytes | None) -> None:
    """A guardian logging in is checked again (§3.1 人脸识别); staff and unverifiable accounts pass."""
    if account.role == Role.guardian.value and account.id_number:
        _verified(hooks, id_number=account.id_number, name=account.display_name, face_image=face_image)


def sign_up_guardian(engine: Engine, *, hooks: Hooks, username: str, password: str, name: str,
                     id_number: str, face_image: bytes | None, now: datetime) -> Account:
    """A guardian account, only for a person the identity plugin recognises (§3.1 人脸识别).

    With no identity plugin installed the account is made unverified (identity_verified_at
    stays empty); a plugin that answers "not verified" refuses the sign-up, and one that fails
    refuses it as unavailable (503), to be tried again later.
    """
    name = name.strip()
    if not name or len(name) > 80:
        raise InvalidInput("请填写监护人姓名", "enter the guardian's name", field="name")
    check = check_resident_id(id_number)
    if not check.ok:
        raise InvalidInput(check.problems[0]["zh"], check.problems[0]["en"], field="id_number")
    if age_on(check.birth_date, now.date()) < ADULT_AGE:
        raise InvalidInput("监护人须年满18周岁：请使用监护人本人的身份证号注册", "a guardian is 18 or older: sign up with "
                           "the guardian's own ID number", field="id_number")
    verified = _verified(hooks, id_number=check.number, name=name, face_image=face_image)
    with write_session(engine) as session:
        if session.exec(select(Account.id).where(Account.id_number == check.number)).first() is not None:
            raise InvalidInput("该身份证号已注册过账号，请直接登录", "this ID number already has an account: log in",
                               field="id_number")
        account = create_account(session, username=username, password=password, role=Role.guardian,
                                 display_name=name, by=Actor(username.strip(), Role.guardian), at=now)
        account.id_number = check.number
        if verified:
            account.identity_verified_at = now
        session.add(account)
        return account
