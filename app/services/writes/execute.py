"""``execute``: the ONE way a command is written to the books (a purchase by the purchase
path, app.services.writes.group_commit, which builds on this module's steps).

In one transaction (a savepoint when the caller passes its own ``Session``):

0. before any lock, in a read-only transaction: a replayed key returns its stored result
   (or ``IdempotencyConflict``) without waiting for the writer;
1. take the writer lock (PostgreSQL advisory lock; SQLite holds its write lock already);
2. under the lock, in one statement: the head, the carried fund totals and, again, the
   key: the same key with the same canonical request returns the stored result; the same
   key with a different request raises ``IdempotencyConflict``;
3. build the SQL view and ask the books core for the command's effects (``apply``);
4. append the journal record (seq = head + 1, hash chained), then write the effects and
   whatever personal data the service keeps outside the journal (``side``);
5. check the invariants (app.ledger.command_check: one read-back statement, fund totals
   carried in ``fund_total`` when they are the head's); any failure rolls the whole
   command back; else store the new totals with the new head.

On PostgreSQL an in-process gate (app.services.writes.writer_gate) keeps a worker's threads from
all queueing on the advisory lock at once.

Actor and ``now`` come from the edge (the clock lives there). Nothing is written when
anything fails.

The payload is serialised once (``prepare``): the request hash, the stored payload and the
record hash reuse that text. A caller that runs many commands in a row (the month run) may
pass a ``Totals`` carrier: the fund totals after its previous command, tagged with the
journal head that command left. When the head is still that one (same seq AND hash: no
other command was recorded in between, by anyone), the invariant check moves those totals
by the touched accounts instead of summing every balance; otherwise the totals stored in
``fund_total`` serve the same way when they are the head's; otherwise it sums them in full.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from app.audit import journal, witness
from app.db import tables as t
from app.db.session import read_only, unit_of_work
from app.engine.books import errors as books_errors
from app.engine.books.commands import Command
from app.engine.books.core import apply
from app.engine.problems import Problem
from app.ledger.command_check import Stored, Top, carry_totals, check_command, head_and_totals
from app.ledger.invariants import InvariantViolation, read_before
from app.ledger.persist import persist_effects
from app.ledger.view import SqlBooksView
from app.services import errors as svc
from app.services.writes import writer_gate

Db = Engine | Session
Side = Callable[[Session, int], None]


@dataclass(frozen=True, slots=True)
class Prepared:
    """A command with its canonical payload text and request hash, computed once."""

    command: Command
    payload_text: str
    digest: str


@dataclass(frozen=True, slots=True)
class KnownTotals:
    """The fund totals of the state the journal head ``(seq, hash)`` stands for."""

    seq: int
    hash: str
    totals: dict[str, int]


@dataclass(slots=True)
class Totals:
    """Carries ``KnownTotals`` from one committed command to the caller's next one."""

    known: KnownTotals | None = None

    def at(self, top: journal.Head) -> dict[str, int] | None:
        known = self.known
        if known is None or known.seq != top.seq or known.hash != top.hash:
            return None
        return known.totals


@contextmanager
def transaction(db: Db) -> Iterator[Session]:
    """A session in a transaction of its own (engine) or in a savepoint (caller's session)."""
    if isinstance(db, Session):
        with db.begin_nested():
            yield db
        return
    with unit_of_work(db) as session:
        yield session


def prepare(command: Command) -> Prepared:
    """Serialise the payload once (floats refused) and hash the canonical request
    ``{"kind": ..., "payload": ...}`` with that text spliced in (sorted keys: kind first)."""
    payload_text = journal.canonical_payload(command.payload)
    return Prepared(command, payload_text, journal.request_digest(command.kind, payload_text))


def request_hash(command: Command) -> str:
    """sha256 of the canonical request (sorted-key compact JSON of kind and payload)."""
    return prepare(command).digest


def execute(
    db: Db,
    command: Command,
    actor: str,
    idempotency_key: str,
    now: datetime,
    *,
    side: Side | None = None,
    prepared: Prepared | None = None,
    totals: Totals | None = None,
) -> dict[str, Any]:
    """Record ``command`` once; return its result (the stored one on a replayed key).

    ``prepared``: ``prepare(command)`` if the caller made it already; ``totals``: see the
    module's docstring (updated only once the command is committed). A purchase goes the
    purchase path (app.services.writes.group_commit, a group of one), with no consent code: a
    till's purchase comes through ``merchants.purchase``, which gives one."""
    if prepared is None or prepared.command is not command:
        prepared = prepare(command)
    if command.kind == "purchase":
        return _purchase(db, prepared, actor, idempotency_key, now, side, totals)
    check_key_and_actor(idempotency_key, actor)
    replay = _replay_before_lock(db, idempotency_key)
    if replay is not None:
        return replayed(replay, prepared.digest, idempotency_key)
    written: list[KnownTotals] = []
    with gated(db), transaction(db) as session, gated(session, engine_only=db):
        journal.lock_writer(session)
        top = head_and_totals(session, idempotency_key)
        if top.stored is not None:
            return replayed(top.stored, prepared.digest, idempotency_key)
        read = (top, totals)
        result = _record(session, prepared, actor, idempotency_key, now, side, read, written)
    if written:  # every CAISSE_WITNESS_EVERY records, the committed head goes to the witness
        witness.head_committed(db, written[0].seq)
    if totals is not None:
        totals.known = written[0] if written else None
    return result


