"""A JSON syntax error is shown by its line with a marker under the column, and its offset is
counted the way the editor's textarea counts (core.rules.json_syntax)."""
from __future__ import annotations

import json

import pytest

from core.rules.json_syntax import EXCERPT_WIDTH, SyntaxProblem, syntax_excerpt, textarea_offset
from core.ruleset_editor import parse_json


def _error(text: str) -> json.JSONDecodeError:
    with pytest.raises(json.JSONDecodeError) as caught:
        json.loads(text)
    return caught.value


def _marked(excerpt: str) -> tuple[str, int]:
    """The excerpt's offending line (numbered) and the column its marker stands under."""
    *_, line, marker = excerpt.split("\n")
    return line, marker.index("^")


def test_a_missing_comma_shows_the_line_before_and_the_offending_line_with_a_marker_under_the_column():
    text = '{\n  "meta": {\n    "id": "nanchang-2021"\n    "year": 2021\n  }\n}'
    error = _error(text)
    excerpt = syntax_excerpt(text, error.lineno, error.colno)
    assert excerpt.split("\n") == ['3 |     "id": "nanchang-2021"', '4 |     "year": 2021', '  |     ^']


def test_the_marker_stands_under_the_character_the_parser_stopped_at():
    text = '{"a": 1,\n "b": tru}'
    error = _error(text)
    line, column = _marked(syntax_excerpt(text, error.lineno, error.colno))
    assert line[column:].startswith("tru}")


def test_a_long_line_is_cut_around_the_error_and_the_marker_follows_the_cut():
    document = {f"key{i}": i for i in range(400)}
    text = json.dumps(document).replace('"key300": 300', '"key300" 300')  # a minified file: one line
    error = _error(text)
    excerpt = syntax_excerpt(text, error.lineno, error.colno)
    line, column = _marked(excerpt)
    assert len(line) <= len("1 | ") + EXCERPT_WIDTH + 6  # cut, with "..." either side
    assert line.startswith("1 | ...") and line.endswith("...")
    assert line[column:].startswith("300,") and '"key300" ' in line


def test_the_marker_counts_a_chinese_character_as_two_columns():
    text = '{"title": "南昌市小升初" "x": 1}'
    error = _error(text)
    *_, line, marker = syntax_excerpt(text, error.lineno, error.colno).split("\n")
    before = line[: line.index('"x"')]
    assert marker.index("^") == len(before) + sum(1 for c in before if "\u4e00" <= c <= "\u9fff")


def test_the_offset_is_counted_as_a_textarea_counts_line_breaks_and_characters_beyond_the_bmp():
    text = '{"a": "😀",\r\n "b": }'
    error = _error(text)
    assert textarea_offset(text, error.pos) == len('{"a": "😀",\n "b": ') + 1  # CR LF is one, the emoji two


def test_the_editor_parse_gives_the_excerpt_and_offset_with_the_chinese_message():
    (problem,) = parse_json('{\n  "id": }', "the JSON of the rest", "“其余部分”的内容")[1]
    assert isinstance(problem, SyntaxProblem)
    assert problem.zh == "“其余部分”的内容不是有效的 JSON：第 2 行第 9 列：此处应当是一个值"
    assert problem.offset == len('{\n  "id": ') and problem.excerpt.endswith('2 |   "id": }\n  |         ^')
