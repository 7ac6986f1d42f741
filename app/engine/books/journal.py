"""Journal records (format ``caisse.journal/1``), canonical bytes and the hash chain.

A record is a JSON object with exactly the fields of ``RECORD_FIELDS`` plus ``hash``::

    hash = sha256(prev_hash.encode("ascii") + canonical_bytes(record without "hash"))

``prev_hash`` is the previous record's ``hash`` (64 lowercase hex digits), 64 zeros for the
first record (``GENESIS_HASH``). ``seq`` starts at 1 and is gapless. Fields other than
``RECORD_FIELDS`` and ``hash`` (e.g. a database row id) are not part of the record and are
ignored. Changing any field of any record breaks the chain at that record's seq.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from app.engine.books.commands import Command
from app.engine.canonical import canonical_bytes

FORMAT = "caisse.journal/1"
GENESIS_HASH = "0" * 64
# The same bytes as ``canonical_bytes`` for float-free JSON; built once, since ``json.dumps``
# with options builds a new encoder on every call.
_FAST_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)

RECORD_FIELDS = (
    "format",
    "seq",
    "recorded_at",
    "actor",
    "kind",
    "idempotency_key",
    "payload",
    "prev_hash",
)


def record_body(record: Mapping[str, Any]) -> dict[str, Any]:
    """The hashed part of a record (raises ``KeyError`` naming a missing field)."""
    return {name: record[name] for name in RECORD_FIELDS}


def record_bytes(record: Mapping[str, Any]) -> bytes:
    """Canonical bytes of the record without its hash."""
    return canonical_bytes(record_body(record))


def record_hash(record: Mapping[str, Any], *, strict: bool = True) -> str:
    """The record's hash (64 hex), from its ``prev_hash`` and its canonical bytes.

    ``strict=False`` skips ``canonical_bytes``' float scan (the same bytes otherwise): replay
    uses it because ``apply`` type-checks every payload field anyway, and the scan is a third
    of the cost of verifying a record.
    """
    prev = str(record["prev_hash"]).encode("ascii")
    if strict:
        return hashlib.sha256(prev + record_bytes(record)).hexdigest()
    text = _FAST_ENCODER.encode(record_body(record))
    return hashlib.sha256(prev + text.encode("utf-8")).hexdigest()


def build_record(
    *,
    seq: int,
    prev_hash: str,
    recorded_at: str,
    actor: str,
    kind: str,
    idempotency_key: str,
    payload: Mapping[str, Any],
) -> dict[str, Any]:
    """A complete record with its ``hash``; the clock and actor come from the caller."""
    record: dict[str, Any] = {
        "format": FORMAT,
        "seq": seq,
        "recorded_at": recorded_at,
        "actor": actor,
        "kind": kind,
        "idempotency_key": idempotency_key,
        "payload": dict(payload),
        "prev_hash": prev_hash,
    }
    record["hash"] = record_hash(record)
    return record


def command_of(record: Mapping[str, Any]) -> Command:
    return Command(str(record["kind"]), record["payload"])


def chain_problem(
    record: Mapping[str, Any], expected_seq: int, prev_hash: str, *, strict: bool = True
) -> str | None:
    """Why ``record`` cannot follow a chain whose head is ``prev_hash`` at ``expected_seq - 1``."""
    try:
        if record.get("format") != FORMAT:
            return f"format is {record.get('format')!r}, expected {FORMAT!r}"
        if record.get("seq") != expected_seq or type(record.get("seq")) is not int:
            return f"seq is {record.get('seq')!r}, expected {expected_seq} (gapless from 1)"
        if record.get("prev_hash") != prev_hash:
            return f"prev_hash does not match the hash of record {expected_seq - 1}"
        actual = record_hash(record, strict=strict)
    except (AttributeError, KeyError, ValueError, TypeError, UnicodeEncodeError) as error:
        return f"malformed record: {error}"
    if record.get("hash") != actual:
        return f"hash does not match the record's content (recomputed {actual})"
    return None


def verify_chain(records: Iterable[Mapping[str, Any]]) -> int | None:
    """The seq of the first record that breaks the chain, or ``None`` if it all verifies."""
    bad = verify_chain_reason(records)
    return None if bad is None else bad[0]


def verify_chain_reason(records: Iterable[Mapping[str, Any]]) -> tuple[int, str] | None:
    """Like ``verify_chain`` with the reason: ``(seq, reason)`` or ``None``."""
    prev_hash = GENESIS_HASH
    expected = 1
    for record in records:
        reason = chain_problem(record, expected, prev_hash)
        if reason is not None:
            return expected, reason
        prev_hash = str(record["hash"])
        expected += 1
    return None
