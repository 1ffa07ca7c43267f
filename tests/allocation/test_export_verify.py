"""Exports and `lottery verify`: everything needed to recompute the draws, and a swapped pair caught."""

from __future__ import annotations

import copy
import json

from jsonschema import Draft202012Validator

from core.allocation.export import export_document, pupils_csv, schools_csv, to_json
from core.allocation.verify import verify_export
from core.paths import schemas_dir

from .cities import by_lottery, pupil, run, school


def _city():
    schools = [school("A", 3), school("B", 2, x=1500), school("C", 4, x=4000)]
    pupils = [
        pupil("a1", "1", "A"),
        *(pupil(f"a2-{n}", "2", "A", x=10 * n) for n in range(4)),
        pupil("a3", "3", "A"),
        pupil("b1", "1", "B", x=1500, direct_school="B", direct_confirmed=True),
        pupil("b2", "5", "B", x=1500),
        pupil("b3", "5", "B", x=1500),
        pupil("c1", "coordinated", "C", x=4000),
    ]
    return schools, pupils


def _export():
    return json.loads(to_json(export_document(run(*_city()))))


def test_export_matches_its_schema():
    schema = json.loads((schemas_dir() / "allocation-export.schema.json").read_text())
    Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER).validate(_export())


def test_same_inputs_give_byte_identical_exports_in_any_order():
    schools, pupils = _city()
    first = export_document(run(schools, pupils))
    second = export_document(run(schools[::-1], pupils[::-1]))
    assert to_json(first) == to_json(second)
    assert pupils_csv(first) == pupils_csv(second)
    assert schools_csv(first) == schools_csv(second)


def test_an_honest_export_verifies():
    assert verify_export(_export()) == []


def test_verify_catches_one_swapped_pair_in_the_draw():
    export = _export()
    winner, loser = by_lottery("a2-0", "a2-1", "a2-2", "a2-3")[1:3]  # A keeps two seats for tier 2
    rows = {row["serial"]: row for row in export["pupils"]}
    fields = ("school", "how", "lottery_rank", "distance_m", "note")
    for field in fields:
        rows[winner][field], rows[loser][field] = rows[loser][field], rows[winner][field]
    differences = verify_export(export)
    assert {difference.serial for difference in differences} == {winner, loser}
    assert (winner, "school") in {(difference.serial, difference.field) for difference in differences}


def test_verify_catches_a_pupil_moved_between_tiers():
    export = _export()
    applicants = export["schools"][0]["applicants"]
    applicants["1"], applicants["2"] = applicants["2"][:1], applicants["1"] + applicants["2"][1:]
    assert verify_export(export)


def test_verify_catches_a_seed_that_does_not_match_the_commitment():
    export = _export()
    export["lottery"]["commitment"] = "0" * 64
    assert [difference.field for difference in verify_export(export)] == ["commitment"]


def test_verify_catches_a_forged_lottery_number():
    export = _export()
    export["pupils"][0]["lottery_number"] = "f" * 64
    assert [difference.field for difference in verify_export(export)] == ["lottery_number"]


def test_verify_catches_a_school_over_capacity():
    export = _export()
    tampered = copy.deepcopy(export)
    rows = {row["serial"]: row for row in tampered["pupils"]}
    rows["c1"]["school"] = "B"
    assert any(difference.field == "admitted" for difference in verify_export(tampered))


def test_school_table_lists_applicants_per_tier_and_the_draw():
    table = schools_csv(_export()).splitlines()
    assert table[0].startswith("school,name,district,kind,capacity,direct,special,applicants,overflow_tier")
    assert table[1].startswith("A,A中学,,public,3,0,0,1:1 2:4 3:1,2,4,2,2,")


def test_verify_catches_a_pupil_listed_in_two_catchments():
    export = _export()
    schools = {school["id"]: school for school in export["schools"]}
    schools["C"]["applicants"]["5"] = ["b2"]
    assert ("b2", "listed at") in {(difference.serial, difference.field) for difference in verify_export(export)}


def test_verify_catches_locked_lists_over_the_published_capacity():
    export = _export()
    schools = {school["id"]: school for school in export["schools"]}
    schools["B"]["capacity"] = 0
    assert "capacity" in {difference.field for difference in verify_export(export)}


def test_a_school_name_excel_would_run_as_a_formula_is_text_in_the_table_and_unchanged_in_the_verified_json():
    """allocation.json is what is digested and verified; the CSV tables are derived from it for
    people, and keep imported text from running as a formula (numbers stay numbers)."""
    import csv
    import io

    from core.allocation import School

    schools, pupils = _city()
    schools[0] = School(id="A", name="=HYPERLINK(\"http://x\")", capacity=3, x=0.0, y=0.0)
    export = json.loads(to_json(export_document(run(schools, pupils))))
    assert export["schools"][0]["name"] == "=HYPERLINK(\"http://x\")" and verify_export(export) == []
    row = next(csv.DictReader(io.StringIO(schools_csv(export))))
    assert row["name"] == "'=HYPERLINK(\"http://x\")" and row["capacity"] == "3"
