"""Where the data folders live: rulesets, schemas and the instance folder.

`rulesets/` and `schemas/` sit at the repository root beside the packages, so they are
found relative to this file (or from the environment), never from the current directory.
"""
from __future__ import annotations

import os
from pathlib import Path

__all__ = ["ROOT", "rulesets_dir", "schemas_dir", "instance_dir", "ruleset_path", "schema_path"]

ROOT = Path(__file__).resolve().parent.parent


def rulesets_dir() -> Path:
    """The folder of yearly rulesets (`XUEWEI_RULESETS_DIR` overrides)."""
    return Path(os.environ.get("XUEWEI_RULESETS_DIR", ROOT / "rulesets"))


def schemas_dir() -> Path:
    """The folder of JSON Schemas (`XUEWEI_SCHEMAS_DIR` overrides)."""
    return Path(os.environ.get("XUEWEI_SCHEMAS_DIR", ROOT / "schemas"))


def instance_dir() -> Path:
    """Where the embedded database and uploads live (`XUEWEI_INSTANCE_DIR` overrides)."""
    path = Path(os.environ.get("XUEWEI_INSTANCE_DIR", ROOT / "instance"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def ruleset_path(year: int) -> Path:
    """The ruleset file for a season year, e.g. rulesets/2021.json."""
    return rulesets_dir() / f"{year}.json"


def schema_path(name: str) -> Path:
    """A schema file by name, e.g. schema_path("ruleset") -> schemas/ruleset.schema.json."""
    return schemas_dir() / f"{name}.schema.json"
