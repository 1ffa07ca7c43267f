"""Clause ids in the notice's own numbering, for the people who read them.

Rulesets cite the policy notice by short ids (`§6-1` is tier row 一类 of section 六, `§6.1` the
three-year paragraph of the same section: /work/shared/policy/DIGEST.md maps them). Side by
side on a page, "§6-1" and "§6.1" are easily confused, and neither is how the notice numbers
itself (六、学区生源类别 · 一类 …; items 1. 2., sub-items （1）). The ids stay in the data and in
machine output (`xuewei classify --explain`, the API); pages show them through `clause_text`.
"""
from __future__ import annotations

__all__ = ["CLAUSES", "clause_text"]

_SECTIONS = "一二三四五六七八"
_TIERS = "一二三四五六七"

#: Every clause id of the 2021 notice (洪考院中字〔2021〕14号) as its own numbering reads: section
#: 一、… 八、 ("第六条"), item 1. 2. ("第2项"), sub-item （1）, and in section 六 the tier
#: paragraphs 一类 … 七类 (四类 has two paragraphs) and the unnumbered paragraphs after them.
CLAUSES: dict[str, dict[str, str]] = {
    **{f"§{n}": {"zh": f"第{_SECTIONS[n - 1]}条", "en": f"section {n}"} for n in range(1, 9)},
    **{f"§{n}.{i}": {"zh": f"第{_SECTIONS[n - 1]}条第{i}项", "en": f"section {n}, item {i}"}
       for n, items in ((1, 2), (2, 2), (3, 2), (4, 2), (8, 2)) for i in range(1, items + 1)},
    "§3.3": {"zh": "第三条第2项末段", "en": "section 3, item 2, last paragraph"},
    "§3.4": {"zh": "第三条第3项（1）", "en": "section 3, item 3 (1)"},
    "§3.5": {"zh": "第三条第3项（2）", "en": "section 3, item 3 (2)"},
    "§4.3": {"zh": "第四条第2项（3）", "en": "section 4, item 2 (3)"},
    **{f"§6-{n}": {"zh": f"第六条 {_TIERS[n - 1]}类", "en": f"section 6, tier {n}"} for n in (1, 2, 3, 5, 6, 7)},
    "§6-4a": {"zh": "第六条 四类第一段", "en": "section 6, tier 4, first paragraph"},
    "§6-4b": {"zh": "第六条 四类第二段", "en": "section 6, tier 4, second paragraph"},
    "§6.1": {"zh": "第六条第十段", "en": "section 6, paragraph 10"},
    "§6.2": {"zh": "第六条第十一段", "en": "section 6, paragraph 11"},
    "§6.3": {"zh": "第六条第十二段", "en": "section 6, paragraph 12"},
}


def clause_text(clause: str | None, lang: str = "zh") -> str:
    """A clause id as the notice numbers it, in `lang` ("zh" or "en"); an id it does not know
    (a later year's new clause, a typing slip) is shown as it is, never hidden."""
    if not clause:
        return ""
    words = CLAUSES.get(clause)
    return clause if words is None else words.get(lang, words["zh"])
