"""API: the session (CSRF token, login, logout), guardian sign-up, staff accounts (made, disabled
and enabled, given a new password), the season."""
from __future__ import annotations

import base64
import binascii

from flask import jsonify

from core.errors import InvalidInput
from core.identity import sign_up_guardian
from core.models import Account
from core.portal import active_districts, season_overview
from core.staff import create_staff_account, list_staff, set_staff_active, set_staff_password
from web.api import bp
from web.context import engine, now, plugin_hooks
from web.inputs import json_body, text
from web.security import (attempt_login, csrf_token, current_account, current_actor, login_user, logout_user,
                          role_required)


def account_dict(account: Account | None) -> dict | None:
    """An account as the API shows it (never the hash, never the full ID number)."""
    if account is None:
        return None
    return {"id": account.id, "username": account.username, "role": account.role, "district": account.district,
            "display_name": account.display_name, "is_active": account.is_active,
            "identity_verified": account.identity_verified_at is not None}


def _session_answer(status: int = 200):
    return jsonify(account=account_dict(current_account()), csrf_token=csrf_token()), status


@bp.get("/session")
def get_session():
    """Who is logged in, and the CSRF token to send as X-CSRF-Token."""
    return _session_answer()


@bp.post("/session")
def login():
    """Log in with username and password (a guardian may send `face_image`); the session and token are renewed."""
    data = json_body()
    attempt_login(text(data, "username"), text(data, "password"), _face_image(data))
    return _session_answer()


def _face_image(data: dict) -> bytes | None:
    face = data.get("face_image")
    if not isinstance(face, str) or not face:
        return None
    try:
        return base64.b64decode(face, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("人脸照片编码错误", "face_image is not valid base64", field="face_image") from None


@bp.delete("/session")
def logout():
    """Log out; a fresh anonymous token is returned."""
    logout_user()
    return _session_answer()


@bp.post("/accounts")
def sign_up():
    """A guardian signs up; `face_image` is the live capture, base64-encoded (optional)."""
    data = json_body()
    account = sign_up_guardian(engine(), hooks=plugin_hooks(), username=text(data, "username"),
                               password=text(data, "password"), name=text(data, "name"),
                               id_number=text(data, "id_number"), face_image=_face_image(data), now=now())
    login_user(account)
    return _session_answer(201)


@bp.get("/staff")
@role_required("city_admin")
def staff_list():
    """Every staff account."""
    return jsonify(items=[account_dict(a) for a in list_staff(engine())])


@bp.post("/staff")
@role_required("city_admin")
def staff_create():
    """A city administrator creates a reviewer, district admin, city admin or operator."""
    data = json_body()
    districts = [d["name"] for d in active_districts(engine())]
    created = create_staff_account(engine(), by=current_account(), username=text(data, "username"),
                                   password=text(data, "password"), role=text(data, "role"),
                                   district=text(data, "district") or None,
                                   display_name=text(data, "display_name"), districts=districts, now=now())
    return jsonify(account_dict(created)), 201


@bp.post("/staff/<username>/active")
@role_required("city_admin")
def staff_active(username: str):
    """Disable (`{"active": false}`: the account's logins end at once) or enable a staff account."""
    active = json_body().get("active")
    if not isinstance(active, bool):
        raise InvalidInput("请说明启用或停用", "send active: true or false", field="active")
    changed = set_staff_active(engine(), by=current_actor(), username=username, active=active, now=now())
    return jsonify(account_dict(changed))


@bp.post("/staff/<username>/password")
@role_required("city_admin")
def staff_password(username: str):
    """A staff account's new password; every login of the account ends (the caller's own, too)."""
    changed = set_staff_password(engine(), by=current_actor(), username=username,
                                 password=text(json_body(), "password"), now=now())
    return jsonify(account_dict(changed))


@bp.get("/season")
def season():
    """The running phase and each district's collection window."""
    return jsonify(season_overview(engine(), now=now()))
