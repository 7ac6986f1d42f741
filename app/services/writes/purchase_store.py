"""Where a group of purchases is read and written: the only place SQLite and PostgreSQL differ
on the purchase path (app.services.writes.group_commit).

``PurchaseStore`` has two operations, each run under the fund's writer lock in the group's
transaction:

- ``read``: take the writer lock and read everything the group's charges are decided
  against: the journal head and the fund totals carried with it (when they are the
  head's), the records already stored under the group's idempotency keys, the households'
  consent codes and runs of wrong codes, the books the core asks about (households,
  merchants, months, open lots, purchases under the group's ``(merchant_id,
  purchase_id)``), and the balances of the accounts the group may touch when the store
  reads them with the rest (``asked``);
- ``write``: append the accepted charges' journal records, write their effects (the rows
  ``app.ledger.persist`` would write command by command; the verifier compares them), store
  the carried fund totals when the store can do it in the same statement, and return the
  invariant check's problems over the group's seq range (the caller rolls back on any).

``SqliteStore`` does each in a few statements (its round trips are function calls:
app.ledger.group); ``PostgresStore`` in one statement each (app.ledger.group_pg: every
round trip under the writer lock lengthens every other writer's wait).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlmodel import Session

from app.audit import journal
from app.engine.books import accounts as acc
from app.engine.books.state import Effects
from app.ledger.bulk import is_postgres
from app.ledger.command_check import (
    Stored,
    check_range,
    check_rows,
    check_statement,
    head_and_totals,
    stored_results,
)
from app.ledger.group import GroupBooks, load_purchase_books, persist_group
from app.ledger.group_pg import Carry, read_group, write_group
from app.ledger.invariants import Before, moved_totals
from app.services import consent


@dataclass(frozen=True, slots=True)
class Wanted:
    """What a group of purchases is about (each list sorted, without repeats)."""

    keys: list[str]
    households: list[str]
    merchants: list[str]
    periods: list[str]
    purchases: list[tuple[str, str]]  # (merchant_id, purchase_id): ids are per merchant


@dataclass(frozen=True, slots=True)
class GroupRead:
    """What ``PurchaseStore.read`` found, as of the moment the writer lock was taken."""

    seq: int  # the journal head
    hash: str
    totals: dict[str, int] | None  # the carried fund totals, if they are the head's
    stored: dict[str, Stored]  # idempotency key -> its stored record
    attempts: consent.Attempts
    books: GroupBooks
    balances: dict[str, int]  # of the accounts in ``asked`` that have a balance row
    asked: frozenset[str]  # the accounts whose balances were read (present or not)


@dataclass(frozen=True, slots=True)
class Written:
    """The accepted charges of a group, ready to write."""

    rows: list[dict[str, Any]]  # journal records, in seq order
    recorded: list[tuple[int, Effects]]  # (seq, effects) of each
    last_hash: str

    @property
    def seqs(self) -> tuple[int, int]:
        return self.recorded[0][0], self.recorded[-1][0]


class PurchaseStore(Protocol):
    """The storage operations of the purchase path (see the module docstring)."""

    def read(self, session: Session, wanted: Wanted) -> GroupRead: ...

    def write(self, session: Session, written: Written, before: Before) -> tuple[list[str], bool]:
        """The invariant check's problems, and whether the fund totals after the group
        were stored with the rows (else the caller stores them once the check passed)."""
        ...


class SqliteStore:
    """A few statements each way (app.ledger.group)."""

    def read(self, session: Session, wanted: Wanted) -> GroupRead:
        journal.lock_writer(session)  # a no-op on SQLite: BEGIN IMMEDIATE holds it already
        top = head_and_totals(session, wanted.keys[0])
        return GroupRead(
            top.seq,
            top.hash,
            top.totals,
            stored_results(session, wanted.keys),
            consent.Attempts.read(session, wanted.households),
            load_purchase_books(
                session, wanted.households, wanted.merchants, wanted.periods, wanted.purchases
            ),
            {},
            frozenset(),
        )

    def write(self, session: Session, written: Written, before: Before) -> tuple[list[str], bool]:
        journal.insert_records(session, written.rows)
        persist_group(session, written.recorded, before.stored)
        return check_range(session, *written.seqs, before), False


class PostgresStore:
    """One statement each way, each sent with the one before it (app.ledger.group_pg)."""

    def read(self, session: Session, wanted: Wanted) -> GroupRead:
        # Every account a purchase can touch: the member's credit, the merchant's payable.
        accounts = [acc.member_credit(h) for h in wanted.households]
        accounts += [acc.merchant_payable(m) for m in wanted.merchants]
        state = read_group(
            session,
            lock_key=journal.WRITER_LOCK_KEY,
            keys=wanted.keys,
            households=wanted.households,
            merchants=wanted.merchants,
            periods=wanted.periods,
            purchases=wanted.purchases,
            accounts=sorted(accounts),
        )
        return GroupRead(
            state.seq,
            state.hash,
            state.totals,
            state.stored,
            consent.Attempts(state.codes, state.attempts),
            state.books,
            state.balances,
            frozenset(accounts),
        )

    def write(self, session: Session, written: Written, before: Before) -> tuple[list[str], bool]:
        carry = _carry(written, before)
        check = check_statement("postgresql", written.seqs, sorted(before.balances))
        rows = write_group(
            session, written.rows, written.recorded, set(before.stored), carry, check
        )
        problems = check_rows(session, written.seqs, before, rows)
        if not problems and carry is not None and before.totals_after != carry.totals:
            problems = [f"carried totals {carry.totals} differ from {before.totals_after}"]
        return problems, carry is not None


def _carry(written: Written, before: Before) -> Carry | None:
    """The fund totals after the group, from the carried ones moved by its postings (None
    when the totals before are not known: the check then sums them)."""
    if before.totals is None:
        return None
    after = dict(before.balances)
    for _, effects in written.recorded:
        for entry in effects.entries:
            for account, amount in entry.postings:
                after[account] += amount
    seq = written.seqs[1]
    return Carry(seq, written.last_hash, moved_totals(before.totals, before.balances, after))


def store_for(session: Session) -> PurchaseStore:
    """The store of the session's database."""
    return _POSTGRES if is_postgres(session) else _SQLITE


_SQLITE = SqliteStore()
_POSTGRES = PostgresStore()


def touched_accounts(recorded: Sequence[tuple[int, Effects]]) -> list[str]:
    """The accounts the recorded effects post to, sorted."""
    return sorted(
        {p.account for _, effects in recorded for e in effects.entries for p in e.postings}
    )
