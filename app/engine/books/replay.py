"""Replay: verify the chain and re-apply every command into fresh ``MemoryBooks``.

``replay(records, stored_entries, stored_balances)`` walks the journal once. At each record it
checks the chain link, re-applies the command, compares the entries it produces with the
stored entries of that seq (when given), checks a ``seal_month`` checkpoint against the
replayed state (head hash, balances digest, run fingerprint), and commits. It stops at the
first disagreement and reports its seq. After the last record it checks the invariants and
compares the stored balances (when given); a balance that disagrees is reported at the seq of
the last entry that touched that account.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.engine.books.core import apply
from app.engine.books.digest import RunFingerprint, balances_digest, month_tree_problem
from app.engine.books.entries import Entry
from app.engine.books.errors import BooksError
from app.engine.books.invariants import check_invariants, check_totals
from app.engine.books.journal import GENESIS_HASH, chain_problem, command_of
from app.engine.books.memory import MemoryBooks
from app.engine.collector import collector_paused


@dataclass(frozen=True, slots=True)
class ReplayResult:
    """The replayed books; ``first_disagreement`` is ``None`` when everything agrees."""

    books: MemoryBooks
    first_disagreement: int | None
    reason: str | None
    records: int
    head_hash: str

    @property
    def ok(self) -> bool:
        return self.first_disagreement is None


class _Replay:
    def __init__(self, stored_entries: Mapping[int, Sequence[Entry]] | None) -> None:
        self.books = MemoryBooks()
        self.stored = stored_entries
        self.prev_hash = GENESIS_HASH
        self.seq = 0
        self.fingerprints: dict[str, RunFingerprint] = {}

    def step(self, record: Mapping[str, Any]) -> str | None:
        """Process one record; the reason it disagrees, or ``None``."""
        expected = self.seq + 1
        reason = chain_problem(record, expected, self.prev_hash, strict=False)
        if reason is not None:
            return reason
        command = command_of(record)
        if command.kind == "seal_month" and isinstance(command.payload, Mapping):
            reason = self._check_seal(command.payload)
            if reason is not None:
                return reason
        try:
            effects = apply(self.books, command, expected)
        except BooksError as error:
            return f"the engine refuses this {command.kind} on replay: {error}"
        if self.stored is not None:
            stored = tuple(self.stored.get(expected, ()))
            if stored != effects.entries:
                return _entries_differ(stored, effects.entries)
        self.books.commit(effects)
        if command.kind == "run_month":
            period = str(record["payload"]["period"])
            self.fingerprints.setdefault(period, RunFingerprint()).add(record["payload"])
        self.prev_hash = str(record["hash"])
        self.seq = expected
        return None

    def _check_seal(self, payload: Mapping[str, Any]) -> str | None:
        if payload.get("head_hash") != self.prev_hash:
            return "seal head_hash is not the hash of the record before it"
        digest = balances_digest(self.books.balances)
        if payload.get("balances_digest") != digest:
            return f"seal balances_digest differs from the replayed balances ({digest})"
        run = self.fingerprints.get(str(payload.get("period")), RunFingerprint())
        fingerprint = run.value()
        if payload.get("run_fingerprint") != fingerprint:
            return f"seal run_fingerprint differs from the replayed run ({fingerprint})"
        tree = month_tree_problem(payload, run)
        if tree is not None:
            return tree
        problems = check_totals(self.books.code_totals)
        if problems:
            return "invariant broken before the seal: " + "; ".join(p.message for p in problems)
        return None


def _entries_differ(stored: tuple[Entry, ...], replayed: tuple[Entry, ...]) -> str:
    if len(stored) != len(replayed):
        return f"{len(stored)} stored entries, replay produces {len(replayed)}"
    for mine, theirs in zip(replayed, stored, strict=True):
        if mine != theirs:
            return f"stored entry {theirs.entry_id} differs from the replayed {mine!r}"
    return "stored entries differ"


def replay(
    records: Iterable[Mapping[str, Any]],
    stored_entries: Mapping[int, Sequence[Entry]] | None = None,
    stored_balances: Mapping[str, int] | None = None,
) -> ReplayResult:
    """Replay a whole journal (records in seq order) and compare with what storage holds.

    The cyclic garbage collector is paused while replaying (and restored after): the books
    hold millions of acyclic tuples, and repeated collections of them cost a quarter of the
    replay time while freeing nothing.
    """
    run = _Replay(stored_entries)
    with collector_paused():
        for record in records:
            reason = run.step(record)
            if reason is not None:
                return ReplayResult(run.books, run.seq + 1, reason, run.seq, run.prev_hash)
    reason_at = _final_checks(run, stored_entries, stored_balances)
    if reason_at is not None:
        return ReplayResult(run.books, reason_at[0], reason_at[1], run.seq, run.prev_hash)
    return ReplayResult(run.books, None, None, run.seq, run.prev_hash)


def _final_checks(
    run: _Replay,
    stored_entries: Mapping[int, Sequence[Entry]] | None,
    stored_balances: Mapping[str, int] | None,
) -> tuple[int, str] | None:
    books = run.books
    if stored_entries is not None:
        extra = sorted(seq for seq, rows in stored_entries.items() if rows and seq > run.seq)
        if extra:
            return extra[0], f"stored entries at seq {extra[0]} have no journal record"
    if stored_balances is not None:
        for account in sorted(set(stored_balances) | set(books.balances)):
            stored, replayed = stored_balances.get(account, 0), books.balances.get(account, 0)
            if stored != replayed:
                return _last_touch(books, account), (
                    f"stored balance of {account} is {stored} cents, replay gives {replayed}"
                )
    problems = check_invariants(books)
    if problems:
        return max(run.seq, 1), "invariant broken: " + "; ".join(
            f"{p.path}: {p.message}" for p in problems[:5]
        )
    return None


def _last_touch(books: MemoryBooks, account: str) -> int:
    seq = books.last_seq.get(account)
    if seq is not None:
        return seq
    return max(len(books.entries) and books.entries[-1].seq, 1)
