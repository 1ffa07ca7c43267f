"""What the load benchmark and the production tests share: real server processes on 127.0.0.1,
a lean keep-alive HTTP client, and latency statistics.

The client is asyncio over raw sockets (HTTP/1.1, Content-Length bodies, one cookie jar per
connection) so that the load generator takes as little of the server's CPU as it can.
"""
from __future__ import annotations

import asyncio
import json
import math
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

__all__ = [
    "free_port", "ServerProcess", "xuewei_server", "Response", "HttpError", "AsyncClient",
    "Timings", "percentile", "ROOT", "local_postgres_cpu_seconds",
]

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServerProcess:
    """A gunicorn server in its own process group, with its log in a file.

    `kill(signal.SIGKILL)` takes down the master and every worker at once, as a power cut or
    the OOM killer would; `stop()` is the polite SIGTERM an operator sends.
    """

    def __init__(self, argv: list[str], *, port: int, env: dict[str, str], log_path: Path):
        self.argv, self.port, self.env, self.log_path = argv, port, env, log_path
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_path: str = "/healthz", timeout: float = 90.0) -> ServerProcess:
        """Start the server and wait until `ready_path` answers 200."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(self.argv, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}; see {self.log_path}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.base_url + ready_path, timeout=2) as answer:
                    if answer.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        self.kill()
        raise RuntimeError(f"server not ready after {timeout:.0f}s; see {self.log_path}:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the server's log, for failure messages."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""

    def worker_pids(self) -> list[int]:
        """The master's child processes (the workers), read from /proc."""
        if self.process is None:
            return []
        children = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # Field 4 (after the parenthesised command, which may hold spaces) is the parent pid.
            if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                children.append(int(entry.name))
        return sorted(children)

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the master and its live workers."""
        if self.process is None:
            return 0.0
        return sum(_cpu_seconds(Path(f"/proc/{pid}/stat")) for pid in [self.process.pid, *self.worker_pids()])

    def wait_workers(self, count: int, timeout: float = 60.0) -> list[int]:
        """Wait until the master has `count` workers (they boot one after another)."""
        deadline = time.monotonic() + timeout
        while (pids := self.worker_pids()) and len(pids) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        return self.worker_pids()

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Send `sig` to the master and all its workers (the whole process group)."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, sig)
        except ProcessLookupError:
            return
        if sig == signal.SIGKILL:
            self.process.wait(timeout=30)

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM (gunicorn's graceful stop), then SIGKILL if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        self.kill(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill(signal.SIGKILL)

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()


def _cpu_seconds(stat: Path, command: str | None = None) -> float:
    """CPU time (user + system) of the process whose /proc stat file is `stat`; 0.0 when it is
    gone, or when `command` is given and the process runs another one."""
    try:
        head, fields = stat.read_text().rsplit(")", 1)
    except OSError:
        return 0.0
    if command is not None and head.split("(", 1)[1] != command:
        return 0.0
    values = fields.split()
    return (int(values[11]) + int(values[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime: fields 14, 15


def local_postgres_cpu_seconds() -> float:
    """CPU time used so far by this machine's PostgreSQL processes (the server and its
    backends): with the database on the benchmark's machine, what a request costs it is
    part of what the request costs."""
    return sum(_cpu_seconds(Path(entry.path, "stat"), "postgres")
               for entry in os.scandir("/proc") if entry.name.isdigit())


def xuewei_server(*, database_url: str, log_path: Path, port: int | None = None, workers: int = 2,
                  threads: int = 4, preload: bool = False, extra_env: dict[str, str] | None = None,
                  extra_args: tuple[str, ...] = ()) -> ServerProcess:
    """`xuewei serve` on 127.0.0.1 with this Python, on `database_url` (not started yet)."""
    port = port or free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONUNBUFFERED": "1", **(extra_env or {})}
    env.setdefault("XUEWEI_SECRET_KEY", "bench-" + os.urandom(8).hex())
    argv = [sys.executable, "-m", "core", "serve", "--host", "127.0.0.1", "--port", str(port),
            "--workers", str(workers), "--threads", str(threads),
            "--preload" if preload else "--no-preload", *extra_args]
    return ServerProcess(argv, port=port, env=env, log_path=log_path)


@dataclass
class Response:
    """An HTTP answer: status, headers (lower-case names) and body bytes."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class HttpError(Exception):
    """The connection failed before a complete answer arrived."""


