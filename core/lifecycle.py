"""The lifecycle hooks (`application_state_changed`, `application_submitted`): told once the
transaction that made the change has committed, never for one that rolled back.

The workflow engine notes each change on the session (`tell_after_commit`) as it writes it;
SQLAlchemy's `after_commit` event then tells the plugins, in the order the changes were made.
A plugin hears only what is durable: a rolled-back submission (a stale page, a lost lock)
was never made. A plugin's failure is logged by the facade and stops nothing (core.plugins.Hooks).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from core.plugins import hooks

__all__ = ["tell_after_commit"]

_PENDING = "xuewei.lifecycle"


def tell_after_commit(session: Session, hook_name: str, **kwargs: Any) -> None:
    """Call `hook_name` on every plugin (core.plugins.Hooks) once `session`'s transaction commits."""
    session.info.setdefault(_PENDING, []).append((hook_name, kwargs))


@event.listens_for(Session, "after_commit")
def _tell(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending:
        facade = hooks()
        for hook_name, kwargs in pending:
            getattr(facade, hook_name)(**kwargs)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)
