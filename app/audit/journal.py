"""The hash-chained journal in SQL: append under the writer lock, read back in seq order.

Guarantees: ``seq`` is gapless from 1 (the next seq is the head's + 1, read while holding
the writer lock: PostgreSQL's transaction-scoped advisory lock, SQLite's write lock taken by
``BEGIN IMMEDIATE``); each record's ``hash`` chains to the previous record's, computed by
the books core (format ``caisse.journal/1``). Records are never updated or deleted (database
triggers refuse it).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, text
from sqlmodel import Session, SQLModel, col

from app.db import tables as t
from app.engine.books.journal import FORMAT, GENESIS_HASH
from app.engine.canonical import canonical_bytes

# Any constant works; it only has to be the same for every writer of the database.
WRITER_LOCK_KEY = 0x6361_6973_7365  # "caisse"


def lock_writer(session: Session) -> None:
    """Serialise writers for the rest of the transaction (no-op on SQLite: already locked)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITER_LOCK_KEY})


def timestamp(now: datetime) -> str:
    """The journal's time text: UTC, ISO 8601, microseconds, ``Z``."""
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True, slots=True)
class Head:
    seq: int
    hash: str


def head(session: Session) -> Head:
    """The last record's seq and hash (``Head(0, GENESIS_HASH)`` for an empty journal)."""
    row = session.execute(
        select(col(t.Journal.seq), col(t.Journal.hash)).order_by(col(t.Journal.seq).desc()).limit(1)
    ).first()
    return Head(0, GENESIS_HASH) if row is None else Head(int(row[0]), str(row[1]))


def append(
    session: Session,
    *,
    seq: int,
    prev_hash: str,
    recorded_at: str,
    actor: str,
    kind: str,
    idempotency_key: str,
    payload: Mapping[str, Any],
    request_hash: str,
    result: Mapping[str, Any],
    payload_text: str | None = None,
) -> str:
    """Insert the record (seq/prev_hash taken from ``head`` under the lock); returns its hash.

    ``payload_text``: ``canonical_payload(payload)`` when the caller has it already."""
    text_ = canonical_payload(payload) if payload_text is None else payload_text
    row = record_row(
        seq=seq,
        prev_hash=prev_hash,
        recorded_at=recorded_at,
        actor=actor,
        kind=kind,
        idempotency_key=idempotency_key,
        payload_text=text_,
        request_hash=request_hash,
        result_text=canonical_text(result),
    )
    insert_records(session, [row])
    return str(row["hash"])


def record_row(
    *,
    seq: int,
    prev_hash: str,
    recorded_at: str,
    actor: str,
    kind: str,
    idempotency_key: str,
    payload_text: str,
    request_hash: str,
    result_text: str,
) -> dict[str, Any]:
    """The ``journal`` row of a record, its hash chained to ``prev_hash`` (not inserted)."""
    digest = record_hash(
        seq=seq,
        prev_hash=prev_hash,
        recorded_at=recorded_at,
        actor=actor,
        kind=kind,
        idempotency_key=idempotency_key,
        payload_text=payload_text,
    )
    return {
        "seq": seq,
        "recorded_at": recorded_at,
        "actor": actor,
        "kind": kind,
        "idempotency_key": idempotency_key,
        "request_hash": request_hash,
        "payload": payload_text,
        "result": result_text,
        "prev_hash": prev_hash,
        "hash": digest,
    }


def insert_records(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert journal rows (``record_row``) in one statement, in seq order."""
    if rows:
        # Core INSERT: the rows are never read back through the ORM in this transaction.
        session.execute(insert(SQLModel.metadata.tables["journal"]), rows)


def canonical_text(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_payload(payload: Mapping[str, Any]) -> str:
    """The payload's canonical text (floats and non-string keys refused), made once."""
    return canonical_bytes(dict(payload)).decode("utf-8")


def request_digest(kind: str, payload_text: str) -> str:
    """The request hash an idempotency key is stored with: sha256 of the canonical request
    ``{"kind": ..., "payload": ...}`` (sorted keys: kind first) with the payload's canonical
    text spliced in. The writer stores it, the verifier recomputes it from the record."""
    body = f'{{"kind":{json.dumps(kind, ensure_ascii=False)},"payload":{payload_text}}}'
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def record_hash(
    *,
    seq: int,
    prev_hash: str,
    recorded_at: str,
    actor: str,
    kind: str,
    idempotency_key: str,
    payload_text: str,
) -> str:
    """``sha256(prev_hash || canonical record)`` with the payload's text spliced in; equal to
    ``app.engine.books.journal.build_record(...)["hash"]`` (a test checks it)."""
    before = canonical_text(
        {"actor": actor, "format": FORMAT, "idempotency_key": idempotency_key, "kind": kind}
    )
    after = canonical_text({"prev_hash": prev_hash, "recorded_at": recorded_at, "seq": seq})
    body = f'{before[:-1]},"payload":{payload_text},{after[1:]}'
    return hashlib.sha256(prev_hash.encode("ascii") + body.encode("utf-8")).hexdigest()


def by_key(session: Session, idempotency_key: str) -> t.Journal | None:
    return session.execute(
        select(t.Journal).where(col(t.Journal.idempotency_key) == idempotency_key)
    ).scalar_one_or_none()


def record_of(row: t.Journal) -> dict[str, Any]:
    """The journal record a stored row holds, with its hash (format ``caisse.journal/1``)."""
    return {
        "format": FORMAT,
        "seq": int(row.seq),
        "recorded_at": row.recorded_at,
        "actor": row.actor,
        "kind": row.kind,
        "idempotency_key": row.idempotency_key,
        "payload": json.loads(row.payload),
        "prev_hash": row.prev_hash,
        "hash": row.hash,
    }


def records(session: Session, after_seq: int = 0, batch: int = 1000) -> Iterator[dict[str, Any]]:
    """Every journal record after ``after_seq`` in seq order (for the verifier and exports)."""
    for row in read_rows(session, after_seq, batch):
        yield record_of(row)


def read_rows(session: Session, after_seq: int = 0, batch: int = 1000) -> Iterator[t.Journal]:
    """Every stored row with ``seq > after_seq``, in seq order, read in batches."""
    last = after_seq
    while True:
        rows = list(
            session.execute(
                select(t.Journal)
                .where(col(t.Journal.seq) > last)
                .order_by(col(t.Journal.seq))
                .limit(batch)
            ).scalars()
        )
        if not rows:
            return
        yield from rows
        last = int(rows[-1].seq)


def page(session: Session, after_seq: int, limit: int) -> list[dict[str, Any]]:
    """One page of the journal: up to ``limit`` records after ``after_seq``."""
    out: list[dict[str, Any]] = []
    for record in records(session, after_seq, batch=limit):
        out.append(record)
        if len(out) >= limit:
            break
    return out
