"""The review queue as a CSV file for Excel: UTF-8 with a BOM, Chinese headers, one application a line."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from core.review import QueueRow
from core.spreadsheets import formula_safe
from web.i18n import local_time, tier_label

__all__ = ["COLUMNS", "queue_csv_chunks"]

BOM = "\ufeff"  # without it Excel reads UTF-8 as the local code page and the Chinese is garbled
COLUMNS = ("报名序号", "学生姓名", "区县", "对口学校", "生源类别", "状态", "等待起始时间")


def _line(values: Iterable[str | None]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([formula_safe(v or "") for v in values])
    return buffer.getvalue()


def queue_csv_chunks(rows: Iterable[QueueRow]) -> Iterator[str]:
    """The file, a line at a time: the BOM and the headers, then each application, worded in
    Chinese as the queue page words it (tiers by web.i18n.tier_label, states by the ruleset)."""
    yield BOM + _line(COLUMNS)
    for row in rows:
        tier = tier_label(row.tier)["zh"] if row.assessed else ""
        yield _line((row.serial, row.pupil, row.district, row.school, tier,
                     row.state_label.get("zh") or row.state, local_time(row.waiting_since)))
