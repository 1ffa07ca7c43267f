"""The administrators' ruleset editor: form fields for the calendar, parameters, labels and the
clauses' wordings, JSON for the rest, and every problem reported at its JSON pointer.

A document is split into *fields* — one per leaf value, named by its RFC 6901 pointer, under
the owned parts (`OWNED_PREFIXES`, and the zh/en labels of predicates, tier rows and workflow
states) — and the *rest*, the document without those leaves. `merge` rebuilds a document from
both: the rest may add new entries (a parameter, a phase), the fields win where both speak.
Each field carries its kind (text, whole number, number, yes/no, list of lines) so what
the administrator types is converted back to the JSON type it had.
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

from sqlmodel import Session, select

from core.errors import NotFound
from core.assessment import catchments_of, ruleset_of
from core.models import Application, RulesetVersion, Season
from core.portal import current_season
from core.rules import RulesetError, diff, load_ruleset
from core.rulesets import RulesetNotActivatable, activate_ruleset, ruleset_document
from core.season.boundaries import materialise
from core.season.calendar import local_text
from core.workflow import Actor
from core.rules.errors import Problem, json_error_zh, pointer_join
from core.rules.json_syntax import syntax_problem
from core.rules.values import as_datetime
from core.rules.simulate import SimulationReport, Subject, simulate
from core.rules.testing import CaseResult, run_tests

__all__ = [
    "Field", "group_of", "split", "merge", "check", "parse_json", "value_at", "field_problems", "compiled",
    "test_results", "changes", "sections", "Group", "next_year", "activate", "activation_warnings", "moves_at_once", "versions", "version_of", "simulation",
    "submitted_subjects",
    "OWNED_PREFIXES",
]

OWNED_PREFIXES = ("/meta", "/parameters", "/calendar/phases", "/calendar/windows", "/clauses")
LABEL_PATTERN = re.compile(r"^/(predicates/[^/]+|tiers/rows/\d+|workflow/states/\d+)/label/(zh|en)$")
KINDS = ("text", "integer", "number", "boolean", "lines")
#: What each field of the editor holds, in Chinese and English, by its name within its fieldset.
FIELD_LABELS = {
    "id": ("编号", "id"), "year": ("年度", "year"), "version": ("版本号", "version"),
    "source": ("依据文件", "source document"), "title/zh": ("标题（中文）", "title (Chinese)"),
    "title/en": ("标题（英文）", "title (English)"),
    "effective/from": ("生效日期（参数按此日期取值）", "effective from (parameters are read at this date)"),
    "effective/to": ("失效日期", "effective until"), "label/zh": ("名称（中文）", "name (Chinese)"),
    "label/en": ("名称（英文）", "name (English)"), "zh": ("中文", "Chinese"), "en": ("英文", "English"),
    "clause": ("政策条款", "policy clause"), "type": ("取值类型", "type of value"),
    "minimum": ("最小值", "minimum"), "start": ("开始时间", "starts"), "end": ("结束时间", "ends"),
    "opens_at": ("开放时间", "opens at"), "districts": ("区县（每行一个）", "districts (one per line)"),
    "groups": ("学校集团（每行一个）", "school groups (one per line)"),
}
VALUE_FIELD = re.compile(r"^values/(\d+)/(from|value)$")


@dataclass(frozen=True)
class Field:
    """One form field: the pointer it edits, its kind, and the value as the form shows it."""

    pointer: str
    kind: str
    value: str
    group: str = field(default="")

    @property
    def name(self) -> str:
        """The last reference tokens, the way a person reads them (`phases/1/end` → `end`)."""
        tail = self.pointer[len(self.group):].strip("/")
        return tail.replace("~1", "/").replace("~0", "~")

    @property
    def label(self) -> dict[str, str]:
        """What the field holds, for the form's label ({"zh", "en"}): a JSON path such as
        `effective/from` means nothing to most administrators. Unknown names stay as they are."""
        zh, en = FIELD_LABELS.get(self.name) or _value_label(self.name) or (self.name, self.name)
        return {"zh": zh, "en": en}


def _value_label(name: str) -> tuple[str, str] | None:
    """A parameter's dated values, counted from 1: `values/0/from` → 第 1 个取值：起始日期."""
    match = VALUE_FIELD.match(name)
    if match is None:
        return None
    number = int(match[1]) + 1
    if match[2] == "from":
        return f"第 {number} 个取值：起始日期", f"value {number}: applies from"
    return f"第 {number} 个取值", f"value {number}"


