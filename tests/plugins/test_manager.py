"""The plugin manager: built-ins, vendors' entry points, broken plugins, block-list, CLI."""
from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import types
from importlib import metadata

import pytest
from click.testing import CliRunner

import core.plugins
from core.hookspecs import hookimpl
from core.plugins import DEFAULT_PLUGINS, call_in_order, make_plugin_manager
from core.plugins_cli import plugins_command


def fake_entry_points(monkeypatch, *pairs):
    eps = [metadata.EntryPoint(name, value, "xuewei") for name, value in pairs]
    monkeypatch.setattr(core.plugins, "_entry_points", lambda: eps)


def test_builtins_then_installed_vendor_with_versions_and_hooks(example_vendor, monkeypatch):
    monkeypatch.delenv("XUEWEI_DISABLED_PLUGINS", raising=False)
    pm = make_plugin_manager()
    infos = {info.name: info for info in pm.plugins_info()}
    assert {"sandbox", "gateway", "example_vendor"} <= set(infos)
    assert infos["example_vendor"].origin == "xuewei-example-vendor"
    assert infos["example_vendor"].version == "1.2.0"
    assert infos["example_vendor"].hooks == ("connector_policy", "fetch_residence_permits", "notify_guardian",
                                                 "verify_identity")
    assert infos["gateway"].origin == "builtin" and "fetch_hukou" in infos["gateway"].hooks
    assert pm.failures == []


def test_broken_vendor_plugin_is_reported_by_name_and_start_up_goes_on(example_vendor, monkeypatch):
    fake_entry_points(monkeypatch, ("broken_vendor", "no_such_vendor_module"),
                      ("example_vendor", "xuewei_example_vendor"))
    pm = make_plugin_manager(builtins=DEFAULT_PLUGINS, disabled=())
    assert [f.name for f in pm.failures] == ["broken_vendor"]
    assert "ModuleNotFoundError" in pm.failures[0].error
    assert pm.has_plugin("example_vendor") and pm.has_plugin("gateway")


def test_misspelled_hook_is_an_error_of_that_plugin(monkeypatch):
    class Typo:
        @hookimpl
        def fetch_hukuo(self, id_numbers):
            return None

    typo = Typo()
    monkeypatch.setitem(sys.modules, "typo_vendor", typo)
    fake_entry_points(monkeypatch, ("typo_vendor", "typo_vendor"))
    pm = make_plugin_manager(builtins=("plugins.gateway",), disabled=())
    assert [f.name for f in pm.failures] == ["typo_vendor"]
    assert "fetch_hukuo" in pm.failures[0].error
    assert not pm.has_plugin("typo_vendor") and pm.has_plugin("gateway")
    pm.check_pending()  # nothing misspelled is left registered


def test_an_entry_point_naming_a_class_is_refused_by_name_at_load(monkeypatch):
    class Plugin:
        @hookimpl
        def fetch_leases(self, id_numbers):
            return {"leases": []}

    module = types.ModuleType("class_vendor")
    module.Plugin = Plugin
    monkeypatch.setitem(sys.modules, "class_vendor", module)
    fake_entry_points(monkeypatch, ("class_vendor", "class_vendor:Plugin"))
    pm = make_plugin_manager(builtins=("plugins.gateway",), disabled=())
    assert [f.name for f in pm.failures] == ["class_vendor"]
    assert "names a class" in pm.failures[0].error and "Plugin()" in pm.failures[0].error
    assert not pm.has_plugin("class_vendor") and pm.has_plugin("gateway")


def _module_with_leases(monkeypatch, name: str, **marks) -> str:
    """A vendor module in sys.modules whose fetch_leases carries `marks` (tryfirst, trylast)."""
    module = types.ModuleType(name)

    def fetch_leases(id_numbers):
        return None

    module.fetch_leases = hookimpl(**marks)(fetch_leases)
    monkeypatch.setitem(sys.modules, name, module)
    return name


