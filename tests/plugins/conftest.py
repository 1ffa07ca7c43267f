"""Fixtures for the plugin tests: the plugin-author fixtures, a family, a local gateway server."""
from __future__ import annotations

import importlib
import json
import socket
import subprocess
import sys
import threading
import time
from importlib import metadata
from pathlib import Path
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from plugin_test_data import FATHER, MOTHER, PUPIL
from core import testing


# The plugin-author fixtures (`pytest_plugins = ["core.testing"]` only works in the top conftest).
xuewei_plugins, xuewei_runtime, xuewei_clock = testing.xuewei_plugins, testing.xuewei_runtime, testing.xuewei_clock


@pytest.fixture
def family() -> dict[str, str]:
    """The identity numbers of a pupil and parents, keyed by relation."""
    return {"pupil": PUPIL, "father": FATHER, "mother": MOTHER}


class GatewayState:
    """What the local gateway answers per source: (status, body bytes, delay seconds)."""

    def __init__(self) -> None:
        self.answers: dict[str, tuple[int, bytes, float]] = {}
        self.requests: list[tuple[str, dict, dict]] = []

    def answer(self, source: str, body, status: int = 200, delay: float = 0.0) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
        self.answers[source] = (status, raw, delay)


def _handler(state: GatewayState):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            length = int(self.headers.get("Content-Length", 0))
            query = json.loads(self.rfile.read(length))
            source = self.path.rstrip("/").rsplit("/", 1)[-1]
            state.requests.append((source, dict(self.headers), query))
            status, body, delay = state.answers.get(source, (404, b"{}", 0.0))
            time.sleep(delay)
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def gateway_server():
    """A real HTTP gateway on 127.0.0.1 in a thread; yields (base_url, state)."""
    state = GatewayState()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/share", state
    server.shutdown()
    server.server_close()


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def gateway_config(tmp_path, monkeypatch):
    """Write a gateway configuration file and point XUEWEI_GATEWAY_CONFIG at it."""

    def write(sources: dict, suffix: str = ".json", defaults: dict | None = None):
        path = tmp_path / f"gateway{suffix}"
        if suffix == ".json":
            path.write_text(json.dumps({"defaults": defaults or {}, "sources": sources}))
        else:
            path.write_text(sources)
        monkeypatch.setenv("XUEWEI_GATEWAY_CONFIG", str(path))
        return path

    return write


EXAMPLE_VENDOR_DIR = Path(__file__).parent / "example_vendor"
EXAMPLE_VENDOR_DIST = "xuewei-example-vendor"


@pytest.fixture(scope="session")
def example_vendor():
    """The example vendor package, installed through its entry point (pip install -e, once).

    `make test` installs it beforehand; this installs it on a machine where that did not run.
    """
    try:
        metadata.distribution(EXAMPLE_VENDOR_DIST)
    except metadata.PackageNotFoundError:
        completed = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             "--no-deps", "-e", str(EXAMPLE_VENDOR_DIR)], capture_output=True, text=True)
        if completed.returncode:
            pytest.fail(f"cannot install the example vendor plugin: {completed.stderr[-2000:]}")
        importlib.invalidate_caches()
    return importlib.import_module("xuewei_example_vendor")
