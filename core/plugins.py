"""The one plugin manager: built-in plugins, then vendors' entry points, minus a block-list.

Start-up never fails because of one vendor: each entry point of the group `xuewei` is loaded
on its own, and a plugin that cannot be imported or registered (or is a class rather than a
module or an instance) is logged and listed in `failures` (by name) while the others load.
After loading, `check_pending()` turns a misspelled hook implementation into an error of that
plugin, reported the same way.
"""
from __future__ import annotations

import importlib
import inspect
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from typing import Any

import pluggy

from core import hookspecs
from core.hookspecs import PROJECT, IdentityVerdict

__all__ = [
    "DEFAULT_PLUGINS", "ENTRY_POINT_GROUP", "DISABLED_ENV", "PluginFailure", "PluginInfo",
    "PluginManager", "make_plugin_manager", "get_plugin_manager", "Hooks", "hooks",
    "call_in_order", "NOT_PLUGIN_FAILURES",
]

log = logging.getLogger(__name__)

#: Built-in plugins, registered under the last part of their module name.
DEFAULT_PLUGINS: tuple[str, ...] = ("plugins.sandbox", "plugins.gateway")
ENTRY_POINT_GROUP = PROJECT
DISABLED_ENV = "XUEWEI_DISABLED_PLUGINS"

#: What a hook's caller lets through: anything else a plugin raises is that plugin's failure,
#: `SystemExit` included (a vendor's `sys.exit()` in an error path must fail its own call, not end
#: the request or the worker thread). `KeyboardInterrupt` is the operator stopping the process
#: (Ctrl-C, SIGINT): taken as a failed source, it would keep running a worker told to stop.
#: `GeneratorExit` is Python closing the generator the call runs in: swallowed, the close fails
#: ("generator ignored GeneratorExit"). Catch these first and re-raise them, then `BaseException`.
NOT_PLUGIN_FAILURES = (KeyboardInterrupt, GeneratorExit)


@dataclass(frozen=True)
class PluginFailure:
    """A plugin that could not be loaded or registered, and why (shown by `xuewei plugins`)."""

    name: str
    error: str


@dataclass(frozen=True)
class PluginInfo:
    """One registered plugin as operators see it: name, where it comes from, version, hooks."""

    name: str
    origin: str  # "builtin" or the distribution name of a vendor's package
    version: str
    hooks: tuple[str, ...]


@dataclass
class _Provenance:
    origin: str
    version: str


class PluginManager(pluggy.PluginManager):
    """pluggy's manager plus what start-up learned: failures and each plugin's provenance."""

    def __init__(self) -> None:
        super().__init__(PROJECT)
        self.add_hookspecs(hookspecs)
        self.failures: list[PluginFailure] = []
        self.unmatched_disabled: tuple[str, ...] = ()  # names in the block-list no plugin has
        self._provenance: dict[str, _Provenance] = {}

    def register_from(self, plugin: object, name: str, origin: str, version: str) -> None:
        """Register one plugin, recording a failure instead of raising."""
        if self.is_blocked(name):
            log.info("plugin %s is disabled by %s", name, DISABLED_ENV)
            return
        if inspect.isclass(plugin):  # pluggy takes it, but calls its methods without `self`
            self._fail(name, TypeError(f"the entry point names a class ({plugin.__name__}); name a module or "
                                       f"an instance ({plugin.__name__}())"))
            return
        try:
            self.register(plugin, name=name)
        except Exception as exc:  # a vendor's plugin must not stop start-up
            self._fail(name, exc)
            return
        self._provenance[name] = _Provenance(origin, version)

    def note_unmatched_disabled(self, disabled: set[str], installed: set[str]) -> None:
        """Keep and log the block-list's names that match no installed plugin: a misspelt
        name would otherwise leave the plugin it meant to switch off running, silently."""
        self.unmatched_disabled = tuple(sorted(disabled - installed))
        if self.unmatched_disabled:
            log.warning("%s names no installed plugin: %s", DISABLED_ENV, ", ".join(self.unmatched_disabled))

    def check_all_pending(self) -> None:
        """Unregister every plugin with a hook that no spec knows, and report it by name."""
        for name, plugin in self.registered():
            try:
                self.subset_check_pending(plugin)
            except pluggy.PluginValidationError as exc:
                self.unregister(plugin, name=name)
                self._provenance.pop(name, None)
                self._fail(name, exc)

    def subset_check_pending(self, plugin: object) -> None:
        """`check_pending()` restricted to one plugin, so one typo names its plugin."""
        for hook_name in dir(plugin):
            opts = self.parse_hookimpl_opts(plugin, hook_name)
            if opts is None or opts.get("optionalhook"):
                continue
            caller = getattr(self.hook, hook_name, None)
            if caller is None or not caller.has_spec():
                raise pluggy.PluginValidationError(
                    plugin, f"unknown hook {hook_name!r} in plugin {self.get_name(plugin)!r}")

    def registered(self) -> list[tuple[str, object]]:
        """(name, plugin) of every registered plugin; pluggy also lists blocked names, as None."""
        return [(name, plugin) for name, plugin in self.list_name_plugin() if plugin is not None]

    def plugins_info(self) -> list[PluginInfo]:
        """Every registered plugin with its version and the hooks it implements."""
        infos = []
        for name, plugin in self.registered():
            provenance = self._provenance.get(name, _Provenance("unknown", "unknown"))
            implemented = sorted(caller.name for caller in self.get_hookcallers(plugin) or [])
            infos.append(PluginInfo(name, provenance.origin, provenance.version, tuple(implemented)))
        return sorted(infos, key=lambda info: (info.origin != "builtin", info.name))

    def _fail(self, name: str, exc: BaseException) -> None:
        log.error("plugin %s failed to load: %s", name, exc)
        self.failures.append(PluginFailure(name, f"{type(exc).__name__}: {exc}"))


