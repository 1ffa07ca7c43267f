"""Importing a season's schools, capacities and catchments (学区) from CSV, row by row.

An import is all or nothing: every line is checked first and each problem is reported with
its line number and column, in Chinese and English, as a district office needs to fix its
spreadsheet; only a file without problems changes the database, in one write transaction, with
one audit event.
Schools and capacities files update the rows they name. A catchments file is the whole city's
catchments and replaces the season's as one (the catchment index is built, and its version
counted, from the whole set): a file that would leave schools without the catchment they have
is refused unless the import is confirmed as a replacement (`replace=True`).
Catchment files follow schemas/catchments.md, in CSV or in JSON (told apart by their first
character), and are read and checked by `core.rules.catchments` (`parse_catchments_csv`,
`catchment_problems`); a JSON file's problems are named by JSON pointer instead of line.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from core.audit import append_event
from core.canonical import sha256_hex
from core.models import Catchment, School, Season
from core.portal import season_districts
from core.rules.catchments import CSV_COLUMNS as CATCHMENT_COLUMNS, catchment_problems, parse_catchments_csv
from core.rules.errors import Problem, json_error_zh
from core.workflow import Actor

__all__ = [
    "RowProblem", "ImportFailed", "ImportResult", "SCHOOL_COLUMNS", "CAPACITY_COLUMNS",
    "import_schools", "import_capacities", "import_catchments", "decode_csv", "IMPORTERS", "summary",
    "list_entries", "locked_lists", "unknown_middle_school", "FIRST_DATA_LINE", "import_file",
]

SCHOOL_COLUMNS = ("code", "name", "stage", "kind", "district", "coordinating_district", "school_group",
                  "in_urban_area", "capacity", "x", "y")
REQUIRED_SCHOOL_COLUMNS = ("code", "name", "stage", "district")
CAPACITY_COLUMNS = ("code", "capacity")
STAGES = ("primary", "middle")
STAGES_ZH = {"primary": "小学", "middle": "初中"}
KINDS = ("public", "province_run", "private")
TRUE, FALSE = ("1", "true", "yes", "是"), ("0", "false", "no", "否")
CODE_EMPTY = ("the school code is empty", "未填写学校代码")


FIRST_DATA_LINE = 2  # line 1 of every import file is its header: a row is named by its line in the file
SHOWN_PROBLEMS = 100  # a page lists this many problems of a refused file and counts the rest
NAMED_REMOVALS = 10  # a refused catchments file names this many of the schools it would leave without one


@dataclass(frozen=True)
class RowProblem:
    """One fault of an import file: the line (1 is the header), the column, what is wrong (English
    `message`, Chinese `zh`). A JSON file's problem has no line but the JSON `pointer` of the
    value at fault ("" for the whole document); a problem with neither is about the whole file."""

    line: int | None
    column: str | None
    message: str
    zh: str
    pointer: str | None = None

    @property
    def where(self) -> str:
        """The line or, in a JSON file, the JSON pointer ("/" for the whole document)."""
        return str(self.line) if self.line is not None else (self.pointer or "/") if self.pointer is not None else ""

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line is not None else self.where or "the file"
        return where + (f", {self.column}" if self.column else "") + f": {self.message}"

    def in_chinese(self) -> str:
        """The problem as `str()` says it, in Chinese: "第 5 行，capacity 列：…"."""
        where = f"第 {self.line} 行" if self.line is not None else self.where or "文件"
        return where + (f"，{self.column} 列" if self.column else "") + f"：{self.zh}"


class ImportFailed(Exception):
    """The file was refused; nothing was imported. `problems` lists every faulty row, by line;
    `shown` the first SHOWN_PROBLEMS of them for a page, `unshown` how many more there are."""

    def __init__(self, problems: list[RowProblem]):
        self.problems = sorted(problems, key=lambda p: p.line or 0)
        super().__init__("; ".join(map(str, self.problems[:5])) + (" …" if len(problems) > 5 else ""))
        self.zh = "；".join(p.in_chinese() for p in self.problems[:5]) + (" …" if len(problems) > 5 else "")

    @property
    def shown(self) -> list[RowProblem]:
        return self.problems[:SHOWN_PROBLEMS]

    @property
    def unshown(self) -> int:
        return max(0, len(self.problems) - SHOWN_PROBLEMS)


#: What an accepted import says it changed, per kind, in Chinese and English (created, updated, removed).
RESULT_WORDS = {
    "schools": ("导入成功：新增 {created} 所学校，更新 {updated} 所", "imported: {created} schools created, {updated} updated"),
    "capacities": ("导入成功：更新 {updated} 所学校的学位数", "imported: the capacities of {updated} schools set"),
    "catchments": ("导入成功：本年度学区划分已整体替换，新增 {created} 所学校的学区，更新 {updated} 所，删除 {removed} 所",
                   "imported: this season's catchments replaced as a whole, {created} schools' catchments created, "
                   "{updated} updated, {removed} removed"),
}


@dataclass(frozen=True)
class ImportResult:
    """What an accepted import changed: rows created and updated, and (catchments only, the
    file replacing them all) the schools whose catchment the file removed."""

    kind: str
    created: int
    updated: int
    removed: int = 0

    @property
    def rows(self) -> int:
        return self.created + self.updated

    @property
    def zh(self) -> str:
        """The import page's and the command line's report of the change, in Chinese."""
        return RESULT_WORDS[self.kind][0].format(**vars(self))

    @property
    def message(self) -> str:
        """The same report in English."""
        return RESULT_WORDS[self.kind][1].format(**vars(self))


def decode_csv(data: bytes) -> str:
    """The text of an uploaded CSV: UTF-8 (with or without BOM); refuse anything else plainly."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFailed([RowProblem(1, None, "the file is not UTF-8 text (save the spreadsheet as CSV UTF-8)",
                                       "文件不是 UTF-8 文本（请把表格另存为“CSV UTF-8”）")]) from exc


