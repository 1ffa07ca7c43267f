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


LIBRARIES_SCRIPT = """
import sys, threading, warnings
from apscheduler.events import EVENT_JOB_ERROR
from apscheduler.schedulers.background import BackgroundScheduler
from core.logs import configure_logging

configure_logging("INFO")
pupil = sys.argv[1]

def job():
    raise ValueError(f"no school record for pupil {pupil}")

scheduler = BackgroundScheduler(timezone="UTC")
failed = threading.Event()
scheduler.add_listener(lambda event: failed.set(), EVENT_JOB_ERROR)
scheduler.add_job(job, id="failing-job", name="failing-job")
scheduler.start()
assert failed.wait(120)
scheduler.shutdown(wait=True)
warnings.warn(f"pupil {pupil} was looked up twice")

def die():
    raise RuntimeError(f"the heartbeat lost pupil {pupil}")

thread = threading.Thread(target=die, name="heartbeat-like")
thread.start()
thread.join()
"""


def test_the_schedulers_library_lines_are_json_without_personal_numbers(id_number):
    """APScheduler's loggers (a failed job's traceback included), Python's warnings and a dying
    thread's traceback, in a process configured as every `xuewei` command is: JSON lines, masked."""
    import subprocess
    import sys

    from core.paths import ROOT

    pupil = id_number()
    result = subprocess.run([sys.executable, "-c", LIBRARIES_SCRIPT, pupil], cwd=ROOT, capture_output=True,
                            text=True, timeout=240, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines()]  # every line is JSON
    assert pupil not in result.stderr
    masked = pupil[:3] + "*" * 13 + pupil[-2:]
    by_logger = {}
    for line in lines:
        by_logger.setdefault(line["logger"], []).append(line)
    assert {"apscheduler.scheduler", "apscheduler.executors.default", "py.warnings", "xuewei.threads"} <= set(by_logger)
    [failure] = [line for line in by_logger["apscheduler.executors.default"] if line["level"] == "ERROR"]
    assert failure["msg"].startswith('Job "failing-job') and f"no school record for pupil {masked}" in failure["exc"]
    assert f"pupil {masked} was looked up twice" in by_logger["py.warnings"][0]["msg"]
    [dead] = by_logger["xuewei.threads"]
    assert dead["msg"] == "thread heartbeat-like died" and f"the heartbeat lost pupil {masked}" in dead["exc"]
