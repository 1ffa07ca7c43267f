"""What is wrong with a ruleset, said with a JSON pointer and plain words."""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Problem", "RulesetError", "pointer_join"]


@dataclass(frozen=True)
class Problem:
    """One fault of a ruleset: where (RFC 6901 JSON pointer) and what, in plain words."""

    pointer: str
    message: str

    def __str__(self) -> str:
        return f"{self.pointer or '/'}: {self.message}"


class RulesetError(Exception):
    """A ruleset that cannot be used; `problems` lists every fault, most relevant first."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        head = str(self.problems[0]) if self.problems else "invalid ruleset"
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(head + more)


def pointer_join(base: str, *parts: object) -> str:
    """Append reference tokens to a JSON pointer, escaping '~' and '/' as RFC 6901 says."""
    out = base
    for part in parts:
        out += "/" + str(part).replace("~", "~0").replace("/", "~1")
    return out