def _header(reader: csv.DictReader, required: Iterable[str]) -> None:
    """Refuse a file whose header lacks a required column: no line can be read without it."""
    missing = ", ".join(c for c in required if c not in (reader.fieldnames or ()))
    if missing:
        raise ImportFailed([RowProblem(1, None, f"the header lacks column(s): {missing}", f"首行缺少列：{missing}")])


def _some(rows: list) -> list:
    """Refuse a file with a header and nothing under it."""
    if not rows:
        raise ImportFailed([RowProblem(1, None, "the file has a header but no rows", "文件只有首行，没有数据行")])
    return rows


def _cells_unlike_header(line: int, row: Mapping[str | None, Any], header: list[str]) -> RowProblem | None:
    """A line with fewer cells than the header has columns, or with filled cells past them.

    A short line is a broken row, not one whose last cells are empty: a spreadsheet writes an
    empty cell as `,,` (a whole-district catchment rule still has its five empty cells). Cells no
    column names would be dropped unread; empty ones are a spreadsheet's stray commas and harmless.
    """
    missing = [column for column in header if row.get(column) is None]
    if missing:
        names = ", ".join(missing)
        return RowProblem(line, names, f"the line has {len(header) - len(missing)} of the header's {len(header)} "
                          f"columns; missing: {names}",
                          f"本行只有 {len(header) - len(missing)} 列，首行有 {len(header)} 列；缺少：{names}")
    extra = [cell for cell in row.get(None) or () if cell.strip()]
    if extra:
        return RowProblem(line, None, f"the line has {len(extra)} filled cell(s) beyond the header's {len(header)} "
                          f"columns: {', '.join(extra)}",
                          f"本行在首行的 {len(header)} 列之外还有 {len(extra)} 个填了内容的单元格：{'、'.join(extra)}")
    return None


