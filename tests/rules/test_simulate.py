"""Simulating a draft ruleset over a season's submitted applications (old tier x new tier, who changes)."""
from __future__ import annotations

import json

from click.testing import CliRunner

from core.cli import main
from core.rules import load_ruleset
from core.rules.simulate import Subject, simulate


def draft_without_tier5(lean_document):
    lean_document["tiers"]["rows"] = [r for r in lean_document["tiers"]["rows"] if r["id"] != "T5"]
    lean_document["meta"]["version"] = "1.1.0"
    return lean_document


def test_simulation_counts_old_and_new_tiers_and_lists_changes(ruleset_2021, catchments, family, lean_document):
    draft = load_ruleset(draft_without_tier5(lean_document))
    subjects = [Subject(1, "S1", family("li_tier1"), ruleset_2021), Subject(2, "S2", family("liu_tier5"), ruleset_2021)]
    report = simulate(draft, subjects, catchments)
    assert report.total == 2
    assert report.matrix == {("1", "1"): 1, ("5", "coordinated"): 1}
    (change,) = report.changes
    assert (change["serial"], change["old"]["row"], change["new"]["tier"]) == ("S2", "T5", "coordinated")
    assert change["old"]["trace"]["matched"]["row"] == "T5"
    assert "T5" not in [b["row"] for b in change["new"]["trace"]["better"]]
    assert "matched" not in change["new"]["trace"]


def test_simulate_command_reads_the_seasons_frozen_facts(engine, season, make_account, tmp_path, family, lean_document, document_2021):
    from core.db import write_session
    from core.models import Application, Catchment, School, Season

    guardian = make_account("guardian-sim")
    with write_session(engine) as session:
        row = session.get(Season, season.id)
        for c in document_2021["tests"]["catchments"]:
            school = School(season_id=row.id, code=c["school_id"], name=c["school_name"], stage="middle", district=c["district"])
            session.add(school)
            session.flush()
            session.add(Catchment(season_id=row.id, code=c["school_id"], school_id=school.id, rules=c["rules"]))
        for n, (name, pupil) in enumerate([("li_tier1", "360102200907150011"), ("liu_tier5", "360102200907150038")]):
            session.add(Application(season_id=row.id, guardian_id=guardian.id, pupil_id_number=pupil, district="东湖区",
                                    state="approved", serial=f"S{n}", ruleset_sha256=row.active_ruleset_sha256,
                                    frozen_facts=family(name)))
    path = tmp_path / "draft.json"
    path.write_text(json.dumps(draft_without_tier5(lean_document), ensure_ascii=False), encoding="utf-8")
    result = CliRunner().invoke(main, ["ruleset", "simulate", str(path), "--season", "2021", "--json"],
                                env={"DATABASE_URL": engine.url.render_as_string(hide_password=False)})
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["total"] == 2
    assert {"old": "5", "new": "coordinated", "count": 1} in report["matrix"]
    assert [c["serial"] for c in report["changes"]] == ["S1"]
    text = CliRunner().invoke(main, ["ruleset", "simulate", str(path), "--season", "2021"],
                              env={"DATABASE_URL": engine.url.render_as_string(hide_password=False)}).output
    assert "- S1: 5 (T5) -> coordinated (None)\n  why: the draft has no row T5 that decides it" in text
    assert '"eligibility"' not in text  # the raw explanations only with --json


def test_a_change_is_explained_by_the_condition_that_moves_it():
    """`simulate` prints, per applicant who changes, the one condition that decides the move."""
    from core.rules.cli import _why_moved

    new = {"row": None, "tier": "coordinated", "trace": {"better": [{"row": "T1", "failed": {
        "condition": "head_is_parent", "clause": "§6", "label": {"en": "the household head is the father or the mother"},
        "fact": "pupil.hukou.head_relation", "expected": {"op": "in", "value": ["father", "mother"]}, "actual": "other"}}]}}
    old = {"row": "T1", "tier": 1, "trace": {"better": [], "matched": {"row": "T1"}}}
    assert _why_moved(old, new) == ('row T1 now fails head_is_parent (§6, the household head is the father or the '
                                    'mother): pupil.hukou.head_relation is "other", expected in ["father", "mother"]')
