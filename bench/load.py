"""The opening rush: simulated guardians pull their facts from the sandbox, choose a residence
basis and submit, over HTTP against a real `xuewei serve` on 127.0.0.1; then they poll their
status pages, drawn in full and then revalidated with their ETag as a browser does (starting
from the copy each browser kept when the journey showed it the page); then the
same poll runs against a minimal Flask endpoint under the same gunicorn settings, as the
baseline the status page is compared with.

    .venv/bin/python -m bench.load                                   # SQLite in a temporary folder
    .venv/bin/python -m bench.load --database-url postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python -m bench.load --window W1 --write-lock   # one window's districts, as at its opening

Accounts and drafts are made through the core services before anything is timed, and each
guardian is signed in then too (through the app's own `login_user`, so the slow password
hash is paid once, not once per guardian). With PostgreSQL the run gets a schema of its own,
dropped at the end.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from unittest import mock
from urllib.parse import urlsplit

from bench.common import (AsyncClient, HttpError, ServerProcess, Timings, free_port, local_postgres_cpu_seconds,
                          xuewei_server)
from bench.profiling import Sampler, hot_spots
from core.paths import ruleset_path
from web.server import ServeOptions

__all__ = ["main", "Prepared", "prepare_guardians", "fill_in", "submit", "journey", "signed_in", "StepFailed", "GOALS"]

SEASON_NOW = "2021-06-02T14:00:00+08:00"  # every district's window is open (§2.2, window W4)
PASSWORD = "bench-password-2021"
GOALS = {"submissions_per_s": 200.0, "status_reads_per_s": 1500.0, "p99_ms": 250.0, "baseline_ratio": 0.5}
JOURNEY_STEPS = ("facts", "basis", "submit", "status")


@dataclass(frozen=True)
class Prepared:
    """A signed-in guardian with one draft: what the HTTP client needs to act as them."""

    application_id: int
    cookie: str
    csrf: str


# --- the database -------------------------------------------------------------------------

@contextmanager
def database(url: str | None, folder: Path, keep: bool) -> Iterator[str]:
    """An empty database for this run: an SQLite file, or a fresh schema on the PostgreSQL server."""
    if url is None:
        yield f"sqlite:///{folder / 'bench.sqlite3'}"
        return
    from core.db import scratch_schema

    with scratch_schema(url, prefix="bench", keep=keep) as schema_url:
        yield schema_url


def _district(family, districts: set[str]) -> str:
    """Where the family registers: the district of its first home in the city, else its hukou's."""
    for item in (family.facts.get("properties") or []) + (family.facts.get("leases") or []):
        district = (item.get("address") or {}).get("district")
        if district in districts:
            return district
    district = family.facts["pupil"].get("hukou", {}).get("address", {}).get("district")
    return district if district in districts else sorted(districts)[0]


def window_districts(window_id: str) -> set[str]:
    """The districts whose families may register in one window of the 2021 calendar (§2.2)."""
    windows = json.loads(ruleset_path(2021).read_text())["calendar"]["windows"]
    found = next((w for w in windows if w["id"] == window_id), None)
    if found is None:
        raise SystemExit(f"no window {window_id!r} in the 2021 calendar: {', '.join(w['id'] for w in windows)}")
    return set(found["districts"])


def population_for(count: int, seed: int, districts: set[str] | None) -> int:
    """How many pupils the sandbox city needs so that `count` families register in `districts`
    (all of them: `count`). The same seed and population always make the same city, so the
    server's sandbox, told this population, knows every one of these families."""
    from plugins.sandbox.city import generate_city

    population = count
    while districts is not None and len(_in_districts(generate_city(seed, population).families, districts)) < count:
        population *= 2
    return population


@cache
def _city_districts() -> frozenset[str]:
    return frozenset(d["name"] for d in json.loads(ruleset_path(2021).read_text())["districts"])


def _in_districts(families: list, districts: set[str] | None) -> list:
    """The families that register in `districts` (all of them: None)."""
    return [f for f in families if districts is None or _district(f, _city_districts()) in districts]


