"""Canonical JSON: sorted keys, compact separators, UTF-8, no floats. Used for hashes.

Same value -> same bytes, forever; that is what content hashes and the journal rely on.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

# Values that need no look inside (a month-run chunk is some 40,000 of them): the walk skips
# them by exact type, without a call or an isinstance chain each.
_PLAIN = frozenset((str, int, bool, type(None)))


def _refuse_float(value: Any) -> None:
    """Raise ``ValueError`` on a float or a non-string object key anywhere in ``value``
    (a walk with a stack of its own: no Python call per value)."""
    pending = [value]
    while pending:
        value = pending.pop()
        if type(value) in _PLAIN:
            continue
        if isinstance(value, float):
            raise ValueError(f"floats are not allowed in canonical documents, got {value!r}")
        if isinstance(value, dict):
            for key in value:
                if not isinstance(key, str):
                    raise ValueError(f"object keys must be strings, got {key!r}")
            pending.extend(item for item in value.values() if type(item) not in _PLAIN)
        elif isinstance(value, (list, tuple)):
            pending.extend(item for item in value if type(item) not in _PLAIN)


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
