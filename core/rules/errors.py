"""What is wrong with a ruleset, said with a JSON pointer and plain words in English and Chinese."""
from __future__ import annotations

from dataclasses import dataclass
from json import JSONDecodeError

__all__ = ["Problem", "RulesetError", "pointer_join", "json_error_zh"]

#: What Python's JSON parser says, in Chinese; a message not listed is shown as the parser words it.
JSON_ERRORS_ZH = {
    "Expecting value": "此处应当是一个值",
    "Expecting property name enclosed in double quotes": "此处应当是用双引号括起来的键名（最后一项后不能有逗号）",
    "Expecting ',' delimiter": "此处缺少逗号",
    "Expecting ':' delimiter": "此处缺少冒号",
    "Unterminated string starting at": "字符串没有结束（缺少右引号）",
    "Invalid control character at": "字符串中有不允许的控制字符（如未转义的换行）",
    "Invalid \\escape": "无效的转义序列",
    "Invalid \\uXXXX escape": "无效的 \\u 转义序列",
    "Extra data": "JSON 结束之后还有多余的内容",
}


@dataclass(frozen=True)
class Problem:
    """One fault of a ruleset: where (RFC 6901 JSON pointer) and what, in plain words.

    `message` is English: the command line, logs and `str()` speak it. `zh` says the same in
    Chinese for the city's administrators, who read it first in the web pages; names and values
    (operators, fact paths, ids) stay verbatim in both.
    """

    pointer: str
    message: str
    zh: str

    def __str__(self) -> str:
        return f"{self.pointer or '/'}: {self.message}"


class RulesetError(Exception):
    """A ruleset that cannot be used; `problems` lists every fault, most relevant first."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        head = str(self.problems[0]) if self.problems else "invalid ruleset"
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(head + more)


def json_error_zh(error: JSONDecodeError) -> str:
    """Where and what a JSON syntax error is, in Chinese: "第 2 行第 9 列：此处应当是一个值"."""
    return f"第 {error.lineno} 行第 {error.colno} 列：{JSON_ERRORS_ZH.get(error.msg, error.msg)}"


def pointer_join(base: str, *parts: object) -> str:
    """Append reference tokens to a JSON pointer, escaping '~' and '/' as RFC 6901 says."""
    out = base
    for part in parts:
        out += "/" + str(part).replace("~", "~0").replace("/", "~1")
    return out
