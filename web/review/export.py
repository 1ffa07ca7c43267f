"""The review queue as a CSV file for Excel: UTF-8 with a BOM, Chinese headers, one application a line."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from core.review import QueueRow
from web.i18n import local_time

__all__ = ["COLUMNS", "queue_csv_chunks", "tier_words"]

BOM = "\ufeff"  # without it Excel reads UTF-8 as the local code page and the Chinese is garbled
COLUMNS = ("报名序号", "学生姓名", "区县", "对口学校", "生源类别", "状态", "等待起始时间")
# A cell Excel would take as a formula (a family types the pupil's name): kept as text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def tier_words(tier: str | None) -> str:
    """A tier as the pages word it in Chinese (web/templates/_assessment.html's tier_text)."""
    if tier is None:
        return ""
    if tier == "coordinated":
        return "统筹安排"
    if tier == "undetermined":
        return "待人工审核"
    return f"第{tier}类"


def _cell(value: str | None) -> str:
    value = value or ""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _line(values: Iterable[str | None]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([_cell(v) for v in values])
    return buffer.getvalue()


def queue_csv_chunks(rows: Iterable[QueueRow]) -> Iterator[str]:
    """The file, a line at a time: the BOM and the headers, then each application."""
    yield BOM + _line(COLUMNS)
    for row in rows:
        yield _line((row.serial, row.pupil, row.district, row.school, tier_words(row.tier),
                     row.state_label.get("zh") or row.state, local_time(row.waiting_since)))
