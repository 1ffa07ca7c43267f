"""Loading a ruleset: schema validation, then semantic checks and compilation, all problems at once."""
from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from core.rules.clauses import clause_warnings
from core.rules.compiler import NOT_CONST, Compiler, Node, kleene
from core.rules.contradictions import contradiction_problem
from core.rules.label_values import label_warnings
from core.rules.errors import Problem, RulesetError, json_error_zh, pointer_join
from core.rules.ops_domain import parse_date
from core.rules.patch import PatchError, apply_patch
from core.rules.schemas import schema_document, schema_problems
from core.rules.types import BOOL, DATE, INT, NUMBER, OBJECT_ZH, STRING, SchemaTypes, Type, list_of
from core.rules.values import UNDETERMINED as U, as_datetime

__all__ = ["read_document", "build", "specialise", "Check", "Row", "Compiled", "test_facts", "reason"]

PARAM_TYPES = {"date": DATE, "integer": INT, "number": NUMBER, "string": STRING, "boolean": BOOL,
               "strings": list_of(STRING)}
NUMERIC_PARAMS = ("integer", "number")
#: The least value of a numeric parameter that declares no `minimum`: policy numbers are years,
#: days, months and counts, and a negative one (a -3-year validity) is a typing slip, not a rule.
DEFAULT_MINIMUM = 0


def _param_value_ok(kind: str, value: Any) -> bool:
    if kind == "date":
        return parse_date(value) is not None
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def reason(code: str, clause: str, label: Mapping[str, str]) -> dict[str, Any]:
    """A reason as classifications carry it: code, clause and the zh/en label."""
    return {"code": code, "clause": clause, "zh": label["zh"], "en": label["en"]}


@dataclass(frozen=True)
class Check:
    """A rule applied before the tiers: evidence (§3), the three-year rule (§6.1), exclusions (§6.2)."""

    id: str
    kind: str
    clause: str
    label: Mapping[str, str]
    outcome: str
    fails: Callable[[Any], Any]
    explain_node: Node | None
    parts: tuple = ()  # for code generation: (applies, require), (when,) or (property, since year or None)

    def reason(self) -> dict[str, Any]:
        return reason(self.id, self.clause, self.label)


@dataclass(frozen=True)
class Row:
    """One tier row: every named predicate must hold."""

    id: str
    tier: int
    clause: str
    label: Mapping[str, str]
    conditions: tuple[tuple[str, Node], ...]
    fn: Callable[[Any, Any], Any]


@dataclass
class Compiled:
    """The compiled parts of a ruleset, ready for classification."""

    eligibility: tuple[tuple[str, Node], ...]
    eligible: Callable[[Any, Any], Any]
    catchment_address: Node
    checks: tuple[Check, ...]
    rows: tuple[Row, ...]
    hit_policy: str
    window_district: Node
    window_group: Node
    predicates: Mapping[str, Mapping[str, Any]]
    slots: int
    warnings: tuple[Problem, ...] = ()  # what does not refuse the ruleset but a person should look at


MAX_NESTING = 64  # far deeper than any policy needs; deeper input is refused before anything recurses


def nesting_problem(document: Any) -> Problem | None:
    """The first place nested deeper than MAX_NESTING, found without recursion."""
    stack = [(document, "", 1)]
    while stack:
        value, pointer, depth = stack.pop()
        if depth > MAX_NESTING:
            return Problem(pointer, f"nested more than {MAX_NESTING} levels deep; split the expression into "
                                    "named predicates or derived values",
                           zh=f"嵌套超过 {MAX_NESTING} 层；请把表达式拆分为命名的条件或派生值")
        if isinstance(value, Mapping):
            stack.extend((v, pointer_join(pointer, k), depth + 1) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, pointer_join(pointer, i), depth + 1) for i, v in enumerate(value))
    return None


#: A ruleset file in another encoding (a GBK file saved by a Chinese-locale editor, say).
NOT_UTF8 = Problem("", "the file is not UTF-8 text (save it as UTF-8)", zh="文件不是 UTF-8 文本（请将文件另存为 UTF-8 编码）")


