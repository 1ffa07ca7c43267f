"""A ruleset is known by the sha256 of its canonical JSON; diff compares two versions by id."""
from __future__ import annotations

import copy
import json

from core.rules import canonical_json, diff, load_ruleset


def test_sha256_does_not_depend_on_key_order_or_spacing(lean_document):
    shuffled = json.loads(json.dumps(lean_document, indent=3, sort_keys=True))
    reordered = dict(reversed(list(shuffled.items())))
    assert load_ruleset(reordered).sha256 == load_ruleset(lean_document).sha256


def test_canonical_json_sorts_keys_and_keeps_chinese_text():
    assert canonical_json({"b": 1, "a": "学区"}) == '{"a":"学区","b":1}'


def test_diff_names_changed_parameters_rows_and_dates(lean_document):
    new = copy.deepcopy(lean_document)
    new["parameters"]["evidence_cutoff"]["values"][0]["value"] = "2022-05-31"
    new["tiers"]["rows"] = [r for r in new["tiers"]["rows"] if r["id"] != "T6b"]
    new["tiers"]["rows"][0]["all"] = new["tiers"]["rows"][0]["all"][:-1]
    new["calendar"]["phases"][1]["end"] = "2022-06-16T17:00:00+08:00"
    new["meta"]["version"] = "1.1.0"
    found = {(c["kind"], c["id"], c["change"]) for c in diff(lean_document, new)}
    assert {("parameter", "evidence_cutoff", "changed"), ("tier_row", "T6b", "removed"),
            ("tier_row", "T1", "changed"), ("phase", "collection", "changed"), ("meta", "version", "changed")} <= found


def test_diff_gives_the_old_and_new_value_of_everything_that_changed_inside_an_entry(lean_document):
    new = copy.deepcopy(lean_document)
    new["parameters"]["demolition_valid_years"]["values"][0]["value"] = 5
    del new["parameters"]["demolition_valid_years"]["clause"]
    new["tiers"]["rows"][0]["all"] = new["tiers"]["rows"][0]["all"][:-1]
    changes = {(c["kind"], c["id"]): c["details"] for c in diff(lean_document, new) if c["change"] == "changed"}
    assert changes[("parameter", "demolition_valid_years")] == [
        {"path": "values/0/value", "old": 3, "new": 5}, {"path": "clause", "old": "§3.4"}]
    last = len(new["tiers"]["rows"][0]["all"])
    assert changes[("tier_row", "T1")] == [{"path": f"all/{last}", "old": lean_document["tiers"]["rows"][0]["all"][-1]}]


def test_diff_names_the_condition_added_to_a_rows_list_not_the_whole_list(lean_document):
    """A reviewer reads "all/3: + lease_held_two_years", not a 120-character cut of the whole list."""
    new = copy.deepcopy(lean_document)
    condition = {"pred": "lease_held_two_years"}
    new["tiers"]["rows"][0]["all"].insert(1, condition)
    [change] = [c for c in diff(lean_document, new) if c["id"] == "T1"]
    assert change["details"] == [{"path": "all/1", "new": condition}]


def test_diff_shows_what_an_added_entry_holds(lean_document):
    new = copy.deepcopy(lean_document)
    new["parameters"]["lease_min_years"] = {"type": "integer", "values": [{"from": "2021-05-15", "value": 2}]}
    [change] = [c for c in diff(lean_document, new) if c["id"] == "lease_min_years"]
    assert change["change"] == "added" and change["details"] == [{"path": "", "new": new["parameters"]["lease_min_years"]}]


def test_diff_of_identical_rulesets_is_empty(ruleset_2021):
    assert diff(ruleset_2021, ruleset_2021) == []


def test_window_of_a_pupil_follows_the_primary_school_district_or_group(ruleset_2021, family):
    assert ruleset_2021.window_for(family("li_tier1"))["id"] == "W1"
    group = {"op": "replace", "path": "/pupil/primary_school/group", "value": "南师附小集团成员校"}
    assert ruleset_2021.window_for(family("li_tier1", group))["opens_at"] == "2021-06-02T14:00:00+08:00"


def test_window_of_a_migrant_outside_urban_schools_follows_the_residence(ruleset_2021, family):
    away = {"op": "replace", "path": "/pupil/primary_school/in_urban_area", "value": False}
    assert ruleset_2021.window_for(family("wu_tier7", away))["id"] == "W1"


def test_calendar_phases_are_clean_data_in_china_standard_time(ruleset_2021):
    phases = {p["id"]: p for p in ruleset_2021.calendar["phases"]}
    assert phases["collection"]["start"] == "2021-06-01T10:00:00+08:00"
    assert phases["collection"]["end"] == "2021-06-16T17:00:00+08:00"
    assert ruleset_2021.allocation["overflow_order"] == ["tier", "lottery"]