def _owned(pointer: str) -> bool:
    return any(pointer == p or pointer.startswith(p + "/") for p in OWNED_PREFIXES) or bool(LABEL_PATTERN.match(pointer))


def group_of(pointer: str) -> str:
    """The fieldset a field belongs to: one phase, one window, one parameter, one label …"""
    parts = pointer.split("/")
    if pointer.startswith("/meta"):
        return "/meta"
    if pointer.startswith(("/parameters", "/clauses")):
        return "/".join(parts[:3])
    if pointer.startswith("/calendar"):
        return "/".join(parts[:4])
    return pointer.rsplit("/label/", 1)[0] + "/label"


def _kind(value: Any) -> str | None:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "lines"
    return None


def _shown(kind: str, value: Any) -> str:
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "lines":
        return "\n".join(value)
    return str(value)


def split(document: Mapping[str, Any]) -> tuple[list[Field], dict[str, Any]]:
    """The form fields of a document and the rest of it (what the JSON editor shows)."""
    fields: list[Field] = []

    def walk(node: Any, pointer: str) -> Any:
        kind = _kind(node)
        if pointer and kind is not None and _owned(pointer):
            fields.append(Field(pointer, kind, _shown(kind, node), group_of(pointer)))
            return _REMOVED
        if isinstance(node, Mapping):
            kept = {k: walk(v, pointer_join(pointer, k)) for k, v in node.items()}
            kept = {k: v for k, v in kept.items() if v is not _REMOVED}
            return kept if kept or not _owned_container(pointer) else _REMOVED
        if isinstance(node, list):  # phases, windows, and the labels of tier rows and workflow states
            items = [walk(v, pointer_join(pointer, i)) for i, v in enumerate(node)]
            if _owned_container(pointer) and all(v is _REMOVED for v in items):
                return _REMOVED
            return [{} if v is _REMOVED else v for v in items]  # keep the indices the fields name
        return node

    rest = walk(document, "")
    return fields, rest if isinstance(rest, dict) else {}


def _owned_container(pointer: str) -> bool:
    # Containers that only hold owned leaves vanish from the rest once those leaves are fields.
    return pointer != "" and (_owned(pointer) or any(p.startswith(pointer + "/") for p in OWNED_PREFIXES)
                              or LABEL_PATTERN.match(pointer + "/zh") is not None)


_REMOVED = object()


def _convert(kind: str, text: str, pointer: str) -> tuple[Any, Problem | None]:
    text = text.strip() if kind != "text" else text
    try:
        if kind == "integer":
            return int(text), None
        if kind == "number":
            return float(text), None
        if kind == "boolean":
            if text.lower() not in ("true", "false"):
                raise ValueError
            return text.lower() == "true", None
    except ValueError:
        wanted, wanted_zh = {"integer": ("a whole number", "整数"), "number": ("a number", "数字"),
                             "boolean": ("true or false", "true 或 false")}[kind]
        return None, Problem(pointer, f"{text!r} is not {wanted}", zh=f"{text!r} 不是{wanted_zh}")
    if kind == "lines":
        return [line.strip() for line in text.splitlines() if line.strip()], None
    return text, None


def _tokens(pointer: str) -> list[str]:
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]


def _put(document: dict[str, Any], pointer: str, value: Any) -> None:
    """Set a value at a pointer, creating objects and list items on the way (digits index lists)."""
    tokens = _tokens(pointer)
    node: Any = document
    for token, following in zip(tokens, tokens[1:] + [None]):
        make = [] if following is not None and following.isdigit() else {}
        last = following is None
        if isinstance(node, list):
            index = int(token)
            while len(node) <= index:
                node.append([] if make == [] else {})
            if last:
                node[index] = value
            else:
                if not isinstance(node[index], (dict, list)):
                    node[index] = make
                node = node[index]
        else:
            if last:
                node[token] = value
            else:
                if not isinstance(node.get(token), (dict, list)):
                    node[token] = make
                node = node[token]