def prepare_guardians(database_url: str, secret_key: str, *, count: int, seed: int,
                      districts: set[str] | None = None, population: int | None = None) -> list[Prepared]:
    """Season, ruleset, the sandbox city's schools and catchments, `count` guardian accounts with
    one draft each, and their signed-in cookies. With `districts`, only families registering
    there, from a city of `population` pupils (see `population_for`)."""
    from werkzeug.security import generate_password_hash

    import core.accounts
    from core.accounts import create_account
    from core.applications import start_application
    from core.clock import parse_instant
    from core.db import make_engine, write_session
    from core.rulesets import activate_ruleset, ensure_season, store_ruleset
    from core.schema import upgrade
    from core.season.replay import load_city
    from core.workflow import Actor
    from plugins.sandbox.city import generate_city
    from web import create_app

    engine = make_engine(database_url)
    upgrade(engine)
    now = parse_instant(SEASON_NOW)
    system = Actor.system("bench")
    document = json.loads(ruleset_path(2021).read_text())
    with write_session(engine) as session:
        season = ensure_season(session, 2021, "南昌市2021年城区小升初")
        version = store_ruleset(session, season, document, system)
        activate_ruleset(session, season, version.sha256, system)
    city = generate_city(seed, population or count)
    load_city(engine, season, city)  # its schools and catchments, so assessments are real work
    families = _in_districts(city.families, districts)[:count]
    if len(families) < count:
        raise ValueError(f"the city has {len(families)} families in {sorted(districts or ())}, not {count}")
    shared_hash = generate_password_hash(PASSWORD)
    drafts = []
    # One real hash for everyone: the accounts are made by the real service, minus the slow part.
    with mock.patch.object(core.accounts, "generate_password_hash", lambda _password: shared_hash):
        for start in range(0, count, 250):
            with write_session(engine) as session:
                for n, family in enumerate(families[start:start + 250], start):
                    guardian = create_account(session, username=f"bench-guardian-{n:05d}", password=PASSWORD,
                                              role="guardian", by=system)
                    application = start_application(session, season=season, guardian=guardian,
                                                    pupil_id_number=family.pupil_id,
                                                    pupil_name=family.facts["pupil"]["name"],
                                                    district=_district(family, _city_districts()), now=now)
                    drafts.append((guardian, application.id))
    app = create_app({"ENGINE": engine, "SECRET_KEY": secret_key})
    prepared = [Prepared(application_id, *signed_in(app, guardian)) for guardian, application_id in drafts]
    engine.dispose()
    return prepared


def signed_in(app, account) -> tuple[str, str]:
    """The session cookie and CSRF token `account` has after logging in to `app` (no password check)."""
    from flask import session as flask_session

    from web.security import login_user

    with app.test_request_context("/"):
        login_user(account)
        cookie = app.session_interface.get_signing_serializer(app).dumps(dict(flask_session))
        return cookie, flask_session["csrf"]


# --- the simulated guardians --------------------------------------------------------------

class StepFailed(Exception):
    """A step answered with an unexpected status or body."""


async def _step(client: AsyncClient, timings: Timings, step: str, method: str, path: str, *,
                expect: tuple[int, ...] = (200,), **kwargs):
    started = time.perf_counter()
    response = await client.request(method, path, **kwargs)
    elapsed = time.perf_counter() - started
    if response.status not in expect:
        raise StepFailed(f"{step}: {method} {path} answered {response.status}: {response.text[:200]}")
    timings.record(step, elapsed)
    return response


def act_as(client: AsyncClient, guardian: Prepared) -> None:
    """Put the guardian's signed-in session and CSRF token on the connection."""
    client.cookies = {"xuewei_session": guardian.cookie}
    client.headers = {"X-CSRF-Token": guardian.csrf}


