"""The one thing pyproject.toml cannot say: which packages the wheel holds.

Everything else (metadata, dependencies, the console script, package data) is in
pyproject.toml; setuptools reads both. The code packages are found as they lie in the checkout
(`core`, `plugins`, `web` and every folder under them, those of templates, static files and
migrations included). The data folders at the repository root, `schemas/` and `rulesets/`, are
shipped as `xuewei_data/schemas/` and `xuewei_data/rulesets/`: a name of our own, since a
package called `schemas` in site-packages could collide with anyone's. `core/paths.py` reads
them there when the code does not run from a checkout. `tests/core/test_wheel.py` builds the
wheel and checks that it holds every file of those folders.
"""
from setuptools import find_namespace_packages, setup

DATA_FOLDERS = ("schemas", "rulesets")

setup(
    packages=find_namespace_packages(include=["core", "core.*", "plugins", "plugins.*", "web", "web.*"])
    + [f"xuewei_data.{folder}" for folder in DATA_FOLDERS],
    package_dir={f"xuewei_data.{folder}": folder for folder in DATA_FOLDERS},
)
