"""The one purchase path: a charge is recorded in a group, one charge a group of one.

Every command holds the fund's one writer lock (the journal is one gapless hash chain), so
purchases one transaction each cannot exceed 1 / (time a purchase holds the lock). A till
does not need its own transaction, only its own outcome. So the charges that arrive while a
group is being written wait in a queue (``GroupWriter``), and the next group records them
all under one lock, in one transaction. ``merchants.purchase`` and ``execute`` of a
purchase record theirs as a group of one (``record_one``), by the same code. SQLite and
PostgreSQL differ only behind ``app.services.writes.purchase_store.PurchaseStore`` (read the
group's books under the lock; write the group and check it).

Guarantees of ``record_charges``:

- charges are decided one after the other in arrival order, each seeing the previous
  accepted ones (lots drawn, ids used, wrong codes counted): the key and actor are checked,
  then the consent code (403, or 409 ``consent-locked``), then a replayed idempotency key
  returns the original result (409 if the request differs), then the books core decides;
- an accepted charge gets the next seq: one journal record per charge, hash chained, so
  the journal, the verifier and every read see exactly what single commands would leave;
- a refused charge writes nothing and refuses nothing else; its error is its outcome. Wrong
  consent codes are counted in the group's transaction, which commits them even when
  every charge of it was refused;
- the invariants (app.ledger.command_check) are checked over the group's seq range before
  commit. If anything fails for the group as a whole (an invariant, the database), nothing
  of it is kept and ``GroupWriter`` records each charge of it on its own instead, so one
  defect can only ever fail its own charge;
- given a session in a transaction (a till's basket), the group is a savepoint of it: the
  caller's rollback takes everything back, wrong codes too.

``GroupWriter`` is the per-process queue and its one writer thread. There is no waiting for
a group to fill: a group is whatever arrived while the previous one was being written (one
charge when the till is quiet), up to ``MAX_GROUP``.
"""

from __future__ import annotations

import asyncio
import logging
import queue
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.audit import journal, witness
from app.engine.books import errors as books_errors
from app.engine.books.core import apply
from app.engine.books.state import Effects
from app.ledger.command_check import Stored, carry_totals
from app.ledger.group import GroupBooks
from app.ledger.invariants import Before, InvariantViolation, read_before
from app.services import consent
from app.services import errors as svc
from app.services.writes.execute import (
    Db,
    Prepared,
    check_key_and_actor,
    gated,
    replayed,
    service_error,
    transaction,
)
from app.services.writes.idle_thread import STOP, IdleThread
from app.services.writes.purchase_store import (
    GroupRead,
    Wanted,
    Written,
    store_for,
    touched_accounts,
)

MAX_GROUP = 64
IDLE_SECONDS = 5.0  # an idle writer thread ends (apps made and dropped by tests)
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Charge:
    """One purchase waiting for its group: the command (prepared), who asks, the key, the
    clock read at the edge, and the member's consent code (checked, never stored; None
    only for a purchase recorded without a till, app.services.writes.execute's callers)."""

    prepared: Prepared
    actor: str
    key: str
    now: datetime
    consent_code: str | None

    @property
    def household_id(self) -> str:
        return str(self.prepared.command.payload["household_id"])

    @property
    def merchant_id(self) -> str:
        return str(self.prepared.command.payload["merchant_id"])


Outcome = dict[str, Any] | svc.ServiceError


def record_one(db: Db, charge: Charge) -> dict[str, Any]:
    """The charge on its own: a group of one; its result, or its refusal raised."""
    (outcome,) = record_charges(db, [charge])
    if isinstance(outcome, svc.ServiceError):
        raise outcome
    return outcome


def record_charges(db: Db, charges: Sequence[Charge]) -> list[Outcome]:
    """Record ``charges`` in one transaction (a savepoint of the caller's when ``db`` is a
    session in one); one outcome per charge, in order (see the module docstring). Raises
    only when the group as a whole fails (nothing is kept)."""
    for charge in charges:
        if charge.prepared.command.kind != "purchase":
            raise ValueError(f"only purchases are grouped, not {charge.prepared.command.kind}")
    with gated(db), transaction(db) as session, gated(session, engine_only=db):
        outcomes, last_seq = _record(session, charges)
    if last_seq is not None:  # every CAISSE_WITNESS_EVERY records, the committed head
        witness.head_committed(db, last_seq)
    return outcomes


@dataclass(slots=True)
class _Group:
    """What the group has accepted so far."""

    seq: int
    hash: str
    rows: list[dict[str, Any]]
    recorded: list[tuple[int, Effects]]
    keys: dict[str, Stored]


def _record(session: Session, charges: Sequence[Charge]) -> tuple[list[Outcome], int | None]:
    payloads = [charge.prepared.command.payload for charge in charges]
    wanted = Wanted(
        keys=sorted({charge.key for charge in charges}),
        households=sorted({str(p["household_id"]) for p in payloads}),
        merchants=sorted({str(p["merchant_id"]) for p in payloads}),
        periods=sorted({str(p["period"]) for p in payloads}),
        purchases=sorted({(str(p["merchant_id"]), str(p["purchase_id"])) for p in payloads}),
    )
    store = store_for(session)
    read = store.read(session, wanted)
    group = _Group(read.seq, read.hash, [], [], dict(read.stored))
    outcomes: list[Outcome] = []
    for charge in charges:
        try:
            outcomes.append(_decide(charge, group, read.books, read.attempts))
        except svc.ServiceError as error:
            outcomes.append(error)
    read.attempts.save(session)
    if not group.recorded:
        return outcomes, None
    written = Written(group.rows, group.recorded, group.hash)
    before = _before(session, read, written)
    problems, carried = store.write(session, written, before)
    if problems:
        raise InvariantViolation(problems)
    if not carried and before.totals_after is not None:
        carry_totals(session, group.seq, group.hash, before.totals_after)
    return outcomes, group.seq


