"""Clause ids in the year's notice's own numbering, as the ruleset words them, for people.

Rulesets cite the policy notice by short ids (`§6-1` is tier row 一类 of part 六, `§6.1` the
three-year paragraph after the tiers). Side by side on a page, "§6-1" and "§6.1" are easily
confused, and neither is how the notice numbers itself; and each year's notice numbers its
paragraphs differently. So the wording is data: the ruleset's optional `clauses` object maps
each id to {"zh", "en"}, an administrator edits it with the rest of the year's policy, and
pages word a clause by the ruleset the explanation was made with. The ids stay in the data and
in machine output (`xuewei classify --explain`, the API, stored seat reasons and exports).
"""
from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from core.rules.errors import Problem, pointer_join

__all__ = ["CLAUSE_ID", "FIXED_TEXT_CLAUSES", "clause_text", "clauses_in", "cited_clauses", "clause_warnings"]

#: A clause id as schemas/ruleset.schema.json allows it (`$defs/clause`), found inside a text.
CLAUSE_ID = re.compile(r"§[0-9]+(?:\.[0-9]+)*(?:-[0-9a-z]+)?")

#: Clause ids the program's own fixed texts cite, not the ruleset: seat reasons
#: (core/allocation/reasons.py), the reason of a pupil no tier row fits (core/rules/ruleset.py),
#: the locked lists page (§4.1) and the reviewer's note on the school's district (§2.2). A
#: ruleset words them like its own citations.
FIXED_TEXT_CLAUSES = ("§2.2", "§3.5", "§4.1", "§6", "§6.1")


def clause_text(clauses: Mapping[str, Mapping[str, str]] | None, clause: str | None, lang: str = "zh") -> str:
    """A clause id as the ruleset's `clauses` words it in `lang` ("zh" or "en"); an id it does
    not word (an older ruleset, a typing slip) is shown as it is, never hidden."""
    if not clause:
        return ""
    words = (clauses or {}).get(clause)
    return clause if not words else words.get(lang) or words.get("zh") or clause


def clauses_in(clauses: Mapping[str, Mapping[str, str]] | None, text: str | None, lang: str = "zh") -> str:
    """A stored text (a seat's reason) with each clause id in it worded: the text keeps its ids,
    only what a person reads changes."""
    return CLAUSE_ID.sub(lambda match: clause_text(clauses, match[0], lang), text or "")


def _citations(node: Any, pointer: str) -> Iterator[tuple[str, str]]:
    """(id, pointer) of every `clause` under a node, in document order (read_document has
    bounded the nesting)."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            at = pointer_join(pointer, key)
            if key == "clause" and isinstance(value, str):
                yield value, at
            else:
                yield from _citations(value, at)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _citations(value, pointer_join(pointer, i))


def cited_clauses(document: Mapping[str, Any]) -> dict[str, list[str]]:
    """Each clause id the ruleset cites where pages show it, with the pointers citing it. The
    embedded tests are left out: they cite clauses for their authors, no page shows them."""
    cited: dict[str, list[str]] = {}
    for key, part in document.items():
        if key not in ("clauses", "tests"):
            for clause, pointer in _citations(part, pointer_join("", key)):
                cited.setdefault(clause, []).append(pointer)
    return cited


def clause_warnings(document: Mapping[str, Any]) -> list[Problem]:
    """A cited clause with no wording (pages show its id) and a wording nothing cites (a slip,
    or a clause of last year's notice): warnings, since neither changes a decision."""
    worded = document.get("clauses", {})
    cited = cited_clauses(document)
    warnings = []
    for clause, pointers in cited.items():
        if clause not in worded:
            more = len(pointers) - 1
            others, others_zh = (f" (and {more} more places)", f"（另有 {more} 处）") if more else ("", "")
            warnings.append(Problem(pointers[0], f"clause {clause} is cited here{others} but /clauses does not word it: "
                                                 "pages show the id as it is",
                                    zh=f"此处{others_zh}引用的条款 {clause} 在 /clauses 中没有对应的文字："
                                       "页面上将直接显示编号"))
    for clause in FIXED_TEXT_CLAUSES:
        if clause not in worded and clause not in cited:
            warnings.append(Problem("/clauses", f"clause {clause}, cited by the program's own texts (seat reasons, "
                                                "list and review pages), has no wording: pages show the id as it is",
                                    zh=f"程序自带的说明文字（学位分配原因、名单和审核页面）引用的条款 {clause} 在此没有对应的文字："
                                       "页面上将直接显示编号"))
    for clause in worded:
        if clause not in cited and clause not in FIXED_TEXT_CLAUSES:
            warnings.append(Problem(pointer_join("/clauses", clause), f"the wording of clause {clause} is cited nowhere "
                                                                      "in the ruleset: a typing slip, or a clause "
                                                                      "the policy no longer has?",
                                    zh=f"条款 {clause} 的文字在规则中没有任何地方引用：是否输入有误，或是政策已不再有该条款？"))
    return warnings
