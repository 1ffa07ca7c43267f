"""What a request needs from the app: the engine, the season clock and the plugin hooks."""
from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy.engine import Engine

from core.plugins import Hooks, hooks

__all__ = ["engine", "now", "plugin_hooks"]


def engine() -> Engine:
    """The engine the app was built with."""
    return current_app.extensions["xuewei.engine"]


def now() -> datetime:
    """The season clock's now (fixed or accelerated in tests and demos)."""
    return current_app.extensions["xuewei.clock"].now()


def plugin_hooks() -> Hooks:
    """The plugin facade given to the app, else the process-wide one."""
    return current_app.extensions.get("xuewei.hooks") or hooks()
