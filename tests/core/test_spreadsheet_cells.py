"""Text cells of the CSV files staff open in Excel never run as formulas; numbers stay numbers."""
from __future__ import annotations

import pytest

from core.spreadsheets import formula_safe


@pytest.mark.parametrize("typed, written", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+1", "'+1"), ("-1+2", "'-1+2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("李小明", "李小明"), ("a=b", "a=b"), ("", ""),
    (-3, -3), (2.5, 2.5), (None, None),
])
def test_formula_safe(typed, written):
    assert formula_safe(typed) == written
