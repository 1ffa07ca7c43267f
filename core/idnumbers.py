"""Identity numbers: resident ID numbers (GB 11643) and unified social credit codes (GB 32100).

A number a guardian types is refused with a message that says what is wrong. A number that a
government data source itself returned is never silently dropped: callers record the failed
check as a flag for a reviewer (`IdCheck.ok` is False, `IdCheck.problems` says why).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

__all__ = [
    "age_on",
    "IdCheck", "resident_id_check_char", "check_resident_id", "check_pupil_id",
    "credit_code_check_char", "check_credit_code", "mask_id_number", "CREDIT_CODE_ALPHABET",
]

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"  # index: weighted sum mod 11
_ID_SHAPE = re.compile(r"^[1-9]\d{16}[\dX]$")

CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_SHAPE = re.compile(rf"^[{CREDIT_CODE_ALPHABET}]{{2}}\d{{6}}[{CREDIT_CODE_ALPHABET}]{{10}}$")

# A grade-6 graduate is normally 11 or 12 on 31 August; allow for early, late and repeat years.
PUPIL_AGE_RANGE = (10, 15)


@dataclass(frozen=True)
class IdCheck:
    """The outcome of checking one number; `problems` holds zh/en messages."""

    number: str
    ok: bool
    problems: tuple[dict[str, str], ...] = field(default_factory=tuple)
    birth_date: date | None = None

    @property
    def message(self) -> str:
        """All problems as one readable line, Chinese first."""
        return "；".join(f"{p['zh']} ({p['en']})" for p in self.problems)


def _problem(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


def resident_id_check_char(first17: str) -> str:
    """The MOD 11-2 check character for the first 17 digits of a resident ID number."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def _birth_date(number: str) -> date | None:
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def check_resident_id(number: str) -> IdCheck:
    """Check shape, birth date and check character of an 18-character resident ID number."""
    number = (number or "").strip().upper()
    if not _ID_SHAPE.match(number):
        return IdCheck(number, False, (_problem(
            "身份证号应为18位：前17位为数字，最后一位为数字或X",
            "an ID number has 18 characters: 17 digits, then a digit or X"),))
    problems = []
    born = _birth_date(number)
    if born is None:
        problems.append(_problem("身份证号中的出生日期不存在", "the birth date in the ID number does not exist"))
    if resident_id_check_char(number[:17]) != number[17]:
        problems.append(_problem("身份证号校验位错误，请核对", "the ID number's check character is wrong"))
    return IdCheck(number, not problems, tuple(problems), born)


def age_on(born: date, day: date) -> int:
    """Whole years of age on `day` of someone born on `born`."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def check_pupil_id(number: str, season_year: int) -> IdCheck:
    """A resident ID check plus a plausible age for a pupil finishing grade 6 in `season_year`."""
    result = check_resident_id(number)
    if result.birth_date is None:
        return result
    age = age_on(result.birth_date, date(season_year, 8, 31))
    low, high = PUPIL_AGE_RANGE
    if low <= age <= high:
        return result
    problem = _problem(
        f"按身份证号计算，学生{season_year}年8月31日年龄为{age}岁，不符合小学毕业生年龄",
        f"the pupil would be {age} on 31 August {season_year}, not a grade-6 age ({low}–{high})")
    return IdCheck(result.number, False, result.problems + (problem,), result.birth_date)


def credit_code_check_char(first17: str) -> str:
    """The MOD 31 check character of a unified social credit code's first 17 characters."""
    total = sum(CREDIT_CODE_ALPHABET.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def check_credit_code(code: str) -> IdCheck:
    """Check shape and check character of an 18-character unified social credit code."""
    code = (code or "").strip().upper()
    if not _CREDIT_SHAPE.match(code):
        return IdCheck(code, False, (_problem(
            "统一社会信用代码应为18位（不含I、O、S、V、Z），第3至8位为行政区划代码",
            "a unified social credit code has 18 characters (no I, O, S, V, Z), "
            "characters 3-8 being a division code"),))
    if credit_code_check_char(code[:17]) != code[17]:
        return IdCheck(code, False, (_problem(
            "统一社会信用代码校验位错误", "the credit code's check character is wrong"),))
    return IdCheck(code, True)


def mask_id_number(number: str | None, *, first: int = 3, last: int = 2) -> str:
    """Hide an ID number for logs and lists: the first 3 and last 2 characters stay. Pages that
    show a family's people keep the last 4 only (first=0, last=4): enough to tell the father
    from the pupil and to match the paper in front of a reviewer, too little to copy."""
    if not number:
        return ""
    if len(number) <= first + last:
        return "*" * len(number)
    return number[:first] + "*" * (len(number) - first - last) + number[len(number) - last:]
