"""The baseline of the load benchmark: one minimal Flask endpoint under exactly the gunicorn
settings `xuewei serve` uses, so the ratio to it shows what xuewei itself costs per request.

    python -m bench.baseline --port 8100 --workers 4 --threads 2
"""
from __future__ import annotations

import argparse

from flask import Flask

from web.server import ServeOptions, run_gunicorn

__all__ = ["minimal_app", "main"]


def minimal_app() -> Flask:
    """A Flask app with one endpoint that does nothing but answer."""
    app = Flask("baseline")

    @app.get("/")
    def index():
        return "ok"

    return app


def main(argv: list[str] | None = None) -> None:
    """Serve the minimal app; the options mirror `xuewei serve`'s."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    serving = ServeOptions()
    parser.add_argument("--workers", type=int, default=serving.workers)
    parser.add_argument("--threads", type=int, default=serving.threads)
    parser.add_argument("--no-access-log", dest="access_log", action="store_false")
    args = parser.parse_args(argv)
    run_gunicorn(minimal_app, host=args.host, port=args.port, workers=args.workers, threads=args.threads,
                 access_log=args.access_log)


if __name__ == "__main__":
    main()
