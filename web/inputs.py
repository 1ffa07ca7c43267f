"""Reading request input: a JSON object or one stable 400 error; no NUL characters; row versions in range."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import request

from core.errors import InvalidInput, UserFacingError
from web.i18n import TERMS

__all__ = ["MalformedJSON", "json_body", "text", "row_version", "form_row_version", "refuse_nul_characters",
           "queue_filters"]

MAX_ROW_VERSION = 2**31 - 1  # Application.version is a 32-bit INTEGER


class MalformedJSON(UserFacingError):
    code = "malformed_json"
    http_status = 400


def _strings(value: Any) -> Iterable[str]:
    stack = [value]
    while stack:  # iterative: a deep body must not exhaust the interpreter's stack here either
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _refuse_nul(values: Iterable[str]) -> None:
    if any("\x00" in value for value in values):
        raise InvalidInput("输入含有不允许的字符（NUL）", "the input holds a NUL character, which is not allowed")


def refuse_nul_characters() -> None:
    """Refuse NUL in the query string and form fields (databases refuse it in text)."""
    _refuse_nul(request.args.values())
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and not request.is_json:
        _refuse_nul(request.form.values())


def json_body() -> dict[str, Any]:
    """The request's JSON object; a missing, malformed, too deep or non-object body is refused."""
    if not request.is_json:
        raise MalformedJSON("请求体须为JSON（Content-Type: application/json）",
                            "the body must be JSON (Content-Type: application/json)")
    try:
        data = request.get_json(silent=True)
    except RecursionError:
        data = None
    if not isinstance(data, dict):
        raise MalformedJSON("请求体不是有效的JSON对象", "the body is not a valid JSON object")
    _refuse_nul(_strings(data))
    return data


def text(data: dict[str, Any], key: str) -> str:
    """A string member of the body; anything else counts as empty."""
    value = data.get(key, "")
    return value if isinstance(value, str) else ""


def row_version(value: Any) -> int | None:
    """The version a client saw (optimistic check), None when not sent; out of range is refused."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ROW_VERSION:
        raise InvalidInput("版本号无效，请刷新后重试", "the version is not a valid version; reload and retry",
                           field="version")
    return value


def form_row_version(*, required: bool = False) -> int | None:
    """`row_version` of the form's `version` field. A field that is there but not a number is
    refused like a number out of range, not taken as "not sent" (which skips the check); so is
    a missing one when `required`: a form that always carries it (a reviewer's decision) must
    never skip the check for lack of it."""
    value = request.form.get("version", "" if required else None)  # "" is refused as not a number
    if value is None:
        return None
    digits = value.isascii() and value.isdigit() and len(value) <= len(str(MAX_ROW_VERSION))
    return row_version(int(value) if digits else value)


def queue_filters() -> dict[str, Any]:
    """The review queue's filters from the query string (`core.review.review_queue`'s keywords),
    alike for the pages and the API. The queue opens on what waits for review; a search (`q`)
    looks in every state unless a state is asked for."""
    search = request.args.get("q", "").strip() or None
    return {"state": request.args.get("state", None if search else "submitted") or None,
            "district": request.args.get("district") or None, "problem": request.args.get("problem") or None,
            "page": request.args.get("page", 1, type=int), "search": search}


def audit_filters() -> dict[str, str | None]:
    """The audit page's filters from the query string (`core.dashboard.audit_log`'s keywords): a
    kind of subject (`subject_type`, one of web.i18n.TERMS' subject types) and its id."""
    kind = request.args.get("subject_type", "").strip() or None
    ident = request.args.get("subject_id", "").strip() or None
    if kind is not None and kind not in TERMS["subject_type"]:
        raise InvalidInput("未知的对象类型", f"unknown subject type {kind!r}", field="subject_type")
    if ident is not None and len(ident) > 64:
        raise InvalidInput("对象编号过长", "the subject id is too long", field="subject_id")
    return {"subject_type": kind, "subject_id": ident}
