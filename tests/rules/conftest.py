"""Fixtures for the rules tests: the 2021 ruleset, its fixture catchments, and a mutable copy."""
from __future__ import annotations

import copy
import json

import pytest

from core.paths import ruleset_path
from core.rules import load_ruleset
from core.rules.loader import test_facts
from core.rules.testing import fixture_catchments


@pytest.fixture(scope="session")
def document_2021() -> dict:
    with open(ruleset_path(2021), encoding="utf-8") as fh:
        return json.load(fh)


@pytest.fixture(scope="session")
def ruleset_2021(document_2021):
    return load_ruleset(document_2021)


@pytest.fixture(scope="session")
def catchments(ruleset_2021):
    return fixture_catchments(ruleset_2021)


@pytest.fixture
def lean_document(document_2021) -> dict:
    """A deep copy without the embedded cases, which are slow to validate: for mutation tests."""
    doc = copy.deepcopy(document_2021)
    doc["tests"] = {"catchments": doc["tests"]["catchments"], "families": {}, "cases": []}
    return doc


@pytest.fixture
def family(document_2021):
    """A family's facts from the ruleset's test section, optionally patched (RFC 6902 operations)."""
    def make(name: str, *patch: dict) -> dict:
        return test_facts({"family": name, "patch": list(patch)}, document_2021["tests"]["families"])
    return make
