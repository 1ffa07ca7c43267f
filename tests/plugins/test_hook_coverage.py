"""Every hook has a docstring with an example, a documentation entry and a test (as datasette does)."""
from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import pytest

import core.hookspecs
from core.paths import ROOT

DOCS = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
HERE = Path(__file__).parent
HOOKS = {name: fn for name, fn in inspect.getmembers(core.hookspecs, inspect.isfunction)
         if hasattr(fn, "xuewei_spec")}


def test_there_are_hooks_to_check():
    assert {"verify_identity", "fetch_hukou", "notify_guardian"} <= set(HOOKS)


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_hook_has_a_docstring_with_an_example(name):
    doc = inspect.getdoc(HOOKS[name])
    assert doc and "Example" in doc


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_hook_is_documented_with_its_arguments(name):
    arguments = ", ".join(inspect.signature(HOOKS[name]).parameters)
    assert f"### `{name}({arguments})`" in DOCS


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_hook_has_a_test(name):
    sources = "\n".join(path.read_text(encoding="utf-8") for path in HERE.glob("test_*.py")
                        if path.name != Path(__file__).name)
    assert re.search(rf"\b{name}\b", sources), f"no test mentions {name}"


def test_documented_hooks_all_exist():
    documented = set(re.findall(r"^### `(\w+)\(", DOCS, flags=re.MULTILINE))
    assert documented == set(HOOKS)


def test_json_examples_in_the_guide_parse():
    blocks = re.findall(r"```json\n(.*?)```", DOCS, flags=re.DOTALL)
    assert blocks
    for block in blocks:
        json.loads(block)
