"""A member's proof that their month statement is included in a sealed month.

The proof is one JSON document (``caisse.inclusion-proof/1``)::

    {"format": "caisse.inclusion-proof/1", "period": "2026-11", "household_id": "hh_a",
     "statement": {...the statement leaf: format, period, rule_set_hash, household_id,
                   status, contribution_cents, credit_cents, funder_share_cents, ...},
     "leaf_index": 0, "tree_size": 2, "audit_path": ["<64 hex>", ...],
     "checkpoint": {...the month's checkpoint document, signature, public_key}}

Guarantees of ``check``: the statement's leaf hash (RFC 9162, over its canonical JSON),
carried up the audit path at its index in a tree of its size, gives exactly the
``month_root`` the checkpoint states for that many statements; the statement's month is the
checkpoint's; the checkpoint's Ed25519 signature holds (with the fund's public key when one
is given). Anything else is refused with the reason. Reading needs no database: a member
checks offline with ``caisse verify-proof FILE`` (or any RFC 9162 implementation).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlmodel import Session

from app.audit import checkpoint, witness
from app.db import tables as t
from app.engine import merkle
from app.engine.canonical import canonical_bytes

PROOF_FORMAT = "caisse.inclusion-proof/1"


def proof(session: Session, period: str, household_id: str) -> dict[str, Any] | None:
    """The inclusion proof of ``household_id``'s statement in sealed month ``period``, or
    ``None`` (month not sealed with a root, or no statement of that household in it)."""
    row = session.get(t.Checkpoint, period)
    if row is None or row.month_root is None:
        return None
    leaves = merkle.statement_leaves(checkpoint.run_payloads(session, period))
    index = _statement_index(leaves, household_id)
    if index is None:
        return None
    hashes = [merkle.leaf_hash(data) for _, data in leaves]
    # The leaf data is canonical JSON: parsed back, it re-encodes to the same bytes.
    return {
        "format": PROOF_FORMAT,
        "period": period,
        "household_id": household_id,
        "statement": json.loads(leaves[index][1]),
        "leaf_index": index,
        "tree_size": len(hashes),
        "audit_path": [node.hex() for node in merkle.inclusion_path(hashes, index)],
        "checkpoint": {
            **checkpoint.checkpoint_document(row),
            "signature": row.signature,
            "public_key": row.public_key,
        },
    }


def _statement_index(leaves: list[tuple[str, bytes]], household_id: str) -> int | None:
    """The household's assessed line (a month credits a household once), else its last."""
    mine = [i for i, (owner, _) in enumerate(leaves) if owner == household_id]
    assessed = [i for i in mine if b'"status":"assessed"' in leaves[i][1]]
    chosen = assessed or mine
    return chosen[-1] if chosen else None


def check(document: Mapping[str, Any], public_key: bytes | None = None) -> list[str]:
    """Why ``document`` does not prove its statement's inclusion (empty: it does)."""
    try:
        return _check(document, public_key)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        return [f"not a {PROOF_FORMAT} document: {type(error).__name__}: {error}"]


def _check(document: Mapping[str, Any], public_key: bytes | None) -> list[str]:
    if document.get("format") != PROOF_FORMAT:
        return [f"format is {document.get('format')!r}, expected {PROOF_FORMAT!r}"]
    sealed: Mapping[str, Any] = document["checkpoint"]
    statement: Mapping[str, Any] = document["statement"]
    problems: list[str] = []
    if statement.get("period") != sealed.get("period") or document.get("period") != sealed.get(
        "period"
    ):
        problems.append(
            f"the statement's month {statement.get('period')!r} is not the sealed month "
            f"{sealed.get('period')!r}"
        )
    if statement.get("household_id") != document.get("household_id"):
        problems.append("the statement is not the named household's")
    size = document["tree_size"]
    if size != sealed.get("month_statements"):
        problems.append(
            f"tree_size is {size!r} but the checkpoint covers "
            f"{sealed.get('month_statements')!r} statements"
        )
    leaf = merkle.leaf_hash(canonical_bytes(dict(statement)))
    path = [bytes.fromhex(str(node)) for node in document["audit_path"]]
    root = merkle.root_from_path(leaf, int(document["leaf_index"]), int(size), path)
    if root is None or root.hex() != sealed.get("month_root"):
        problems.append(
            "the statement and its audit path do not give the checkpoint's month_root "
            f"{sealed.get('month_root')!r}: the statement or the proof was changed"
        )
    problems.extend(_signature(sealed, public_key))
    return problems


def _signature(sealed: Mapping[str, Any], public_key: bytes | None) -> list[str]:
    if not sealed.get("signature") or not sealed.get("public_key"):
        return ["the checkpoint is not signed: nothing vouches for its month_root"]
    reason = witness.signature_holds(sealed, public_key)
    return [] if reason is None else [f"the checkpoint {reason}"]
