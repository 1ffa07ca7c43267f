"""Catchments (学区): address rules per middle school, imported per season, and their lookup."""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.rules.errors import Problem, RulesetError
from core.rules.schemas import schema_problems

__all__ = ["CatchmentIndex", "CatchmentError", "CsvCatchments", "load_catchments", "parse_catchments_csv",
           "catchment_problems", "CSV_COLUMNS"]

MEMO_LIMIT = 200_000  # distinct addresses remembered before the memo starts afresh
CSV_COLUMNS = ("school_id", "school_name", "district", "street", "from", "to", "parity", "compound")


class CatchmentError(RulesetError):
    """A catchment file that cannot be imported; `problems` say where and why."""


def _clean(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _parity_ok(number: int, parity: str) -> bool:
    return parity == "all" or (number % 2 == 1) == (parity == "odd")


class CatchmentIndex:
    """Finds the catchments that contain an address, most specific rule first."""

    def __init__(self, catchments: Iterable[Mapping[str, Any]]):
        self.catchments: dict[str, Mapping[str, Any]] = {}
        self._compound: dict[tuple, list[str]] = {}
        self._ranges: dict[tuple, list[tuple[int, int, str, str]]] = {}
        self._street: dict[tuple, list[str]] = {}
        self._district: dict[str, list[str]] = {}
        self._memo: dict[tuple, frozenset[str]] = {}
        self._first: dict[tuple, str | None] = {}
        self._of_school: dict[str, tuple[set, set, dict, set]] = {}
        for catchment in catchments:
            school = catchment["school_id"]
            self.catchments[school] = catchment
            compounds, streets, ranges, districts = self._of_school.setdefault(school, (set(), set(), {}, set()))
            for rule in catchment["rules"]:
                district = _clean(rule["district"])
                if "compound" in rule:
                    key = (district, _clean(rule["compound"]))
                    self._compound.setdefault(key, []).append(school)
                    compounds.add(key)
                elif "numbers" in rule:
                    n, key = rule["numbers"], (district, _clean(rule["street"]))
                    self._ranges.setdefault(key, []).append((n["from"], n["to"], n["parity"], school))
                    ranges.setdefault(key, []).append((n["from"], n["to"], n["parity"]))
                elif "street" in rule:
                    key = (district, _clean(rule["street"]))
                    self._street.setdefault(key, []).append(school)
                    streets.add(key)
                else:
                    self._district.setdefault(district, []).append(school)
                    districts.add(district)

    def lookup(self, address: Mapping[str, Any]) -> list[str]:
        """School ids whose catchment holds the address: compound, numbered street, street, district."""
        district = address.get("district")
        found: list[str] = []
        compound = address.get("compound")
        if compound is not None:
            found += self._compound.get((district, compound), ())
        street = address.get("street")
        if street is not None:
            key = (district, street)
            number = address.get("number")
            if number is not None:
                found += [s for lo, hi, parity, s in self._ranges.get(key, ()) if lo <= number <= hi
                          and _parity_ok(number, parity)]
            found += self._street.get(key, ())
        found += self._district.get(district, ())
        return list(dict.fromkeys(found))

    def school_of(self, address: Mapping[str, Any]) -> str | None:
        """The catchment an address belongs to (the most specific match), or None.

        `contains(school_of(a), a)` holds for every address with a school: the generated
        classifier relies on it (core/rules/codegen.py).
        """
        key = (address.get("district"), address.get("street"), address.get("number"), address.get("compound"))
        try:
            return self._first[key]
        except KeyError:
            if len(self._first) >= MEMO_LIMIT:
                self._first.clear()
            found = self.lookup(address)
            self._first[key] = found[0] if found else None
            return self._first[key]

    def schools_of(self, address: Mapping[str, Any]) -> frozenset[str]:
        """Every catchment containing the address (remembered per distinct address)."""
        key = (address.get("district"), address.get("street"), address.get("number"), address.get("compound"))
        found = self._memo.get(key)
        if found is None:
            if len(self._memo) >= MEMO_LIMIT:
                self._memo.clear()
            found = self._memo[key] = frozenset(self.lookup(address))
        return found

    def contains(self, school_id: str, address: Mapping[str, Any]) -> bool:
        """Whether the address lies in this school's catchment (a few set lookups, no list built)."""
        spec = self._of_school.get(school_id)
        if spec is None:
            return False
        compounds, streets, ranges, districts = spec
        district = address.get("district")
        if district in districts:
            return True
        compound = address.get("compound")
        if compound is not None and (district, compound) in compounds:
            return True
        street = address.get("street")
        if street is None:
            return False
        key = (district, street)
        if key in streets:
            return True
        number = address.get("number")
        if number is None:
            return False
        for lo, hi, parity in ranges.get(key, ()):
            if lo <= number <= hi and (parity == "all" or (number % 2 == 1) == (parity == "odd")):
                return True
        return False


@dataclass
class CsvCatchments:
    """A catchment CSV in the JSON form, with the CSV line of every rule and the lines it could not read."""

    data: list[dict[str, Any]] = field(default_factory=list)
    lines: dict[tuple[int, int], int] = field(default_factory=dict)  # (catchment index, rule index) → line
    problems: list[Problem] = field(default_factory=list)  # at "line N"


def parse_catchments_csv(text: str) -> CsvCatchments:
    """Read a catchment CSV (one rule per line, see schemas/catchments.md), every line, faulty or not."""
    out = CsvCatchments()
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        out.problems.append(Problem("", f"CSV header lacks column(s): {', '.join(missing)}",
                                    zh=f"CSV 首行缺少列：{', '.join(missing)}"))
        return out
    order: dict[str | None, int] = {}  # school id → index of its catchment in data
    for line, row in enumerate(reader, start=2):
        row = {k: _clean(v) or None for k, v in row.items() if k in CSV_COLUMNS}
        rule = _csv_rule(row)
        if rule is None:
            out.problems.append(Problem(f"line {line}", "from, to and parity must all be set, from/to as whole numbers",
                                        zh="from、to 和 parity 必须都填写，from/to 须为整数"))
            continue
        index = order.setdefault(row["school_id"], len(order))
        if index == len(out.data):
            out.data.append({"school_id": row["school_id"], "rules": []})
        entry = out.data[index]
        if row["school_name"]:
            entry["school_name"] = row["school_name"]
        out.lines[(index, len(entry["rules"]))] = line
        entry["rules"].append(rule)
    return out


def _csv_rule(row: Mapping[str, str | None]) -> dict[str, Any] | None:
    """The rule of one CSV line, or None when its house-number range is half set or not numbers."""
    rule: dict[str, Any] = {"district": row["district"]}
    if row["street"]:
        rule["street"] = row["street"]
    if row["compound"]:
        rule["compound"] = row["compound"]
    if any((row["from"], row["to"], row["parity"])):
        try:
            rule["numbers"] = {"from": int(row["from"]), "to": int(row["to"]), "parity": row["parity"]}
        except (TypeError, ValueError):
            return None
    return rule


def catchment_problems(data: Any) -> list[Problem]:
    """Every problem of catchments in the JSON form: the schema's, then schools listed twice and
    empty house-number ranges among the catchments the schema finds no fault in."""
    problems = schema_problems("catchments", data)
    faulty = {p.pointer.split("/")[1] if p.pointer else "" for p in problems}
    if "" in faulty:
        return problems
    seen: set[str] = set()
    for i, catchment in enumerate(data):
        if str(i) in faulty:
            continue
        if catchment["school_id"] in seen:
            problems.append(Problem(f"/{i}/school_id", f"school {catchment['school_id']!r} is listed twice",
                                    zh=f"学校 {catchment['school_id']!r} 出现了两次"))
        seen.add(catchment["school_id"])
        for j, rule in enumerate(catchment["rules"]):
            n = rule.get("numbers")
            if n and n["from"] > n["to"]:
                problems.append(Problem(f"/{i}/rules/{j}/numbers",
                                        f"house numbers from {n['from']} to {n['to']} is an empty range",
                                        zh=f"门牌号从 {n['from']} 到 {n['to']} 是空范围（from 大于 to）"))
    return problems


def _read(source: str | Path | list[Mapping[str, Any]]) -> tuple[Any, list[Problem]]:
    """Catchments in the JSON form from a JSON or CSV file or a list, and the CSV lines that could not be read."""
    if not isinstance(source, (str, Path)):
        return list(source), []
    path = Path(source)
    with open(path, encoding="utf-8-sig", newline="") as fh:
        if path.suffix.lower() != ".csv":
            return json.load(fh), []
        parsed = parse_catchments_csv(fh.read())
    return parsed.data, parsed.problems


def load_catchments(source: str | Path | list[Mapping[str, Any]]) -> CatchmentIndex:
    """Import catchments from a JSON or CSV file, or a list in the JSON form, validating them;
    refused with every problem (a CSV's by line)."""
    data, problems = _read(source)
    problems += catchment_problems(data)
    if problems:
        raise CatchmentError(problems)
    return CatchmentIndex(data)
