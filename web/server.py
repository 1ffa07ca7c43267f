"""Running the app under gunicorn from `xuewei serve`, without a separate config file."""
from __future__ import annotations

from gunicorn.app.base import BaseApplication

from core.logs import logging_config

__all__ = ["run_gunicorn", "post_fork"]


def post_fork(server, worker) -> None:
    """Never share a database connection across fork(): drop what the master opened."""
    from core.db import get_engine

    get_engine.cache_clear()


class _XueweiServer(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from web import create_app

        return create_app()


def run_gunicorn(*, host: str, port: int, workers: int, threads: int, preload: bool = False) -> None:
    """Serve `web.create_app()` on host:port with gunicorn's gthread workers."""
    _XueweiServer({
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "preload_app": preload,
        "post_fork": post_fork,
        "accesslog": "-",
        "access_log_format": '%(h)s "%(r)s" %(s)s %(b)s %(M)sms',
        "logconfig_dict": logging_config(),
        "graceful_timeout": 10,
    }).run()
