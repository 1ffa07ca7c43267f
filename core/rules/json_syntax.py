"""A JSON syntax error shown where it is: the offending line with a marker under the column, and
the error's offset in the text as a browser's textarea counts it.

"Line 812, column 9" means little in a textarea without line numbers; the excerpt shows the line
itself and the editor's script puts the caret on the spot (web/static/admin.js).
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from json import JSONDecodeError

from core.rules.errors import Problem

__all__ = ["SyntaxProblem", "syntax_problem", "syntax_excerpt", "textarea_offset", "EXCERPT_WIDTH"]

#: Characters of a long line shown around the error (a minified file is a single line).
EXCERPT_WIDTH = 72
_CUT = "..."  # ASCII, so the marker lines up in any monospace font (an ellipsis may be wide in CJK fonts)


@dataclass(frozen=True)
class SyntaxProblem(Problem):
    """A problem that is a JSON syntax error: `offset` is where it is in the text (see
    `textarea_offset`), `excerpt` the offending line with a marker under the column."""

    offset: int = 0
    excerpt: str = ""


def syntax_problem(error: JSONDecodeError, message: str, zh: str) -> SyntaxProblem:
    """The problem of a syntax error, in the caller's words, with where it is in its text."""
    return SyntaxProblem("", message, zh, offset=textarea_offset(error.doc, error.pos),
                         excerpt=syntax_excerpt(error.doc, error.lineno, error.colno))


def textarea_offset(text: str, position: int) -> int:
    """The character offset `position` of Python's `text` as a textarea's script counts it: the
    browser turns every CR LF and lone CR into LF, and counts UTF-16 code units (a character
    outside the BMP is two)."""
    before = text[:position].replace("\r\n", "\n").replace("\r", "\n")
    return len(before.encode("utf-16-le")) // 2


def syntax_excerpt(text: str, lineno: int, colno: int) -> str:
    """The error's line, numbered, after the line before it (where a missing comma belongs), and a
    caret under column `colno` (1-based, as JSONDecodeError counts); a long line is cut to
    EXCERPT_WIDTH characters around the column, marked "..." where it is cut."""
    lines = text.split("\n")
    start = max(0, colno - 1 - EXCERPT_WIDTH // 2)
    width = len(str(lineno))
    shown = []
    for number in range(max(1, lineno - 1), lineno + 1):
        shown.append(f"{number:>{width}} | {_window(lines[number - 1], start)}")
    lead = (_CUT if start else "") + _clean(lines[lineno - 1])[start:colno - 1]
    shown.append(f"{'':>{width}} | {' ' * _display_width(lead)}^")
    return "\n".join(shown)


def _clean(line: str) -> str:
    return line.rstrip("\r").replace("\t", " ")  # a tab is one column here, as JSONDecodeError counts it


def _window(line: str, start: int) -> str:
    line, end = _clean(line), start + EXCERPT_WIDTH
    return (_CUT if start else "") + line[start:end] + (_CUT if len(line) > end else "")


def _display_width(text: str) -> int:
    """Columns `text` takes in a monospace font: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
