"""Errors a person sees: each carries a stable code and a message in Chinese and English."""
from __future__ import annotations

__all__ = ["UserFacingError", "InvalidInput", "NotFound", "Forbidden", "SourceUnavailable"]


class UserFacingError(Exception):
    """Base of every refusal the web layer turns into a page or a JSON error body."""

    code = "error"
    http_status = 400

    def __init__(self, zh: str, en: str, *, field: str | None = None):
        super().__init__(en)
        self.zh, self.en, self.field = zh, en, field

    def to_dict(self) -> dict[str, str | None]:
        """The API's error shape."""
        return {"code": self.code, "message": self.zh, "message_en": self.en, "field": self.field}


class InvalidInput(UserFacingError):
    code = "invalid_input"
    http_status = 422


class NotFound(UserFacingError):
    code = "not_found"
    http_status = 404


class Forbidden(UserFacingError):
    code = "forbidden"
    http_status = 403


class SourceUnavailable(UserFacingError):
    """A data source or service needed now cannot be asked (it failed, or answered nonsense):
    nothing was done, and the person may try again later."""

    code = "source_unavailable"
    http_status = 503
