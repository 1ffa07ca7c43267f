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
