"""What a request needs from the app: the engine, the season clock and the plugin hooks."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy.engine import Engine

from core.connectors.runtime import ConnectorRuntime, get_runtime
from core.documents import documents_dir
from core.plugins import Hooks, hooks

__all__ = ["engine", "now", "plugin_hooks", "connector_runtime", "documents_root"]


def engine() -> Engine:
    """The engine the app was built with."""
    return current_app.extensions["xuewei.engine"]


def now() -> datetime:
    """The season clock's now (fixed or accelerated in tests and demos)."""
    return current_app.extensions["xuewei.clock"].now()


def plugin_hooks() -> Hooks:
    """The plugin facade given to the app, else the process-wide one."""
    return current_app.extensions.get("xuewei.hooks") or hooks()


def connector_runtime() -> ConnectorRuntime:
    """The runtime given to the app (tests), else the process-wide one with shared breakers."""
    return current_app.config.get("CONNECTOR_RUNTIME") or get_runtime()


def documents_root() -> Path:
    """Where uploaded documents are kept."""
    return documents_dir(current_app.config.get("DOCUMENTS_DIR"))
