"""Sampling a running server with py-spy (when installed) to say where its time goes."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

__all__ = ["Sampler", "hot_spots"]

_LINE = re.compile(r":\d+\)$")


class Sampler:
    """`py-spy record` on a gunicorn master and its workers, writing collapsed stacks.

    Only threads holding the GIL are sampled: on a CPU-bound server that is where the time
    goes (threads waiting for the GIL, a socket or a lock would otherwise look busy too).
    """

    def __init__(self, pid: int, out: Path, rate: int = 200):
        self.pid, self.out, self.rate = pid, out, rate
        self.process: subprocess.Popen | None = None

    @staticmethod
    def binary() -> str | None:
        """py-spy from PATH or from this Python's own bin folder (a virtualenv's)."""
        beside = Path(sys.executable).parent / "py-spy"
        return shutil.which("py-spy") or (str(beside) if beside.exists() else None)

    def __enter__(self) -> Sampler:
        self.process = subprocess.Popen(
            [self.binary(), "record", "--pid", str(self.pid), "--subprocesses", "--gil", "--format", "raw", "--rate",
             str(self.rate), "--nonblocking", "--output", str(self.out)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return self

    def __exit__(self, *exc_info) -> None:
        if self.process is not None:
            self.process.send_signal(2)  # SIGINT: py-spy writes its file and exits
            self.process.wait(timeout=60)


def hot_spots(collapsed: Path, top: int = 15, within: tuple[str, ...] = ("core/", "web/", "plugins/")
              ) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    """From py-spy's collapsed stacks: the busiest functions by own time, and our own functions
    by inclusive time, each as (function, share of samples in worker threads that were busy)."""
    own, inclusive, total = Counter(), Counter(), 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if not count.isdigit() or any("wait (threading.py" in f or "select (selectors.py" in f for f in frames[-3:]):
            continue  # idle threads waiting for work are not time spent
        n = int(count)
        total += n
        own[frames[-1]] += n
        for function in {_LINE.sub(")", frame) for frame in frames}:
            if any(part in function for part in within):
                inclusive[function] += n
    if not total:
        return [], []
    return ([(f, n / total) for f, n in own.most_common(top)],
            [(f, n / total) for f, n in inclusive.most_common(top)])