def _rows(text: str, required: Iterable[str], problems: list[RowProblem]) -> list[tuple[int, dict[str, str]]]:
    """The data lines of a CSV with their line numbers, trimmed; a line whose cells do not match
    the header is reported in `problems` and left out, so that it is reported once."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    _header(reader, required)
    rows = []
    for line, row in enumerate(_some(list(reader)), start=FIRST_DATA_LINE):
        problem = _cells_unlike_header(line, row, list(reader.fieldnames))
        if problem is None:
            rows.append((line, {k: (v or "").strip() for k, v in row.items() if k is not None}))
        else:
            problems.append(problem)
    return rows


def _empty(line: int, column: str) -> RowProblem:
    return RowProblem(line, column, "is empty", "未填写")


def _not_one_of(line: int, column: str, value: str, allowed: Iterable[str]) -> RowProblem:
    words = ", ".join(allowed)
    return RowProblem(line, column, f"{value!r} is not one of {words}", f"{value!r} 不是可选值之一（{words}）")


def _unknown_school(line: int, code: str) -> RowProblem:
    """A line naming no school of the season, or none at all: an empty code is a blank cell to
    fill in, not a school to import first."""
    if not code:
        return RowProblem(line, "code", *CODE_EMPTY)
    return RowProblem(line, "code", f"no school {code!r} in this season; import the schools first",
                      f"本季没有学校 {code!r}；请先导入学校")


def _twice(line: int, code: str) -> RowProblem:
    return RowProblem(line, "code", f"school {code!r} appears twice in the file", f"学校 {code!r} 在文件中出现了两次")


def _number(row: Mapping[str, str], column: str, line: int, problems: list[RowProblem],
            convert: Callable[[str], Any], default: Any = None, minimum: float | None = None) -> Any:
    text = row.get(column, "")
    if not text:
        return default
    try:
        value = convert(text)
    except ValueError:
        problems.append(RowProblem(line, column, f"{text!r} is not a {'whole ' if convert is int else ''}number",
                                   f"{text!r} 不是{'整数' if convert is int else '数字'}"))
        return default
    if minimum is not None and value < minimum:
        problems.append(RowProblem(line, column, f"{value} is below {minimum}", f"{value} 小于 {minimum}"))
    return value


def _not_a_district(name: str) -> tuple[str, str]:
    """A district name the season's ruleset does not have, in English and Chinese: misspelled, it
    would put a school in no district's window and make a catchment rule match no address."""
    return f"{name!r} is not a district of the season's ruleset", f"{name!r} 不是本季规则中的区县"


def _school_fields(line: int, row: Mapping[str, str], districts: set[str], problems: list[RowProblem]) -> dict[str, Any]:
    before = len(problems)
    for column in REQUIRED_SCHOOL_COLUMNS:
        if not row.get(column):
            problems.append(_empty(line, column))
    if row.get("stage") and row["stage"] not in STAGES:
        problems.append(_not_one_of(line, "stage", row["stage"], STAGES))
    kind = row.get("kind") or "public"
    if kind not in KINDS:
        problems.append(_not_one_of(line, "kind", kind, KINDS))
    for column in ("district", "coordinating_district"):
        if row.get(column) and districts and row[column] not in districts:
            problems.append(RowProblem(line, column, *_not_a_district(row[column])))
    urban = (row.get("in_urban_area") or "1").lower()
    if urban not in TRUE + FALSE:
        problems.append(RowProblem(line, "in_urban_area", f"{urban!r} is neither 1 nor 0", f"{urban!r} 既不是 1 也不是 0"))
    fields = {
        "code": row.get("code", ""), "name": row.get("name", ""), "stage": row.get("stage", ""), "kind": kind,
        "district": row.get("district", ""), "coordinating_district": row.get("coordinating_district") or None,
        "school_group": row.get("school_group") or None, "in_urban_area": urban in TRUE,
        "capacity": _number(row, "capacity", line, problems, int, 0, minimum=0),
        "x": _number(row, "x", line, problems, float), "y": _number(row, "y", line, problems, float),
    }
    return fields if len(problems) == before else {}