async def fill_in(client: AsyncClient, guardian: Prepared, timings: Timings) -> None:
    """Facts from the sandbox, then the first residence basis the application offers."""
    act_as(client, guardian)
    base = f"/api/v1/applications/{guardian.application_id}"
    facts = (await _step(client, timings, "facts", "POST", f"{base}/facts", json_body={})).json()
    options = facts["application"].get("basis_options") or [{"kind": "property", "id": None}]
    basis = {"kind": options[0]["kind"], "id": options[0].get("id") or ""}
    await _step(client, timings, "basis", "PUT", f"{base}/basis", json_body=basis)


async def submit(client: AsyncClient, guardian: Prepared, timings: Timings) -> str:
    """Press submit (confirmed); the answer carries the serial number."""
    act_as(client, guardian)
    answer = await _step(client, timings, "submit", "POST", f"/api/v1/applications/{guardian.application_id}/submit",
                         json_body={"confirm": True})
    return answer.json()["serial"]


def status_path(guardian: Prepared) -> str:
    return f"/guardian/applications/{guardian.application_id}"


async def journey(client: AsyncClient, guardian: Prepared, timings: Timings,
                  held: dict[str, str] | None = None) -> str | None:
    """One guardian's submission: facts, basis, submit, then a look at the status page (whose
    ETag goes into `held`: the browser keeps the page it was shown)."""
    step = "facts"
    try:
        started = time.perf_counter()
        await fill_in(client, guardian, timings)
        step = "submit"
        serial = await submit(client, guardian, timings)
        timings.record("journey", time.perf_counter() - started)
        step = "status"
        page = await _step(client, timings, "status", "GET", status_path(guardian))
        if held is not None and page.headers.get("etag"):
            held[status_path(guardian)] = page.headers["etag"]
        return serial
    except (HttpError, StepFailed, KeyError, ValueError) as error:
        timings.error(step, str(error))
        return None


async def rush(port: int, guardians: list[Prepared], clients: int) -> tuple[Timings, dict[int, str], dict[str, str]]:
    """Every guardian through the journey, `clients` at a time, as fast as the server answers.

    Returns the timings, the serials answered, and the status pages the browsers now hold
    (path -> ETag)."""
    timings, serials, held = Timings(), {}, {}
    queue = iter(guardians)

    async def one_tab():
        client = AsyncClient("127.0.0.1", port)
        for guardian in queue:
            serial = await journey(client, guardian, timings, held)
            if serial:
                serials[guardian.application_id] = serial
        await client.close()

    started = time.perf_counter()
    await asyncio.gather(*(one_tab() for _ in range(clients)))
    timings.wall = time.perf_counter() - started
    return timings, serials, held


async def warm_up(port: int, guardians: list[Prepared]) -> None:
    """Not timed: guardians one after another, each on a new connection, so that every worker
    (whichever accepts) builds the sandbox city and its caches before the clock starts."""
    timings = Timings()
    for guardian in guardians:
        client = AsyncClient("127.0.0.1", port)
        await journey(client, guardian, timings)
        await client.close()
    if timings.errors:
        step, messages = next(iter(timings.errors.items()))
        raise SystemExit(f"warm-up failed in {step}: {messages[0]}")


async def poll(port: int, targets: list[tuple[str, Prepared | None]], clients: int, seconds: float,
               step: str, *, held: dict[str, str] | None = None) -> Timings:
    """GET the targets in random order from `clients` connections for `seconds`.

    With `held` (path -> ETag of the copy the browser holds, updated as pages come), each page
    is asked for with `If-None-Match`, as a browser does with a page marked `no-cache`;
    `timings.not_modified` counts the 304 answers. Without it, every page is drawn in full.
    """
    timings = Timings()
    deadline = time.perf_counter() + seconds
    rng = random.Random(2021)
    revalidate = held is not None
    held = {} if held is None else held

    async def one_tab():
        client = AsyncClient("127.0.0.1", port)
        while time.perf_counter() < deadline:
            path, guardian = rng.choice(targets)
            if guardian is not None:
                client.cookies = {"xuewei_session": guardian.cookie}
            asked = {"If-None-Match": held[path]} if path in held else {}
            try:
                response = await _step(client, timings, step, "GET", path, expect=(200, 304) if asked else (200,),
                                       headers=asked)
            except (HttpError, StepFailed) as error:
                timings.error(step, str(error))
                continue
            if response.status == 304:
                timings.not_modified += 1
            elif revalidate and response.headers.get("etag"):
                held[path] = response.headers["etag"]
        await client.close()

    started = time.perf_counter()
    await asyncio.gather(*(one_tab() for _ in range(clients)))
    timings.wall = time.perf_counter() - started
    return timings


