"""Structured logs without personal data: JSON lines, ID numbers and phone numbers masked.

Every handler configured here carries `MaskPII`, so neither our own messages nor gunicorn's
access lines (whose URLs may hold a query string) ever write a full ID number to disk. The
libraries' own lines take the same way: APScheduler's loggers (the scheduler's jobs, and the
traceback of a job that failed, whose message may name a pupil), Python's warnings, and the
traceback of a thread that dies (APScheduler's loop, the heartbeat), which Python would
otherwise print as plain text.
"""
from __future__ import annotations

import json
import logging
import logging.config
import os
import re
import threading
from typing import Any

from core.idnumbers import mask_id_number

__all__ = ["MaskPII", "JsonFormatter", "configure_logging", "logging_config", "mask_text", "LIBRARY_LOGGERS"]

_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_CREDIT_CODE = re.compile(r"(?<![0-9A-Z])[0-9A-HJ-NP-RTUWXY]{2}\d{6}[0-9A-HJ-NP-RTUWXY]{10}(?![0-9A-Z])")
_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
#: Libraries' loggers given our handler outright rather than left to propagate to the root, so
#: a library or plugin that adds a handler of its own to the root cannot send them around the mask.
LIBRARY_LOGGERS = ("apscheduler", "py.warnings")


def mask_text(text: str) -> str:
    """Mask every resident ID number, credit code and mobile number in a piece of text."""
    text = _ID_NUMBER.sub(lambda m: mask_id_number(m.group()), text)
    text = _CREDIT_CODE.sub(lambda m: mask_id_number(m.group()), text)
    return _PHONE.sub(lambda m: m.group()[:3] + "****" + m.group()[-4:], text)


class MaskPII(logging.Filter):
    """Rewrites a record's message (arguments merged in) with personal numbers masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_text(record.getMessage())
        record.args = None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and any `extra` fields."""

    _STANDARD = set(vars(logging.LogRecord("x", 0, "x", 0, "x", None, None))) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in self._STANDARD and not key.startswith("_"):
                entry[key] = mask_text(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["exc"] = mask_text(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def log_level() -> str:
    """The level every command logs at (`XUEWEI_LOG_LEVEL`, default INFO)."""
    return os.environ.get("XUEWEI_LOG_LEVEL", "INFO").upper()


def logging_config(level: str = "INFO", *, access: bool = True) -> dict[str, Any]:
    """A dictConfig for our loggers and gunicorn's, all through the PII mask, as JSON lines.
    Without `access`, gunicorn's access lines go nowhere (given a logging config, gunicorn
    logs them in its own format, query strings and referrers included, even with no access log)."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "filters": ["pii"],
               "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"pii": {"()": MaskPII}},
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"stderr": handler},
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": ["stderr"], "propagate": False},
            "gunicorn.access": {"level": level if access else "CRITICAL", "handlers": ["stderr"] if access else [],
                                "propagate": False},
            **{name: {"level": level, "handlers": ["stderr"], "propagate": False} for name in LIBRARY_LOGGERS},
        },
    }


def _log_dead_thread(args: threading.ExceptHookArgs) -> None:
    """A thread's uncaught exception as one masked JSON line, not Python's plain-text traceback."""
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread is not None else "?"
    logging.getLogger("xuewei.threads").critical("thread %s died", name,
                                                 exc_info=(args.exc_type, args.exc_value, args.exc_traceback))


def configure_logging(level: str = "INFO") -> None:
    """Install the configuration in this process (the CLI does it; create_app does not), with
    warnings and dying threads logged through it."""
    logging.config.dictConfig(logging_config(level))
    logging.captureWarnings(True)
    threading.excepthook = _log_dead_thread
