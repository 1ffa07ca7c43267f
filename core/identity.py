"""Guardian sign-up: the resident ID checked, the person checked through the identity hook."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine

from core.accounts import create_account
from core.db import write_session
from core.errors import InvalidInput
from core.idnumbers import check_resident_id
from core.models import Account, Role
from core.plugins import Hooks
from core.workflow import Actor

__all__ = ["sign_up_guardian", "IdentityRejected"]


class IdentityRejected(InvalidInput):
    code = "identity_rejected"


def sign_up_guardian(engine: Engine, *, hooks: Hooks, username: str, password: str, name: str,
                     id_number: str, face_image: bytes | None, now: datetime) -> Account:
    """A guardian account, only for a person the identity plugin recognises (§3.1 人脸识别).

    With no identity plugin installed the account is made unverified (identity_verified_at
    stays empty); a plugin that answers "not verified" refuses the sign-up.
    """
    name = name.strip()
    if not name or len(name) > 80:
        raise InvalidInput("请填写监护人姓名", "enter the guardian's name", field="name")
    check = check_resident_id(id_number)
    if not check.ok:
        raise InvalidInput(check.problems[0]["zh"], check.problems[0]["en"], field="id_number")
    verdict = hooks.verify_identity(id_number=check.number, name=name, face_image=face_image)
    if verdict is not None and not verdict.get("verified"):
        reason = verdict.get("reason") or "身份核验未通过"
        raise IdentityRejected(f"身份核验未通过：{reason}", f"identity check failed: {reason}", field="face_image")
    with write_session(engine) as session:
        account = create_account(session, username=username, password=password, role=Role.guardian,
                                 display_name=name, by=Actor(username.strip(), Role.guardian))
        account.id_number = check.number
        if verdict is not None:
            account.identity_verified_at = now
        session.add(account)
        return account
