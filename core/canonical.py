"""Canonical JSON and its digest: the one byte form we hash, pin and compare."""
from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = ["canonical_json", "sha256_hex"]


def canonical_json(value: Any) -> str:
    """Sorted keys, no insignificant white space, UTF-8 text kept as is."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      allow_nan=False)


def sha256_hex(value: Any) -> str:
    """The sha256 of a value's canonical JSON (or of a str/bytes as given)."""
    if isinstance(value, bytes):
        data = value
    elif isinstance(value, str):
        data = value.encode()
    else:
        data = canonical_json(value).encode()
    return hashlib.sha256(data).hexdigest()
