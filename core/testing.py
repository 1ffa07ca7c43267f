"""A pytest plugin for plugin authors: fixtures to run a plugin the way xuewei runs it.

Load it from your conftest.py (``pytest_plugins = ["core.testing"]``) and write::

    def test_my_leases_are_valid_facts(xuewei_runtime):
        runtime = xuewei_runtime(my_plugin)
        result = runtime.fetch_facts("360102200907150021", {"father": "360102198001010016"},
                                     sources=["leases"])
        assert result.complete and result.fragments["leases"].payload["leases"]

A plugin is registered under the name production gives it (see `plugin_name`), so the
`connector` of what it answers is the one stored in production; pass ``("name", plugin)`` to
choose the name yourself.
"""
from __future__ import annotations

import sys
from collections.abc import Callable
from importlib import metadata
from typing import Any

import pytest

from core.connectors.runtime import ConnectorRuntime, Policy
from core.connectors.sources import source_named
from core.connectors.validation import FragmentError, validate_fragment
from core.plugins import DEFAULT_PLUGINS, ENTRY_POINT_GROUP, PluginManager, make_plugin_manager

__all__ = ["xuewei_plugins", "xuewei_runtime", "assert_valid_fragment", "plugin_name"]

#: Policy for tests: short timeout, no retries, so a failure shows at once.
TEST_POLICY = Policy(timeout=5.0, retries=0, backoff=0.0)


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
    """Factory: a connector runtime over the given plugins that never sleeps between retries."""

    def make(*plugins: object, policy: Policy = TEST_POLICY, **kwargs: Any) -> ConnectorRuntime:
        kwargs.setdefault("sleep", lambda seconds: None)
        return ConnectorRuntime(xuewei_plugins(*plugins), default=policy, **kwargs)

    return make
