"""The sandbox city: deterministic, valid facts, every tier and near miss of the 2021 ruleset."""
from __future__ import annotations

import json
from collections import Counter

import pytest

import plugins.sandbox
from core.canonical import canonical_json
from core.connectors.validation import facts_validator
from core.paths import ruleset_path
from core.rules import load_catchments, load_ruleset
from core.rules.schemas import schema_problems
from plugins.sandbox.city import generate_city
from plugins.sandbox.names import DISTRICTS

POPULATION = 1500


@pytest.fixture(scope="module")
def city():
    return generate_city(2021, POPULATION)


@pytest.fixture(scope="module")
def ruleset():
    return load_ruleset(ruleset_path(2021))


@pytest.fixture(scope="module")
def outcomes(city, ruleset):
    """What the 2021 ruleset makes of every family: row, coordinated:<reason> or ineligible."""
    index = load_catchments(city.catchments)
    result = []
    for family in city.families:
        verdict = ruleset.classify(family.facts, index)
        if verdict.eligible is False:
            result.append(("ineligible", verdict.catchment))
        elif verdict.tier in ("coordinated", "undetermined"):
            codes = ",".join(reason["code"] for reason in verdict.reasons)
            result.append((f"{verdict.tier}:{codes}", verdict.catchment))
        else:
            result.append((verdict.row, verdict.catchment))
    return result


def outcome_reasons(document) -> set[str]:
    """Every coordinated-placement reason the ruleset can give, read from the ruleset itself."""
    checks = [rule for rule in document["evidence"] if rule["on_fail"] == "coordinated"]
    checks += [document["three_year_rule"]] if document["three_year_rule"]["on_fail"] == "coordinated" else []
    checks += document["coordinated"]
    return {rule["id"] for rule in checks} | {"no_row", "no_catchment"}


def test_same_seed_same_city_other_seed_other_city():
    first, again, other = generate_city(5, 300), generate_city(5, 300), generate_city(6, 300)
    dump = lambda c: canonical_json([c.schools, c.catchments, [f.facts for f in c.families]])  # noqa: E731
    assert dump(first) == dump(again)
    assert dump(first) != dump(other)


def test_every_family_is_a_valid_facts_document(city):
    validator = facts_validator()
    invalid = [(f.scenario, e.json_path, e.message) for f in city.families
               for e in list(validator.iter_errors(f.facts))[:1]]
    assert invalid == []


def test_catchments_follow_the_import_schema_and_place_every_home(city):
    assert schema_problems("catchments", city.catchments) == []
    index = load_catchments(city.catchments)
    bases = {"property": "properties", "lease": "leases"}
    for family in city.families:
        basis = family.facts["basis"]
        if basis["kind"] == "demolition":
            address = family.facts["demolition"]["original_address"]
        else:
            address = next(r for r in family.facts[bases[basis["kind"]]] if r["id"] == basis["id"])["address"]
        assert index.school_of(address) == family.school, family.scenario


def test_city_has_the_seven_urban_districts_with_streets_schools_and_coordinates(city):
    middle = [s for s in city.schools if s["stage"] == "middle"]
    assert {s["district"] for s in middle} == set(DISTRICTS)
    assert all(27.9 < s["lat"] < 29.5 and 115.5 < s["lon"] < 116.3 for s in city.schools)
    assert len({s["code"] for s in city.schools}) == len(city.schools)
    assert any(s["kind"] == "province_run" for s in city.schools)
    assert any(s["school_group"] == "南师附小集团成员校" for s in city.schools)
    streets = {(a["district"], a["street"]) for f in city.families for a in [f.facts["pupil"]["hukou"]["address"]]
               if "street" in a}
    assert len(streets) > 50


def test_capacities_leave_some_schools_overflowing_and_some_with_spare_seats(city):
    demand = Counter(f.school for f in city.families if f.school)
    middle = [s for s in city.schools if s["stage"] == "middle"]
    assert any(s["capacity"] < demand[s["code"]] for s in middle)
    assert any(s["capacity"] > demand[s["code"]] for s in middle)


def test_every_family_lands_where_its_kind_says(city, outcomes):
    wrong = Counter((f.scenario, f.expected, got) for f, (got, _) in zip(city.families, outcomes)
                    if got != f.expected)
    assert wrong == Counter()


def test_every_tier_row_of_the_2021_ruleset_is_reached(outcomes, ruleset):
    rows = {row["id"] for row in ruleset.document["tiers"]["rows"]}
    assert rows <= {got for got, _ in outcomes}


def test_every_coordinated_placement_reason_is_reached(outcomes, ruleset):
    reached = {got.split(":", 1)[1] for got, _ in outcomes if got.startswith("coordinated:")}
    assert outcome_reasons(ruleset.document) <= reached


def test_ineligible_migrants_are_reached_and_nothing_is_undetermined(outcomes):
    got = Counter(outcome for outcome, _ in outcomes)
    assert got["ineligible"] > 0
    assert not [o for o in got if o.startswith("undetermined")]


def test_proportions_are_realistic(outcomes):
    got = Counter(outcome for outcome, _ in outcomes)
    assert got.most_common(1)[0][0] == "T1"
    placed = sum(n for o, n in got.items() if o.startswith("coordinated")) / POPULATION
    assert 0.03 < placed < 0.2


def test_catchment_of_the_classification_is_the_familys(city, outcomes):
    assert all(school == family.school for family, (got, school) in zip(city.families, outcomes)
               if got != "ineligible")


def test_direct_promotion_and_special_policy_pupils_exist(city):
    pupils = [f.facts["pupil"] for f in city.families]
    assert any(p["direct_promotion"] for p in pupils)
    assert any(p["special_policy"] for p in pupils)


