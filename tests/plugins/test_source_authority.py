"""Each source says only what it is the authority for, about the people it was asked about.

The pupil record and the hukou register both bring part of the pupil and the guardians, merged
field by field; an answer that reached outside its part would overwrite the school record (a
pupil's special policy, direct promotion, school) or join a stranger to the family, and the
provenance would still name the school record. Such an answer is invalid, nothing of it kept.
"""
from __future__ import annotations

import pytest

from core.connectors import Status
from core.hookspecs import hookimpl
from plugin_test_data import ADDRESS, FATHER, PUPIL, person_id

HUKOU = {"address": ADDRESS, "head_relation": "father", "collective": False}
SCHOOL = {"name": "育新学校", "district": "东湖区", "in_urban_area": True, "province": "江西省"}
STRANGER = person_id("19750505", 17)


def _source(source: str, answer):
    """A plugin serving `source` with `answer(what it was asked)`: the pupil's number for the
    pupil record, the id numbers by relation for every other source (pluggy passes arguments by name)."""
    if source == "pupil_record":
        def fetch(self, pupil_id_number):
            return answer(pupil_id_number)
    else:
        def fetch(self, id_numbers):
            return answer(id_numbers)
    return type("Source", (), {f"fetch_{source}": hookimpl(fetch)})()


@pytest.mark.parametrize("pupil", [
    {"special_policy": "military"}, {"direct_promotion": {"school_id": "M-XX"}}, {"primary_school": SCHOOL},
    {"name": "别人"},
], ids=lambda p: next(iter(p)))
def test_the_hukou_register_cannot_say_what_the_school_record_says_of_the_pupil(xuewei_runtime, family, pupil):
    runtime = xuewei_runtime(_source("hukou", lambda ids: {"pupil": {"id_number": ids["pupil"], "hukou": HUKOU, **pupil},
                                                    "guardians": []}))
    outcome, fetched = runtime.call_source_named("hukou", id_numbers=family)
    assert outcome.status is Status.invalid and fetched is None
    assert "$.pupil" in outcome.error and "not this source's to say" in outcome.error


def test_the_hukou_register_cannot_add_a_guardian_nobody_asked_about(xuewei_runtime, family):
    runtime = xuewei_runtime(_source("hukou", lambda ids: {"guardians": [
        {"relation": "father", "id_number": ids["father"], "hukou": HUKOU},
        {"relation": "father", "id_number": STRANGER, "hukou": HUKOU}]}))
    outcome, fetched = runtime.call_source_named("hukou", id_numbers=family)
    assert outcome.status is Status.invalid and fetched is None
    assert "$.guardians[1]" in outcome.error and "not asked about" in outcome.error


def test_a_guardian_answered_in_another_relation_than_asked_is_refused(xuewei_runtime, family):
    runtime = xuewei_runtime(_source("hukou", lambda ids: {"guardians": [
        {"relation": "mother", "id_number": ids["father"], "hukou": HUKOU}]}))
    outcome, _ = runtime.call_source_named("hukou", id_numbers=family)
    assert outcome.status is Status.invalid and "$.guardians[0]" in outcome.error


def test_a_school_record_of_another_pupil_is_refused(xuewei_runtime):
    runtime = xuewei_runtime(_source("pupil_record", lambda asked: {
        "pupil": {"id_number": person_id("20090801", 33), "name": "别人", "primary_school": SCHOOL},
        "guardians": [{"relation": "father", "id_number": FATHER, "name": "张伟"}]}))
    outcome, fetched = runtime.call_source_named("pupil_record", pupil_id_number=PUPIL)
    assert outcome.status is Status.invalid and fetched is None
    assert "another pupil" in outcome.error


def test_the_school_record_cannot_say_where_the_family_is_registered(xuewei_runtime):
    runtime = xuewei_runtime(_source("pupil_record", lambda asked: {
        "pupil": {"id_number": asked, "name": "张小明", "primary_school": SCHOOL, "hukou": HUKOU},
        "guardians": []}))
    outcome, _ = runtime.call_source_named("pupil_record", pupil_id_number=PUPIL)
    assert outcome.status is Status.invalid and "['hukou']" in outcome.error


@pytest.mark.parametrize("source, answer", [
    ("social_insurance", {}), ("properties", {}), ("hukou", {"pupil": {"id_number": PUPIL, "hukou": HUKOU}}),
])
def test_an_answer_without_the_sources_facts_is_not_a_fetch_that_found_nothing(xuewei_runtime, family, source,
                                                                              answer):
    """Knowing nothing is an empty list ({"properties": []}); an empty answer is a fault: it would
    replace what the source said before and show the source as fetched."""
    outcome, fetched = xuewei_runtime(_source(source, lambda ids: answer)).call_source_named(source, id_numbers=family)
    assert outcome.status is Status.invalid and fetched is None and "lacks" in outcome.error


def test_a_register_that_knows_none_of_the_family_answers_with_no_guardians(xuewei_runtime, family):
    outcome, fetched = xuewei_runtime(_source("hukou", lambda ids: {"guardians": []})).call_source_named(
        "hukou", id_numbers=family)
    assert outcome.status is Status.ok and fetched.payload == {"guardians": []}


@pytest.mark.parametrize("source, records", [
    ("leases", {"leases": [{"id": "L1", "address": ADDRESS, "registered": True, "registered_on": "2019-08-01",
                            "start": "2019-08-01", "end": "2022-07-31", "tenant_relation": "grandfather"}]}),
    ("social_insurance", {"social_insurance": [{"holder": "grandmother", "pension_paid": True, "months_paid": 24}]}),
])
def test_a_record_of_someone_nobody_asked_about_is_refused(xuewei_runtime, family, source, records):
    """Only the parents were asked: a grandfather's lease would count for a family it is not."""
    outcome, fetched = xuewei_runtime(_source(source, lambda ids: records)).call_source_named(source, id_numbers=family)
    assert outcome.status is Status.invalid and fetched is None and "was not asked about" in outcome.error


def test_a_property_owner_in_the_family_carries_the_id_number_asked_about(xuewei_runtime, family):
    owners = [{"relation": "father", "id_number": STRANGER}, {"relation": "other", "id_number": person_id("19700101", 11)}]
    answer = {"properties": [{"id": "P1", "cert_type": "real_estate_certificate", "address": ADDRESS,
                              "usage": "residential", "owners": owners, "co_owned_with_non_direct_relatives": True,
                              "issued_on": "2015-06-01", "enrolment_uses": []}]}
    outcome, _ = xuewei_runtime(_source("properties", lambda ids: answer)).call_source_named("properties", id_numbers=family)
    assert outcome.status is Status.invalid and "$.properties[0].owners[0].id_number" in outcome.error
    owners[0]["id_number"] = FATHER  # the father as asked; a co-owner outside the family is no one asked
    outcome, fetched = xuewei_runtime(_source("properties", lambda ids: answer)).call_source_named("properties", id_numbers=family)
    assert outcome.status is Status.ok and fetched.payload["properties"][0]["owners"] == owners