def _audit(session: Session, season: Season, actor: Actor, result: ImportResult, filename: str | None,
           sha256: str | None, text: str) -> None:
    """One event per accepted file: what it changed, and which file it was (its name and sha256,
    of the bytes uploaded when given, else of the text), so the file can be matched afterwards."""
    append_event(session, actor=actor.name, actor_role=str(actor.role), subject_type="season", subject_id=season.year,
                 action=f"{result.kind}_imported",
                 data={"created": result.created, "updated": result.updated, "removed": result.removed,
                       "file": filename, "sha256": sha256 or sha256_hex(text)})


def import_schools(session: Session, season: Season, text: str, *, actor: Actor, districts: Iterable[str] = (),
                   filename: str | None = None, sha256: str | None = None) -> ImportResult:
    """Create or update the season's schools from CSV (`SCHOOL_COLUMNS`; code, name, stage, district required)."""
    known = set(districts)
    problems: list[RowProblem] = []
    parsed: dict[str, dict[str, Any]] = {}
    for line, row in _rows(text, REQUIRED_SCHOOL_COLUMNS, problems):
        fields = _school_fields(line, row, known, problems)
        if fields and fields["code"] in parsed:
            problems.append(_twice(line, fields["code"]))
        elif fields:
            parsed[fields["code"]] = fields
    if problems:
        raise ImportFailed(problems)
    existing = {s.code: s for s in session.exec(select(School).where(School.season_id == season.id))}
    created = updated = 0
    for code, fields in parsed.items():
        school = existing.get(code)
        if school is None:
            school = School(season_id=season.id, **fields)
            created += 1
        else:
            for key, value in fields.items():
                setattr(school, key, value)
            updated += 1
        session.add(school)
    session.flush()
    result = ImportResult("schools", created, updated)
    _audit(session, season, actor, result, filename, sha256, text)
    return result


def import_capacities(session: Session, season: Season, text: str, *, actor: Actor,
                      filename: str | None = None, sha256: str | None = None) -> ImportResult:
    """Set middle schools' public capacities from CSV (`code,capacity`); every code must exist."""
    schools = {s.code: s for s in session.exec(select(School).where(School.season_id == season.id))}
    problems: list[RowProblem] = []
    changes: dict[str, int] = {}
    for line, row in _rows(text, CAPACITY_COLUMNS, problems):
        school = schools.get(row["code"])
        if school is None:
            problems.append(_unknown_school(line, row["code"]))
            continue
        if school.stage != "middle":
            problems.append(RowProblem(line, "code", f"{school.name} is a {school.stage} school; only middle schools take pupils",
                                       f"{school.name} 是{STAGES_ZH.get(school.stage, school.stage)}；只有初中招收学生"))
        capacity = _number(row, "capacity", line, problems, int, None, minimum=0)
        if capacity is None and row.get("capacity", "") == "":
            problems.append(_empty(line, "capacity"))
        if row["code"] in changes:
            problems.append(_twice(line, row["code"]))
        if capacity is not None:
            changes[row["code"]] = capacity
    if problems:
        raise ImportFailed(problems)
    for code, capacity in changes.items():
        schools[code].capacity = capacity
        session.add(schools[code])
    session.flush()
    result = ImportResult("capacities", 0, len(changes))
    _audit(session, season, actor, result, filename, sha256, text)
    return result


def _catchment_problem(problem: Problem, lines: dict[tuple[int, int], int]) -> RowProblem:
    """A `Problem` of the catchment loader, at the CSV line and column it came from."""
    pointer = problem.pointer
    if pointer.startswith("line "):
        return RowProblem(int(pointer.split()[1]), None, problem.message, problem.zh)
    parts = pointer.strip("/").split("/")
    if len(parts) >= 3 and parts[1] == "rules" and parts[0].isdigit() and parts[2].isdigit():
        column = {"numbers": "from/to/parity"}.get(parts[3], parts[3]) if len(parts) > 3 else None
        return RowProblem(lines.get((int(parts[0]), int(parts[2])), 1), column, problem.message, problem.zh)
    if parts and parts[0].isdigit():
        first = lines.get((int(parts[0]), 0), 1)
        return RowProblem(first, parts[1] if len(parts) > 1 else None, problem.message, problem.zh)
    return RowProblem(1, None, problem.message, problem.zh)


