"""Every hook has a docstring with an example, a documentation entry and a test (as datasette does)."""
from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import pytest

import core.hookspecs
from core.connectors.sources import SOURCES
from core.paths import ROOT
from core.testing import assert_valid_fragment

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


def _json_examples() -> list[tuple[str, str]]:
    """Every ```json block of the guide with the hook whose section (### `fetch_…(…)`) holds it."""
    examples = []
    for section in re.split(r"^### ", DOCS, flags=re.MULTILINE)[1:]:
        hook = re.match(r"`(\w+)\(", section)
        for block in re.findall(r"^```json\n(.*?)^```", section, flags=re.DOTALL | re.MULTILINE):
            examples.append((hook.group(1) if hook else section.splitlines()[0], block))
    return examples


def test_every_connector_hook_has_one_json_example_and_nothing_else_does():
    assert sorted(hook for hook, _block in _json_examples()) == sorted(source.hook for source in SOURCES)


@pytest.mark.parametrize("hook, block", _json_examples(), ids=[hook for hook, _block in _json_examples()])
def test_json_example_in_the_guide_is_a_valid_answer_of_its_source(hook, block):
    (source,) = [source.name for source in SOURCES if source.hook == hook]
    assert_valid_fragment(source, json.loads(block))
