"""The expression language: JSON-Logic syntax, strict semantics, undetermined for missing facts."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from core.rules import UNDETERMINED, RulesetError, compile_guard
from core.rules.compiler import Compiler
from core.rules.schemas import schema_document
from core.rules.types import SchemaTypes
from core.rules.values import Env

CST = timezone(timedelta(hours=8))


def evaluate(expr, facts, params=None):
    """Compile against the facts schema (no ruleset) and evaluate once."""
    compiler = Compiler(SchemaTypes(schema_document("facts")), params=params or {})
    node = compiler.compile(expr, "", compiler.root)
    assert compiler.problems == []
    return node.fn(Env(facts), facts)


def problems(expr):
    compiler = Compiler(SchemaTypes(schema_document("facts")))
    compiler.compile(expr, "", compiler.root)
    return compiler.problems


FACTS = {"pupil": {"id_number": "360102200907150011", "name": "李小明", "birth_date": "2009-07-15",
                   "hukou": {"address": {"city": "南昌市", "district": "东湖区", "text": "东湖区"}, "head_relation": "father",
                             "collective": False},
                   "primary_school": {"name": "x", "district": "东湖区", "in_urban_area": True, "province": "江西省"}},
         "guardians": [{"relation": "father", "id_number": "360102198001010015", "name": "李"},
                       {"relation": "mother", "id_number": "360102198203040026", "name": "王"}],
         "leases": []}


def test_strict_equality_never_converts_types():
    assert problems({"===": [{"var": "pupil.hukou.collective"}, 0]})[0].message.startswith("type mismatch")


def test_missing_fact_is_undetermined_not_false():
    assert evaluate({"===": [{"var": "pupil.hukou.since"}, {"date": "2012-01-01"}]}, FACTS) is UNDETERMINED


def test_false_beats_undetermined_in_and_true_beats_it_in_or():
    missing = {"===": [{"var": "business"}, []]}
    assert evaluate({"and": [missing, False]}, FACTS) is False
    assert evaluate({"or": [missing, True]}, FACTS) is True
    assert evaluate({"and": [missing, True]}, FACTS) is UNDETERMINED
    assert evaluate({"!": missing}, FACTS) is UNDETERMINED


def test_all_over_an_empty_list_holds_unlike_json_logic():
    assert evaluate({"all": [{"var": "leases"}, {"===": [{"var": "registered"}, True]}]}, FACTS) is True


def test_quantifier_over_an_unfetched_list_is_undetermined():
    assert evaluate({"some": [{"var": "properties"}, {"===": [{"var": "usage"}, "residential"]}]}, FACTS) is UNDETERMINED


def test_quantifier_body_reads_the_item_and_dollar_reads_the_root():
    expr = {"some": [{"var": "guardians"}, {"===": [{"var": "relation"}, {"var": "$.pupil.hukou.head_relation"}]}]}
    assert evaluate(expr, FACTS) is True


def test_dates_are_typed_and_compared_as_dates():
    assert evaluate({"<": [{"var": "pupil.birth_date"}, {"date": "2010-01-01"}]}, FACTS) is True
    assert "dates" in problems({"<": [{"var": "pupil.birth_date"}, "2010-01-01"]})[0].message


def test_date_arithmetic_counts_days_and_years():
    assert evaluate({"days_between": [{"date": "2020-05-31"}, {"date": "2021-05-31"}]}, FACTS) == 365
    assert evaluate({"add_years": [{"date": "2020-02-29"}, 1]}, FACTS) == "2021-02-28"
    assert evaluate({"year": [{"var": "pupil.birth_date"}]}, FACTS) == 2009


def test_a_null_fact_is_known_absence_not_undetermined():
    facts = {**FACTS, "demolition": None}
    assert evaluate({"===": [{"var": "demolition.choice"}, "original"]}, facts) is False


def test_parameters_are_constants_folded_at_load():
    from core.rules.types import DATE
    assert evaluate({"add_years": [{"param": "cutoff"}, -1]}, FACTS, {"cutoff": ("2021-05-31", DATE)}) == "2020-05-31"


@pytest.mark.parametrize("expr, word", [
    ({"==": [1, 1]}, "loose"),
    ({"!=": [1, 2]}, "loose"),
    ({"method": ["x", "upper"]}, "unknown operator"),
    ({"var": ["pupil.name", "default"]}, "defaults are not allowed"),
    ({"and": [1, True]}, "true/false"),
    ({"in": [{"var": "pupil.name"}, {"var": "pupil.name"}]}, "needs a list"),
    ({"some": [{"var": "pupil"}, True]}, "needs a list"),
    ({"in_catchment": [{"var": "pupil.name"}]}, "needs an address"),
    ({"===": [{"var": "pupil.hukou.head_relation"}, "uncle"]}, "never a value"),
    ({"date": "2021-6-1"}, "bad date"),
    ({"a": 1, "b": 2}, "exactly one key"),
])
def test_malformed_expressions_are_refused(expr, word):
    found = problems(expr)
    assert found and word in found[0].message


def test_guard_compares_the_clock_with_a_deadline():
    guard = compile_guard({"<": [{"var": "now"}, {"datetime": "2021-06-16T17:00:00+08:00"}]})
    assert guard({"application": {}, "now": datetime(2021, 6, 16, 16, 59, tzinfo=CST)}) is True
    assert guard({"application": {}, "now": datetime(2021, 6, 16, 9, 0, tzinfo=timezone.utc)}) is False


def test_guard_equality_is_strict_at_run_time():
    guard = compile_guard({"===": [{"var": "application.version"}, 1]})
    assert guard({"application": {"version": "1"}, "now": None}) is False
    assert guard({"application": {"version": 1}, "now": None}) is True


def test_guard_on_a_missing_value_is_undetermined():
    guard = compile_guard({"===": [{"var": "application.state"}, "submitted"]})
    assert guard({"application": {}, "now": None}) is None


def test_guard_with_an_unknown_operator_is_refused():
    with pytest.raises(RulesetError) as caught:
        compile_guard({"eval": ["1+1"]})
    assert caught.value.problems[0].pointer == "/eval"
