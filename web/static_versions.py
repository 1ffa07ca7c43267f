"""Static files' URLs carry their content's hash (`/static/app.js?v=3f2a…`).

Browsers and nginx may keep a static file for a while (docs/deploy/nginx.conf); a release's
pages would otherwise run the previous release's scripts and styles from a cache until it
expired. With the hash in the URL, a changed file is a new URL and an unchanged one stays cached.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import Flask

__all__ = ["init_app"]


def init_app(app: Flask) -> None:
    folder = Path(app.static_folder)

    @app.url_defaults
    def _version(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "v" not in values:
            digest = _digest(folder / values["filename"])
            if digest is not None:
                values["v"] = digest


@lru_cache(maxsize=256)
def _digest(path: Path) -> str | None:
    """The first 12 hex digits of the file's SHA-256 (files do not change while a server runs)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    except OSError:
        return None