def _decide(
    charge: Charge, group: _Group, books: GroupBooks, attempts: consent.Attempts
) -> Outcome:
    check_key_and_actor(charge.key, charge.actor)
    if charge.consent_code is not None:
        attempts.check(
            charge.household_id, charge.consent_code, charge.now, merchant_id=charge.merchant_id
        )
    prepared = charge.prepared
    earlier = group.keys.get(charge.key)
    if earlier is not None:
        return replayed(earlier, prepared.digest, charge.key)
    seq = group.seq + 1
    try:
        effects = apply(books, prepared.command, seq)
    except books_errors.BooksError as error:
        return service_error(error)
    books.commit(effects)
    result = {**effects.result, "seq": seq}
    result_text = journal.canonical_text(result)
    row = journal.record_row(
        seq=seq,
        prev_hash=group.hash,
        recorded_at=journal.timestamp(charge.now),
        actor=charge.actor,
        kind=prepared.command.kind,
        idempotency_key=charge.key,
        payload_text=prepared.payload_text,
        request_hash=prepared.digest,
        result_text=result_text,
    )
    group.seq, group.hash = seq, str(row["hash"])
    group.rows.append(row)
    group.recorded.append((seq, effects))
    group.keys[charge.key] = Stored(prepared.digest, result_text)
    return result


def _before(session: Session, read: GroupRead, written: Written) -> Before:
    """The touched accounts' balances before the group: from the read when the store read
    them with it, else read now."""
    touched = touched_accounts(written.recorded)
    if not read.asked.issuperset(touched):
        return read_before(session, touched, read.totals)
    found = read.balances
    return Before(
        {a: found.get(a, 0) for a in touched},
        frozenset(a for a in touched if a in found),
        None if read.totals is None else dict(read.totals),
    )


class GroupWriter:
    """The process's queue of charges and its writer thread (started on first use)."""

    def __init__(
        self,
        engine: Engine,
        max_group: int = MAX_GROUP,
        timer: Callable[[], float] | None = None,
        after_group: Callable[[], None] | None = None,
    ) -> None:
        """``timer``: a monotonic clock in seconds, from the edge, to report how long
        groups take (``stats``); without it only the counts are kept. ``after_group``:
        called in the writer thread once every charge of a group has its outcome (the
        charge writer process sends a group's outcomes together,
        app.services.writes.charge_link)."""
        self.engine = engine
        self.after_group = after_group
        self.max_group = max_group
        self.timer = timer
        self.seconds = 0.0  # spent writing groups (with a timer)
        self.slowest_seconds = 0.0  # the longest group (with a timer)
        self.largest = 0
        # The queue and its thread, gone after IDLE_SECONDS idle (read at each wait).
        self._worker = IdleThread("caisse-group-writer", self._run, lambda: IDLE_SECONDS)
        self.groups = 0  # groups written, and charges in them (for the benchmark's report)
        self.charges = 0

    def submit(self, charge: Charge) -> Future[dict[str, Any]]:
        """Queue ``charge``; the future holds its result or its ``ServiceError``."""
        future: Future[dict[str, Any]] = Future()
        self._worker.put((charge, future))
        return future

    async def record(self, charge: Charge) -> dict[str, Any]:
        """``submit`` awaited from an event loop: the result, or the refusal raised."""
        return await asyncio.wrap_future(self.submit(charge))

    def stop(self, timeout: float = 30.0) -> None:
        """Write what is queued, then stop the thread."""
        self._worker.stop(timeout)

    def stats(self) -> str:
        """Charges and groups written, the mean and largest group, the mean ms per group."""
        mean = self.charges / self.groups if self.groups else 0.0
        text = f"{self.charges} charges in {self.groups} groups (mean {mean:.1f}"
        text += f", largest {self.largest})"
        if self.timer is not None and self.groups:
            text += f", {1000 * self.seconds / self.groups:.2f} ms per group"
            text += f", slowest {1000 * self.slowest_seconds:.0f} ms"
        return text

    def _run(self) -> None:
        while True:
            first = self._worker.get()  # STOP once idle: the thread ends, holding nothing
            if first is STOP:
                return
            group = [first]
            stop = False
            while len(group) < self.max_group:
                try:
                    item = self._worker.get_nowait()
                except queue.Empty:
                    break
                if item is STOP:
                    stop = True
                    break
                group.append(item)
            try:
                self._write(group)
            finally:
                if self.after_group is not None:
                    self.after_group()
            if stop:
                return

    def _write(self, group: list[tuple[Charge, Future[dict[str, Any]]]]) -> None:
        charges = [charge for charge, _ in group]
        started = self.timer() if self.timer is not None else 0.0
        try:
            outcomes = record_charges(self.engine, charges)
        except Exception:
            log.exception("a group of %d charges failed; recording them one by one", len(group))
            for charge, future in group:
                _settle(future, lambda charge=charge: record_one(self.engine, charge))
            return
        self.groups += 1
        self.charges += len(group)
        self.largest = max(self.largest, len(group))
        if self.timer is not None:
            took = self.timer() - started
            self.seconds += took
            self.slowest_seconds = max(self.slowest_seconds, took)
        for (_, future), outcome in zip(group, outcomes, strict=True):
            if isinstance(outcome, svc.ServiceError):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)


def _settle(future: Future[dict[str, Any]], work: Any) -> None:
    try:
        future.set_result(work())
    except BaseException as error:  # the caller's request reports it (500 if a defect)
        future.set_exception(error)
