"""The command line: validate, test, diff, and classify with golden explanations for fixed families."""
from __future__ import annotations

import copy
import json
import os
from pathlib import Path

from click.testing import CliRunner

from core.cli import main
from core.paths import ruleset_path

GOLDEN = Path(__file__).parent / "golden"
RULESET = str(ruleset_path(2021))


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_validate_accepts_the_2021_ruleset():
    result = run("ruleset", "validate", RULESET)
    assert result.exit_code == 0 and "valid" in result.output


def test_validate_exits_1_naming_each_pointer(tmp_path, lean_document):
    bad = copy.deepcopy(lean_document)
    bad["predicates"]["basis_is_lease"]["when"] = {"==": [{"var": "basis.kind"}, "lease"]}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad, ensure_ascii=False), encoding="utf-8")
    result = CliRunner().invoke(main, ["ruleset", "validate", str(path)])
    assert result.exit_code == 1
    assert "/predicates/basis_is_lease/when/==" in result.output


def test_validate_says_a_file_in_another_encoding_is_not_utf8(tmp_path, lean_document):
    """A ruleset saved as GBK by a Chinese-locale editor: a plain answer, not a traceback."""
    path = tmp_path / "gbk.json"
    path.write_bytes(json.dumps(lean_document, ensure_ascii=False).encode("gbk"))
    result = run("ruleset", "validate", str(path))
    assert result.exit_code == 1 and "not UTF-8 text (save it as UTF-8)" in result.output


def test_test_command_ends_with_the_tally():
    result = run("ruleset", "test", RULESET)
    assert result.exit_code == 0
    last = result.output.strip().splitlines()[-1]
    assert last.endswith("passed, 0 failed") and int(last.split()[0]) >= 60


def test_test_command_reports_a_failing_case(tmp_path, document_2021):
    doc = copy.deepcopy(document_2021)
    doc["tests"]["cases"][0]["expect"]["tier"] = 2
    path = tmp_path / "wrong.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    result = CliRunner().invoke(main, ["ruleset", "test", str(path)])
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1].endswith("passed, 1 failed")
    assert "tier: expected 2, got 1" in result.output


def test_diff_command_lists_changes_by_id_with_old_and_new_values(tmp_path, document_2021):
    new = copy.deepcopy(document_2021)
    new["parameters"]["evidence_cutoff"]["values"][0]["value"] = "2021-05-30"
    new["tests"]["cases"] = new["tests"]["cases"][:1]
    path = tmp_path / "new.json"
    path.write_text(json.dumps(new, ensure_ascii=False), encoding="utf-8")
    result = run("ruleset", "diff", RULESET, str(path))
    assert "~ parameter evidence_cutoff (values)\n" \
           '    values/0/value: "2021-05-31" -> "2021-05-30"\n' in result.output
    assert "- test tier 2: grandfather household head, grandparents' flat, parents own nothing" in result.output


def classify_lines(*extra):
    result = run("classify", "--ruleset", RULESET, "--catchments", str(GOLDEN / "catchments.json"),
                 "--input", str(GOLDEN / "families.jsonl"), *extra)
    assert result.exit_code == 0
    return [json.loads(line) for line in result.output.splitlines()]


def test_classify_prints_one_line_per_application():
    lines = classify_lines()
    assert [line["id"] for line in lines][:3] == ["F01", "F02", "F03"]
    assert set(lines[0]) == {"id", "eligible", "tier", "row", "catchment", "reasons"}
    assert (lines[0]["tier"], lines[0]["row"]) == (1, "T1")


def test_classify_explain_matches_the_golden_file():
    lines = classify_lines("--explain")
    golden = GOLDEN / "classify_explain.jsonl"
    if os.environ.get("XUEWEI_UPDATE_GOLDEN") == "1":
        golden.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    expected = [json.loads(line) for line in golden.read_text(encoding="utf-8").splitlines()]
    assert lines == expected


def test_classify_validate_reports_a_bad_facts_document_and_goes_on(tmp_path):
    good = (GOLDEN / "families.jsonl").read_text(encoding="utf-8").splitlines()[0]
    path = tmp_path / "input.jsonl"
    path.write_text(json.dumps({"id": "bad", "facts": {"pupil": {}, "guardians": [], "basis": "P1"}}) + "\n" + good + "\n",
                    encoding="utf-8")
    result = run("classify", "--ruleset", RULESET, "--catchments", str(GOLDEN / "catchments.json"),
                 "--input", str(path), "--validate")
    first, second = [json.loads(line) for line in result.stdout.splitlines()]
    assert first["id"] == "bad" and any(e.startswith("/basis") for e in first["errors"])
    assert second["tier"] == 1
    assert result.exit_code == 1 and "1 line(s) could not be classified" in result.stderr


def test_classify_reports_each_line_it_cannot_read_and_classifies_the_rest(tmp_path):
    """A broken line, a line that is not an object and facts of the wrong shape (no --validate
    asked) each get their errors; the good family after them is still classified."""
    good = (GOLDEN / "families.jsonl").read_text(encoding="utf-8").splitlines()[0]
    wrong_shape = {"id": "shape", "facts": {"pupil": "李小明", "guardians": "父母", "properties": 3,
                                            "basis": {"kind": "property", "id": "P1"}}}
    path = tmp_path / "input.jsonl"
    path.write_text("\n".join(['{"id": "cut", "facts": {', "[1, 2]", json.dumps(wrong_shape, ensure_ascii=False),
                               good]) + "\n", encoding="utf-8")
    result = run("classify", "--ruleset", RULESET, "--catchments", str(GOLDEN / "catchments.json"),
                 "--input", str(path))
    cut, listed, shape, classified = [json.loads(line) for line in result.stdout.splitlines()]
    assert cut == {"id": 1, "errors": ["line 1: not JSON: Expecting property name enclosed in double quotes (column 25)"]}
    assert listed == {"id": 2, "errors": ["line 2: not a JSON object"]}
    assert shape["id"] == "shape" and "/pupil: '李小明' is not of type 'object'" in shape["errors"]
    assert classified["id"] == "F01" and classified["tier"] == 1
    assert result.exit_code == 1 and "3 line(s) could not be classified" in result.stderr


def test_embedded_tests_may_take_their_catchments_from_a_file_beside_the_ruleset(tmp_path, document_2021):
    doc = copy.deepcopy(document_2021)
    (tmp_path / "fixture-catchments.json").write_text(json.dumps(doc["tests"].pop("catchments"), ensure_ascii=False),
                                                      encoding="utf-8")
    doc["tests"]["catchments_file"] = "fixture-catchments.json"
    path = tmp_path / "ruleset.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    result = CliRunner().invoke(main, ["ruleset", "test", str(path)])
    assert result.output.strip().splitlines()[-1] == f"{len(doc['tests']['cases'])} passed, 0 failed"
