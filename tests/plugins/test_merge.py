"""Merging the sources' fragments into one facts document never changes what a source said."""
from __future__ import annotations

import copy
from datetime import datetime, timezone

from core.connectors.merge import merge_fragments
from core.connectors.runtime import Fetched

AT = datetime(2021, 6, 1, tzinfo=timezone.utc)


def test_merging_shares_nothing_with_the_fragments():
    record = {"pupil": {"id_number": "P", "name": "李小明"},
              "guardians": [{"relation": "father", "id_number": "F", "name": "李"}]}
    hukou = {"pupil": {"id_number": "P", "hukou": {"address": {"district": "东湖区"}}},
             "guardians": [{"relation": "father", "id_number": "F", "hukou": {"address": {"district": "东湖区"}}}]}
    leases = {"leases": [{"id": "L1", "address": {"district": "西湖区"}}]}
    said = copy.deepcopy([record, hukou, leases])
    doc = merge_fragments(Fetched(source, "test", AT, payload, "digest")
                          for source, payload in (("pupil_record", record), ("hukou", hukou), ("leases", leases)))
    assert doc["guardians"] == [{"relation": "father", "id_number": "F", "name": "李",
                                 "hukou": {"address": {"district": "东湖区"}}}]
    doc["guardians"][0]["hukou"]["address"]["district"] = "changed"
    doc["pupil"]["hukou"]["address"]["district"] = "changed"
    doc["leases"][0]["address"]["district"] = "changed"
    assert [record, hukou, leases] == said, "the fragments (stored as fact records) must stay as the sources said"


def _merged(*answers):
    return merge_fragments(Fetched(source, "test", AT, payload, "digest") for source, payload in answers)


def test_the_hukou_of_the_pupil_and_guardians_is_credited_to_the_hukou_register_not_the_school_record():
    """The household head (户主) is the public security's word: a reviewer weighs it as such."""
    record = {"pupil": {"id_number": "P", "name": "李小明"}, "guardians": [{"relation": "father", "id_number": "F"}]}
    hukou = {"pupil": {"id_number": "P", "hukou": {"head_relation": "father"}},
             "guardians": [{"relation": "father", "id_number": "F", "hukou": {"head_relation": "father"}}]}
    sources = _merged(("pupil_record", record), ("hukou", hukou))["sources"]
    assert sources["pupil"]["connector"] == sources["guardians"]["connector"] == "test:pupil_record"
    assert sources["pupil.hukou"]["connector"] == sources["guardians.hukou"]["connector"] == "test:hukou"
    assert set(sources) == {"pupil", "guardians", "pupil.hukou", "guardians.hukou"}  # id numbers: the record's


def test_a_source_that_brings_a_key_first_needs_no_field_entries():
    hukou = {"pupil": {"id_number": "P", "hukou": {"head_relation": "father"}}, "guardians": []}
    assert set(_merged(("hukou", hukou))["sources"]) == {"pupil", "guardians"}
