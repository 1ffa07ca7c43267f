"""Sign-up, login and logout, and the city administrator's pages for staff accounts (made,
disabled and enabled, given a new password)."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from core.errors import UserFacingError
from core.identity import sign_up_guardian
from core.portal import active_districts
from core.staff import STAFF_ROLES, create_staff_account, list_staff, set_staff_active, set_staff_password
from web.context import engine, now, plugin_hooks
from web.errors import http_error, message_of, message_unless_refused
from web.i18n import t
from web.security import (attempt_login, current_account, current_actor, login_required, login_user, logout_user,
                          role_required)

__all__ = ["bp", "HOME_ENDPOINTS", "NAV", "home_url"]

bp = Blueprint("auth", __name__)

# Where each role lands after login; a missing endpoint falls back to the account page.
HOME_ENDPOINTS = {
    "guardian": "guardian.home",
    "reviewer": "review.queue",
    "district_admin": "review.queue",
    "city_admin": "admin.index",
    "operator": "operator.dashboard",
}
# The navigation bar: (endpoint, zh, en, roles); endpoints not registered are left out.
NAV = (
    ("guardian.home", "我的报名", "My applications", {"guardian"}),
    ("review.queue", "审核队列", "Review queue", {"reviewer", "district_admin", "city_admin"}),
    ("admin.index", "规则与数据", "Rulesets and data", {"city_admin"}),
    ("admin.lists", "锁定名单", "Locked lists", {"district_admin"}),  # the city administrator's are under 规则与数据
    ("auth.staff", "工作人员", "Staff", {"city_admin"}),
    ("operator.dashboard", "运行监控", "Operations", {"operator", "city_admin"}),
)


def home_url(role: str) -> str:
    """The start page of a role."""
    endpoint = HOME_ENDPOINTS.get(role)
    if endpoint in current_app.view_functions:
        return url_for(endpoint)
    return url_for("auth.me")


def _safe_next(target: str | None) -> str | None:
    # Only same-site paths: an open redirect after login is a phishing aid.
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


@bp.app_context_processor
def _navigation():
    def nav_links() -> list[dict[str, str]]:
        account = current_account()
        if account is None:
            return []
        return [{"endpoint": endpoint, "href": url_for(endpoint), "text": t(zh, en)}
                for endpoint, zh, en, roles in NAV
                if account.role in roles and endpoint in current_app.view_functions]

    return {"nav_links": nav_links}


@bp.get("/")
def index():
    """Logged in: the role's start page; otherwise the login page."""
    account = current_account()
    return redirect(home_url(account.role) if account else url_for("auth.login"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Username and password (and a guardian's face); failures are counted per username and address."""
    errors: dict[str, str] = {}
    username = request.form.get("username", "")
    if request.method == "POST":
        try:
            account = attempt_login(username, request.form.get("password", ""), _face_image())
        except UserFacingError as error:
            errors["_form"] = message_of(error)
            return render_template("auth/login.html", errors=errors, username=username), error.http_status
        return redirect(_safe_next(request.args.get("next")) or home_url(account.role))
    return render_template("auth/login.html", errors=errors, username=username)


def _face_image() -> bytes | None:
    """The live capture sent with the form, if any (too large counts as a wrong photo)."""
    face = request.files.get("face_image")
    if not face or not face.filename:
        return None
    limit = current_app.config["MAX_FACE_IMAGE_BYTES"]
    data = face.read(limit + 1)
    if len(data) > limit:
        raise UserFacingError("人脸照片过大（不超过2MB），请缩小后重试", "the face photo is too large (2 MB at most)",
                              field="face_image")
    return data


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    """A guardian registers with their name, resident ID and the identity (face) check."""
    errors: dict[str, str] = {}
    form = request.form
    if request.method == "POST":
        if form.get("password", "") != form.get("password2", ""):
            errors["password2"] = t("两次输入的密码不一致", "the passwords differ")
        else:
            try:
                account = sign_up_guardian(
                    engine(), hooks=plugin_hooks(), username=form.get("username", ""),
                    password=form.get("password", ""), name=form.get("name", ""),
                    id_number=form.get("id_number", ""), face_image=_face_image(), now=now())
            except UserFacingError as error:
                errors[error.field or "_form"] = message_unless_refused(error)
            else:
                login_user(account)
                flash(t("注册成功", "Signed up"), "ok")
                return redirect(home_url(account.role))
    status = 422 if errors else 200
    return render_template("auth/signup.html", errors=errors, form=form), status


@bp.post("/logout")
def logout():
    """End the session (POST with the CSRF token, so no page can log someone out)."""
    logout_user()
    return redirect(url_for("auth.login"))


@bp.get("/me")
@login_required
def me():
    """Who is logged in, with links to what their role may use."""
    return render_template("auth/me.html", home_endpoints=HOME_ENDPOINTS)


@bp.route("/staff", methods=["GET", "POST"])
@role_required("city_admin")
def staff():
    """A city administrator creates reviewers, district admins, city admins and operators."""
    errors: dict[str, str] = {}
    districts = active_districts(engine())
    form = request.form
    if request.method == "POST":
        try:
            created = create_staff_account(
                engine(), by=current_account(), username=form.get("username", ""),
                password=form.get("password", ""), role=form.get("role", ""),
                district=form.get("district") or None, display_name=form.get("display_name", ""),
                districts=[d["name"] for d in districts], now=now())
        except UserFacingError as error:
            errors[error.field or "_form"] = message_unless_refused(error)
        else:
            flash(t(f"已创建账号 {created.username}", f"Account {created.username} created"), "ok")
            return redirect(url_for("auth.staff"))
    return render_template("auth/staff.html", errors=errors, form=form, staff=list_staff(engine()),
                           roles=STAFF_ROLES, districts=districts), (422 if errors else 200)


@bp.post("/staff/<username>/active")
@role_required("city_admin")
def staff_active(username: str):
    """Disable a staff member who left (their logins end at once), or enable them again."""
    active = request.form.get("active") == "1"
    try:
        changed = set_staff_active(engine(), by=current_actor(), username=username, active=active, now=now())
    except UserFacingError as error:
        flash(message_unless_refused(error), "error")
    else:
        flash(t(f"已启用账号 {changed.username}", f"Account {changed.username} enabled") if active
              else t(f"已停用账号 {changed.username}，其登录已全部结束", f"Account {changed.username} disabled; its logins ended"),
              "ok")
    return redirect(url_for("auth.staff"))


@bp.route("/staff/<username>/password", methods=["GET", "POST"])
@role_required("city_admin")
def staff_password(username: str):
    """Set a new password for a staff member who forgot theirs; every login of the account ends
    (the administrator's own too, who is then logged in afresh)."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        if request.form.get("password", "") != request.form.get("password2", ""):
            errors["password2"] = t("两次输入的密码不一致", "the passwords differ")
        else:
            try:
                changed = set_staff_password(engine(), by=current_actor(), username=username,
                                             password=request.form.get("password", ""), now=now())
            except UserFacingError as error:
                errors[error.field or "_form"] = message_unless_refused(error)
            else:
                if changed.id == current_account().id:
                    login_user(changed)
                flash(t(f"已为 {changed.username} 设置新密码，其原有登录已全部结束",
                        f"New password set for {changed.username}; its logins ended"), "ok")
                return redirect(url_for("auth.staff"))
    member = next((m for m in list_staff(engine()) if m.username == username), None)
    if member is None:
        raise http_error(404)
    return render_template("auth/staff_password.html", errors=errors, member=member), (422 if errors else 200)