def test_connector_hooks_ask_vendors_tryfirst_and_plain_then_gateway_sandbox_then_vendors_trylast(monkeypatch):
    """The order docs/plugins.md ("Call order") states."""
    names = (_module_with_leases(monkeypatch, "plain_vendor"),
             _module_with_leases(monkeypatch, "last_vendor", trylast=True),
             _module_with_leases(monkeypatch, "first_vendor", tryfirst=True))
    fake_entry_points(monkeypatch, *((name, name) for name in names))
    pm = make_plugin_manager(disabled=())
    asked = [plugin for plugin, _function, _argnames in call_in_order(pm, "fetch_leases")]
    assert asked == ["first_vendor", "plain_vendor", "gateway", "sandbox", "last_vendor"]


def test_block_list_from_the_environment(example_vendor, monkeypatch):
    monkeypatch.setenv("XUEWEI_DISABLED_PLUGINS", "sandbox, example_vendor")
    pm = make_plugin_manager()
    names = {info.name for info in pm.plugins_info()}
    assert "gateway" in names and not names & {"sandbox", "example_vendor"}


def test_a_disabled_name_matching_no_installed_plugin_is_logged_and_listed(example_vendor, monkeypatch, caplog):
    monkeypatch.setenv("XUEWEI_DISABLED_PLUGINS", "sandbox,exmaple_vendor,acme")
    core.plugins.get_plugin_manager.cache_clear()
    try:
        listing = CliRunner().invoke(plugins_command, ["--json"])
        table = CliRunner().invoke(plugins_command, [])
    finally:
        core.plugins.get_plugin_manager.cache_clear()
    assert listing.exit_code == table.exit_code == 0
    assert json.loads(listing.stdout)["unmatched_disabled"] == ["acme", "exmaple_vendor"]
    assert "names no installed plugin: acme, exmaple_vendor" in table.stderr
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert "XUEWEI_DISABLED_PLUGINS names no installed plugin: acme, exmaple_vendor" in warned


def test_plugins_command_lists_plugins_versions_and_hooks(example_vendor, monkeypatch):
    monkeypatch.delenv("XUEWEI_DISABLED_PLUGINS", raising=False)
    core.plugins.get_plugin_manager.cache_clear()
    try:
        result = CliRunner().invoke(plugins_command, [])
        listing = CliRunner().invoke(plugins_command, ["--json"])
    finally:
        core.plugins.get_plugin_manager.cache_clear()
    assert result.exit_code == 0, result.output
    assert "example_vendor  1.2.0  (xuewei-example-vendor)" in result.output
    assert "sandbox" in result.output and "gateway" in result.output
    assert {p["name"] for p in json.loads(listing.output)["plugins"]} >= {
        "sandbox", "gateway", "example_vendor"}


def test_plugins_command_exits_non_zero_naming_a_broken_plugin(monkeypatch):
    fake_entry_points(monkeypatch, ("broken_vendor", "no_such_vendor_module"))
    core.plugins.get_plugin_manager.cache_clear()
    try:
        result = CliRunner().invoke(plugins_command, [])
    finally:
        core.plugins.get_plugin_manager.cache_clear()
    assert result.exit_code == 1
    assert "broken_vendor" in result.output


def test_xuewei_plugins_shows_builtins_and_the_installed_vendor(example_vendor):
    env = {k: v for k, v in os.environ.items() if k != "XUEWEI_DISABLED_PLUGINS"}
    completed = subprocess.run([sys.executable, "-m", "core", "plugins", "--json"], capture_output=True,
                               text=True, env=env, timeout=120)
    assert completed.returncode == 0, completed.stderr
    listed = {p["name"]: p for p in json.loads(completed.stdout)["plugins"]}
    assert listed["example_vendor"]["version"] == "1.2.0"
    assert listed["sandbox"]["origin"] == listed["gateway"]["origin"] == "builtin"


@pytest.mark.parametrize("module", DEFAULT_PLUGINS)
def test_builtin_plugins_import_nothing_but_public_core_types(module):
    source = importlib.import_module(module).__file__
    text = open(source, encoding="utf-8").read()
    assert "core.plugins" not in text and "core.db" not in text
