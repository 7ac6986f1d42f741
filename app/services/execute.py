"""``execute``: the ONE way a command is written to the books.

In one transaction (a savepoint when the caller passes its own ``Session``):

1. take the writer lock (PostgreSQL advisory lock; SQLite holds its write lock already);
2. idempotency: the same key with the same canonical request returns the stored result;
   the same key with a different request raises ``IdempotencyConflict``;
3. build the SQL view and ask the books core for the command's effects (``apply``);
4. append the journal record (seq = head + 1, hash chained), then write the effects and
   whatever personal data the service keeps outside the journal (``side``);
5. check the invariants; any failure rolls the whole command back.

Actor and ``now`` come from the edge (the clock lives there). Nothing is written when
anything fails.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.audit import journal
from app.db.session import unit_of_work
from app.engine.books import errors as books_errors
from app.engine.books.commands import Command
from app.engine.books.core import apply
from app.engine.problems import Problem
from app.ledger.invariants import InvariantViolation, balances_of, check_command
from app.ledger.persist import persist_effects
from app.ledger.view import SqlBooksView
from app.services import errors as svc

Db = Engine | Session
Side = Callable[[Session, int], None]


@contextmanager
def transaction(db: Db) -> Iterator[Session]:
    """A session in a transaction of its own (engine) or in a savepoint (caller's session)."""
    if isinstance(db, Session):
        with db.begin_nested():
            yield db
        return
    with unit_of_work(db) as session:
        yield session


def request_hash(command: Command) -> str:
    """sha256 of the canonical request. ``json.dumps`` with the canonical options gives the
    canonical bytes (floats are refused when the record itself is built)."""
    body = json.dumps(
        {"kind": command.kind, "payload": command.payload},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def execute(
    db: Db,
    command: Command,
    actor: str,
    idempotency_key: str,
    now: datetime,
    *,
    side: Side | None = None,
) -> dict[str, Any]:
    """Record ``command`` once; return its result (the stored one on a replayed key)."""
    if not idempotency_key or len(idempotency_key) > 200:
        raise svc.invalid("idempotency_key", "expected a key of 1 to 200 characters")
    if not actor or len(actor) > 200:
        raise svc.invalid("actor", "expected the acting token's name, 1 to 200 characters")
    digest = request_hash(command)
    with transaction(db) as session:
        journal.lock_writer(session)
        stored = journal.by_key(session, idempotency_key)
        if stored is not None:
            return _replayed(stored, digest, idempotency_key)
        return _record(session, command, actor, idempotency_key, now, digest, side)


def _replayed(stored: Any, digest: str, key: str) -> dict[str, Any]:
    if stored.request_hash != digest:
        raise svc.IdempotencyConflict(
            (Problem("idempotency_key", f"key {key!r} was used for another request"),),
            f"The idempotency key {key!r} was already used with a different request.",
        )
    result: dict[str, Any] = json.loads(stored.result)
    return result


def _record(
    session: Session,
    command: Command,
    actor: str,
    key: str,
    now: datetime,
    digest: str,
    side: Side | None,
) -> dict[str, Any]:
    top = journal.head(session)
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
    before = balances_of(session, touched)
    journal.append(
        session,
        seq=seq,
        prev_hash=top.hash,
        recorded_at=recorded_at,
        actor=actor,
        kind=command.kind,
        idempotency_key=key,
        payload=command.payload,
        request_hash=digest,
        result=result,
    )
    persist_effects(session, seq, recorded_at, command.payload, effects)
    if side is not None:
        side(session, seq)
    session.flush()
    problems = check_command(session, seq, before)
    if problems:
        raise InvariantViolation(problems)
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
    if isinstance(error, books_errors.Conflict):
        return _conflict(problems, detail)
    if isinstance(error, books_errors.InvalidCommand):
        return svc.InvalidRequest(problems, detail)
    raise error  # UnbalancedEntry and the like are defects, not refusals


def _conflict(problems: tuple[Problem, ...], detail: str) -> svc.ServiceError:
    text = detail.lower()
    if " is closed" in text or " is sealed" in text:
        return svc.MonthClosed(problems, detail)
    if "suspended" in text or "is not approved on" in text:
        return svc.MerchantSuspended(problems, detail)
    return svc.Conflict(problems, detail)


def run_in(db: Db, work: Callable[[Session], Any]) -> Any:
    """Run a read-only ``work`` in a transaction (reads see one consistent state)."""
    with transaction(db) as session:
        return work(session)
