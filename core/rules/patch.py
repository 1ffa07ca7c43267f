"""A small JSON Patch (RFC 6902: add, replace, remove) for test cases built on a family."""
from __future__ import annotations

import copy
from typing import Any

__all__ = ["apply_patch", "PatchError"]


class PatchError(ValueError):
    """A patch operation whose path does not fit the document; said in English and in Chinese (`zh`)."""

    def __init__(self, message: str, zh: str):
        super().__init__(message)
        self.zh = zh


def _tokens(path: str) -> list[str]:
    return [t.replace("~1", "/").replace("~0", "~") for t in path.split("/")[1:]]


def _index(container: list, token: str, *, appending: bool) -> int:
    if appending and token == "-":
        return len(container)
    if not token.isdigit() or int(token) > len(container) - (0 if appending else 1):
        raise PatchError(f"no list position {token!r}", f"列表中没有位置 {token!r}")
    return int(token)


def apply_patch(document: Any, operations: list[dict[str, Any]]) -> Any:
    """A patched deep copy of `document`; the original is left alone."""
    doc = copy.deepcopy(document)
    for op in operations:
        tokens = _tokens(op["path"])
        if not tokens:
            raise PatchError("a patch cannot replace the whole document", "补丁不能替换整个文档")
        parent: Any = doc
        for token in tokens[:-1]:
            try:
                parent = parent[_index(parent, token, appending=False)] if isinstance(parent, list) else parent[token]
            except (KeyError, TypeError):
                raise PatchError(f"{op['path']}: {token!r} does not exist", f"{op['path']}：{token!r} 不存在") from None
        last, kind = tokens[-1], op["op"]
        if isinstance(parent, list):
            i = _index(parent, last, appending=kind == "add")
            if kind == "add":
                parent.insert(i, copy.deepcopy(op["value"]))
            elif kind == "replace":
                parent[i] = copy.deepcopy(op["value"])
            else:
                del parent[i]
        elif isinstance(parent, dict):
            if kind != "add" and last not in parent:
                raise PatchError(f"{op['path']}: nothing to {kind}", f"{op['path']}：没有可以 {kind} 的内容")
            if kind == "remove":
                del parent[last]
            else:
                parent[last] = copy.deepcopy(op["value"])
        else:
            raise PatchError(f"{op['path']}: the parent is not an object or a list", f"{op['path']}：上一级既不是对象也不是列表")
    return doc
