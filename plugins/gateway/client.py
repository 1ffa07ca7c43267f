"""One JSON-over-HTTP request to the data-sharing gateway, with plain-worded failures."""
from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from typing import Any

from core.hookspecs import InvalidResponse
from plugins.gateway.config import SourceConfig

__all__ = ["GatewayError", "post"]

BODY_EXCERPT = 120


class GatewayError(Exception):
    """The gateway could not be reached or did not answer in time or answered an error status."""


def _excerpt(body: bytes) -> str:
    text = body[:BODY_EXCERPT].decode("utf-8", errors="replace")
    return text + ("…" if len(body) > BODY_EXCERPT else "")


def post(config: SourceConfig, payload: dict[str, Any]) -> dict[str, Any] | None:
    """POST the query; the JSON object answered, None for 404 (the source knows nobody)."""
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(config.url, data=data, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8", "Accept": "application/json"})
    if config.auth_header:
        request.add_header(*config.auth_header)
    try:
        with urllib.request.urlopen(request, timeout=config.timeout) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise GatewayError(f"{config.url} answered HTTP {exc.code}: {_excerpt(exc.read())}") from exc
    except (TimeoutError, socket.timeout) as exc:
        raise GatewayError(f"{config.url} did not answer within {config.timeout:g}s") from exc
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, (TimeoutError, socket.timeout)):
            raise GatewayError(f"{config.url} did not answer within {config.timeout:g}s") from exc
        raise GatewayError(f"{config.url} unreachable: {exc.reason}") from exc
    try:
        answer = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidResponse(f"{config.url} answered malformed JSON ({exc}): {_excerpt(body)}") from exc
    if not isinstance(answer, dict):
        raise InvalidResponse(f"{config.url} answered a JSON {type(answer).__name__}, expected an object")
    return answer
