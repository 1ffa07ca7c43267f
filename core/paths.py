"""Where the data folders live: rulesets, schemas and the instance folder.

`rulesets/` and `schemas/` are found from where the code is, never from the current directory:

- in a source checkout (an editable install included) they are the folders at the repository
  root, beside the packages;
- in an installed wheel they are the package `xuewei_data` (`xuewei_data/schemas/`,
  `xuewei_data/rulesets/`; see setup.py), beside `core` in site-packages.

`XUEWEI_SCHEMAS_DIR` and `XUEWEI_RULESETS_DIR` override both.

The instance folder (the embedded SQLite database and uploads when `DATABASE_URL` and
`XUEWEI_DOCUMENTS_DIR` are not set, the demo's secret key) is `XUEWEI_INSTANCE_DIR`, else
`instance/` in the checkout when running from one, else `instance/` in the current directory:
an installed package never writes into its own folder in site-packages.
"""
from __future__ import annotations

import importlib.util
import os
from functools import cache
from pathlib import Path

__all__ = ["ROOT", "DATA_PACKAGE", "source_checkout", "rulesets_dir", "schemas_dir", "instance_dir",
           "ruleset_path", "schema_path"]

# The repository root in a checkout; the site-packages folder in an installed wheel.
ROOT = Path(__file__).resolve().parent.parent
DATA_PACKAGE = "xuewei_data"


def source_checkout() -> bool:
    """The code runs from a source checkout (editable install or PYTHONPATH), not a wheel."""
    return (ROOT / "pyproject.toml").is_file()


@cache
def _shipped(folder: str) -> Path:
    """The folder a wheel installed as `xuewei_data.<folder>`."""
    try:
        spec = importlib.util.find_spec(f"{DATA_PACKAGE}.{folder}")
    except ModuleNotFoundError:
        spec = None
    locations = list(spec.submodule_search_locations or ()) if spec is not None else []
    if not locations:
        raise FileNotFoundError(
            f"xuewei's {folder}/ folder is neither beside the code ({ROOT / folder}) nor installed as "
            f"{DATA_PACKAGE}.{folder}: reinstall the xuewei wheel, or set XUEWEI_{folder.upper()}_DIR")
    return Path(locations[0])


def _data_dir(folder: str) -> Path:
    configured = os.environ.get(f"XUEWEI_{folder.upper()}_DIR")
    if configured:
        return Path(configured)
    if source_checkout():
        return ROOT / folder
    return _shipped(folder)


def rulesets_dir() -> Path:
    """The folder of yearly rulesets (`XUEWEI_RULESETS_DIR` overrides)."""
    return _data_dir("rulesets")


def schemas_dir() -> Path:
    """The folder of JSON Schemas (`XUEWEI_SCHEMAS_DIR` overrides)."""
    return _data_dir("schemas")


def instance_dir() -> Path:
    """Where the embedded database and uploads live by default, created when first asked for:
    `XUEWEI_INSTANCE_DIR`; else the checkout's `instance/`; else, installed, `./instance`."""
    configured = os.environ.get("XUEWEI_INSTANCE_DIR")
    if configured:
        path = Path(configured)
    elif source_checkout():
        path = ROOT / "instance"
    else:
        path = Path.cwd() / "instance"
    path.mkdir(parents=True, exist_ok=True)
    return path


def ruleset_path(year: int) -> Path:
    """The ruleset file for a season year, e.g. rulesets/2021.json."""
    return rulesets_dir() / f"{year}.json"


def schema_path(name: str) -> Path:
    """A schema file by name, e.g. schema_path("ruleset") -> schemas/ruleset.schema.json."""
    return schemas_dir() / f"{name}.schema.json"