def read_document(source: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    """The ruleset as a fresh dict, from a path or a mapping; too deep a nesting is refused first."""
    if not isinstance(source, Mapping):
        try:
            source = json.loads(Path(source).read_bytes().decode("utf-8-sig"))
        except UnicodeDecodeError:
            raise RulesetError([NOT_UTF8]) from None
        except json.JSONDecodeError as exc:
            raise RulesetError([Problem("", f"not JSON: {exc}", zh=f"不是 JSON：{json_error_zh(exc)}")]) from None
        except RecursionError:
            raise RulesetError([Problem("", "not JSON this program reads: nested too deeply",
                                        zh="本程序无法读取这个 JSON：嵌套太深")]) from None
    problem = nesting_problem(source)
    if problem is not None:
        raise RulesetError([problem])
    return copy.deepcopy(dict(source)) if isinstance(source, Mapping) else source


class Builder:
    """Runs the semantic checks over a schema-valid ruleset and compiles it."""

    def __init__(self, doc: dict[str, Any], known: Mapping[str, Any] | None = None):
        self.doc = doc
        self.specialised = bool(known)
        self.problems: list[Problem] = []
        self.as_of = doc["meta"]["effective"]["from"]
        self.params: dict[str, tuple[Any, Type]] = {}
        self.param_errors: dict[str, tuple[str, str]] = {}  # name → (English, Chinese)
        self._parameters()
        self.parameter_problems = len(self.problems)
        self.c = Compiler(SchemaTypes(schema_document("facts")), params=self.params,
                          param_problem=self.param_errors.get, known=known)

    def error(self, pointer: str, message: str, *, zh: str) -> None:
        self.problems.append(Problem(pointer, message, zh=zh))

    def _parameters(self) -> None:
        for name, spec in self.doc["parameters"].items():
            base = pointer_join("/parameters", name, "values")
            kind, chosen, previous, bad = spec["type"], None, None, False
            self._minimum_applies(name, spec)
            for i, entry in enumerate(spec["values"]):
                if not self._parameter_value_ok(name, spec, entry["value"], pointer_join(base, i, "value")):
                    bad = True
                if previous is not None and entry["from"] <= previous:
                    self.error(pointer_join(base, i, "from"), f"values must be in increasing order of 'from' ({entry['from']} follows {previous})",
                               zh=f"各取值必须按 'from' 从早到晚排列（{entry['from']} 排在 {previous} 之后）")
                previous = entry["from"]
                if entry["from"] <= self.as_of:
                    chosen = entry["value"]
            value = tuple(chosen) if kind == "strings" and chosen is not None else chosen
            self.params[name] = (U if bad else value, PARAM_TYPES[kind])
            if chosen is None:
                first = spec["values"][0]["from"]
                self.param_errors[name] = (
                    f"parameter {name!r} is used before its effective date: its first value applies "
                    f"from {first} (/parameters/{name}/values/0/from), the ruleset decides as of {self.as_of}",
                    f"参数 {name!r} 在生效日期之前被使用：它的第一个取值自 {first} 起适用"
                    f"（/parameters/{name}/values/0/from），而本规则按 {self.as_of} 判定")

    def _parameter_value_ok(self, name: str, spec: Mapping[str, Any], value: Any, pointer: str) -> bool:
        """Whether one value fits its parameter's type and, for a number, its minimum; a problem if not."""
        kind = spec["type"]
        if not _param_value_ok(kind, value):
            word = "a real calendar date YYYY-MM-DD" if kind == "date" else f"of type {kind}"
            word_zh = "真实存在的日期（YYYY-MM-DD）" if kind == "date" else f"{kind} 类型的值"
            self.error(pointer, f"bad value {value!r}: parameter {name!r} needs {word}",
                       zh=f"取值 {value!r} 无效：参数 {name!r} 需要{word_zh}")
            return False
        least = spec.get("minimum", DEFAULT_MINIMUM)
        if kind in NUMERIC_PARAMS and value < least:
            declared = "minimum" in spec
            self.error(pointer, f"bad value {value!r}: parameter {name!r} must be at least {least}"
                       + ("" if declared else " (a number of years, days or anything counted is never negative; "
                                              "a parameter that may be declares its own 'minimum')"),
                       zh=f"取值 {value!r} 无效：参数 {name!r} 不能小于 {least}"
                       + ("" if declared else "（年数、天数和各种数量都不能为负数；确实可以为负数的参数须自行声明 'minimum'）"))
            return False
        return True

    def _minimum_applies(self, name: str, spec: Mapping[str, Any]) -> None:
        """A `minimum` bounds numbers only: on a date, text or list parameter it is a mistake."""
        if "minimum" in spec and spec["type"] not in NUMERIC_PARAMS:
            self.error(pointer_join("/parameters", name, "minimum"),
                       f"'minimum' applies to integer and number parameters only, not to type {spec['type']}",
                       zh=f"只有 integer 或 number 类型的参数可以声明 'minimum'，这里的类型是 {spec['type']}")

    def compile(self, expr: Any, pointer: str, expect: Type | None = BOOL) -> Node:
        node = self.c.compile(expr, pointer, self.c.root)
        if expect is not None and node.type.kind not in (expect.kind, "any"):
            self.error(pointer, f"type mismatch: must give {expect}, but gives {node.type}",
                       zh=f"类型不匹配：这里必须得出{expect.zh}，但得出{node.type.zh}")
        return node

    def compile_object(self, expr: Any, pointer: str, name: str) -> Node:
        """Compile an expression that must give an object of the facts schema ('address', 'property')."""
        node = self.compile(expr, pointer, expect=None)
        if node.type.kind not in ("any", "null") and node.type.name != name:
            article = "an" if name[0] in "aeiou" else "a"
            self.error(pointer, f"type mismatch: must give {article} {name}, but gives {node.type}",
                       zh=f"类型不匹配：这里必须得出{OBJECT_ZH[name]}，但得出{node.type.zh}")
        return node

    def pred_ref(self, name: str, pointer: str) -> Node:
        """A reference to a named predicate from a row or the eligibility list (pointer at the name)."""
        if name not in self.c.named["pred"]:
            return self.c.unknown_name("pred", name, pointer)
        return self.c.compile({"pred": name}, pointer, self.c.root)

    def _unique(self, items: list[tuple[str, str]], what: str, what_zh: str) -> None:
        seen: dict[str, str] = {}
        for ident, pointer in items:
            if ident in seen:
                self.error(pointer, f"duplicate {what} {ident!r} (first at {seen[ident]})",
                           zh=f"{what_zh} {ident!r} 重复（第一次出现在 {seen[ident]}）")
            else:
                seen[ident] = pointer

    def build(self) -> Compiled:
        doc = self.doc
        for name, spec in doc["derived"].items():
            self.c.define("derived", name, spec["expr"], pointer_join("/derived", name, "expr"), spec)
        for name, spec in doc["predicates"].items():
            self.c.define("pred", name, spec["when"], pointer_join("/predicates", name, "when"), spec)
        self.c.finish()
        eligibility = tuple((name, self.pred_ref(name, f"/eligibility/any/{i}"))
                            for i, name in enumerate(doc["eligibility"]["any"]))
        address = self.compile_object(doc["catchment"]["address"], "/catchment/address", "address")
        checks = [*self._evidence(), *self._three_year(), *self._coordinated()]
        rows = self._rows()
        window_district = self.compile(doc["calendar"]["window_key"]["district"], "/calendar/window_key/district", STRING)
        window_group = self.compile(doc["calendar"]["window_key"]["group"], "/calendar/window_key/group", STRING)
        if not self.specialised:
            self._calendar()
            self._workflow()
            self._unique(self._check_ids() + [(r.id, f"/tiers/rows/{i}/id") for i, r in enumerate(rows)], "id", "编号（id）")
            self._tests(rows)
        self.problems[self.parameter_problems:self.parameter_problems] = self.c.problems
        warnings = () if self.specialised or self.problems else (*self._label_warnings(), *clause_warnings(doc))
        return Compiled(eligibility, kleene([n for _, n in eligibility], True), address, tuple(checks), tuple(rows),
                        doc["tiers"].get("hit_policy", "FIRST"), window_district, window_group,
                        doc["predicates"], len(self.c.slots), warnings)

    def _label_warnings(self) -> list[Problem]:
        """Labels that repeat a parameter's value the rule no longer reads (core/rules/label_values.py)."""
        derived = {name: node.const for (kind, name), node in self.c.compiled.items()
                   if kind == "derived" and node.const is not NOT_CONST and node.const is not U}
        return label_warnings(self.doc, {name: value for name, (value, _) in self.params.items()}, derived)

    def _check_ids(self) -> list[tuple[str, str]]:
        doc = self.doc
        return ([(r["id"], f"/evidence/{i}/id") for i, r in enumerate(doc["evidence"])] +
                [(doc["three_year_rule"]["id"], "/three_year_rule/id")] +
                [(r["id"], f"/coordinated/{i}/id") for i, r in enumerate(doc["coordinated"])])

    def _evidence(self) -> list[Check]:
        out = []
        for i, rule in enumerate(self.doc["evidence"]):
            applies_node = self.compile(rule["applies"], f"/evidence/{i}/applies")
            require_node = self.compile(rule["require"], f"/evidence/{i}/require")
            if applies_node.const is False or require_node.const is True:
                continue
            applies, require = applies_node.fn, require_node.fn

            def always(e, require=require):
                r = require(e, e.facts)
                return U if r is U else not r

            def fails(e, applies=applies, require=require):
                a = applies(e, e.facts)
                if a is False:
                    return False
                r = require(e, e.facts)
                if a is U or r is U:
                    return False if r is True else U
                return not r
            test = always if applies_node.const is True else fails
            out.append(Check(rule["id"], "evidence", rule["clause"], rule["label"], rule["on_fail"], test, require_node,
                             (applies_node, require_node)))
        return out

    def _three_year(self) -> list[Check]:
        rule = self.doc["three_year_rule"]
        prop = self.compile_object(rule["property"], "/three_year_rule/property", "property")
        years = self.compile(rule["years"], "/three_year_rule/years", INT)
        counted_to = self.compile(rule["counted_to"], "/three_year_rule/counted_to", DATE)
        if prop.const is None:
            return []
        prop_fn, years_fn, to_fn = prop.fn, years.fn, counted_to.fn
        fixed = years.const is not NOT_CONST and counted_to.const is not NOT_CONST
        fixed_since = int(counted_to.const[:4]) - years.const if fixed and U not in (years.const, counted_to.const) else None

        def fails(e):
            p = prop_fn(e, e.facts)
            if p is None:
                return False
            since = fixed_since
            if since is None:
                n, to = years_fn(e, e.facts), to_fn(e, e.facts)
                if n is U or to is U or n is None or to is None:
                    return U
                since = int(to[:4]) - n
            pupil = e.facts.get("pupil", {}).get("id_number", U)
            if p is U or pupil is U:
                return U
            for use in p.get("enrolment_uses", ()):
                if use["year"] > since and use["pupil_id_number"] != pupil:
                    return True
            return False
        return [Check(rule["id"], "three_year", rule["clause"], rule["label"], rule["on_fail"], fails, None,
                      (prop, fixed_since))]

    def _coordinated(self) -> list[Check]:
        out = []
        for i, rule in enumerate(self.doc["coordinated"]):
            when = self.compile(rule["when"], f"/coordinated/{i}/when")
            if when.const is False:
                continue
            out.append(Check(rule["id"], "coordinated", rule["clause"], rule["label"], "coordinated",
                             lambda e, f=when.fn: f(e, e.facts), when, (when,)))
        return out

    def _rows(self) -> list[Row]:
        tiers = self.doc["tiers"]
        policy = tiers.get("hit_policy", "FIRST")
        rows: list[Row] = []
        for i, spec in enumerate(tiers["rows"]):
            conds = tuple((name, self.pred_ref(name, f"/tiers/rows/{i}/all/{j}")) for j, name in enumerate(spec["all"]))
            if self.specialised and any(n.const is False for _, n in conds):
                continue
            dead = None if self.specialised else contradiction_problem(spec, f"/tiers/rows/{i}", conds)
            if dead is not None:
                self.problems.append(dead)
            fn = kleene([n for _, n in conds if not (self.specialised and n.const is True)], False)
            rows.append(Row(spec["id"], spec["tier"], spec["clause"], spec["label"], conds, fn))
        for i, row in enumerate(rows if not self.specialised else ()):
            mine = {n for n, _ in row.conditions}
            for j, other in enumerate(rows):
                if j == i or not {n for n, _ in other.conditions} <= mine:
                    continue
                shadows = (policy == "FIRST" and j < i) or (
                    policy == "PRIORITY" and (other.tier, j) < (row.tier, i))
                if shadows:
                    needs = sorted(n for n, _ in other.conditions)
                    self.error(f"/tiers/rows/{i}", f"row {row.id!r} is unreachable: row {other.id!r} needs only "
                                                   f"{needs}, a subset of its conditions, and wins first",
                               zh=f"行 {row.id!r} 永远不会被命中：行 {other.id!r} 只需要 {needs}，"
                                  f"是它的条件的子集，并且优先命中")
                    break
            if policy == "FIRST" and i and row.tier < rows[i - 1].tier:
                self.error(f"/tiers/rows/{i}/tier", f"row {row.id!r} (tier {row.tier}) comes after a row of tier "
                                                    f"{rows[i - 1].tier}: under FIRST rows go from the best tier down",
                           zh=f"行 {row.id!r}（第 {row.tier} 类）排在第 {rows[i - 1].tier} 类的行之后："
                              f"FIRST 规则下各行须从最优的类别往下排")
        return rows

    def _calendar(self) -> None:
        cal = self.doc["calendar"]
        phases = {p["id"]: p for p in cal["phases"]}
        self._unique([(p["id"], f"/calendar/phases/{i}/id") for i, p in enumerate(cal["phases"])], "phase", "阶段")
        self._unique([(w["id"], f"/calendar/windows/{i}/id") for i, w in enumerate(cal["windows"])], "window", "时段")
        for i, p in enumerate(cal["phases"]):
            if as_datetime(p["start"]) >= as_datetime(p["end"]):
                self.error(f"/calendar/phases/{i}/end", f"phase {p['id']!r} ends before it starts",
                           zh=f"阶段 {p['id']!r} 的结束时间早于开始时间")
        host = phases.get(cal.get("window_phase", ""))
        if "window_phase" in cal and host is None:
            self.error("/calendar/window_phase", f"unknown phase {cal['window_phase']!r}",
                       zh=f"未定义的阶段 {cal['window_phase']!r}")
        for i, w in enumerate(cal["windows"]):
            if host and not as_datetime(host["start"]) <= as_datetime(w["opens_at"]) < as_datetime(host["end"]):
                self.error(f"/calendar/windows/{i}/opens_at", f"window {w['id']!r} opens outside phase {host['id']!r}",
                           zh=f"时段 {w['id']!r} 的开放时间不在阶段 {host['id']!r} 之内")
        self._phases_in_order(cal["phases"])
        self._phases_in_year(cal["phases"])
        effective = self.doc["meta"]["effective"]
        if "to" in effective and effective["to"] < effective["from"]:
            self.error("/meta/effective/to", f"the ruleset stops being effective ({effective['to']}) before it starts "
                                             f"({effective['from']})",
                       zh=f"规则的失效日期（{effective['to']}）早于生效日期（{effective['from']}）")
        self._windows_cover_districts(cal["windows"])

    def _phases_in_order(self, phases: list[Mapping[str, Any]]) -> None:
        """Phases follow one another (§4): the season is in one phase at a time."""
        for i, (before, after) in enumerate(zip(phases, phases[1:]), start=1):
            if as_datetime(after["start"]) < as_datetime(before["end"]):
                self.error(f"/calendar/phases/{i}/start",
                           f"phase {after['id']!r} starts before phase {before['id']!r} ends ({before['end']})",
                           zh=f"阶段 {after['id']!r} 在阶段 {before['id']!r} 结束（{before['end']}）之前开始")

    def _phases_in_year(self, phases: list[Mapping[str, Any]]) -> None:
        """A season's phases fall in its year (meta.year): a date left a year behind when a ruleset
        is copied for the next season would move that season at once."""
        year = self.doc["meta"]["year"]
        for i, p in enumerate(phases):
            for key in ("start", "end"):
                if as_datetime(p[key]).year != year:
                    self.error(f"/calendar/phases/{i}/{key}",
                               f"phase {p['id']!r} {key}s in {as_datetime(p[key]).year}, not in {year} (meta.year)",
                               zh=f"阶段 {p['id']!r} 的{'开始' if key == 'start' else '结束'}时间在 "
                                  f"{as_datetime(p[key]).year} 年，不在本规则的年度 {year} 年（meta.year）")

    def _windows_cover_districts(self, windows: list[Mapping[str, Any]]) -> None:
        """Every district has exactly one first-login window (§2.2), and a window names districts
        of this ruleset only (a misspelt district would never open)."""
        districts = [d["name"] for d in self.doc["districts"]]
        seen: dict[str, str] = {}
        for i, w in enumerate(windows):
            for j, district in enumerate(w.get("districts", ())):
                pointer = f"/calendar/windows/{i}/districts/{j}"
                if district not in districts:
                    self.error(pointer, f"window {w['id']!r} names {district!r}, not a district of this ruleset "
                                        f"({', '.join(districts)})",
                               zh=f"时段 {w['id']!r} 中的 {district!r} 不是本规则的区县（{'、'.join(districts)}）")
                elif district in seen:
                    self.error(pointer, f"{district!r} is in windows {seen[district]!r} and {w['id']!r}",
                               zh=f"{district!r} 同时出现在时段 {seen[district]!r} 和 {w['id']!r} 中")
                seen.setdefault(district, w["id"])
        for k, district in enumerate(districts):
            if district not in seen:
                self.error(f"/districts/{k}", f"district {district!r} has no first-login window (/calendar/windows)",
                           zh=f"区县 {district!r} 没有首次登录时段（/calendar/windows）")

    def _workflow(self) -> None:
        from core.rules.guards import guard_problems
        wf = self.doc["workflow"]
        states = {s["id"] for s in wf["states"]}
        self._unique([(s["id"], f"/workflow/states/{i}/id") for i, s in enumerate(wf["states"])], "state", "状态")
        self._unique([(t["id"], f"/workflow/transitions/{i}/id") for i, t in enumerate(wf["transitions"])],
                     "transition", "流转")
        self._known_state(states, wf["initial"], "/workflow/initial")
        for i, t in enumerate(wf["transitions"]):
            for j, s in enumerate(t["from"]):
                self._known_state(states, s, f"/workflow/transitions/{i}/from/{j}")
            self._known_state(states, t["to"], f"/workflow/transitions/{i}/to")
            if "guard" in t:
                self.problems += guard_problems(t["guard"], f"/workflow/transitions/{i}/guard")
            phases = {p["id"] for p in self.doc.get("calendar", {}).get("phases", ())}
            for j, phase in enumerate(t.get("during", ())):
                if phase not in phases:
                    self.error(f"/workflow/transitions/{i}/during/{j}", f"unknown calendar phase {phase!r}",
                               zh=f"未定义的日程阶段 {phase!r}")

    def _known_state(self, states: set[str], state: str, pointer: str) -> None:
        """A workflow state named where the workflow refers to one must be one of its states."""
        if state not in states:
            self.error(pointer, f"unknown state {state!r}", zh=f"未定义的状态 {state!r}")

    def _tests(self, rows: list[Row]) -> None:
        tests = self.doc["tests"]
        if "catchments" in tests:
            self.problems += schema_problems("catchments", tests["catchments"], "/tests/catchments")
        schools = {c.get("school_id") for c in tests.get("catchments", ()) if isinstance(c, dict)}
        families = tests.get("families", {})
        for name, facts in families.items():
            self.problems += schema_problems("facts", facts, pointer_join("/tests/families", name))
        self._unique([(c["name"], f"/tests/cases/{i}/name") for i, c in enumerate(tests["cases"])],
                     "test name", "测试名称")
        for i, case in enumerate(tests["cases"]):
            base = f"/tests/cases/{i}"
            try:
                facts = test_facts(case, families)
            except KeyError:
                self.error(f"{base}/family", f"unknown family {case['family']!r}", zh=f"未定义的家庭 {case['family']!r}")
                continue
            except PatchError as exc:
                self.error(f"{base}/patch", f"the patch does not apply: {exc}", zh=f"补丁无法应用：{exc.zh}")
                continue
            self._case_facts_problems(case, base, facts)
            self._case_expectations(case["expect"], base, rows, schools)

    def _case_facts_problems(self, case: Mapping[str, Any], base: str, facts: Any) -> None:
        """Schema problems of a test case's facts: at the facts, or at the patch that made them."""
        if "facts" in case:
            self.problems += schema_problems("facts", facts, f"{base}/facts")
            return
        for p in schema_problems("facts", facts, base):
            at = p.pointer[len(base):] or "/"
            self.error(f"{base}/patch", f"{p.message} (in the patched facts, at {at})",
                       zh=f"{p.zh}（在打补丁后的事实数据中，位于 {at}）")

    def _case_expectations(self, expect: Mapping[str, Any], base: str, rows: list[Row], schools: set) -> None:
        """A test case may expect only rows, tiers and catchments the ruleset has."""
        row_ids = ", ".join(sorted({r.id for r in rows}))
        tiers = sorted({r.tier for r in rows})
        if expect.get("row") is not None and expect["row"] not in {r.id for r in rows}:
            self.error(f"{base}/expect/row", f"no tier row has id {expect['row']!r} (rows: {row_ids})",
                       zh=f"没有编号为 {expect['row']!r} 的类别行（已有的行：{row_ids}）")
        if isinstance(expect.get("tier"), int) and expect["tier"] not in tiers:
            self.error(f"{base}/expect/tier", f"no tier row gives tier {expect['tier']} (tiers: {tiers})",
                       zh=f"没有哪一行给出第 {expect['tier']} 类（已有的类别：{tiers}）")
        if expect.get("catchment") is not None and schools and expect["catchment"] not in schools:
            self.error(f"{base}/expect/catchment", f"no fixture catchment {expect['catchment']!r}",
                       zh=f"测试学区中没有 {expect['catchment']!r}")


def test_facts(case: Mapping[str, Any], families: Mapping[str, Any]) -> dict[str, Any]:
    """The facts of an embedded test case: its own, or its family's with the patch applied."""
    if "facts" in case:
        return apply_patch(case["facts"], case.get("patch", []))
    return apply_patch(families[case["family"]], case.get("patch", []))


def build(doc: dict[str, Any]) -> Compiled:
    """Check and compile a schema-valid ruleset; raise RulesetError listing every problem."""
    builder = Builder(doc)
    compiled = builder.build()
    if builder.problems:
        raise RulesetError(builder.problems)
    return compiled


def specialise(doc: dict[str, Any], known: Mapping[str, Any]) -> Compiled:
    """A compilation of a checked ruleset for facts where `known` paths hold fixed values.

    Partial evaluation: comparisons with the known facts fold to constants, checks that can
    never fail and rows that can never match drop out. Same answers, less work per applicant.
    """
    builder = Builder(doc, known)
    compiled = builder.build()
    if builder.problems:
        raise RulesetError(builder.problems)
    return compiled


