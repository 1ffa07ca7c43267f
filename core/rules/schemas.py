"""The JSON Schemas the rules need, loaded once and checked, with validators built once."""
from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, relevance

from core.paths import schema_path
from core.rules.errors import Problem, pointer_join

__all__ = ["schema_document", "validator", "schema_problems"]


@lru_cache(maxsize=None)
def schema_document(name: str) -> dict[str, Any]:
    """A schema from the schemas folder by short name ('facts', 'ruleset', 'catchments')."""
    with open(schema_path(name), encoding="utf-8") as fh:
        document = json.load(fh)
    Draft202012Validator.check_schema(document)
    return document


@lru_cache(maxsize=None)
def validator(name: str) -> Draft202012Validator:
    """One reusable validator per schema, checking formats (dates, date-times)."""
    return Draft202012Validator(schema_document(name), format_checker=Draft202012Validator.FORMAT_CHECKER)


def _pointer(error: ValidationError, base: str) -> str:
    pointer = pointer_join(base, *error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in allowed)
        if len(extra) == 1:
            return pointer_join(pointer, extra[0])
    return pointer


def _message(error: ValidationError) -> str:
    if error.validator == "additionalProperties":
        allowed = ", ".join(sorted(error.schema.get("properties", {})))
        return f"{error.message} (allowed here: {allowed})"
    if error.validator == "format":
        return f"{error.message}: write dates as YYYY-MM-DD and date-times as ISO 8601 with an offset"
    return error.message


#: JSON types as the administrators call them, in the order a value is tested for them (a bool is an int).
JSON_TYPES_ZH = {"boolean": "true/false 值", "integer": "整数", "number": "数字", "string": "文本", "array": "列表",
                 "object": "对象", "null": "null"}
PYTHON_TYPES = {"boolean": bool, "integer": int, "number": float, "string": str, "array": list, "object": dict}
FORMATS_ZH = {"date": "日期", "date-time": "日期时间"}
BOUNDS_ZH = {"minimum": "不能小于", "exclusiveMinimum": "必须大于", "maximum": "不能大于", "exclusiveMaximum": "必须小于"}


def _json(value: Any, limit: int = 80) -> str:
    """A value as JSON text, the way the administrator wrote it, cut short when long."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _keys(keys: Any) -> str:
    return "、".join(repr(k) for k in keys)


def _subject(error: ValidationError) -> str:
    """What the failed keyword judged: a key's name (under propertyNames) or a value."""
    return "键名" if "propertyNames" in error.absolute_schema_path else "值"


def _missing_keys(error: ValidationError) -> list[str]:
    """The required key this error is about (jsonschema raises one error per missing key, naming it
    first), or every missing key should that naming ever change."""
    missing = [k for k in error.validator_value if k not in error.instance]
    return [k for k in missing if error.message.startswith(repr(k))] or missing


def _extra_keys_zh(error: ValidationError) -> str:
    allowed = sorted(error.schema.get("properties", {}))
    extra = sorted(k for k in error.instance if k not in allowed)
    return f"不允许的键 {_keys(extra)}（此处允许的键：{', '.join(allowed)}）"


def _type_zh(error: ValidationError) -> str:
    wanted = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
    given = next((name for name, kind in PYTHON_TYPES.items() if isinstance(error.instance, kind)), "null")
    return (f"类型不对：这里应当是{'或'.join(JSON_TYPES_ZH.get(w, w) for w in wanted)}，"
            f"而不是{JSON_TYPES_ZH[given]} {_json(error.instance)}")


def _size_zh(error: ValidationError, unit: str) -> str:
    """minLength/maxLength, minItems/maxItems, minProperties/maxProperties."""
    bound = "至少需要" if error.validator.startswith("min") else "至多只能有"
    return f"{bound} {error.validator_value} {unit}，这里有 {len(error.instance)} {unit}"


def _alternatives_zh(error: ValidationError) -> str:
    """oneOf/anyOf: with the failed alternatives as context when none fits, without when several do."""
    if error.context:
        return f"{_json(error.instance)} 不符合任何一种允许的写法（{error.validator}）"
    return f"{_json(error.instance)} 同时符合多种写法，只能符合其中一种（{error.validator}）"


def _dependent_zh(error: ValidationError) -> str:
    return "；".join(f"有 {key!r} 时也必须有 {_keys(n for n in needed if n not in error.instance)}"
                    for key, needed in error.validator_value.items()
                    if key in error.instance and any(n not in error.instance for n in needed))


def _not_zh(error: ValidationError) -> str:
    both = error.validator_value.get("required") if isinstance(error.validator_value, dict) else None
    if both:
        return f"不能同时有 {_keys(both)}"
    return f"这里不允许这种写法：{_json(error.instance)}（not {_json(error.validator_value)}）"


#: A schema error in Chinese per failed keyword, from the values it compared (not from jsonschema's English).
ZH_BY_KEYWORD: dict[str, Callable[[ValidationError], str]] = {
    "required": lambda e: f"缺少必需的键 {_keys(_missing_keys(e))}",
    "additionalProperties": _extra_keys_zh,
    "type": _type_zh,
    "enum": lambda e: f"{_subject(e)} {_json(e.instance)} 不是允许的取值（可取：{', '.join(map(_json, e.validator_value))}）",
    "const": lambda e: f"这里只能是 {_json(e.validator_value)}，而不是 {_json(e.instance)}",
    "pattern": lambda e: f"{_subject(e)} {_json(e.instance)} 不符合要求的格式（正则表达式 {e.validator_value}）",
    "format": lambda e: (f"{_json(e.instance)} 不是有效的{FORMATS_ZH.get(e.validator_value, e.validator_value)}："
                         f"日期写作 YYYY-MM-DD，日期时间写作带时区偏移的 ISO 8601，例如 2021-06-16T17:00:00+08:00"),
    **{bound: lambda e: f"{_json(e.instance)} 超出范围：{BOUNDS_ZH[e.validator]} {e.validator_value}"
       for bound in BOUNDS_ZH},
    "minLength": lambda e: _size_zh(e, "个字符"), "maxLength": lambda e: _size_zh(e, "个字符"),
    "minItems": lambda e: _size_zh(e, "项"), "maxItems": lambda e: _size_zh(e, "项"),
    "minProperties": lambda e: _size_zh(e, "个键"), "maxProperties": lambda e: _size_zh(e, "个键"),
    "uniqueItems": lambda e: f"列表中有重复的项：{_json(e.instance)}",
    "oneOf": _alternatives_zh, "anyOf": _alternatives_zh,
    "dependentRequired": _dependent_zh,
    "not": _not_zh,
}


def _message_zh(error: ValidationError) -> str:
    """The schema error in Chinese; a keyword without its own wording is still named, with its value."""
    say = ZH_BY_KEYWORD.get(error.validator)
    if say is None:
        return f"{_json(error.instance)} 不符合规则 {error.validator}（要求：{_json(error.validator_value)}）"
    return say(error)


def schema_problems(name: str, instance: Any, base: str = "") -> list[Problem]:
    """Every schema error of `instance`, most relevant first, each with its JSON pointer."""
    errors = sorted(validator(name).iter_errors(instance), key=relevance, reverse=True)
    flat: list[ValidationError] = []
    for error in errors:
        while error.context:  # as jsonschema's best_match: descend into the deepest alternative
            error = min(error.context, key=relevance)
        flat.append(error)
    seen, out = set(), []
    for error in flat:
        problem = Problem(_pointer(error, base), _message(error), zh=_message_zh(error))
        if problem not in seen:
            seen.add(problem)
            out.append(problem)
    return out