@pytest.fixture
def active(city):
    plugins.sandbox.activate(city)
    yield city
    plugins.sandbox.activate(None)


def test_sandbox_hooks_give_the_runtime_the_familys_facts(active, xuewei_runtime, ruleset):
    runtime = xuewei_runtime(plugins.sandbox)
    index = load_catchments(active.catchments)
    for family in [next(f for f in active.families if f.scenario == kind)
                   for kind in ("tier1", "tier2", "tier4b", "tier7_business", "demolition_original")]:
        result = runtime.fetch_facts(family.pupil_id)
        assert result.complete and result.unanswered == ()
        fetched = {k: v for k, v in result.facts.items() if k != "sources"}
        expected = {k: v for k, v in family.facts.items() if k != "basis"}
        assert json.loads(canonical_json(fetched)) == json.loads(canonical_json(expected))
        facts_validator().validate({**result.facts, "basis": family.facts["basis"]})
        verdict = ruleset.classify({**result.facts, "basis": family.facts["basis"]}, index)
        assert verdict.row == family.expected


def test_sandbox_answers_only_about_its_own_people(active, xuewei_runtime, family):
    result = xuewei_runtime(plugins.sandbox).fetch_facts(family["pupil"], family)
    assert result.complete and set(result.unanswered) == {
        "pupil_record", "hukou", "properties", "leases", "residence_permits", "social_insurance",
        "business", "employment", "demolition"}


def test_sandbox_simulates_identity_verification(active, xuewei_plugins):
    pm = xuewei_plugins(plugins.sandbox)
    guardian = active.families[0].facts["guardians"][0]
    ok = pm.hook.verify_identity(id_number=guardian["id_number"], name=guardian["name"], face_image=None)
    wrong = pm.hook.verify_identity(id_number=guardian["id_number"], name="冒名者", face_image=None)
    assert ok["verified"] is True and wrong["verified"] is False
    assert pm.hook.verify_identity(id_number="110101199003070011", name="x", face_image=None) is None


def test_sandbox_city_from_the_environment(monkeypatch):
    plugins.sandbox.activate(None)
    monkeypatch.setenv("XUEWEI_SANDBOX_SEED", "9")
    monkeypatch.setenv("XUEWEI_SANDBOX_POPULATION", "120")
    try:
        city = plugins.sandbox.active_city()
        assert len(city.families) == 120
        pupil = city.families[0].pupil_id
        assert plugins.sandbox.fetch_pupil_record(pupil_id_number=pupil)["pupil"]["id_number"] == pupil
    finally:
        plugins.sandbox.activate(None)


def test_without_a_city_the_sandbox_answers_nothing(monkeypatch, family):
    monkeypatch.delenv("XUEWEI_SANDBOX_SEED", raising=False)
    plugins.sandbox.activate(None)
    assert plugins.sandbox.fetch_leases(id_numbers=family) is None


@pytest.mark.parametrize("hook, keys", [
    ("fetch_hukou", ("pupil", "guardians")),
    ("fetch_properties", ("properties",)),
    ("fetch_leases", ("leases",)),
    ("fetch_residence_permits", ("residence_permits",)),
    ("fetch_social_insurance", ("social_insurance",)),
    ("fetch_business", ("business",)),
    ("fetch_employment", ("employment",)),
    ("fetch_demolition", ("demolition",)),
])
def test_each_sandbox_connector_returns_its_sources_keys_only(active, xuewei_plugins, hook, keys):
    pm = xuewei_plugins(plugins.sandbox)
    family = next(f for f in active.families if f.scenario == "tier7_business")
    ids = {g["relation"]: g["id_number"] for g in family.facts["guardians"]} | {"pupil": family.pupil_id}
    fragment = getattr(pm.hook, hook)(id_numbers=ids)
    assert set(fragment) == set(keys)
    for key in set(keys) - {"pupil", "guardians"}:
        assert fragment[key] == family.facts[key]


def test_sandbox_pupil_record_leaves_hukou_to_public_security(active, xuewei_plugins):
    pm = xuewei_plugins(plugins.sandbox)
    family = active.families[0]
    record = pm.hook.fetch_pupil_record(pupil_id_number=family.pupil_id)
    assert "hukou" not in record["pupil"] and record["pupil"]["name"] == family.facts["pupil"]["name"]
    assert [g["relation"] for g in record["guardians"]] == [g["relation"] for g in family.facts["guardians"]]


def test_written_city_classifies_with_xuewei_classify_as_expected(tmp_path, capsys):
    from click.testing import CliRunner

    from core.rules.cli import classify
    from plugins.sandbox.__main__ import main

    main(["--seed", "4", "--population", "120", "--out", str(tmp_path)])
    assert json.loads(capsys.readouterr().out)["pupils"] == 120
    result = CliRunner().invoke(classify, ["--ruleset", str(ruleset_path(2021)), "--catchments",
                                           str(tmp_path / "catchments.json"), "--input",
                                           str(tmp_path / "applications.jsonl")])
    assert result.exit_code == 0, result.output
    expected = {}
    for line in (tmp_path / "applications.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        expected[record["id"]] = record["expected"]
    for line in result.output.splitlines():
        verdict = json.loads(line)
        want = expected[verdict["id"]]
        if want == "ineligible":
            assert verdict["eligible"] is False
        elif want.startswith("coordinated:"):
            assert verdict["tier"] == "coordinated" and want.split(":")[1] in {r["code"] for r in verdict["reasons"]}
        else:
            assert verdict["row"] == want
    assert len(result.output.splitlines()) == 120
