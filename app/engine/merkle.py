"""Merkle trees as RFC 9162 (Certificate Transparency 2.0, section 2.1) defines them, and the
month's statements as their leaves.

Guarantees:

- hashing is the RFC's: ``leaf = SHA-256(0x00 || data)``, ``node = SHA-256(0x01 || left ||
  right)``, the empty tree is ``SHA-256("")``, and a tree of ``n > 1`` leaves splits at ``k``,
  the largest power of two smaller than ``n`` (so our roots equal any other RFC 9162 log's);
- ``inclusion_path`` gives the RFC's audit path and ``root_from_path`` its verification
  algorithm (2.1.3.2): a path proves a leaf only at its index in a tree of its size;
- ``statement_leaves`` turns a month's ``run_month`` payloads (journal order) into the leaf
  data, one per household line: the canonical JSON of the line with its period and rule set
  hash. The verifier and the seal compute the same root from the same journal.

Pure: standard library only, no clock, no I/O.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

STATEMENT_FORMAT = "caisse.statement/1"
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def root(leaves: Sequence[bytes]) -> bytes:
    """The tree head of the leaf hashes ``leaves`` (already ``leaf_hash``-ed)."""
    if not leaves:
        return EMPTY_ROOT
    return _root(leaves, 0, len(leaves))


def _root(leaves: Sequence[bytes], lo: int, hi: int) -> bytes:
    if hi - lo == 1:
        return leaves[lo]
    k = lo + _split(hi - lo)
    return node_hash(_root(leaves, lo, k), _root(leaves, k, hi))


def inclusion_path(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """The audit path of leaf ``index`` (RFC 9162 ``PATH(m, D[n])``), nearest sibling first."""
    if not 0 <= index < len(leaves):
        raise ValueError(f"leaf index {index} is outside a tree of {len(leaves)} leaves")
    path: list[bytes] = []
    lo, hi = 0, len(leaves)
    while hi - lo > 1:
        k = lo + _split(hi - lo)
        if index < k:
            path.append(_root(leaves, k, hi))
            hi = k
        else:
            path.append(_root(leaves, lo, k))
            lo = k
    path.reverse()
    return path


def root_from_path(leaf: bytes, index: int, size: int, path: Sequence[bytes]) -> bytes | None:
    """The root that ``path`` proves for leaf hash ``leaf`` at ``index`` in a tree of ``size``
    leaves (RFC 9162 2.1.3.2), or ``None`` when the path cannot belong to such a tree."""
    if not 0 <= index < size:
        return None
    fn, sn, r = index, size - 1, leaf
    for sibling in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(sibling, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, sibling)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


# ``canonical_bytes`` without its float scan: a run's payload was already refused floats when
# it was journalled, and the month's tree encodes every household line (the same bytes).
_ENCODE = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def statement_data(period: str, rule_set_hash: str, line: Mapping[str, Any]) -> bytes:
    """A statement leaf's data: one household's line of a month run, with its month and rules
    (canonical JSON, app.engine.canonical)."""
    document = {"format": STATEMENT_FORMAT, "period": period, "rule_set_hash": rule_set_hash}
    document.update(line)
    return _ENCODE(document).encode("utf-8")


def statement_leaves(payloads: Iterable[Mapping[str, Any]]) -> list[tuple[str, bytes]]:
    """``(household_id, leaf data)`` of every household line of the month's ``run_month``
    payloads, in journal order then line order (the tree's leaf order)."""
    leaves: list[tuple[str, bytes]] = []
    for payload in payloads:
        period, rules = str(payload["period"]), str(payload["rule_set_hash"])
        for line in payload["households"]:
            leaves.append((str(line["household_id"]), statement_data(period, rules, line)))
    return leaves


def month_tree(payloads: Iterable[Mapping[str, Any]]) -> tuple[str, int]:
    """The month root (hex) and statement count of the month's ``run_month`` payloads."""
    hashes = [leaf_hash(data) for _, data in statement_leaves(payloads)]
    return root(hashes).hex(), len(hashes)
