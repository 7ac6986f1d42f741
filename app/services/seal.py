"""Sealing a closed month: a checkpoint (journal size, head hash, balances digest, engine
version, run fingerprint) recorded by a ``seal_month`` command, optionally signed (Ed25519,
key outside the database). The values are read under the writer lock, in the same
transaction that appends the command, so they describe exactly the journal before it.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlmodel import Session

from app.audit import checkpoint, journal, witness
from app.engine import ENGINE_VERSION
from app.engine.books.commands import Command
from app.engine.period import Period
from app.services import errors as svc
from app.services.writes.execute import Db, execute, transaction


def seal_month(
    db: Db,
    period: str,
    *,
    actor: str,
    idempotency_key: str,
    now: datetime,
    signing_key: Ed25519PrivateKey | None = None,
) -> dict[str, Any]:
    """Seal ``period`` (closed first); signs with ``signing_key`` or the key of
    ``CAISSE_SIGNING_KEY`` when set."""
    try:
        month = str(Period.parse(period))
    except ValueError as error:
        raise svc.invalid("period", str(error)) from error
    key = signing_key if signing_key is not None else checkpoint.signing_key_from_env()
    with transaction(db) as session:
        journal.lock_writer(session)
        stored = journal.by_key(session, idempotency_key)
        if stored is not None and stored.kind == "seal_month":
            result: dict[str, Any] = json.loads(stored.result)
            return result
        payload = _payload(session, month)

        def side(inner: Session, seq: int) -> None:
            row = checkpoint.checkpoint_of(payload, seq)
            if key is not None:
                checkpoint.sign(row, key)
            inner.add(row)

        result = execute(
            session, Command("seal_month", payload), actor, idempotency_key, now, side=side
        )
    # Outside the database: the signed checkpoint goes to the witness file once committed.
    witness.seal_committed(db, month, key)
    return result


def _payload(session: Session, period: str) -> dict[str, Any]:
    top = journal.head(session)
    run = checkpoint.month_run(session, period)
    month_root, statements = run.month_tree()
    return {
        "period": period,
        "journal_size": top.seq,
        "head_hash": top.hash,
        "balances_digest": checkpoint.balances_digest(session),
        "engine_version": ENGINE_VERSION,
        "run_fingerprint": run.value(),
        "month_root": month_root,
        "month_statements": statements,
    }
