"""Static types of expression values, read from the JSON Schema of the facts."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Type", "ANY", "BOOL", "INT", "NUMBER", "STRING", "DATE", "DATETIME", "NULL",
           "list_of", "comparable", "SchemaTypes"]


@dataclass(frozen=True)
class Type:
    """A value's type: kind, list item type, object schema, allowed strings, schema name."""

    kind: str
    item: "Type | None" = None
    schema: Any = None
    enum: frozenset | None = None
    name: str | None = None

    def __str__(self) -> str:
        if self.kind == "list":
            return f"list of {self.item}"
        if self.kind == "object" and self.name:
            return self.name
        return self.kind

    @property
    def zh(self) -> str:
        """The type in Chinese words, for problems the administrators read ("日期", "文本列表")."""
        if self.kind == "list":
            return f"{self.item.zh}列表"
        if self.kind == "object" and self.name:
            return OBJECT_ZH.get(self.name, f"{self.name} 对象")
        return KIND_ZH[self.kind]

    @property
    def numeric(self) -> bool:
        return self.kind in ("int", "number")


#: Kinds of value in Chinese, and the facts schema's objects that expressions name.
KIND_ZH = {"any": "任意值", "bool": "真/假值", "int": "整数", "number": "数字", "string": "文本", "date": "日期",
           "datetime": "日期时间", "null": "空值（null）", "list": "列表", "object": "对象"}
OBJECT_ZH = {"address": "地址", "property": "房产"}

ANY, BOOL, INT, NUMBER = Type("any"), Type("bool"), Type("int"), Type("number")
STRING, DATE, DATETIME, NULL = Type("string"), Type("date"), Type("datetime"), Type("null")


def list_of(item: Type) -> Type:
    """The type of a list whose items have type `item`."""
    return Type("list", item=item)


def comparable(a: Type, b: Type) -> bool:
    """Whether strict equality between values of these types can ever be meaningful."""
    if "any" in (a.kind, b.kind) or "null" in (a.kind, b.kind):
        return True
    if a.numeric and b.numeric:
        return True
    if a.kind != b.kind:
        return False
    if a.kind == "list":
        return comparable(a.item, b.item)
    return True


class SchemaTypes:
    """Turns nodes of one JSON Schema document (with local `$ref`s) into `Type`s."""

    def __init__(self, document: Mapping[str, Any]):
        self.document = document

    def _deref(self, node: Mapping[str, Any]) -> tuple[Mapping[str, Any], str | None]:
        name = None
        while "$ref" in node:
            ref = node["$ref"]
            if not ref.startswith("#/"):
                raise ValueError(f"only local references are supported, not {ref!r}")
            name = ref.rsplit("/", 1)[-1]
            target: Any = self.document
            for token in ref[2:].split("/"):
                target = target[token]
            node = target
        return node, name

    def of(self, node: Mapping[str, Any]) -> Type:
        """The type of values valid against `node` (null is allowed everywhere)."""
        node, name = self._deref(node)
        variants = node.get("oneOf") or node.get("anyOf")
        if variants:
            kinds = [self.of(v) for v in variants]
            kinds = [k for k in kinds if k.kind != "null"] or [NULL]
            return kinds[0] if len(kinds) == 1 else ANY
        declared = node.get("type")
        if isinstance(declared, list):
            declared = [t for t in declared if t != "null"]
            declared = declared[0] if len(declared) == 1 else None
        enum = node.get("enum")
        if declared is None and enum:
            declared = "string" if all(isinstance(v, str) or v is None for v in enum) else None
        if declared == "string":
            fmt = node.get("format")
            if fmt == "date":
                return DATE
            if fmt == "date-time":
                return DATETIME
            return Type("string", enum=frozenset(v for v in enum if v is not None) if enum else None)
        if declared == "integer":
            return INT
        if declared == "number":
            return NUMBER
        if declared == "boolean":
            return BOOL
        if declared == "null":
            return NULL
        if declared == "array":
            return list_of(self.of(node.get("items", {})))
        if declared == "object":
            return Type("object", schema=node, name=name)
        return ANY

    def field(self, obj: Type, key: str) -> Type | None:
        """The type of `obj[key]`, or None when the schema has no such field."""
        if obj.kind == "any":
            return ANY
        if obj.kind != "object":
            return None
        props = obj.schema.get("properties", {})
        if key in props:
            return self.of(props[key])
        extra = obj.schema.get("additionalProperties")
        if isinstance(extra, Mapping):
            names = obj.schema.get("propertyNames", {}).get("enum")
            if names is None or key in names:
                return self.of(extra)
        return None
