"""Built-in connector for a JSON-over-HTTP data-sharing gateway (数据共享交换平台).

Each source configured in `XUEWEI_GATEWAY_CONFIG` is asked by POSTing the hook's keyword
arguments as JSON to `{base_url}/{source}`; the answer (a fact fragment) is returned as is
and the connector runtime validates it. Sources the file does not name are not served here.
Written exactly as a vendor's plugin would be: hook implementations only.
"""
from __future__ import annotations

from typing import Any

from core.hookspecs import hookimpl
from plugins.gateway.client import GatewayError, post
from plugins.gateway.config import ConfigError, current_config

__all__ = ["GatewayError", "ConfigError"]


def _ask(source: str, **query: Any) -> dict[str, Any] | None:
    config = current_config()
    if config is None or source not in config.sources:
        return None
    return post(config.sources[source], query)


@hookimpl
def connector_policy(source):
    config = current_config()
    if config is None or source not in config.sources:
        return None
    entry = config.sources[source]
    return {"timeout": entry.timeout, "retries": entry.retries}


@hookimpl
def fetch_pupil_record(pupil_id_number):
    return _ask("pupil_record", pupil_id_number=pupil_id_number)


@hookimpl
def fetch_hukou(id_numbers):
    return _ask("hukou", id_numbers=id_numbers)


@hookimpl
def fetch_properties(id_numbers):
    return _ask("properties", id_numbers=id_numbers)


@hookimpl
def fetch_leases(id_numbers):
    return _ask("leases", id_numbers=id_numbers)


@hookimpl
def fetch_residence_permits(id_numbers):
    return _ask("residence_permits", id_numbers=id_numbers)


@hookimpl
def fetch_social_insurance(id_numbers):
    return _ask("social_insurance", id_numbers=id_numbers)


@hookimpl
def fetch_business(id_numbers):
    return _ask("business", id_numbers=id_numbers)


@hookimpl
def fetch_employment(id_numbers):
    return _ask("employment", id_numbers=id_numbers)


@hookimpl
def fetch_demolition(id_numbers):
    return _ask("demolition", id_numbers=id_numbers)
