"""docs/architecture.md's module map names every module and package of `core`."""
from __future__ import annotations

import re

from core.paths import ROOT

CORE = ROOT / "core"


def test_the_module_map_names_every_core_module_and_package():
    table = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8").split("## core", 1)[1].split("\n## ", 1)[0]
    named = set(re.findall(r"`(core/[\w/]+?(?:\.py|/))`", table))
    present = {f"core/{path.name}" for path in CORE.glob("*.py") if path.name != "__init__.py"}
    present |= {f"core/{path.name}/" for path in CORE.iterdir() if (path / "__init__.py").exists()}
    assert sorted(present - named) == [] and sorted(named - present) == []
