"""Tables of the web layer: login attempts and login sessions, shared by every gunicorn worker."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from core.types import UTCDateTime, utcnow

__all__ = ["LoginAttempt", "LoginSession"]


def _created() -> Any:
    return Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


class LoginAttempt(SQLModel, table=True):
    """One try to log in, by username and client address; failures throttle further tries."""

    __table_args__ = (Index("ix_loginattempt_username_ip_at", "username", "ip", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=80)
    ip: str = Field(max_length=64)
    at: datetime = _created()
    succeeded: bool = False


class LoginSession(SQLModel, table=True):
    """One login: the signed cookie names it, so logging out ends it for good (not just in the browser)."""

    sid: str = Field(primary_key=True, max_length=64)
    account_id: int = Field(foreign_key="account.id", index=True)
    created_at: datetime = _created()
    ended_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
