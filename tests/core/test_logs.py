"""Logs carry no personal numbers (issue 8: structured logs without PII)."""
from __future__ import annotations

import io
import json
import logging

from core.logs import JsonFormatter, MaskPII, mask_text


def _logger(stream):
    logger = logging.getLogger("xuewei.test.logs")
    logger.handlers.clear()
    handler = logging.StreamHandler(stream)
    handler.addFilter(MaskPII())
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger


def test_id_numbers_in_messages_and_arguments_are_masked(id_number):
    stream = io.StringIO()
    pupil = id_number()
    _logger(stream).info("submitted for %s by guardian %s", pupil, "13912345678", extra={"who": pupil})
    line = json.loads(stream.getvalue())
    assert pupil not in stream.getvalue()
    assert line["msg"].startswith(f"submitted for {pupil[:3]}") and "139****5678" in line["msg"]
    assert line["who"] == pupil[:3] + "*" * 13 + pupil[-2:]
    assert line["level"] == "INFO" and line["logger"] == "xuewei.test.logs"


def test_access_log_urls_with_id_numbers_are_masked(id_number):
    pupil = id_number()
    masked = mask_text(f'127.0.0.1 "GET /api/v1/lookup?id={pupil} HTTP/1.1" 200')
    assert pupil not in masked and "?id=360" in masked


def test_credit_codes_are_masked_but_serials_and_hashes_are_not():
    text = "licence 91350100M000100Y43 serial 20213601020001233 sha " + "a" * 64
    masked = mask_text(text)
    assert "91350100M000100Y43" not in masked
    assert "20213601020001233" in masked and "a" * 64 in masked
