"""Digests sealed into a month's checkpoint.

- ``balances_digest``: ``sha256:`` of the canonical bytes of ``[[account, cents], ...]`` sorted
  by account, zero balances left out (so storage may or may not keep zero rows);
- ``run_fingerprint``: ``sha256:`` over the canonical payloads of the month's ``run_month``
  records in journal order, each followed by a newline. The payload carries the rule set hash,
  each household's facts commitment (inputs) and its amounts (outputs).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from app.engine import merkle
from app.engine.canonical import canonical_bytes, content_hash


def balances_digest(balances: Mapping[str, int]) -> str:
    rows = [[account, cents] for account, cents in sorted(balances.items()) if cents]
    return content_hash(rows)


class RunFingerprint:
    """Incremental fingerprint of one month's run (fed run_month payloads in journal order).

    It also keeps the payloads (references, not copies) so that the seal and the verifier
    derive the month's Merkle root over its statements (``month_tree``, app.engine.merkle)
    from the same records, only when a seal asks for it."""

    __slots__ = ("_hash", "_payloads")

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self._payloads: list[Mapping[str, Any]] = []

    def add(self, payload: Mapping[str, Any]) -> None:
        self._hash.update(canonical_bytes(payload) + b"\n")
        self._payloads.append(payload)

    def value(self) -> str:
        return "sha256:" + self._hash.copy().hexdigest()

    def month_tree(self) -> tuple[str, int]:
        """The month root (hex) and statement count (app.engine.merkle.month_tree)."""
        return merkle.month_tree(self._payloads)


def run_fingerprint(period: str, records: Iterable[Mapping[str, Any]]) -> str:
    """The fingerprint of month ``period`` ("YYYY-MM") from journal records."""
    fingerprint = RunFingerprint()
    for record in records:
        payload = record["payload"]
        if record["kind"] == "run_month" and payload.get("period") == period:
            fingerprint.add(payload)
    return fingerprint.value()


def month_tree_problem(payload: Mapping[str, Any], fingerprint: RunFingerprint) -> str | None:
    """Why a seal's ``month_root``/``month_statements`` are not those of the month's replayed
    run, or ``None`` (also when the seal predates them and carries none)."""
    if payload.get("month_root") is None:
        return None
    root, size = fingerprint.month_tree()
    if payload.get("month_root") != root or payload.get("month_statements") != size:
        return (
            f"seal month_root/month_statements differ from the replayed statements ({root}, {size})"
        )
    return None