class AsyncClient:
    """One keep-alive HTTP/1.1 connection with its own cookies, like one guardian's browser tab."""

    def __init__(self, host: str, port: int, timeout: float = 30.0, retry_stale: bool = True):
        self.host, self.port, self.timeout, self.retry_stale = host, port, timeout, retry_stale
        self.cookies: dict[str, str] = {}
        self.headers: dict[str, str] = {}
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._reader = self._writer = None

    async def request(self, method: str, path: str, *, json_body: Any = None, form: dict | None = None,
                      body: bytes | None = None, content_type: str | None = None,
                      headers: dict[str, str] | None = None) -> Response:
        """Send one request and read its answer.

        With `retry_stale`, a request on a kept-alive socket that fails is sent once more on a
        new one (the server may have closed the idle socket); crash tests turn that off so
        every lost answer counts as lost.
        """
        if json_body is not None:
            body, content_type = json.dumps(json_body, ensure_ascii=False).encode(), "application/json"
        elif form is not None:
            body, content_type = urlencode(form).encode(), "application/x-www-form-urlencoded"
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        merged = {**self.headers, **(headers or {})}
        if self.cookies:
            merged["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            merged["Content-Length"] = str(len(body))
            if content_type:
                merged["Content-Type"] = content_type
        lines += [f"{k}: {v}" for k, v in merged.items()]
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")
        for attempt in (1, 2):
            fresh = self._writer is None
            try:
                if fresh:
                    self._reader, self._writer = await asyncio.wait_for(
                        asyncio.open_connection(self.host, self.port), self.timeout)
                self._writer.write(raw)
                return await asyncio.wait_for(self._read_response(method), self.timeout)
            except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, HttpError) as error:
                await self.close()
                # A kept-alive socket the server closed while idle is retried once on a new one;
                # anything else (a fresh socket failing) is a real error.
                if fresh or attempt == 2 or not self.retry_stale:
                    raise HttpError(f"{method} {path}: {error!r}") from error
        raise AssertionError("unreachable")

    async def _read_response(self, method: str) -> Response:
        head = await self._reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        if not status_line:
            raise HttpError("empty answer")
        status = int(status_line.split(" ", 2)[1])
        headers: dict[str, str] = {}
        for line in header_lines:
            if not line:
                continue
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                self._store_cookie(value)
            headers[name] = value
        length = int(headers.get("content-length", "0"))
        body = await self._reader.readexactly(length) if length and method != "HEAD" else b""
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return Response(status, headers, body)

    def _store_cookie(self, value: str) -> None:
        pair, *attributes = value.split(";")
        name, _, cookie = pair.strip().partition("=")
        expired = any(a.strip().lower().startswith("max-age=0") for a in attributes) or \
            any(a.strip().lower().startswith("expires=thu, 01 jan 1970") for a in attributes)
        if expired:
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = cookie


@dataclass
class Timings:
    """Latencies (seconds) and errors per named step, and the wall time they span."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    wall: float = 0.0
    server_cpu: float = 0.0  # CPU seconds the server used meanwhile, when measured
    client_cpu: float = 0.0  # CPU seconds the load generator used meanwhile
    database_cpu: float | None = None  # CPU seconds PostgreSQL used meanwhile, when it runs on this machine
    not_modified: int = 0  # answers that were 304 Not Modified (conditional GETs)

    def requests(self, steps: tuple[str, ...]) -> int:
        """How many requests of these steps completed."""
        return sum(len(self.latencies.get(step, [])) for step in steps)

    def cpu_line(self, steps: tuple[str, ...]) -> str:
        """Server and generator CPU per request: the cost that stays put when the machine is busy."""
        n = self.requests(steps)
        if not n:
            return "  (no requests)"
        database = "" if self.database_cpu is None else f", database {self.database_cpu / n * 1000:.2f} ms"
        database_share = "" if self.database_cpu is None else f", database {self.database_cpu / self.wall:.2f}"
        return (f"  CPU per request: server {self.server_cpu / n * 1000:.2f} ms{database}, load generator "
                f"{self.client_cpu / n * 1000:.2f} ms  (server used {self.server_cpu / self.wall:.2f}"
                f"{database_share} of {os.cpu_count()} cores)")

    def record(self, step: str, seconds: float) -> None:
        self.latencies.setdefault(step, []).append(seconds)

    def error(self, step: str, message: str) -> None:
        self.errors.setdefault(step, []).append(message)

    def error_count(self) -> int:
        return sum(len(messages) for messages in self.errors.values())

    def rate(self, step: str) -> float:
        """Completed steps per second of wall time."""
        return len(self.latencies.get(step, [])) / self.wall if self.wall else 0.0

    def summary(self, step: str) -> dict[str, float]:
        """count, rate and p50/p95/p99 in milliseconds for one step."""
        values = sorted(self.latencies.get(step, []))
        return {"count": len(values), "per_s": self.rate(step),
                **{f"p{q}": percentile(values, q) * 1000 for q in (50, 95, 99)},
                "errors": len(self.errors.get(step, []))}


def percentile(sorted_values: list[float], q: float) -> float:
    """The q-th percentile by the nearest-rank method (0 for no values)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]