def _no_middle_school(code: str) -> tuple[str, str]:
    """A school id the season has no middle school for, in English and Chinese."""
    return f"no middle school {code!r} in this season; import the schools first", f"本季没有初中 {code!r}；请先导入学校"


def unknown_middle_school(line: int, code: str) -> RowProblem:
    """A line naming a school id the season has no middle school for (catchments, lists)."""
    return RowProblem(line, "school_id", *_no_middle_school(code))


def _school_ids(data: list) -> list[str]:
    """The school ids catchments in the JSON form name, passing over what the schema refuses anyway."""
    return [c["school_id"] for c in data if isinstance(c, dict) and isinstance(c.get("school_id"), str)]


def _unknown_schools(data: Any, schools: Mapping[str, School]) -> list[Problem]:
    """Catchments of a school id the season has no middle school for."""
    return [Problem(f"/{i}/school_id", *_no_middle_school(c["school_id"])) for i, c in enumerate(data)
            if isinstance(c, dict) and isinstance(c.get("school_id"), str) and c["school_id"]
            and (schools.get(c["school_id"]) is None or schools[c["school_id"]].stage != "middle")] \
        if isinstance(data, list) else []


def _plain_problems(data: Any) -> list[Problem]:
    """Faults a spreadsheet makes, said plainly: an empty school code or district, a rule with
    both a street and a compound, house numbers without a street. The schema would say them as
    "None is not of type 'string'" or with a rule's Python form."""
    if not isinstance(data, list):
        return []
    found = []
    for i, catchment in enumerate(data):
        if not isinstance(catchment, dict):
            continue
        if "school_id" in catchment and catchment["school_id"] in (None, ""):  # a missing key: the schema says it
            found.append(Problem(f"/{i}/school_id", *CODE_EMPTY))
        rules = catchment.get("rules")
        for j, rule in enumerate(rules if isinstance(rules, list) else ()):
            if not isinstance(rule, dict):
                continue
            if not rule.get("district"):
                found.append(Problem(f"/{i}/rules/{j}/district", "the district is empty", "未填写区县"))
            if rule.get("street") and rule.get("compound"):
                found.append(Problem(f"/{i}/rules/{j}", "a rule names a street or a compound, not both: "
                                     "make them two rules (two lines of a CSV)",
                                     "一条规则只能写街道（street）或小区（compound）之一，不能两者都写；请分成两条规则（CSV 中为两行）"))
            if "numbers" in rule and not rule.get("street"):
                found.append(Problem(f"/{i}/rules/{j}", "house numbers (from/to/parity) need a street",
                                     "门牌号范围（from/to/parity）须与街道（street）一起填写"))
    return found


def _plainly(data: Any, found: list[Problem]) -> list[Problem]:
    """The problems of catchments, with `_plain_problems` in place of the schema's words for the
    same value."""
    plain = _plain_problems(data)
    said = {p.pointer for p in plain}
    return plain + [p for p in found if p.pointer not in said]


def _unknown_districts(data: Any, districts: set[str]) -> list[Problem]:
    """The districts of catchments (in the JSON form) that the season does not have, where they
    are written; parts the schema refuses anyway are passed over."""
    if not districts or not isinstance(data, list):
        return []
    places = []
    for i, catchment in enumerate(data):
        if not isinstance(catchment, dict):
            continue
        places.append((f"/{i}/district", catchment.get("district")))
        rules = catchment.get("rules")
        places += [(f"/{i}/rules/{j}/district", rule.get("district"))
                   for j, rule in enumerate(rules if isinstance(rules, list) else ()) if isinstance(rule, dict)]
    return [Problem(pointer, *_not_a_district(name)) for pointer, name in places
            if isinstance(name, str) and name and name not in districts]


Locate = Callable[[list[Problem]], list[RowProblem]]


