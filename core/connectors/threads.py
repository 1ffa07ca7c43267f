"""Daemon threads for source calls, reused between fetches.

Every source call runs on a thread of its own, so that the caller can stop waiting for it
after the source's timeout. Starting a thread per call cost about half of a fetch's CPU (17
threads for one family: a thread per source, and one per attempt to bound it). This pool
keeps finished threads waiting for the next call instead.

Two things a standard `ThreadPoolExecutor` cannot do, and why this exists:

- its threads are not daemons: interpreter exit joins them, so one plugin that never returns
  would keep a worker process from ever stopping;
- it is bounded: a plugin that hangs keeps its thread for good, and calls that wait for
  other calls (a fetch waits for its sources) could starve. Here a call starts a new thread
  whenever no idle one is waiting, so a hung thread only ever costs itself.
"""
from __future__ import annotations

import queue
import signal
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

__all__ = ["DaemonThreads", "HELD_SIGNALS"]

# Signals tell a process to stop or to do something: they belong to its main thread (gunicorn's
# worker loop, the scheduler's sigwait). The kernel delivers a signal sent to the process to any
# thread that does not block it, so the pool's threads, which outlive a request, block these.
HELD_SIGNALS = frozenset(getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1",
                                                             "SIGUSR2") if hasattr(signal, name))


class DaemonThreads:
    """Run callables on daemon threads; a finished thread waits up to `idle_seconds` for the
    next one, and at most `keep_idle` threads wait at any time."""

    def __init__(self, name: str, *, keep_idle: int = 64, idle_seconds: float = 60.0):
        self.name = name
        self.keep_idle = keep_idle
        self.idle_seconds = idle_seconds
        self._tasks: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0  # threads waiting for a task that no submitted task has claimed yet
        self.started = 0  # threads started so far (tests and operators can see the reuse)

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        """Run `fn(*args)` on a waiting thread, or on a new one when none waits."""
        task = (Future(), fn, args)
        with self._lock:  # claim and enqueue together, so a waiting thread cannot retire in between
            claimed = self._idle > 0
            if claimed:
                self._idle -= 1
                self._tasks.put(task)
            else:
                self.started += 1
        if not claimed:
            thread = threading.Thread(target=self._work, args=(task,), name=f"{self.name}-{self.started}", daemon=True)
            previous = signal.pthread_sigmask(signal.SIG_BLOCK, HELD_SIGNALS)  # the new thread inherits the mask
            try:
                thread.start()
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, previous)
        return task[0]

    def _work(self, task: tuple) -> None:
        """Run `task`, then wait for claimed tasks until idle too long or too many wait."""
        while True:
            future, fn, args = task
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn(*args))
                except BaseException as exc:  # handed to whoever waits on the future
                    future.set_exception(exc)
            del task, future, fn, args  # drop the task's references before waiting for the next one
            with self._lock:
                if self._idle >= self.keep_idle:
                    return
                self._idle += 1
            task = self._next()
            if task is None:
                return

    def _next(self) -> tuple | None:
        """The next claimed task, or None once none came for `idle_seconds` (the thread retires)."""
        while True:
            try:
                return self._tasks.get(timeout=self.idle_seconds)
            except queue.Empty:
                with self._lock:
                    if self._tasks.empty():  # nothing was handed over meanwhile
                        self._idle -= 1
                        return None
