"""Month checkpoints: balances digest, run fingerprint, optional Ed25519 signature.

- ``balances_digest`` and ``run_fingerprint``: computed by the books core
  (``app.engine.books.digest``) from the stored balances and the month's ``run_month``
  payloads, so the verifier recomputes exactly the same values on a replay;
- signature: Ed25519 over the canonical checkpoint document, with a private key read from
  the PEM file named by ``CAISSE_SIGNING_KEY`` (never stored in the database); the public
  key is stored next to the signature so anyone can check it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_private_key,
)

from app.engine.books import digest
from app.engine.canonical import canonical_bytes

if TYPE_CHECKING:
    from sqlmodel import Session

    from app.db import tables as t

# SQLAlchemy and the tables are imported by the functions that query or build rows: the
# verifier checks an export's signatures (``checkpoint_document``) without loading them.

SIGNING_KEY_ENV = "CAISSE_SIGNING_KEY"


def balances_digest(session: Session) -> str:
    """The core's digest of every stored balance (what the verifier recomputes)."""
    from sqlalchemy import select
    from sqlmodel import col

    from app.db import tables as t

    rows = session.execute(select(col(t.Balance.account), col(t.Balance.balance_cents)))
    return digest.balances_digest({str(a): int(b) for a, b in rows})


def run_fingerprint(session: Session, period: str) -> str:
    return month_run(session, period).value()


def month_run(session: Session, period: str) -> digest.RunFingerprint:
    """The month's ``run_month`` payloads in journal order, fed to the core's fingerprint
    (which also gives the month's Merkle tree over its statements)."""
    fingerprint = digest.RunFingerprint()
    for payload in run_payloads(session, period):
        fingerprint.add(payload)
    return fingerprint


def run_payloads(session: Session, period: str) -> list[dict[str, Any]]:
    """The payloads of the month's ``run_month`` records, in journal order."""
    from sqlalchemy import select
    from sqlmodel import col

    from app.db import tables as t

    rows = session.execute(
        select(col(t.Journal.payload))
        .where(
            col(t.Journal.kind) == "run_month",
            col(t.Journal.payload).like(f'%"period":"{period}"%'),
        )
        .order_by(col(t.Journal.seq))
    ).scalars()
    payloads = [json.loads(text) for text in rows]
    return [payload for payload in payloads if payload.get("period") == period]


def signing_key_from_env() -> Ed25519PrivateKey | None:
    """The Ed25519 key named by ``CAISSE_SIGNING_KEY`` (PEM file), or ``None`` if unset."""
    path = os.environ.get(SIGNING_KEY_ENV, "").strip()
    if not path:
        return None
    key = load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{SIGNING_KEY_ENV} must name an Ed25519 private key (PEM)")
    return key


def checkpoint_document(row: t.Checkpoint | Mapping[str, Any]) -> dict[str, Any]:
    """What the signature covers: of a stored row, or of its columns by name (the verifier
    reads an export's checkpoints as mappings)."""
    get = row.get if isinstance(row, Mapping) else lambda name: getattr(row, name)
    document: dict[str, Any] = {"format": "caisse.checkpoint/1"}
    for name in SIGNED_FIELDS:
        document[name] = get(name)
    month_root = get("month_root")
    if month_root is not None:  # seals before month roots existed keep their signatures
        document["month_root"] = month_root
        document["month_statements"] = get("month_statements")
    return document


SIGNED_FIELDS = ("period", "seq", "journal_size", "head_hash", "balances_digest",
                 "engine_version", "run_fingerprint")


def published(row: t.Checkpoint) -> dict[str, Any]:
    """A checkpoint as the API and pages show it: every column, signature included."""
    return {
        "period": row.period,
        "seq": int(row.seq),
        "journal_size": int(row.journal_size),
        "head_hash": row.head_hash,
        "balances_digest": row.balances_digest,
        "engine_version": row.engine_version,
        "run_fingerprint": row.run_fingerprint,
        "month_root": row.month_root,
        "month_statements": row.month_statements,
        "signature": row.signature,
        "public_key": row.public_key,
    }


def sign(row: t.Checkpoint, key: Ed25519PrivateKey) -> None:
    row.signature = key.sign(canonical_bytes(checkpoint_document(row))).hex()
    row.public_key = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def signature_valid(row: t.Checkpoint) -> bool:
    """True when the stored signature verifies with the stored public key."""
    if not row.signature or not row.public_key:
        return False
    public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(row.public_key))
    try:
        public.verify(bytes.fromhex(row.signature), canonical_bytes(checkpoint_document(row)))
    except Exception:
        return False
    return True


def checkpoint_of(payload: Mapping[str, Any], seq: int) -> t.Checkpoint:
    from app.db import tables as t

    return t.Checkpoint(
        period=payload["period"],
        seq=seq,
        journal_size=payload["journal_size"],
        head_hash=payload["head_hash"],
        balances_digest=payload["balances_digest"],
        engine_version=payload["engine_version"],
        run_fingerprint=payload["run_fingerprint"],
        month_root=payload.get("month_root"),
        month_statements=payload.get("month_statements"),
    )