def _csv_catchments(text: str) -> tuple[list[dict[str, Any]], list[RowProblem], Locate]:
    """A catchments CSV in the JSON form, the problems of reading it, and how to name a problem of
    the JSON form by CSV line (one on a line already reported as broken is not said again).

    A line without a school code is reported here, each one: the JSON form gathers all of them
    into one catchment, whose problem would name only the first."""
    broken: list[RowProblem] = []
    for line, row in _rows(text, CATCHMENT_COLUMNS, broken):
        if not row["school_id"]:
            broken.append(RowProblem(line, "school_id", *CODE_EMPTY))
    parsed = parse_catchments_csv(text)
    reported = {b.line for b in broken}

    def locate(found: list[Problem]) -> list[RowProblem]:
        return [p for p in (_catchment_problem(q, parsed.lines) for q in found) if p.line not in reported]

    return parsed.data, broken + locate(parsed.problems), locate


class _DuplicateKey(ValueError):
    """A JSON object giving one key twice: the parser would keep the last value silently."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    twice = next((key for key in keys if keys.count(key) > 1), None)
    if twice is not None:
        raise _DuplicateKey(twice)
    return dict(pairs)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _json_catchments(text: str) -> tuple[Any, list[RowProblem], Locate]:
    """A catchments JSON file, parsed strictly (a key given twice in an object, NaN or Infinity is
    refused; a file that does not parse is refused at once, nothing in it can be checked), no
    problems of reading it, and how to name a problem: by its JSON pointer."""
    try:
        data = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        problem = RowProblem(None, None, f"the file is not valid JSON: {error.msg} at line {error.lineno}, "
                             f"column {error.colno}", f"文件不是有效的 JSON：{json_error_zh(error)}")
    except _DuplicateKey as error:
        problem = RowProblem(None, None, f"the file gives the key {error} twice in one object",
                             f"文件中有对象把键 {error} 写了两次")
    except ValueError as error:
        problem = RowProblem(None, None, f"the file is not valid JSON: {error}", f"文件不是有效的 JSON：{error}")
    except RecursionError:
        problem = RowProblem(None, None, "the file is nested too deeply to be catchments", "文件嵌套太深，不可能是学区划分")
    else:
        return data, [], lambda found: [RowProblem(None, None, p.message, p.zh, p.pointer) for p in found]
    raise ImportFailed([problem])


def _removal_unconfirmed(codes: list[str], schools: Mapping[str, School]) -> RowProblem:
    """A catchments file leaving out schools that have a catchment, not confirmed as replacing
    them all: a district's own file, or a file with lines lost, would otherwise silently remove
    the other schools' catchments. Names the first NAMED_REMOVALS of them and counts the rest."""
    named = [f"{code} {schools[code].name}" if code in schools else code for code in codes[:NAMED_REMOVALS]]
    more = len(codes) - len(named)
    return RowProblem(
        1, None,
        f"the file has no catchment for {len(codes)} school(s) that have one: {', '.join(named)}"
        + (f" and {more} more" if more else "") + "; a catchments file replaces all of the season's catchments, so "
        "importing it would remove theirs. Add their lines, or confirm the replacement (tick \"this file replaces "
        "all of this season's catchments\" on the import page, --replace on the command line) and import again",
        f"本文件没有 {len(codes)} 所现有学区的学校：{'、'.join(named)}" + (f" 等（另有 {more} 所）" if more else "")
        + "；学区文件将替换本年度全部学区划分，导入会删除它们的学区。请补上这些学校的行，或确认替换"
        "（导入页勾选「本文件将替换本年度全部学区划分」，命令行加 --replace）后重新导入")


