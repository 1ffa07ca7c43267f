"""Cells of the CSV files staff open in Excel: text that a spreadsheet would run as a formula.

A family types the pupil's name, an administrator imports school names: a cell starting with
"=", "+", "-", "@" (or a tab or carriage return before one) is run by Excel as a formula
(=HYPERLINK(…) sends whoever clicks it elsewhere). Every such CSV writes its text cells through
`formula_safe` (the review queue's download, the allocation's tables, the graduates database).
"""
from __future__ import annotations

__all__ = ["FORMULA_STARTS", "formula_safe"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(value: object) -> object:
    """A text cell that Excel would take as a formula, kept as text by a leading apostrophe
    ("=1+1" → "'=1+1"); anything else unchanged, numbers included (-3 stays a number)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
