"""`xuewei plugins`: what is installed, which version, which hooks, what failed to load, and
which names in the block-list match no installed plugin."""
from __future__ import annotations

import json
from dataclasses import asdict

import click

from core.plugins import DISABLED_ENV, get_plugin_manager

__all__ = ["plugins_command"]


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def plugins_command(as_json: bool) -> None:
    """List every plugin, its version and its hooks (列出插件、版本及实现的钩子)."""
    pm = get_plugin_manager()
    infos = pm.plugins_info()
    if as_json:
        click.echo(json.dumps({"plugins": [asdict(info) for info in infos],
                               "failures": [asdict(failure) for failure in pm.failures],
                               "unmatched_disabled": list(pm.unmatched_disabled)},
                              ensure_ascii=False, indent=2))
    else:
        for info in infos:
            click.echo(f"{info.name}  {info.version}  ({info.origin})")
            click.echo(f"    hooks: {', '.join(info.hooks) or '-'}")
        for failure in pm.failures:
            click.echo(f"{failure.name}  加载失败 / failed to load: {failure.error}", err=True)
        if pm.unmatched_disabled:
            click.echo(f"{DISABLED_ENV} 中以下名称没有对应的已安装插件 / names no installed plugin: "
                       f"{', '.join(pm.unmatched_disabled)}", err=True)
    if pm.failures:
        raise SystemExit(1)
