"""`xuewei plugins`: what is installed, which version, which hooks, and what failed to load."""
from __future__ import annotations

import json
from dataclasses import asdict

import click

from core.plugins import get_plugin_manager

__all__ = ["plugins_command"]


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def plugins_command(as_json: bool) -> None:
    """List every plugin, its version and its hooks (列出插件、版本及实现的钩子)."""
    pm = get_plugin_manager()
    infos = pm.plugins_info()
    if as_json:
        click.echo(json.dumps({"plugins": [asdict(info) for info in infos],
                               "failures": [asdict(failure) for failure in pm.failures]},
                              ensure_ascii=False, indent=2))
    else:
        for info in infos:
            click.echo(f"{info.name}  {info.version}  ({info.origin})")
            click.echo(f"    hooks: {', '.join(info.hooks) or '-'}")
        for failure in pm.failures:
            click.echo(f"{failure.name}  加载失败 / failed to load: {failure.error}", err=True)
    if pm.failures:
        raise SystemExit(1)