def merge(fields: Mapping[str, tuple[str, str]], rest: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """The document from the rest and the fields (pointer → (kind, text)); problems of conversion."""
    document = json.loads(json.dumps(rest))
    problems: list[Problem] = []
    for pointer in sorted(fields, key=_sort_key):
        kind, text = fields[pointer]
        if kind not in KINDS or not pointer.startswith("/") or not _owned(pointer):
            problems.append(Problem(pointer, "this form field is not part of the editor", zh="这个表单字段不属于规则编辑器"))
            continue
        value, problem = _convert(kind, text, pointer)
        if problem is not None:
            problems.append(problem)
            continue
        _put(document, pointer, value)
    return document, problems


def _sort_key(pointer: str) -> list[tuple[int, Any]]:
    # List indices in numeric order, so item 10 is created after item 9.
    return [(0, int(t)) if t.isdigit() else (1, t) for t in _tokens(pointer)]


def parse_json(text: str, what: str = "the JSON", what_zh: str = "这段文本") -> tuple[Any, list[Problem]]:
    """Parse JSON text; a syntax error becomes a problem naming its line and column, showing
    the line and carrying its offset for the editor's caret (core.rules.json_syntax).
    `what` and `what_zh` name the text in English and in Chinese ("the uploaded file", "上传的文件")."""
    try:
        return json.loads(text), []
    except json.JSONDecodeError as error:
        return None, [syntax_problem(error, f"{what} is not valid JSON: {error.msg} at line {error.lineno}, "
                                            f"column {error.colno}", f"{what_zh}不是有效的 JSON：{json_error_zh(error)}")]
    except RecursionError:
        return None, [Problem("", f"{what} is nested too deeply to be a ruleset", zh=f"{what_zh}嵌套太深，不可能是规则")]


def check(document: Any) -> list[Problem]:
    """Every problem of a document as a ruleset (schema and semantic), most relevant first."""
    if not isinstance(document, dict):
        return [Problem("", "a ruleset is a JSON object", zh="规则必须是一个 JSON 对象（{ … }）")]
    try:
        compiled(json.dumps(document, sort_keys=True, ensure_ascii=False))
    except RulesetError as error:
        return list(error.problems)
    return []


@lru_cache(maxsize=8)
def compiled(text: str):
    """The loaded ruleset of a canonical text (compiling takes a second; pages ask repeatedly)."""
    return load_ruleset(json.loads(text))


def value_at(document: Any, pointer: str) -> tuple[bool, Any]:
    """(found, value) at a JSON pointer, to show what sits where a problem points."""
    node = document
    for token in _tokens(pointer) if pointer else []:
        if isinstance(node, Mapping) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return False, None
    return True, node


def field_problems(fields: list[Field], problems: list[Problem]) -> tuple[dict[str, list[Problem]], list[Problem]]:
    """Problems that belong to a field or its group (by pointer), and those for the JSON editor."""
    pointers = {f.pointer for f in fields}
    groups = {f.group for f in fields}
    at: dict[str, list[Problem]] = {}
    rest: list[Problem] = []
    for problem in problems:
        target = next((p for p in (problem.pointer, *_ancestors(problem.pointer)) if p in pointers or p in groups), None)
        if target is None:
            rest.append(problem)
        else:
            at.setdefault(target, []).append(problem)
    return at, rest


def _ancestors(pointer: str) -> list[str]:
    parts = pointer.split("/")
    return ["/".join(parts[:i]) for i in range(len(parts) - 1, 1, -1)]


def test_results(document: dict[str, Any]) -> list[CaseResult]:
    """The embedded test cases of a valid document, run."""
    return run_tests(compiled(json.dumps(document, sort_keys=True, ensure_ascii=False)))


def changes(old: dict[str, Any] | None, new: dict[str, Any]) -> list[dict[str, Any]]:
    """The semantic diff against the active version (empty when there is none)."""
    return [] if old is None else diff(old, new)


@dataclass(frozen=True)
class Group:
    """A fieldset of the editor: one phase, one window, one parameter, one set of labels. It is
    titled by its name in the ruleset (`label`, {"zh", "en"}) where it has one, an id such as
    "collection" meaning little to most administrators; `code` is that id or key."""

    pointer: str
    code: str
    fields: tuple[Field, ...]
    label: dict[str, str] | None = None


SECTIONS = (("meta", "/meta"), ("parameters", "/parameters/"), ("phases", "/calendar/phases/"),
            ("windows", "/calendar/windows/"), ("clauses", "/clauses/"), ("labels", "/"))


def sections(fields: list[Field]) -> list[tuple[str, list[Group]]]:
    """The editor's sections in page order, each with its fieldsets titled for a person."""
    by_group: dict[str, list[Field]] = {}
    for f in fields:
        by_group.setdefault(f.group, []).append(f)
    values = {f.pointer: f.value for f in fields}
    out: dict[str, list[Group]] = {key: [] for key, _ in SECTIONS}
    for group, members in by_group.items():
        key = next(k for k, prefix in SECTIONS if group == prefix or group.startswith(prefix))
        if key == "labels":  # the group is the label itself: named by what it labels
            out[key].append(Group(group, group.removesuffix("/label").lstrip("/"), tuple(members)))
            continue
        named = {lang: values[f"{group}/label/{lang}"] for lang in ("zh", "en") if values.get(f"{group}/label/{lang}")}
        code = values.get(f"{group}/id") or group.rsplit("/", 1)[-1]
        out[key].append(Group(group, code, tuple(members), named or None))
    return [(key, out[key]) for key, _ in SECTIONS if out[key]]


_DATE_TEXT = re.compile(r"^(\d{4})(-\d{2}-\d{2})")
_YEAR_IN_WORDS = re.compile(r"(\d{4})年")


def next_year(document: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a ruleset for the following year, to start next year's draft from: every date
    and instant a year later (calendar, parameters, effective dates, test families, so ages and
    "more than a year old" stay as they were), every `year` one more, "2021年" in labels
    "2022年", and `meta.id` and the English title renamed by their year. Clauses, rules and ids otherwise unchanged:
    what the new policy changes, the administrator edits."""
    year = document["meta"]["year"]

    def shifted(node: Any, key: str | None = None) -> Any:
        if isinstance(node, Mapping):
            return {k: shifted(v, k) for k, v in node.items()}
        if isinstance(node, list):
            return [shifted(item) for item in node]
        if isinstance(node, bool):
            return node
        if key == "year" and isinstance(node, int):
            return node + 1
        if isinstance(node, str):
            node = _DATE_TEXT.sub(lambda m: f"{int(m.group(1)) + 1}{m.group(2)}", node)
            return _YEAR_IN_WORDS.sub(lambda m: f"{int(m.group(1)) + 1}年", node)
        return node

    copy = shifted(document)
    copy["meta"]["id"] = str(document["meta"]["id"]).replace(str(year), str(year + 1))
    if "title" in copy["meta"]:
        copy["meta"]["title"]["en"] = re.sub(rf"\b{year}\b", str(year + 1), copy["meta"]["title"].get("en", ""))
    return copy


def activate(session: Session, sha256: str, actor: Actor, *, now: datetime, confirmed: bool = False) -> RulesetVersion:
    """Make a stored version active in its year's season (it must validate and pass its tests)
    and lay out its calendar; what `activation_warnings` finds needs `confirmed`."""
    version = version_of(session, sha256)
    season = session.get(Season, version.season_id)
    found = [] if confirmed else activation_warnings(session, version, now)
    if found:
        raise RulesetNotActivatable(found)
    version = activate_ruleset(session, season, sha256, actor, at=now)
    materialise(session, season)
    return version


def activation_warnings(session: Session, version: RulesetVersion, now: datetime) -> list[Problem]:
    """What activating `version` does that an administrator must confirm: a calendar
    that puts a phase's start or end, or a window's opening, before `now` where the season's
    active version had it later (the scheduler fires it the moment it looks: a phase closes,
    unsubmitted drafts are closed for good), a newer year's season taking over from the
    current one (guardians, reviewers and every page move to it), labels that families
    would read saying another date or number than the parameters their rules read, and
    clauses that pages would show as bare ids (core.rules.clauses.clause_warnings)."""
    season = session.get(Season, version.season_id)
    active = ruleset_document(session, season.active_ruleset_sha256) if season.active_ruleset_sha256 else None
    document = ruleset_document(session, version.sha256)
    found = moves_at_once(active, document, now) + _loader_warnings(document)
    current = current_season(session)
    if current is not None and season.year > current.year:
        found.insert(0, Problem("/meta/year", f"activating opens the {season.year} season: guardians, reviewers and "
                                              f"every page move to it from {current.year} (whose remaining phases "
                                              "still run); confirm to go ahead",
                                zh=f"启用后 {season.year} 年度将成为当前年度：监护人、审核员和各页面都将转到该年度，"
                                   f"不再显示 {current.year} 年度（其余下的日程仍照常执行）；如确需如此，请勾选确认后再启用"))
    return found


def _loader_warnings(document: Mapping[str, Any]) -> list[Problem]:
    """The loader's warnings (labels that no longer say what the parameters do, clauses cited
    without wording or worded and cited nowhere), to confirm;
    a version that does not load has none here: activating it is refused for its problems."""
    try:
        loaded = compiled(json.dumps(document, sort_keys=True, ensure_ascii=False))
    except RulesetError:
        return []
    return [Problem(w.pointer, f"{w.message}; confirm to go ahead", zh=f"{w.zh}；如确需如此，请勾选确认后再启用")
            for w in loaded.warnings]


def moves_at_once(active: Mapping[str, Any] | None, document: Mapping[str, Any], now: datetime) -> list[Problem]:
    """The calendar instants of `document` already past at `now` that the active version has
    still to come (or lacks): activating it fires them at once."""
    before = {moment.key: moment.at for moment in _moments(active)} if active is not None else {}
    moves = []
    for moment in _moments(document):
        if moment.at <= now < before.get(moment.key, datetime.max.replace(tzinfo=timezone.utc)):
            at, then = local_text(moment.at, year=True), local_text(now, year=True)
            moves.append(Problem(moment.pointer, f"{moment.what['en']} would be {at['en']}, already past ({then['en']} "
                                                 "now): activating moves the season at once; confirm to go ahead",
                                 zh=f"{moment.what['zh']}改为{at['zh']}，已经过去（现在是{then['zh']}）：启用后将立即"
                                    "推进年度日程；如确需如此，请勾选确认后再启用"))
    return moves


@dataclass(frozen=True)
class _Moment:
    """A phase's start or end, or a window's opening: `key` names it across versions (by id, so a
    phase moved in the list is the same phase), `pointer` where it is in this one."""

    key: tuple[str, str, str]
    pointer: str
    what: Mapping[str, str]
    at: datetime


def _moments(document: Mapping[str, Any]) -> list[_Moment]:
    calendar = document["calendar"]
    found = []
    for i, phase in enumerate(calendar["phases"]):
        for key, zh, en in (("start", "开始", "start"), ("end", "结束", "end")):
            found.append(_Moment(("phase", phase["id"], key), f"/calendar/phases/{i}/{key}",
                                 {"zh": f"阶段 {phase['id']!r} 的{zh}时间", "en": f"phase {phase['id']!r} {en}"},
                                 as_datetime(phase[key])))
    for i, window in enumerate(calendar["windows"]):
        found.append(_Moment(("window", window["id"], "opens_at"), f"/calendar/windows/{i}/opens_at",
                             {"zh": f"时段 {window['id']!r} 的开放时间", "en": f"window {window['id']!r} opening"},
                             as_datetime(window["opens_at"])))
    return found


def versions(session: Session) -> list[tuple[Season, RulesetVersion]]:
    """Every stored ruleset version with its season, the newest year first and in a year the
    newest version first: next year's drafts are prepared while this year's season runs."""
    return list(session.exec(select(Season, RulesetVersion).join(RulesetVersion, RulesetVersion.season_id == Season.id)
                             .order_by(Season.year.desc(), RulesetVersion.id.desc())).all())


def version_of(session: Session, sha256: str) -> RulesetVersion:
    """A stored version by its sha256 (or NotFound)."""
    found = session.exec(select(RulesetVersion).where(RulesetVersion.sha256 == sha256)).first()
    if found is None:
        raise NotFound("规则版本不存在", f"no ruleset version {sha256[:12]}")
    return found


def simulation(session: Session, season: Season, document: dict[str, Any]) -> SimulationReport:
    """A valid draft over every submitted application of the season, each against the version it
    was pinned to: the old-tier x new-tier matrix and who would change, with both explanations."""
    draft = compiled(json.dumps(document, sort_keys=True, ensure_ascii=False))
    return simulate(draft, submitted_subjects(session, season), catchments_of(session, season.id))


def submitted_subjects(session: Session, season: Season) -> list[Subject]:
    """Every submitted application of the season with its frozen facts and the ruleset it is judged by.

    Submitted means it has a serial. Not `frozen_facts IS NOT NULL`: a JSON column stores a
    draft's None as the JSON text 'null', which SQL's NULL test does not see."""
    submitted = session.exec(select(Application).where(Application.season_id == season.id,
                                                       Application.serial.is_not(None))
                             .order_by(Application.id)).all()
    return [Subject(a.id, a.serial, a.frozen_facts, ruleset_of(session, a.judging_ruleset(season))) for a in submitted]
