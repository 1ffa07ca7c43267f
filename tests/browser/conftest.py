"""Browser tests: a REAL xuewei server on 127.0.0.1 and Debian's chromium driven by Playwright.

Playwright's own browser download does not work here; `make browsers` installs Debian's
`chromium`, which these fixtures launch headless with a fresh profile. Without it the tests
skip with the reason (and fail in CI, where `CI=true`, so a missing browser is never a
silent green). The server is `xuewei serve` in a subprocess with its own SQLite database,
secret key and season clock (`XUEWEI_NOW` or `XUEWEI_CLOCK_START`/`XUEWEI_CLOCK_SPEED`).
Every page a test visits can be kept as a screenshot under `test-artifacts/screenshots/`.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
READY_TIMEOUT_S = 60
PASSWORD = "browser-test-2021"
STAFF = (
    # username, role, district
    ("admin", "city_admin", None),
    ("reviewer-dh", "reviewer", "东湖区"),
    ("operator", "operator", None),
)


def _chromium_or_skip() -> str:
    """The chromium binary, or skip (fail under CI) saying how to get it."""
    if os.path.exists(CHROMIUM) and os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    reason = f"chromium not found at {CHROMIUM}: run `make browsers` (apt-get install chromium)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _xuewei() -> str:
    """The console script of the interpreter running the tests (the project's venv)."""
    script = Path(sys.executable).with_name("xuewei")
    return str(script) if script.exists() else shutil.which("xuewei") or "xuewei"


@dataclass
class LiveServer:
    """A running `xuewei serve`: its base URL, database and environment."""

    url: str
    database_url: str
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen | None = field(default=None, repr=False)

    def log(self) -> str:
        """What the server printed so far (for failure messages)."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def run(self, *args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
        """Run a `xuewei` command against this server's database (and clock, unless `env` sets another)."""
        environment = {**self.env, **env}
        if "XUEWEI_NOW" in env:
            environment.pop("XUEWEI_CLOCK_START", None)
        result = subprocess.run([_xuewei(), *args], env=environment, cwd=ROOT, capture_output=True,
                                text=True, timeout=timeout)
        assert result.returncode == 0, f"xuewei {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        return result

    def get_json(self, path: str) -> dict:
        """GET a JSON document from the server (no browser, no session)."""
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return json.loads(response.read())

    def stop(self) -> None:
        """Stop gunicorn gracefully, then hard if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


def _wait_ready(server: LiveServer) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"xuewei serve exited with {server.process.returncode}:\n{server.log()}")
        try:
            with urllib.request.urlopen(server.url + "/readyz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"xuewei serve did not answer /readyz within {READY_TIMEOUT_S}s:\n{server.log()}")


def seed_season(database_url: str) -> None:
    """Migrate the database, activate the 2021 ruleset with its calendar and create the staff accounts."""
    from core.accounts import create_account
    from core.db import make_engine, write_session
    from core.paths import ruleset_path
    from core.rulesets import activate_ruleset, ensure_season, store_ruleset
    from core.schema import upgrade
    from core.season.boundaries import materialise
    from core.workflow import Actor

    engine = make_engine(database_url)
    try:
        upgrade(engine)
        system = Actor.system("browser-tests")
        with write_session(engine) as session:
            season = ensure_season(session, 2021, "南昌市2021年城区小升初")
            version = store_ruleset(session, season, json.loads(ruleset_path(2021).read_text()), system)
            activate_ruleset(session, season, version.sha256, system)
            materialise(session, season)
            for username, role, district in STAFF:
                create_account(session, username=username, password=PASSWORD, role=role,
                               district=district, by=system)
    finally:
        engine.dispose()


SANDBOX_SEED, SANDBOX_POPULATION = 7, 200


def _csv(rows: list[list], header: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header.split(","))
    writer.writerows(rows)
    return out.getvalue()


def seed_sandbox_city(database_url: str) -> None:
    """The 2021 season plus the sandbox city's schools and catchments, imported as an administrator would."""
    from core.db import make_engine, write_session
    from core.imports import SCHOOL_COLUMNS, import_catchments, import_schools
    from core.models import Season
    from core.workflow import Actor
    from plugins.sandbox.city import generate_city
    from sqlmodel import select

    seed_season(database_url)
    city = generate_city(SANDBOX_SEED, SANDBOX_POPULATION)
    schools = _csv([[school[c] if school[c] is not None else "" for c in SCHOOL_COLUMNS] for school in city.schools],
                   ",".join(SCHOOL_COLUMNS))
    catchments = _csv([[c["school_id"], c["school_name"], rule["district"], rule.get("street", ""),
                        rule.get("numbers", {}).get("from", ""), rule.get("numbers", {}).get("to", ""),
                        rule.get("numbers", {}).get("parity", ""), rule.get("compound", "")]
                       for c in city.catchments for rule in c["rules"]],
                      "school_id,school_name,district,street,from,to,parity,compound")
    engine = make_engine(database_url)
    try:
        admin = Actor("admin", "city_admin")
        with write_session(engine) as session:
            season = session.exec(select(Season)).one()
            import_schools(session, season, schools, actor=admin)
            import_catchments(session, season, catchments, actor=admin)
    finally:
        engine.dispose()


def tier_one_family_of_donghu(city):
    """A family the sandbox made for tier 1, in the district whose window opens first and
    whose reviewer (`reviewer-dh`) the browser tests log in as."""
    return next(f for f in city.families if f.expected == "T1"
                and f.facts["pupil"]["primary_school"]["district"] == "东湖区")


@pytest.fixture(scope="session")
def sandbox_city():
    """The sandbox city the server's sandbox plugin answers from (same seed, same families)."""
    from plugins.sandbox.city import generate_city

    return generate_city(SANDBOX_SEED, SANDBOX_POPULATION)


@pytest.fixture
def start_server(tmp_path):
    """Factory: start_server(now="2021-06-01T10:05:00+08:00") or (clock_start=…, clock_speed=…)."""
    started: list[LiveServer] = []

    def start(*, now: str | None = "2021-06-01T10:05:00+08:00", clock_start: str | None = None,
              clock_speed: float = 60.0, seed=seed_season, database_url: str | None = None) -> LiveServer:
        """A new server; `database_url` of an earlier one continues its season (no seeding)."""
        folder = tmp_path / f"server-{len(started)}"
        folder.mkdir()
        if database_url is None:
            database_url = f"sqlite:///{folder / 'xuewei.sqlite3'}"
        else:
            seed = None
        env = {key: value for key, value in os.environ.items()
               if not key.startswith("XUEWEI_") and key != "DATABASE_URL"}
        env.update(DATABASE_URL=database_url, XUEWEI_SECRET_KEY=secrets.token_hex(32),
                   XUEWEI_INSTANCE_DIR=str(folder), PYTHONUNBUFFERED="1",
                   XUEWEI_SANDBOX_SEED=str(SANDBOX_SEED), XUEWEI_SANDBOX_POPULATION=str(SANDBOX_POPULATION))
        if clock_start:
            env.update(XUEWEI_CLOCK_START=clock_start, XUEWEI_CLOCK_SPEED=str(clock_speed))
        elif now:
            env["XUEWEI_NOW"] = now
        if seed is not None:
            seed(database_url)
        port = _free_port()
        server = LiveServer(f"http://127.0.0.1:{port}", database_url, env, folder / "server.log")
        with open(server.log_path, "wb") as log:
            server.process = subprocess.Popen(
                [_xuewei(), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--threads", "4"],
                env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        started.append(server)
        _wait_ready(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def live_server(start_server) -> LiveServer:
    """A server with the 2021 season active and time fixed at 1 June 2021 10:05 (东湖区 open)."""
    return start_server()


@pytest.fixture
def browser_context(tmp_path):
    """A headless chromium with a fresh profile of its own; closed after the test."""
    executable = _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    profile = tmp_path / "chromium-profile"
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=executable, headless=True, args=CHROMIUM_ARGS,
            locale="zh-CN", viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser_context):
    """One browser tab."""
    return browser_context.pages[0] if browser_context.pages else browser_context.new_page()


class Screenshots:
    """Saves numbered full-page screenshots of one test under test-artifacts/screenshots/."""

    def __init__(self, test_name: str):
        self.folder = SCREENSHOTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name)
        shutil.rmtree(self.folder, ignore_errors=True)
        self.count = 0

    def __call__(self, page, name: str) -> Path:
        """Keep what the page shows now as `NN-name.png`."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count += 1
        path = self.folder / f"{self.count:02d}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def shoot(request):
    """shoot(page, "login") keeps a screenshot of the page as a test artifact."""
    return Screenshots(request.node.name)


@pytest.fixture
def login():
    """login(page, server, "admin") signs in through the login form (web-A's stable ids)."""

    def sign_in(page, server: LiveServer, username: str, password: str = PASSWORD) -> None:
        page.goto(server.url + "/login")
        page.fill("#username", username)
        page.fill("#password", password)
        page.click("[data-testid=login-submit]")
        page.wait_for_load_state("domcontentloaded")

    return sign_in


@dataclass(frozen=True)
class Submitted:
    """A sandbox family's application as the guardian's browser submitted it."""

    application_id: int
    serial: str
    username: str


def fill_signup(page, server: LiveServer, family, username: str) -> None:
    """The sign-up page filled in (not sent) for the family's first guardian, who the sandbox's
    identity check knows."""
    parent = family.facts["guardians"][0]
    page.goto(server.url + "/signup")
    page.fill("#name", parent["name"])
    page.fill("#id_number", parent["id_number"])
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.fill("#password2", PASSWORD)


@pytest.fixture
def guardian_submits(shoot):
    """guardian_submits(page, server, family, username): sign-up to serial number through the pages,
    checking each step on the way (identity, pupil record, every source, basis, tier, confirmation)."""

    def run(page, server: LiveServer, family, username: str) -> Submitted:
        from playwright.sync_api import expect

        pupil = family.facts["pupil"]
        fill_signup(page, server, family, username)
        shoot(page, "signup")
        page.click("[data-testid=signup-submit]")
        district = pupil["primary_school"]["district"]
        expect(page.locator(f"[data-testid='district-window-{district}']")).to_have_attribute("data-state", "open")
        shoot(page, "home")

        page.click("[data-testid=start-application]")
        page.fill("#pupil_id_number", family.pupil_id)
        page.fill("#pupil_name", pupil["name"])
        page.select_option("#district", district)
        page.click("[data-testid=new-application-submit]")
        application_id = int(page.locator("[data-testid=application]").get_attribute("data-application-id"))
        # the school record came with the draft (it had to name this guardian): confirm it
        expect(page.locator("[data-testid=pupil-name]")).to_have_text(pupil["name"])
        shoot(page, "pupil-record")
        page.click("[data-testid=confirm-pupil-record]")
        expect(page.locator("[data-testid=source-hukou]")).to_have_attribute("data-status", "fetched")
        basis = family.facts["basis"]
        page.check(f"[data-testid=basis-option-{basis['kind']}-{basis['id']}]")
        page.click("[data-testid=basis-submit]")
        expect(page.locator("[data-testid=tier]")).to_have_attribute("data-value", family.expected.lstrip("T"))
        shoot(page, "tier-before-submit")

        page.click("[data-testid=go-submit]")
        submit = page.locator("[data-testid=submit-button]")
        expect(submit).to_be_disabled()  # until the guardian confirms it cannot be changed
        page.check("[data-testid=confirm-checkbox]")
        shoot(page, "confirm-submit")
        submit.click()
        serial = page.locator("[data-testid=serial]")
        expect(serial).to_have_text(re.compile(r"^\d{6,}"))
        shoot(page, "submitted")
        return Submitted(application_id, serial.inner_text(), username)

    return run