def _xuewei_version() -> str:
    try:
        return metadata.version("xuewei")
    except metadata.PackageNotFoundError:
        return "unknown"


def _disabled_from_env() -> set[str]:
    raw = os.environ.get(DISABLED_ENV, "")
    return {name.strip() for name in raw.split(",") if name.strip()}


def _entry_points() -> Iterable[metadata.EntryPoint]:
    return metadata.entry_points(group=ENTRY_POINT_GROUP)


def make_plugin_manager(*, builtins: Iterable[str] = DEFAULT_PLUGINS,
                        disabled: Iterable[str] | None = None,
                        entry_points: bool = True) -> PluginManager:
    """Build a manager: specs, block-list, built-ins, vendors' entry points, pending check."""
    pm = PluginManager()
    blocked = _disabled_from_env() if disabled is None else set(disabled)
    for name in blocked:
        pm.set_blocked(name)
    version = _xuewei_version()
    shorts = {module_name: module_name.rsplit(".", 1)[-1] for module_name in builtins}
    for module_name, short in shorts.items():
        if pm.is_blocked(short):
            continue
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:
            pm._fail(short, exc)
            continue
        pm.register_from(module, short, "builtin", version)
    if entry_points:  # without them, a vendor's name cannot be told from a misspelt one
        installed = list(_entry_points())
        pm.note_unmatched_disabled(blocked, set(shorts.values()) | {ep.name for ep in installed})
        for ep in installed:
            if pm.is_blocked(ep.name):
                continue
            try:
                plugin = ep.load()
            except Exception as exc:  # a broken vendor package is reported, not fatal
                pm._fail(ep.name, exc)
                continue
            dist = ep.dist
            pm.register_from(plugin, ep.name, dist.name if dist else "unknown",
                             dist.version if dist else "unknown")
    pm.check_all_pending()
    return pm


@lru_cache(maxsize=1)
def get_plugin_manager() -> PluginManager:
    """The process-wide plugin manager, built once (tests build their own with make_…)."""
    return make_plugin_manager()


def call_in_order(pm: pluggy.PluginManager, hook_name: str) -> Iterator[tuple[str, Callable[..., Any], tuple[str, ...]]]:
    """Each implementation of a hook as (plugin name, function, argument names), in call order.

    Same order as pluggy's own call (tryfirst first, later registrations before earlier),
    so a caller can isolate, time and attribute every implementation on its own.
    """
    caller = getattr(pm.hook, hook_name)
    for impl in reversed(caller.get_hookimpls()):
        if impl.hookwrapper or impl.wrapper:
            continue
        yield impl.plugin_name, impl.function, tuple(impl.argnames)


class Hooks:
    """A typed facade over the hooks that are not connectors; keyword arguments only.

    Lifecycle hooks run every implementation on its own: a vendor's exception is logged and
    does not stop the others (the transition they report has already committed).
    """

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.pm = pm

    def verify_identity(self, *, id_number: str, name: str,
                        face_image: bytes | None = None) -> IdentityVerdict | None:
        """Ask the identity plugins; None when no plugin answers."""
        return self.pm.hook.verify_identity(id_number=id_number, name=name, face_image=face_image)

    def application_state_changed(self, *, application_id: int, transition: str,
                                  from_state: str, to_state: str, actor: str) -> None:
        """Tell plugins an application moved; after commit."""
        self._each("application_state_changed", application_id=application_id,
                   transition=transition, from_state=from_state, to_state=to_state, actor=actor)

    def application_submitted(self, *, application_id: int, serial: str, ruleset_sha256: str) -> None:
        """Tell plugins a submission was confirmed; after commit."""
        self._each("application_submitted", application_id=application_id, serial=serial,
                   ruleset_sha256=ruleset_sha256)

    def seats_allocated(self, *, season_year: int, school_code: str,
                        allocations: list[dict[str, Any]]) -> None:
        """Tell plugins one school's seats were pre-allocated."""
        self._each("seats_allocated", season_year=season_year, school_code=school_code,
                   allocations=allocations)

    def notify_guardian(self, *, guardian_id: int, application_id: int | None, kind: str,
                        message: dict[str, str]) -> bool:
        """Send a message through every channel plugin; True when at least one delivered it."""
        results = self._each("notify_guardian", guardian_id=guardian_id,
                             application_id=application_id, kind=kind, message=message)
        return any(result is True for result in results)

    def _each(self, hook_name: str, **kwargs: Any) -> list[Any]:
        results = []
        for plugin_name, function, argnames in call_in_order(self.pm, hook_name):
            try:
                results.append(function(**{name: kwargs[name] for name in argnames}))
            except NOT_PLUGIN_FAILURES:
                raise
            except BaseException:  # SystemExit too: see NOT_PLUGIN_FAILURES
                log.exception("plugin %s failed in %s", plugin_name, hook_name)
        return results


def hooks() -> Hooks:
    """The facade over the process-wide plugin manager."""
    return Hooks(get_plugin_manager())
