"""A label that repeats a parameter's value (a date, a number) is checked against it: when the
parameter says otherwise the ruleset still loads, with a warning at the label's pointer."""
from __future__ import annotations

import json

from click.testing import CliRunner

from core.cli import main
from core.rules import load_ruleset
from core.ruleset_editor import next_year


def warned(doc) -> dict[str, str]:
    """The loaded ruleset's warnings, English then Chinese, by pointer."""
    return {w.pointer: f"{w.message} | {w.zh}" for w in load_ruleset(doc).warnings}


def test_the_2021_ruleset_and_its_next_year_copy_have_labels_that_agree(document_2021):
    assert warned(document_2021) == {}
    assert warned(next_year(document_2021)) == {}  # "2021年5月31日" moved on with the cut-off date


def test_a_cut_off_date_edited_away_from_its_label_is_a_warning_not_a_refusal(lean_document):
    lean_document["parameters"]["evidence_cutoff"]["values"][0]["value"] = "2021-06-15"
    warnings = warned(lean_document)
    assert list(warnings) == ["/evidence/1/label/zh"]  # "房产权证须于2021年5月31日前办理"
    assert "2021-05-31" in warnings["/evidence/1/label/zh"] and "evidence_cutoff = 2021-06-15" in warnings["/evidence/1/label/zh"]
    assert "名称与规则已不一致" in warnings["/evidence/1/label/zh"]


def test_a_label_repeating_a_value_of_another_period_names_that_period(lean_document):
    """The three-year rule's "三年内" after the interval became 2 years from 2021."""
    lean_document["parameters"]["property_reuse_years"]["values"] = [{"from": "2020-01-01", "value": 3},
                                                                     {"from": "2021-01-01", "value": 2}]
    lean_document["predicates"]["residence_permit_held"]["label"]["zh"] = "持有办理满1年的居住证"
    lean_document["parameters"]["min_holding_years"]["values"] = [{"from": "2020-01-01", "value": 1},
                                                                  {"from": "2021-01-01", "value": 2}]
    warnings = warned(lean_document)
    assert "property_reuse_years from 2020-01-01" in warnings["/three_year_rule/label/zh"]
    assert "property_reuse_years = 2" in warnings["/three_year_rule/label/zh"]
    assert "min_holding_years 自 2020-01-01 起的取值" in warnings["/predicates/residence_permit_held/label/zh"]
    assert "/tiers/rows/8/label/zh" not in warnings  # tier 7's label says no number of years


def test_a_date_the_rule_reads_through_a_derived_value_or_a_literal_is_no_warning(lean_document):
    lean_document["predicates"]["residence_permit_held"]["label"]["zh"] = "居住证于2020年5月31日前办理"
    lean_document["predicates"]["residence_permit_held"]["label"]["en"] = "a residence permit issued by 2020-05-31"
    lean_document["coordinated"][0]["label"]["en"] = "lease registered after 2020-05-31 (one year before 2021-05-31)"
    assert warned(lean_document) == {}


def test_a_label_date_that_next_years_copy_does_not_move_is_found(lean_document):
    """next_year moves "2021年" in labels, not an ISO date inside one: the copy's label would lie."""
    lean_document["evidence"][1]["label"]["en"] = "the property certificate must be issued by 2021-05-31"
    assert warned(lean_document) == {}
    warnings = warned(next_year(lean_document))
    assert list(warnings) == ["/evidence/1/label/en"] and "evidence_cutoff = 2022-05-31" in warnings["/evidence/1/label/en"]


def test_validate_prints_the_warnings_and_exits_0(tmp_path, lean_document):
    lean_document["parameters"]["evidence_cutoff"]["values"][0]["value"] = "2021-06-15"
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(lean_document, ensure_ascii=False), encoding="utf-8")
    result = CliRunner().invoke(main, ["ruleset", "validate", str(path)])
    assert result.exit_code == 0 and "valid" in result.output
    assert "warning: /evidence/1/label/zh: the label says 2021-05-31" in result.output
