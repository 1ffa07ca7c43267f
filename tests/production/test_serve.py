"""`xuewei serve` as operators run it: several workers, with and without --preload."""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from types import SimpleNamespace

import requests
from click.testing import CliRunner
from sqlalchemy import text

import core.assessment
import core.plugins
import web.server
from core.cli import main
from web import create_app
from web.server import ServeOptions, gunicorn_options, post_fork, warm_up, xuewei_app

CONCURRENT_READS = 120


def _ready_many(base_url: str) -> list[int]:
    def ready(_):
        return requests.get(base_url + "/readyz", timeout=30).status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        return list(pool.map(ready, range(CONCURRENT_READS)))


def test_preloaded_server_answers_database_reads_from_every_worker(engine, serve):
    """The master checked the database before forking; each worker must still get its own connections."""
    server = serve(workers=2, threads=4, preload=True)
    assert len(server.wait_workers(2)) == 2
    assert _ready_many(server.base_url) == [200] * CONCURRENT_READS


def test_server_without_preload_answers_database_reads(engine, serve):
    server = serve(workers=2, threads=2, preload=False)
    assert _ready_many(server.base_url) == [200] * CONCURRENT_READS


def test_post_fork_gives_the_worker_a_fresh_connection_pool(engine):
    """What --preload relies on: a pool holding the master's connection is replaced, not shared."""
    app = create_app({"SECRET_KEY": "x", "ENGINE": engine})
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    masters_pool = engine.pool
    assert masters_pool.checkedin() == 1
    post_fork(server=None, worker=SimpleNamespace(app=SimpleNamespace(callable=app)))
    assert engine.pool is not masters_pool
    assert engine.pool.checkedin() == 0


def test_post_fork_without_preload_has_nothing_to_reset():
    post_fork(server=None, worker=SimpleNamespace(app=SimpleNamespace(callable=None)))


def test_serve_options_reach_gunicorn():
    settings = gunicorn_options(ServeOptions(workers=3, threads=1, preload=True, timeout=45, proxy_hops=1,
                                             access_log=False))
    assert (settings["workers"], settings["threads"], settings["preload_app"]) == (3, 1, True)
    assert settings["worker_class"] == "sync" and settings["timeout"] == 45
    assert settings["post_fork"] is post_fork
    assert "accesslog" not in settings


def test_by_default_two_workers_per_core_each_with_two_threads(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1, 2}, raising=False)
    options = ServeOptions()
    assert (options.workers, options.threads) == (6, 2)
    assert gunicorn_options(options)["worker_class"] == "gthread"


def test_xuewei_serve_takes_workers_and_threads_from_the_environment_or_the_defaults(monkeypatch):
    served = []
    monkeypatch.setattr(web.server, "run_gunicorn", lambda **settings: served.append(ServeOptions(**settings)))
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1}, raising=False)
    monkeypatch.delenv("XUEWEI_WORKERS", raising=False)
    monkeypatch.delenv("XUEWEI_THREADS", raising=False)
    assert CliRunner().invoke(main, ["serve"]).exit_code == 0
    assert CliRunner().invoke(main, ["serve"], env={"XUEWEI_WORKERS": "3", "XUEWEI_THREADS": "1"}).exit_code == 0
    assert CliRunner().invoke(main, ["serve", "--workers", "5"]).exit_code == 0
    assert [(options.workers, options.threads) for options in served] == [(4, 2), (3, 1), (5, 2)]


def test_behind_a_proxy_the_access_log_names_the_client_not_the_proxy():
    direct = gunicorn_options(ServeOptions())["access_log_format"]
    proxied = gunicorn_options(ServeOptions(proxy_hops=1))["access_log_format"]
    assert direct.startswith("%(h)s ") and proxied.startswith("%({x-forwarded-for}i)s via %(h)s ")


def test_the_server_compiles_the_active_ruleset_before_its_first_request(db_url, season, monkeypatch):
    compiled = []
    monkeypatch.setattr(core.assessment, "_RULESETS", {})  # as in a freshly started worker
    real = core.assessment.load_ruleset
    monkeypatch.setattr(core.assessment, "load_ruleset", lambda document: compiled.append(1) or real(document))
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("XUEWEI_SECRET_KEY", "x")
    app = xuewei_app()
    assert compiled == [1]
    warm_up(app)  # what the first request does now costs nothing more
    assert compiled == [1]


def test_the_server_loads_the_plugins_at_start_up_so_a_broken_one_is_logged_before_any_request(
        db_url, engine, monkeypatch, caplog):
    monkeypatch.setattr(core.plugins, "_entry_points",
                        lambda: [metadata.EntryPoint("broken_vendor", "no_such_vendor_module", "xuewei")])
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("XUEWEI_SECRET_KEY", "x")
    monkeypatch.delenv("XUEWEI_NOW", raising=False)  # the wall clock: create_app builds no runtime of its own
    core.plugins.get_plugin_manager.cache_clear()
    try:
        xuewei_app()
    finally:
        core.plugins.get_plugin_manager.cache_clear()
    assert any(r.getMessage().startswith("plugin broken_vendor failed to load") for r in caplog.records)


def test_warm_up_on_a_database_without_a_season_does_nothing(engine):
    warm_up(create_app({"SECRET_KEY": "x", "ENGINE": engine}))


def test_the_access_log_leaves_out_query_strings_which_may_hold_a_searched_name():
    """A reviewer's search (`/review/?q=王小红`) arrives percent-encoded, which no PII mask
    recognises: the access line names the path only."""
    from datetime import timedelta
    from types import SimpleNamespace

    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/review/?q=%E7%8E%8B%E5%B0%8F%E7%BA%A2", "PATH_INFO": "/review/",
               "QUERY_STRING": "q=%E7%8E%8B%E5%B0%8F%E7%BA%A2", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "10.0.0.9"}
    atoms = Logger(Config()).atoms(SimpleNamespace(status="200 OK", sent=512, headers=[]), SimpleNamespace(headers=[]),
                                   environ, timedelta(milliseconds=3))
    line = gunicorn_options(ServeOptions())["access_log_format"] % atoms
    assert line == '10.0.0.9 "GET /review/ HTTP/1.1" 200 512 3ms'


def test_without_an_access_log_no_request_is_logged_and_the_level_is_the_operators(engine, serve):
    """`XUEWEI_ACCESS_LOG=0` means no access lines at all (given a logging config, gunicorn logged
    them in its own format, query strings and referrers included), and `XUEWEI_LOG_LEVEL` reaches
    the server's own loggers too."""
    server = serve(workers=1, threads=2, extra_args=("--no-access-log",), extra_env={"XUEWEI_LOG_LEVEL": "WARNING"})
    search = "/healthz?q=%E5%BC%A0%E4%B8%89"
    assert requests.get(server.base_url + search, headers={"Referer": server.base_url + search}, timeout=10).ok
    server.stop()
    log = server.log_path.read_text(errors="replace")
    assert "%E5%BC%A0" not in log and "/healthz" not in log
    assert '"level": "INFO"' not in log  # "Starting gunicorn", "Booting worker" are INFO
