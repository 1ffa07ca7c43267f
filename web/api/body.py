"""Reading JSON request bodies: anything but a JSON object is one stable 400 error."""
from __future__ import annotations

from typing import Any

from flask import request

from core.errors import UserFacingError

__all__ = ["MalformedJSON", "json_body"]


class MalformedJSON(UserFacingError):
    code = "malformed_json"
    http_status = 400


def json_body() -> dict[str, Any]:
    """The request's JSON object; a missing, malformed or non-object body is refused."""
    if not request.is_json:
        raise MalformedJSON("请求体须为JSON（Content-Type: application/json）",
                            "the body must be JSON (Content-Type: application/json)")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise MalformedJSON("请求体不是有效的JSON对象", "the body is not a valid JSON object")
    return data


def text(data: dict[str, Any], key: str) -> str:
    """A string member of the body; anything else counts as empty."""
    value = data.get(key, "")
    return value if isinstance(value, str) else ""