def _purchase(
    db: Db,
    prepared: Prepared,
    actor: str,
    key: str,
    now: datetime,
    side: Side | None,
    totals: Totals | None,
) -> dict[str, Any]:
    """A purchase, recorded by the one purchase path (which builds on this module's helpers,
    hence the import here)."""
    from app.services.writes.group_commit import Charge, record_one

    if side is not None or totals is not None:
        raise ValueError("a purchase writes nothing beside its effects and carries no totals")
    return record_one(db, Charge(prepared, actor, key, now, None))


def check_key_and_actor(idempotency_key: str, actor: str) -> None:
    """Refuse an empty or over-long idempotency key or actor (nothing is written)."""
    if not idempotency_key or len(idempotency_key) > 200:
        raise svc.invalid("idempotency_key", "expected a key of 1 to 200 characters")
    if not actor or len(actor) > 200:
        raise svc.invalid("actor", "expected the acting token's name, 1 to 200 characters")


def gated(session: Db, engine_only: Db | None = None) -> AbstractContextManager[None]:
    """The in-process writer gate (app.services.writes.writer_gate), entered before the command's
    transaction begins: around it for a caller's session, inside ours for an engine
    (``gated(db), transaction(db) as session, gated(session, engine_only=db)``)."""
    if not isinstance(session, Session):
        return nullcontext()
    if engine_only is not None and not isinstance(engine_only, Engine):
        return nullcontext()
    return writer_gate.entered(session)


def _replay_before_lock(db: Db, key: str) -> Stored | None:
    """The stored record of a replayed key, read without the writer lock (a retry waits for
    no writer). A key not found here is looked up again under the lock: a concurrent first
    request may have committed it meanwhile."""
    if isinstance(db, Session):
        if db.in_transaction():
            return None  # the caller's transaction: the lookup under the lock suffices
        engine = db.get_bind()
    else:
        engine = db
    if not isinstance(engine, Engine):
        return None
    with read_only(engine) as session:
        row = session.execute(
            select(col(t.Journal.request_hash), col(t.Journal.result)).where(
                col(t.Journal.idempotency_key) == key
            )
        ).first()
        return None if row is None else Stored(str(row[0]), str(row[1]))


def replayed(stored: Stored, digest: str, key: str) -> dict[str, Any]:
    """The stored result of a replayed key, or ``IdempotencyConflict`` for another request."""
    if stored.request_hash != digest:
        raise svc.IdempotencyConflict(
            (Problem("idempotency_key", f"key {key!r} was used for another request"),),
            f"The idempotency key {key!r} was already used with a different request.",
        )
    result: dict[str, Any] = json.loads(stored.result)
    return result


def _record(
    session: Session,
    prepared: Prepared,
    actor: str,
    key: str,
    now: datetime,
    side: Side | None,
    read: tuple[Top, Totals | None],
    written: list[KnownTotals],
) -> dict[str, Any]:
    command = prepared.command
    (seq_before, hash_before, stored_totals, _), totals = read
    top = journal.Head(seq_before, hash_before)
    known = totals.at(top) if totals is not None else None
    if known is None:
        known = stored_totals
    seq = top.seq + 1
    try:
        view = SqlBooksView(session)
        view.prefetch(command.kind, command.payload)
        effects = apply(view, command, seq)
    except books_errors.BooksError as error:
        raise service_error(error) from error
    result = {**effects.result, "seq": seq}
    recorded_at = journal.timestamp(now)
    touched = sorted({p.account for e in effects.entries for p in e.postings})
    before = read_before(session, touched, known)
    record_hash = journal.append(
        session,
        seq=seq,
        prev_hash=top.hash,
        recorded_at=recorded_at,
        actor=actor,
        kind=command.kind,
        idempotency_key=key,
        payload=command.payload,
        request_hash=prepared.digest,
        result=result,
        payload_text=prepared.payload_text,
    )
    persist_effects(session, seq, recorded_at, command.payload, effects, before.stored)
    if side is not None:
        side(session, seq)
    session.flush()
    problems = check_command(session, seq, before)
    if problems:
        raise InvariantViolation(problems)
    if before.totals_after is not None:
        carry_totals(session, seq, record_hash, before.totals_after)
        written.append(KnownTotals(seq, record_hash, before.totals_after))
    return result


def service_error(error: books_errors.BooksError) -> svc.ServiceError:
    """The service refusal for a books-core refusal (same problems, an actionable detail)."""
    problems = error.problems
    detail = "; ".join(p.message for p in problems) or str(error)
    if isinstance(error, books_errors.InsufficientCredit):
        return svc.InsufficientCredit(
            problems,
            detail,
            extras={
                "available_cents": error.available_cents,
                "requested_cents": error.requested_cents,
            },
        )
    if isinstance(error, books_errors.NotFound):
        return svc.NotFound(problems, detail)
    if isinstance(error, books_errors.MonthNotOpen):
        return svc.MonthClosed(problems, detail)
    if isinstance(error, books_errors.MerchantUnavailable):
        return svc.MerchantSuspended(problems, detail)
    if isinstance(error, books_errors.Conflict):
        return svc.Conflict(problems, detail)
    if isinstance(error, books_errors.InvalidCommand):
        return svc.InvalidRequest(problems, detail)
    raise error  # UnbalancedEntry and the like are defects, not refusals


def run_in(db: Db, work: Callable[[Session], Any]) -> Any:
    """Run a read-only ``work`` in a transaction (reads see one consistent state)."""
    with transaction(db) as session:
        return work(session)
