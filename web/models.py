"""Tables of the web layer: login attempts, shared by every gunicorn worker (logins themselves are
`core.models.LoginSession`: ending them is part of disabling an account or setting its password)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from core.types import UTCDateTime, utcnow

__all__ = ["LoginAttempt"]


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

