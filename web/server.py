"""Running the app under gunicorn from `xuewei serve`, without a separate config file."""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.config import KNOWN_SETTINGS
from sqlalchemy import text
from werkzeug.middleware.proxy_fix import ProxyFix

from core.logs import log_level, logging_config
from core.plugins import get_plugin_manager

__all__ = ["ServeOptions", "default_workers", "run_gunicorn", "post_fork", "gunicorn_options", "xuewei_app",
           "warm_up"]


def default_workers() -> int:
    """Two worker processes per core this process may run on (its CPU affinity, where the
    system has one: a container's share, not the host's)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return 2 * (cores or 1)


@dataclass(frozen=True)
class ServeOptions:
    """How `xuewei serve` runs: every knob an operator may turn, with production defaults.

    Workers and threads: two processes per core with two threads each. A thread that holds a
    write lock (SQLite's, or the audit chain's head row on PostgreSQL) competes for its
    process's interpreter lock with the other threads of that process only, so fewer threads
    per process let it finish and release sooner; two threads still let a request that waits
    for the government sources leave the process to another. Measured on two cores with
    `bench.load` (docs/deploy.md): 4 × 2 gave 79–85 submissions/s on SQLite where 2 × 4 gave
    52–65, with as many requests in flight.
    """

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = field(default_factory=default_workers)
    threads: int = 2
    preload: bool = False
    timeout: int = 30
    keepalive: int = 5
    proxy_hops: int = 0
    access_log: bool = True
    max_requests: int = 0


def post_fork(server, worker) -> None:
    """Never share a database connection across fork(): the child starts with an empty pool.

    With `--preload` the master built the app (and checked the database, so its pool holds a
    connection); `dispose(close=False)` gives the worker a fresh pool without closing the
    master's socket underneath it.
    """
    app = worker.app.callable
    engine = app.extensions.get("xuewei.engine") if app is not None else None
    if engine is not None:
        engine.dispose(close=False)


def xuewei_app(proxy_hops: int = 0):
    """`web.create_app()` checked against its database, behind `proxy_hops` trusted proxies."""
    from web import create_app

    app = create_app()
    # Fail at start-up, not at the first request, when DATABASE_URL is wrong or unreachable.
    with app.extensions["xuewei.engine"].connect() as connection:
        connection.execute(text("SELECT 1"))
    # Load the plugins now, so a vendor's plugin that fails to load is logged as the server
    # starts (once, in the master, with --preload), not at the first request that asks a hook.
    get_plugin_manager()
    warm_up(app)
    if proxy_hops:
        # Behind nginx or a load balancer: take the client address and scheme from the
        # X-Forwarded-* headers the trusted proxies set (login throttling counts per address).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxy_hops, x_proto=proxy_hops, x_host=proxy_hops,
                                x_port=proxy_hops)
    return app


def warm_up(app) -> None:
    """Compile the active season's ruleset before the first request rather than during it: a
    worker restarted in the opening rush would otherwise make its first guardians wait while
    each of its threads compiles it (with --preload: once, in the master, shared by all)."""
    from core.assessment import ruleset_of
    from core.db import read_session
    from core.errors import NotFound
    from core.portal import active_season

    with read_session(app.extensions["xuewei.engine"]) as session:
        try:
            season = active_season(session)
        except NotFound:
            return
        ruleset_of(session, season.active_ruleset_sha256)


class _Server(BaseApplication):
    def __init__(self, options: dict, app_factory: Callable[[], Any]):
        self.options = options
        self.app_factory = app_factory
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return self.app_factory()


def gunicorn_options(options: ServeOptions) -> dict:
    """gunicorn's settings for `options`: gthread workers, JSON logs through the PII mask."""
    settings = {
        "bind": f"{options.host}:{options.port}",
        "workers": options.workers,
        "threads": options.threads,
        "worker_class": "gthread" if options.threads > 1 else "sync",
        "preload_app": options.preload,
        "post_fork": post_fork,
        "timeout": options.timeout,
        "graceful_timeout": 10,
        "keepalive": options.keepalive,
        "max_requests": options.max_requests,
        "max_requests_jitter": options.max_requests // 10,
        "logconfig_dict": logging_config(log_level(), access=options.access_log),
        "forwarded_allow_ips": "*" if options.proxy_hops else "127.0.0.1",
    }
    if "control_socket_disable" in {setting.name for setting in KNOWN_SETTINGS}:
        # gunicorn >= 24 opens ~/.gunicorn/gunicorn.ctl: one path per user, so a second server
        # on the host would take it over. We do not use gunicornc.
        settings["control_socket_disable"] = True
    # Behind proxies the peer is the proxy: log the client's address the proxy passed on too.
    client = '%({x-forwarded-for}i)s via %(h)s' if options.proxy_hops else "%(h)s"
    # The path without its query string: a query may hold a searched name, which no mask
    # recognises once percent-encoded (ID numbers in paths are masked by core.logs).
    settings["access_log_format"] = client + ' "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'
    if options.access_log:
        settings["accesslog"] = "-"
    return settings


def run_gunicorn(app_factory: Callable[[], Any] | None = None, **settings) -> None:
    """Serve xuewei (or `app_factory()`, e.g. the benchmark's baseline) until told to stop.

    `settings` are the fields of ServeOptions.
    """
    options = ServeOptions(**settings)
    _Server(gunicorn_options(options), app_factory or partial(xuewei_app, options.proxy_hops)).run()
