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


def _by_id_numbers(source: str):
    """The hook implementation that asks the gateway's `source` about these people."""

    def fetch(id_numbers):
        return _ask(source, id_numbers=id_numbers)

    fetch.__name__ = fetch.__qualname__ = f"fetch_{source}"
    return hookimpl(fetch)


fetch_hukou = _by_id_numbers("hukou")
fetch_properties = _by_id_numbers("properties")
fetch_leases = _by_id_numbers("leases")
fetch_residence_permits = _by_id_numbers("residence_permits")
fetch_social_insurance = _by_id_numbers("social_insurance")
fetch_business = _by_id_numbers("business")
fetch_employment = _by_id_numbers("employment")
fetch_demolition = _by_id_numbers("demolition")