def import_catchments(session: Session, season: Season, text: str, *, actor: Actor, districts: Iterable[str] = (),
                      filename: str | None = None, sha256: str | None = None, replace: bool = False) -> ImportResult:
    """Replace the season's catchments with the file's, CSV or JSON (format: schemas/catchments.md).

    The file is the whole city's catchments: a school it leaves out loses its catchment, so such
    a file is refused unless `replace` confirms it. Every `school_id` must be a middle school
    already imported for the season, every district one of `districts` (when given). Every line
    is checked (its cells, its numbers, the schema, the ranges, the district, the school) before a
    problem refuses the file; a line with too few or too many cells is reported for that alone.
    A JSON file is checked alike, its problems named by JSON pointer.
    """
    data, problems, locate = (_json_catchments if text.lstrip()[:1] in ("{", "[") else _csv_catchments)(text)
    schools = {s.code: s for s in session.exec(select(School).where(School.season_id == season.id))}
    problems += locate(_plainly(data, catchment_problems(data)) + _unknown_districts(data, set(districts))
                       + _unknown_schools(data, schools))
    existing = {c.code: c for c in session.exec(select(Catchment).where(Catchment.season_id == season.id))}
    removed = sorted(set(existing) - set(_school_ids(data))) if isinstance(data, list) else []
    if removed and not replace:
        problems.append(_removal_unconfirmed(removed, schools))
    if problems:
        raise ImportFailed(problems)
    created = updated = 0
    for catchment in data:
        row = existing.get(catchment["school_id"])
        if row is None:
            row = Catchment(season_id=season.id, code=catchment["school_id"], school_id=schools[catchment["school_id"]].id,
                            rules=catchment["rules"])
            created += 1
        else:
            row.school_id, row.rules = schools[catchment["school_id"]].id, catchment["rules"]
            updated += 1
        session.add(row)
    for code in removed:
        session.delete(existing[code])
    session.flush()
    result = ImportResult("catchments", created, updated, len(removed))
    _audit(session, season, actor, result, filename, sha256, text)
    return result


IMPORTERS = {"schools": import_schools, "capacities": import_capacities, "catchments": import_catchments}


def import_file(session: Session, season: Season, kind: str, data: bytes, *, actor: Actor, filename: str | None = None,
                replace: bool = False) -> ImportResult:
    """Import one uploaded file of `kind` (a key of IMPORTERS) as the import page takes it:
    decoded, its sha256 recorded, schools and catchments checked against the season's districts, and
    catchments replaced only as far as `replace` confirms."""
    options: dict[str, Any] = {"actor": actor, "filename": filename, "sha256": sha256_hex(data)}
    if kind in ("schools", "catchments"):
        options["districts"] = [d["name"] for d in season_districts(session, season)]
    if kind == "catchments":
        options["replace"] = replace
    return IMPORTERS[kind](session, season, decode_csv(data), **options)


def summary(session: Session, season: Season) -> dict[str, Any]:
    """What the season holds: schools by stage, total middle-school capacity, catchments."""
    schools = session.exec(select(School).where(School.season_id == season.id).order_by(School.district, School.code)).all()
    catchments = {c.school_id for c in session.exec(select(Catchment).where(Catchment.season_id == season.id))}
    middle = [s for s in schools if s.stage == "middle"]
    return {"primary": sum(s.stage == "primary" for s in schools), "middle": len(middle),
            "capacity": sum(s.capacity for s in middle), "catchments": len(catchments),
            "without_catchment": [s.code for s in middle if s.id not in catchments]}


def list_entries(text: str) -> list[dict[str, str]]:
    """The rows of a locked-list CSV (§4.1) as entries; the list service checks their content."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    _header(reader, ("pupil_id_number",))
    return _some([{k: (v or "").strip() for k, v in row.items() if k} for row in reader])


def locked_lists(session: Session, season: Season) -> list[dict[str, Any]]:
    """Every preparation list of the season with its versions, oldest first (for the lists page)."""
    from core.season.models import LockedList, LockedListVersion

    lists = session.exec(select(LockedList).where(LockedList.season_id == season.id)
                         .order_by(LockedList.kind, LockedList.owner)).all()
    out = []
    for locked in lists:
        versions = session.exec(select(LockedListVersion).where(LockedListVersion.list_id == locked.id)
                                .order_by(LockedListVersion.version)).all()
        out.append({"list": locked, "versions": list(versions),
                    "current": next((v for v in versions if v.version == locked.current_version), None),
                    "draft": next((v for v in versions if v.state == "draft"), None),
                    "proposed": next((v for v in versions if v.state == "proposed"), None)})
    return out
