"""A pytest plugin for plugin authors: fixtures to run a plugin the way xuewei runs it.

Load it from your conftest.py (``pytest_plugins = ["core.testing"]``) and write::

    def test_my_leases_are_valid_facts(xuewei_runtime):
        runtime = xuewei_runtime(my_plugin)
        result = runtime.fetch_facts("360102200907150021", {"father": "360102198001010016"},
                                     sources=["leases"])
        assert result.complete and result.fragments["leases"].payload["leases"]
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from core.connectors.runtime import ConnectorRuntime, Policy
from core.connectors.sources import source_named
from core.connectors.validation import validate_fragment
from core.plugins import PluginManager, make_plugin_manager

__all__ = ["xuewei_plugins", "xuewei_runtime", "assert_valid_fragment", "plugin_name"]

#: Policy for tests: short timeout, no retries, so a failure shows at once.
TEST_POLICY = Policy(timeout=5.0, retries=0, backoff=0.0)


def plugin_name(plugin: object) -> str:
    """The name a plugin object is registered under in tests (module or class name)."""
    return getattr(plugin, "__name__", None) or type(plugin).__name__


def assert_valid_fragment(source: str, fragment: Any) -> None:
    """Fail with the JSON path unless `fragment` is a valid answer of `source`."""
    validate_fragment(source_named(source), fragment)


@pytest.fixture
def xuewei_plugins() -> Callable[..., PluginManager]:
    """Factory: a plugin manager holding exactly the given plugins (no built-ins, no vendors)."""

    def make(*plugins: object, builtins: tuple[str, ...] = ()) -> PluginManager:
        pm = make_plugin_manager(builtins=builtins, disabled=(), entry_points=False)
        for plugin in plugins:
            pm.register_from(plugin, plugin_name(plugin), "test", "0")
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
