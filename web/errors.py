"""One error shape for every failure: JSON under /api/, a bilingual page elsewhere."""
from __future__ import annotations

import logging

from flask import Flask, current_app, jsonify, render_template, request, session
from werkzeug.exceptions import HTTPException

from core.errors import UserFacingError

__all__ = ["init_app", "is_api_request", "http_error", "message_of", "message_unless_refused", "anchor_unless_refused",
           "page_before_path"]

log = logging.getLogger(__name__)

# Stable codes and messages for the HTTP errors Flask raises itself.
_HTTP_ERRORS: dict[int, tuple[str, str, str]] = {
    400: ("bad_request", "请求格式不正确", "the request is malformed"),
    401: ("unauthenticated", "请先登录", "please log in first"),
    403: ("forbidden", "无权访问", "you may not do this"),
    404: ("not_found", "页面或资源不存在", "not found"),
    405: ("method_not_allowed", "不支持该请求方式", "this method is not allowed here"),
    413: ("payload_too_large", "上传内容过大", "the request body is too large"),
    415: ("unsupported_media_type", "请求内容类型不受支持", "unsupported media type"),
    429: ("too_many_requests", "尝试次数过多，请稍后再试", "too many attempts; try again later"),
    500: ("internal_error", "系统繁忙，请稍后再试", "internal error; please try again later"),
}


def is_api_request() -> bool:
    """Requests under /api/ are answered in JSON, everything else with pages."""
    return request.path.startswith("/api/")


def http_error(status: int) -> UserFacingError:
    """The UserFacingError standing for a bare HTTP status."""
    code, zh, en = _HTTP_ERRORS.get(status, _HTTP_ERRORS[500] if status >= 500 else _HTTP_ERRORS[400])
    error = UserFacingError(zh, en)
    error.code, error.http_status = code, status
    return error


def message_of(error: UserFacingError) -> str:
    """The error's message in the page language."""
    from web.i18n import t

    return t(error.zh, error.en)


def message_unless_refused(error: UserFacingError) -> str:
    """A message to show next to the form, unless the error is a refusal (401/403/404): that one
    propagates to the error page, so another family's id never gets a friendlier answer."""
    if error.http_status in (401, 403, 404):
        raise error
    return message_of(error)


def anchor_unless_refused(anchor: str) -> str:
    """`anchor` (the section a form was sent from) to go back to, or none after a refusal was
    flashed: its message is shown at the top of the page, which a page scrolled down to the
    section would hide (on a phone, or beside a long list of documents)."""
    refused = any(category == "error" for category, _message in session.get("_flashes", ()))
    return "" if refused else anchor


def _too_large() -> UserFacingError:
    """413 with the limit in it: the guardian can shrink the photo and send it again."""
    error = http_error(413)
    megabytes = current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
    error.zh = f"上传内容过大：一次最多{megabytes}MB，请压缩或缩小文件后返回重试"
    error.en = f"the upload is too large: at most {megabytes} MB at once; shrink the file, go back and try again"
    return error


def _page_before() -> str | None:
    """The page of this site the person came from, to offer a way back from an error page."""
    referrer = request.referrer
    return referrer if referrer and referrer.startswith(request.host_url) else None


def page_before_path() -> str | None:
    """The path (and query) of the page of this site the person came from, or None: where to
    return after logging in again."""
    before = _page_before()
    return "/" + before[len(request.host_url):] if before else None


def _respond(error: UserFacingError, headers=None):
    if is_api_request():
        response = jsonify(error.to_dict())
    else:
        response = render_template("error.html", error=error, back=_page_before())
    return response, error.http_status, headers or {}


def init_app(app: Flask) -> None:
    """Register the handlers; 500s are logged with the traceback, never shown."""

    @app.errorhandler(UserFacingError)
    def _user_facing(error: UserFacingError):
        return _respond(error)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        headers = None
        if error.code == 405 and error.valid_methods:
            headers = {"Allow": ", ".join(sorted(error.valid_methods))}
        return _respond(_too_large() if error.code == 413 else http_error(error.code or 500), headers)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _respond(http_error(500))