# --- checking and reporting ---------------------------------------------------------------

def check_store(database_url: str, serials: dict[int, str]) -> list[str]:
    """Every answered serial stored on its application, none twice, and the audit chain whole."""
    from sqlmodel import select

    from core.audit import verify_chain
    from core.db import make_engine, read_session
    from core.models import Application

    problems = []
    engine = make_engine(database_url)
    with read_session(engine) as session:
        stored = dict(session.exec(select(Application.id, Application.serial)
                                   .where(Application.serial.is_not(None))).all())
        problem = verify_chain(session)
    engine.dispose()
    wrong = [i for i, serial in serials.items() if stored.get(i) != serial]
    if wrong:
        problems.append(f"{len(wrong)} answered serials not stored as answered (e.g. application {wrong[0]})")
    twice = [serial for serial, n in Counter(stored.values()).items() if n > 1]
    if twice:
        problems.append(f"{len(twice)} serials stored twice (e.g. {twice[0]})")
    if problem is not None:
        problems.append(f"audit chain broken at {problem}")
    return problems


def _row(name: str, timings: Timings, step: str) -> str:
    s = timings.summary(step)
    return (f"  {name:<22} {s['count']:>7} {s['per_s']:>9.1f}/s   p50 {s['p50']:>7.1f}   p95 {s['p95']:>7.1f}"
            f"   p99 {s['p99']:>7.1f} ms   errors {s['errors']}")


def report(args, rush_timings: Timings, status: Timings, revalidated: Timings, baseline: Timings,
           store_problems: list[str]) -> dict:
    """Print the figures and how they compare with the goals; return them for --json.

    Status reads are judged as browsers make them: the page is marked `no-cache` with an ETag,
    so a browser asks again with `If-None-Match` and mostly gets 304. The page drawn in full
    every time is printed beside it.
    """
    print(f"\nxuewei opening rush on {args.label}: {args.workers} workers x {args.threads} threads, "
          f"{args.clients} connections, {args.guardians} guardians"
          + (f" of window {args.window} ({', '.join(sorted(window_districts(args.window)))})" if args.window else ""))
    if database_is_local(args.database_url):
        print("(server CPU counts gunicorn's processes; PostgreSQL runs on this machine: its CPU is the database's)")
    elif args.database_url:
        print("(server CPU counts gunicorn's processes; PostgreSQL's own are not included)")
    print(f"\nrush ({rush_timings.wall:.1f} s):")
    for step in JOURNEY_STEPS + ("journey",):
        print(_row(step, rush_timings, step))
    print(rush_timings.cpu_line(JOURNEY_STEPS))
    print(f"\nstatus polling, the page drawn in full every time ({status.wall:.1f} s):")
    print(_row("status page", status, "status"))
    print(status.cpu_line(("status",)))
    print(f"\nstatus polling as browsers do it, revalidating with the ETag ({revalidated.wall:.1f} s):")
    print(_row("status page", revalidated, "status"))
    print(f"  {revalidated.not_modified / max(revalidated.requests(('status',)), 1):.1%} answered 304 Not Modified")
    print(revalidated.cpu_line(("status",)))
    print(f"\nbaseline, minimal Flask endpoint under the same gunicorn settings ({baseline.wall:.1f} s):")
    print(_row("minimal endpoint", baseline, "baseline"))
    print(baseline.cpu_line(("baseline",)))
    submissions = rush_timings.rate("submit")
    reads = revalidated.rate("status")
    ratio = reads / baseline.rate("baseline") if baseline.rate("baseline") else 0.0
    p99 = max(rush_timings.summary(s)["p99"] for s in JOURNEY_STEPS)
    p99 = max(p99, status.summary("status")["p99"], revalidated.summary("status")["p99"])
    errors = sum(t.error_count() for t in (rush_timings, status, revalidated, baseline))
    figures = {"database": args.label, "submissions_per_s": submissions, "status_reads_per_s": reads,
               "status_drawn_in_full_per_s": status.rate("status"),
               "baseline_per_s": baseline.rate("baseline"), "baseline_ratio": ratio, "worst_p99_ms": p99,
               "errors": errors, "store_problems": store_problems}
    verdicts = [
        ("completed submissions/s", f"{submissions:.0f}", f">= {GOALS['submissions_per_s']:.0f}",
         submissions >= GOALS["submissions_per_s"]),
        ("status reads/s (revalidating)", f"{reads:.0f}", f">= {GOALS['status_reads_per_s']:.0f}",
         reads >= GOALS["status_reads_per_s"]),
        ("worst p99 of any step", f"{p99:.0f} ms", f"< {GOALS['p99_ms']:.0f} ms", p99 < GOALS["p99_ms"]),
        ("status / minimal endpoint", f"{ratio:.2f}", f">= {GOALS['baseline_ratio']:.2f}",
         ratio >= GOALS["baseline_ratio"]),
        ("errors", str(errors), "0", errors == 0),
        ("stored as answered, audit chain", "ok" if not store_problems else "; ".join(store_problems), "ok",
         not store_problems),
    ]
    print("\ngoals:")
    for name, value, goal, met in verdicts:
        print(f"  {'met ' if met else 'MISS'}  {name:<34} {value:>10}   goal {goal}")
    for timings in (rush_timings, status, revalidated, baseline):
        for step, messages in timings.errors.items():
            print(f"  first error in {step}: {messages[0]}")
    return figures


