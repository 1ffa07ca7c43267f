"""The gateway's configuration: one entry per data source, from a JSON or TOML file.

```toml
[defaults]
timeout = 5.0          # seconds per attempt
retries = 2            # further attempts after a failed one (the runtime backs off)

[sources.hukou]
base_url = "https://gateway.example.gov.cn/share/v1"
auth_header = "Authorization: Bearer ${XUEWEI_GATEWAY_TOKEN}"
```
The file is named by `XUEWEI_GATEWAY_CONFIG`; `${VAR}` in `auth_header` is read from the
environment, so the file itself need not hold a secret.
"""
from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from core.connectors.sources import SOURCE_BY_NAME

__all__ = ["CONFIG_ENV", "ConfigError", "SourceConfig", "GatewayConfig", "load_config", "current_config"]

CONFIG_ENV = "XUEWEI_GATEWAY_CONFIG"
SETTINGS = {"base_url", "auth_header", "timeout", "retries"}


class ConfigError(ValueError):
    """The gateway configuration file is missing, unreadable or wrong; says where and why."""


@dataclass(frozen=True)
class SourceConfig:
    """How to reach one source through the gateway."""

    source: str
    base_url: str
    auth_header: tuple[str, str] | None
    timeout: float = 5.0
    retries: int = 2

    @property
    def url(self) -> str:
        """Where the source's requests are POSTed: `{base_url}/{source}`."""
        return f"{self.base_url.rstrip('/')}/{self.source}"


@dataclass(frozen=True)
class GatewayConfig:
    """Every configured source, by name."""

    sources: dict[str, SourceConfig]


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the gateway configuration: {exc.strerror}") from exc
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: not valid {'TOML' if path.suffix == '.toml' else 'JSON'}: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("sources"), dict):
        raise ConfigError(f"{path}: expected a table `sources` with one entry per data source")
    return data


def _auth(where: str, raw: Any) -> tuple[str, str] | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or ":" not in raw:
        raise ConfigError(f"{where}.auth_header: expected 'Header-Name: value'")
    name, value = raw.split(":", 1)
    return name.strip(), os.path.expandvars(value.strip())


def _source(path: Path, name: str, raw: Any, defaults: dict[str, Any]) -> SourceConfig:
    where = f"{path}: sources.{name}"
    if name not in SOURCE_BY_NAME:
        raise ConfigError(f"{where}: unknown data source; known: {', '.join(SOURCE_BY_NAME)}")
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a table of settings")
    merged = {**defaults, **raw}
    unknown = sorted(set(merged) - SETTINGS)
    if unknown:
        raise ConfigError(f"{where}: unknown settings {unknown}; allowed: {sorted(SETTINGS)}")
    base_url = merged.get("base_url")
    if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
        raise ConfigError(f"{where}.base_url: expected an http:// or https:// URL")
    timeout, retries = merged.get("timeout", 5.0), merged.get("retries", 2)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ConfigError(f"{where}.timeout: expected a positive number of seconds")
    if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= 10:
        raise ConfigError(f"{where}.retries: expected a whole number from 0 to 10")
    return SourceConfig(name, base_url, _auth(where, merged.get("auth_header")), float(timeout), retries)


def load_config(path: str | Path) -> GatewayConfig:
    """Read and check a configuration file; ConfigError names the file, the key and the fault."""
    path = Path(path)
    data = _read(path)
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        raise ConfigError(f"{path}: defaults: expected a table of settings")
    return GatewayConfig({name: _source(path, name, raw, defaults)
                          for name, raw in data["sources"].items()})


@lru_cache(maxsize=4)
def _cached(path: str, mtime_ns: int) -> GatewayConfig:
    return load_config(path)


def current_config() -> GatewayConfig | None:
    """The configuration named by `XUEWEI_GATEWAY_CONFIG` (re-read when the file changes)."""
    path = os.environ.get(CONFIG_ENV)
    if not path:
        return None
    try:
        mtime_ns = os.stat(path).st_mtime_ns
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the gateway configuration ({CONFIG_ENV}): {exc.strerror}") from exc
    return _cached(path, mtime_ns)
