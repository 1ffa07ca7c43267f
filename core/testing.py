"""A pytest plugin for plugin authors: fixtures to run a plugin the way xuewei runs it.

Load it from your conftest.py (``pytest_plugins = ["core.testing"]``) and write::

    def test_my_leases_are_valid_facts(xuewei_runtime):
        runtime = xuewei_runtime(my_plugin)
        result = runtime.fetch_facts("360102200907150021", {"father": "360102198001010016"},
                                     sources=["leases"])
        assert result.complete and result.fragments["leases"].payload["leases"]

A plugin is registered under the name production gives it (see `plugin_name`), so the
`connector` of what it answers is the one stored in production; pass ``("name", plugin)`` to
choose the name yourself. `FakeClock` (the `xuewei_clock` fixture) tests timeouts, retries and
the breaker without waiting for them.
"""
from __future__ import annotations

import sys
import threading
from collections import deque
from collections.abc import Callable
from importlib import metadata
from typing import Any

import pytest

from core.connectors.runtime import ConnectorRuntime, Policy
from core.connectors.sources import source_named
from core.connectors.timing import SystemClock
from core.connectors.validation import FragmentError, validate_fragment
from core.plugins import DEFAULT_PLUGINS, ENTRY_POINT_GROUP, PluginManager, make_plugin_manager

__all__ = ["xuewei_plugins", "xuewei_runtime", "xuewei_clock", "FakeClock", "assert_valid_fragment",
           "plugin_name"]

#: Policy for tests: short timeout, no retries, so a failure shows at once.
TEST_POLICY = Policy(timeout=5.0, retries=0, backoff=0.0)

#: The runtime's clock unless a test gives one: real time, no waiting between retries.
NO_BACKOFF = SystemClock(sleep=lambda seconds: None)


class FakeClock:
    """The connector runtime's clock (core.connectors.timing), standing still until told to move.

    Time moves by `advance(seconds)` from the test, or by `sleep(seconds)` from any thread: the
    runtime's wait between retries, or a stand-in for a slow service in the plugin under test
    (``clock.sleep(12)`` is a call that took 12 s). An attempt times out once the clock reaches
    its deadline, and its answer counts only if it came before: a stand-in that sleeps past the
    policy's `timeout` times out at once, in real time. The breaker's `reset_after` passes the
    same way. The clock is shared by every call of the runtime: test one source at a time.

    A plugin that blocks in real time (waits on a lock, a socket without a timeout) never lets
    the clock move: after `stall_after` real seconds with no answer and no move the runtime's
    wait fails the test (AssertionError) instead of hanging it.
    """

    def __init__(self, start: float = 0.0, *, stall_after: float = 30.0) -> None:
        self._now = start
        self._moved = threading.Condition()
        self.stall_after = stall_after

    def monotonic(self) -> float:
        """The clock's time in seconds (0 when made, unless `start` says otherwise)."""
        with self._moved:
            return self._now

    def advance(self, seconds: float) -> None:
        """Move the clock forward: deadlines and breaker pauses that it reaches have passed."""
        if seconds < 0:
            raise ValueError(f"a clock does not go back ({seconds}s)")
        with self._moved:
            self._now += seconds
            self._moved.notify_all()

    def sleep(self, seconds: float) -> None:
        """Return at once, the clock `seconds` later (the runtime's backoff, a slow stand-in)."""
        self.advance(seconds)

    def inbox(self) -> _FakeInbox:
        """The runtime's inbox for one batch of calls, waiting on this clock."""
        return _FakeInbox(self)

    def _wait(self, ready: Callable[[], bool]) -> None:
        """Wait (holding `_moved`) until `ready()`; fail after `stall_after` real seconds of stillness."""
        while not ready():
            if not self._moved.wait(self.stall_after):
                raise AssertionError(f"nothing answered and the FakeClock did not move for {self.stall_after:g} real "
                                     "seconds: a plugin blocks in real time; make its stand-in call clock.sleep(), or "
                                     "advance the clock from another thread")


class _FakeInbox:
    """The runtime's inbox on a FakeClock: items stamped with its time, waits on its moves."""

    def __init__(self, clock: FakeClock) -> None:
        self._clock = clock
        self._items: deque = deque()

    def put(self, item: Any) -> None:
        with self._clock._moved:
            self._items.append((self._clock._now, item))
            self._clock._moved.notify_all()

    def get(self, until: float) -> tuple[float, Any] | None:
        with self._clock._moved:
            self._clock._wait(lambda: bool(self._items) or self._clock._now >= until)
            return self._items.popleft() if self._items else None


def plugin_name(plugin: object) -> str:
    """The name a plugin object is registered under in tests: the name production registers it
    under when there is one (an installed entry point of the group `xuewei` that resolves to
    it, or a built-in's short name), else its module or class name. It becomes the `connector`
    of the facts the plugin answers, so tests see what production stores."""
    for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if _resolves_to(entry_point, plugin):
            return entry_point.name
    own = getattr(plugin, "__name__", None)
    if own in DEFAULT_PLUGINS:
        return own.rsplit(".", 1)[-1]
    return own or type(plugin).__name__


def _resolves_to(entry_point: metadata.EntryPoint, plugin: object) -> bool:
    """Whether an entry point names `plugin`, judged from the modules already imported: asking
    about one plugin must not import every vendor's package."""
    target = sys.modules.get(entry_point.module)
    for attribute in entry_point.attr.split(".") if entry_point.attr else ():
        target = getattr(target, attribute, None)
    return target is plugin


def assert_valid_fragment(source: str, fragment: Any) -> None:
    """Fail (AssertionError) with the JSON path unless `fragment` is a valid answer of `source`."""
    __tracebackhide__ = True
    try:
        validate_fragment(source_named(source), fragment)
    except FragmentError as exc:
        raise AssertionError(str(exc)) from None


@pytest.fixture
def xuewei_plugins() -> Callable[..., PluginManager]:
    """Factory: a plugin manager holding exactly the given plugins (no built-ins, no vendors).

    Each is a plugin (named by `plugin_name`) or a ``(name, plugin)`` pair.
    """

    def make(*plugins: object, builtins: tuple[str, ...] = ()) -> PluginManager:
        pm = make_plugin_manager(builtins=builtins, disabled=(), entry_points=False)
        for plugin in plugins:
            name, plugin = plugin if isinstance(plugin, tuple) else (plugin_name(plugin), plugin)
            pm.register_from(plugin, name, "test", "0")
        pm.check_all_pending()
        if pm.failures:
            raise AssertionError(f"plugins failed to load: {pm.failures}")
        return pm

    return make


@pytest.fixture
def xuewei_runtime(xuewei_plugins) -> Callable[..., ConnectorRuntime]:
    """Factory: a connector runtime over the given plugins that never sleeps between retries
    (real time otherwise); ``clock=xuewei_clock`` puts it on a FakeClock."""

    def make(*plugins: object, policy: Policy = TEST_POLICY, **kwargs: Any) -> ConnectorRuntime:
        kwargs.setdefault("clock", NO_BACKOFF)
        return ConnectorRuntime(xuewei_plugins(*plugins), default=policy, **kwargs)

    return make


@pytest.fixture
def xuewei_clock() -> FakeClock:
    """A FakeClock at 0 for `xuewei_runtime(..., clock=xuewei_clock)`: time moves only when told."""
    return FakeClock()