# --- the run ------------------------------------------------------------------------------

def _baseline_server(args, folder: Path) -> ServerProcess:
    port = free_port()
    argv = [sys.executable, "-m", "bench.baseline", "--port", str(port), "--workers", str(args.workers),
            "--threads", str(args.threads)]
    return ServerProcess(argv, port=port, env=dict(os.environ), log_path=folder / "baseline.log")


def run(args) -> dict:
    """Prepare, serve, rush, poll, baseline; print the report."""
    folder = Path(args.log_dir or tempfile.mkdtemp(prefix="xuewei-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    secret_key = uuid.uuid4().hex
    warmup = args.clients
    args.label = "PostgreSQL" if args.database_url else "SQLite"
    with database(args.database_url, folder, args.keep) as url:
        print(f"preparing {args.guardians + warmup} guardians with drafts on {args.label} (not timed) ...", flush=True)
        started = time.perf_counter()
        districts = window_districts(args.window) if args.window else None
        population = population_for(args.guardians + warmup, args.seed, districts)
        prepared = prepare_guardians(url, secret_key, count=args.guardians + warmup, seed=args.seed,
                                     districts=districts, population=population)
        print(f"  done in {time.perf_counter() - started:.1f} s; server logs in {folder}", flush=True)
        env = {"XUEWEI_SECRET_KEY": secret_key, "XUEWEI_NOW": SEASON_NOW, "XUEWEI_SANDBOX_SEED": str(args.seed),
               "XUEWEI_SANDBOX_POPULATION": str(population),
               "XUEWEI_DOCUMENTS_DIR": str(folder / "documents")}
        if args.write_lock:
            env.update(write_lock_timing(folder / "writes"))
        server = xuewei_server(database_url=url, log_path=folder / "xuewei.log", workers=args.workers,
                               threads=args.threads, preload=args.preload, extra_env=env)
        with server.start(ready_path="/readyz"):
            asyncio.run(warm_up(server.port, prepared[:warmup]))
            timed = prepared[warmup:]
            local = database_is_local(args.database_url)
            with measured(server, folder / "rush.collapsed", args.profile, local) as rush_cpu:
                rush_started = time.time()
                rush_timings, serials, held = asyncio.run(rush(server.port, timed, args.clients))
                rush_ended = time.time()
            submitted = [g for g in timed if g.application_id in serials] or prepared[:warmup]
            targets = [(status_path(g), g) for g in submitted]
            with measured(server, folder / "status.collapsed", args.profile, local) as status_cpu:
                status = asyncio.run(poll(server.port, targets, args.clients, args.seconds, "status"))
            with measured(server, folder / "revalidate.collapsed", args.profile, local) as revalidated_cpu:
                revalidated = asyncio.run(poll(server.port, targets, args.clients, args.seconds, "status",
                                               held=held))
        store_problems = check_store(url, serials)
    with _baseline_server(args, folder).start(ready_path="/") as baseline_server:
        target = [("/", None)]
        asyncio.run(poll(baseline_server.port, target, args.clients, min(args.seconds, 2.0), "baseline"))  # warm-up
        with measured(baseline_server, None, False) as baseline_cpu:
            baseline = asyncio.run(poll(baseline_server.port, target, args.clients, args.seconds, "baseline"))
    for timings, use in ((rush_timings, rush_cpu), (status, status_cpu), (revalidated, revalidated_cpu),
                         (baseline, baseline_cpu)):
        timings.server_cpu, timings.client_cpu, timings.database_cpu = use.server, use.client, use.database
    figures = report(args, rush_timings, status, revalidated, baseline, store_problems)
    if args.write_lock:
        figures["write_lock"] = print_write_lock(folder / "writes", rush_started, rush_ended, args.label)
    if args.profile:
        for phase in ("rush", "status", "revalidate"):
            print_hot_spots(phase, folder / f"{phase}.collapsed")
    return figures


@dataclass
class CpuUse:
    """CPU seconds the server (master and workers), the load generator and, when it runs on
    this machine, PostgreSQL used in one phase."""

    server: float = 0.0
    client: float = 0.0
    database: float | None = None


def database_is_local(database_url: str | None) -> bool:
    """Whether the run's PostgreSQL is on this machine, so its CPU can be counted."""
    if not database_url:
        return False
    return urlsplit(database_url).hostname in (None, "", "127.0.0.1", "localhost", "::1")


@contextmanager
def measured(server: ServerProcess, profile_to: Path | None, profile: bool,
             local_database: bool = False) -> Iterator[CpuUse]:
    """Count the server's, this process's and a local PostgreSQL's CPU seconds over a phase (and
    sample the server with py-spy)."""
    use = CpuUse()
    database_before = local_postgres_cpu_seconds() if local_database else None
    server_before, client_before = server.cpu_seconds(), time.process_time()
    if profile and Sampler.binary():
        with Sampler(server.process.pid, profile_to):
            yield use
    else:
        yield use
    use.server, use.client = server.cpu_seconds() - server_before, time.process_time() - client_before
    if database_before is not None:
        use.database = local_postgres_cpu_seconds() - database_before


def write_lock_timing(folder: Path) -> dict[str, str]:
    """The server's environment for timing the locks its write transactions pass one at a time
    (bench/writelock/sitecustomize.py)."""
    folder.mkdir(exist_ok=True)
    paths = [str(Path(__file__).resolve().parent / "writelock"), os.environ.get("PYTHONPATH", "")]
    return {"PYTHONPATH": os.pathsep.join(p for p in paths if p), "XUEWEI_BENCH_WRITES": str(folder)}


# The locks bench/writelock times, as printed; on SQLite the others are inside the database's.
LOCKS = {"database": "the database's write lock", "audit_head": "the audit chain's head row",
         "serial_counter": "the districts' serial counter rows (one per district; shares added up)"}
LOCKS_SHOWN = {"SQLite": ("database",), "PostgreSQL": ("audit_head", "serial_counter")}


def print_write_lock(folder: Path, started: float, ended: float, label: str) -> dict:
    """How the rush's write transactions queued for the locks that let one of them through at a
    time (`LOCKS`), and for how long they held them: when one is held most of the time, it is
    what limits submissions, however many web hosts serve them."""
    locks = {lock: Timings(wall=ended - started) for lock in LOCKS_SHOWN[label]}
    for path in folder.glob("writes.*"):
        for line in path.read_text().splitlines():
            lock, begun, waited, held = line.split()
            if lock in locks and started <= float(begun) <= ended:
                locks[lock].record("waited", float(waited))
                locks[lock].record("held", float(held))
    figures = {}
    for lock, timings in locks.items():
        if not timings.requests(("held",)):
            print(f"\n{LOCKS[lock]}: no write transaction took it")
            continue
        busy = sum(timings.latencies["held"]) / timings.wall
        print(f"\n{LOCKS[lock]} during the rush ({timings.requests(('held',))} write transactions, "
              f"{timings.rate('held'):.0f}/s):")
        for step, text in (("waited", "waited for it"), ("held", "held it")):
            summary = timings.summary(step)
            mean = sum(timings.latencies[step]) / summary["count"] * 1000
            print(f"  {text:<14} mean {mean:6.1f}   p50 {summary['p50']:6.1f}   p95 {summary['p95']:6.1f}   "
                  f"p99 {summary['p99']:6.1f} ms")
        print(f"  held {busy:.0%} of the rush's wall time")
        figures[lock] = {"transactions": timings.requests(("held",)), "busy": busy,
                         **{f"{step}_p50_ms": timings.summary(step)["p50"] for step in ("waited", "held")}}
    return figures


def print_hot_spots(phase: str, collapsed: Path) -> None:
    """Where the server's busy threads spent their samples during a phase."""
    if not collapsed.exists():
        print(f"\nno profile of the {phase} (is py-spy installed? pip install py-spy)")
        return
    own, ours = hot_spots(collapsed)
    print(f"\nprofile of the {phase}: own time of the busiest functions")
    for frame, share in own:
        print(f"  {share:6.1%}  {frame}")
    print(f"profile of the {phase}: inclusive time of xuewei's own functions")
    for frame, share in ours:
        print(f"  {share:6.1%}  {frame}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL server to run on (a schema is made and dropped); "
                                               "default: SQLite in a temporary folder")
    parser.add_argument("--guardians", type=int, default=1000, help="guardians in the timed rush")
    parser.add_argument("--clients", type=int, default=48, help="concurrent keep-alive connections")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the status and baseline polls")
    serving = ServeOptions()
    parser.add_argument("--workers", type=int, default=serving.workers,
                        help="default: as `xuewei serve`'s (2 per core)")
    parser.add_argument("--threads", type=int, default=serving.threads, help="default: as `xuewei serve`'s")
    parser.add_argument("--preload", action="store_true", help="serve with --preload")
    parser.add_argument("--seed", type=int, default=2021, help="the sandbox city's seed")
    parser.add_argument("--window", help="only guardians of this §2.2 window's districts (e.g. W1), as at its "
                                         "opening; default: every district's")
    parser.add_argument("--log-dir", help="where the servers' logs go (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL schema afterwards")
    parser.add_argument("--profile", action="store_true",
                        help="sample the server with py-spy during the rush and the poll; print hot spots")
    parser.add_argument("--write-lock", action="store_true",
                        help="time how long write transactions wait for and hold the locks writers pass one at "
                             "a time (SQLite: the write lock; PostgreSQL: the audit head row, the districts' serial "
                             "counter rows)")
    parser.add_argument("--json", action="store_true", help="also print the figures as one JSON line")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit 1 when a goal is missed, so a script can tell."""
    args = parse_args(argv)
    figures = run(args)
    if args.json:
        print(json.dumps(figures))
    met = (figures["submissions_per_s"] >= GOALS["submissions_per_s"]
           and figures["status_reads_per_s"] >= GOALS["status_reads_per_s"]
           and figures["worst_p99_ms"] < GOALS["p99_ms"] and figures["baseline_ratio"] >= GOALS["baseline_ratio"]
           and figures["errors"] == 0 and not figures["store_problems"])
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
