"""The wheel holds every file the server needs, and an installed wheel finds them.

docs/deploy.md installs xuewei with `pip install xuewei-*.whl`. A wheel once shipped neither
schemas/ nor rulesets/ (nor favicon.svg), and looked for them beside the packages in
site-packages: `xuewei ruleset validate` failed, and so did every worker warming up with an
active season. This builds the wheel from a copy of the checkout, compares it with the
checkout's files (any file of any type, so a new kind of asset is caught too), and runs the
unpacked wheel outside the repository: validate and activate the shipped ruleset, migrate a
database in the default instance folder, warm a worker up and serve a page, the icon and a
static file.

Building needs setuptools able to make wheels in this environment (`pip wheel
--no-build-isolation`, offline): the test extra asks for it. Without it the test skips, or
fails with `XUEWEI_REQUIRE_WHEEL_BUILD=1` (.ci/run sets it).
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from core.paths import DATA_PACKAGE, ROOT

pytestmark = pytest.mark.slow

PACKAGES = ("core", "plugins", "web")  # shipped as they lie in the checkout
DATA_FOLDERS = ("schemas", "rulesets")  # shipped as xuewei_data/<folder>/
BUILD_FILES = ("pyproject.toml", "setup.py", "README.md")


def _can_build_wheels() -> bool:
    """setuptools with a bdist_wheel command: its own (70.1+) or the `wheel` package's."""
    if importlib.util.find_spec("setuptools") is None:
        return False
    return (importlib.util.find_spec("wheel") is not None
            or importlib.util.find_spec("setuptools.command.bdist_wheel") is not None)


def _checkout_files() -> list[str]:
    """Every file of the shipped folders: tracked, or new and not ignored (they ship too)."""
    folders = PACKAGES + DATA_FOLDERS
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *folders],
                                cwd=ROOT, capture_output=True, check=True, timeout=30).stdout.decode()
        files = [name for name in listed.split("\0") if name]
    except (OSError, subprocess.SubprocessError):
        files = []
    if not files:  # not a git checkout (an unpacked source archive)
        files = [path.relative_to(ROOT).as_posix() for folder in folders for path in (ROOT / folder).rglob("*")
                 if path.is_file() and "__pycache__" not in path.parts]
    return sorted(name for name in set(files) if (ROOT / name).is_file() and not name.endswith((".pyc", ".pyo")))


def _in_wheel(name: str) -> str:
    folder, _, rest = name.partition("/")
    return f"{DATA_PACKAGE}/{folder}/{rest}" if folder in DATA_FOLDERS else name


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, list[str]]:
    """The wheel built from a copy of the checkout (building in place would leave build/ and
    an .egg-info behind, and a stale build/ could hide a missing file), and the copied files."""
    if not _can_build_wheels():
        message = ("setuptools cannot build wheels here (needs setuptools>=70.1 or the `wheel` package, "
                   "as the test extra installs: make install-test)")
        if os.environ.get("XUEWEI_REQUIRE_WHEEL_BUILD") == "1":
            pytest.fail(message)
        pytest.skip(message)
    folder = tmp_path_factory.mktemp("wheel")
    source = folder / "source"
    files = _checkout_files()
    for name in [*files, *(name for name in BUILD_FILES if (ROOT / name).is_file())]:
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                           "--quiet", "--wheel-dir", str(folder / "dist"), str(source)],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = (folder / "dist").glob("xuewei-*.whl")
    return wheel, files


def test_the_wheel_holds_every_file_of_the_packages_and_the_data_folders(built):
    wheel, files = built
    names = set(zipfile.ZipFile(wheel).namelist())
    # The listing of the checkout found what it must (a broken listing would prove nothing).
    for name in ("schemas/ruleset.schema.json", "rulesets/2021.json", "web/static/favicon.svg",
                 "web/templates/base.html", "core/migrations/script.py.mako", "core/migrations/env.py"):
        assert name in files
    assert any(name.startswith("core/migrations/versions/") for name in files)

    expected = {_in_wheel(name) for name in files}
    missing = sorted(expected - names)
    assert not missing, f"files of the checkout missing from the wheel (see setup.py, pyproject.toml): {missing}"
    metadata = {name for name in names if name.split("/")[0].endswith(".dist-info")}
    extra = sorted(names - expected - metadata)
    assert not extra, f"files in the wheel that the checkout does not have: {extra}"
    # Nothing generic at the top of site-packages (no `schemas`, no `rulesets`).
    assert {name.split("/")[0] for name in names - metadata} == {*PACKAGES, DATA_PACKAGE}


CHECK = """
import sys
from pathlib import Path

site, cwd = Path(sys.argv[1]).resolve(), Path.cwd().resolve()

import core
from core import paths
from core.config import database_url

assert Path(core.__file__).resolve() == site / "core" / "__init__.py", core.__file__
assert not paths.source_checkout()
assert paths.schemas_dir().resolve() == site / "xuewei_data" / "schemas", paths.schemas_dir()
assert paths.rulesets_dir().resolve() == site / "xuewei_data" / "rulesets", paths.rulesets_dir()
assert paths.schema_path("ruleset").is_file() and paths.ruleset_path(2021).is_file()
assert paths.instance_dir().resolve() == cwd / "instance", paths.instance_dir()
assert database_url() == f"sqlite:///{cwd / 'instance' / 'xuewei.sqlite3'}", database_url()

from web.server import warm_up
from web import create_app

app = create_app()
warm_up(app)  # compiles the active season's ruleset, as every worker does when it starts
client = app.test_client()
for url, status, kind in (("/favicon.ico", 200, "image/svg+xml"), ("/static/favicon.svg", 200, "image/svg+xml"),
                          ("/static/app.css", 200, "text/css"), ("/static/app.js", 200, "javascript"),
                          ("/login", 200, "text/html"), ("/no-such-page", 404, "text/html")):
    answer = client.get(url)
    assert answer.status_code == status and kind in answer.content_type, (url, answer.status, answer.content_type)
assert b"<html" in client.get("/login").data
print("wheel ok")
"""


def test_an_unpacked_wheel_finds_its_data_outside_the_checkout(built, tmp_path):
    wheel, _ = built
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    workdir = tmp_path / "run"
    workdir.mkdir()
    # Only the wheel on the path: no checkout, no overrides, no database named.
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("XUEWEI_") and key not in ("PYTHONPATH", "DATABASE_URL")}
    env.update(PYTHONPATH=str(site), XUEWEI_SECRET_KEY="wheel-test-" + "0" * 53, XUEWEI_LOG_LEVEL="WARNING")

    def run(*args: str) -> str:
        done = subprocess.run([sys.executable, *args], cwd=workdir, env=env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, f"{args}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    shipped = site / DATA_PACKAGE / "rulesets" / "2021.json"
    assert "valid" in run("-m", "core", "ruleset", "validate", str(shipped))
    run("-m", "core", "db", "upgrade")
    run("-m", "core", "ruleset", "activate", str(shipped), "--yes")
    assert "wheel ok" in run("-c", CHECK, str(site))

    # The database went into ./instance, nothing was written into the unpacked wheel.
    assert (workdir / "instance" / "xuewei.sqlite3").is_file()
    assert not (site / "instance").exists()
    written = {path.relative_to(site).as_posix() for path in site.rglob("*")
               if path.is_file() and "__pycache__" not in path.parts}
    assert written == set(zipfile.ZipFile(wheel).namelist())
