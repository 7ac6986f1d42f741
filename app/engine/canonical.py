"""Canonical JSON: sorted keys, compact separators, UTF-8, no floats. Used for hashes.

Same value -> same bytes, forever; that is what content hashes and the journal rely on.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any


def _refuse_float(value: Any) -> None:
    if isinstance(value, float):
        raise ValueError(f"floats are not allowed in canonical documents, got {value!r}")
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"object keys must be strings, got {key!r}")
            _refuse_float(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _refuse_float(item)


def canonical_bytes(value: Any) -> bytes:
    """Sorted-key compact JSON in UTF-8; refuses floats and non-string keys."""
    _refuse_float(value)
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def content_hash(value: Any) -> str:
    """``sha256:<hex>`` of the canonical form."""
    return "sha256:" + sha256_hex(canonical_bytes(value))
