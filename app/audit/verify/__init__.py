"""The replay verifier: re-derive the whole books from the journal and compare with storage.

``verify(source)`` walks the journal once, in seq order (``replay.walk``: one ``replay.step``
per record: chain link, seal, re-apply, entries), then runs the checks after the walk
(``checks.AFTER_WALK``: balances, invariants, lots, markers, checkpoints with their Ed25519
signatures, registry tables, re-derived month runs, an export's manifest). It stops at the
FIRST disagreement and names its seq, table and row. Nothing here writes.

``verify_records(records, entries, balances)`` is the same walk and the same checks over
records and rows held in memory (tests, and any caller without a ``Source``).

The house: ``finding`` (``Disagreement``), ``replay`` (the walk and its ``step``), ``checks``
(the list of checks after the walk), ``tables`` (the registry tables of a database),
``rederive`` (every month run's amounts from the rules and the facts). Each imports only
modules listed before it.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.audit.sources import Source, read_in_child
from app.audit.verify import checks
from app.audit.verify.finding import Disagreement
from app.audit.verify.rederive import Outcome
from app.audit.verify.replay import Item, Replayed, feed, feed_then_tables, walk
from app.engine.books.entries import Entry
from app.engine.books.memory import MemoryBooks
from app.engine.collector import collector_paused

__all__ = [
    "CHECKS", "PARALLEL_MIN_BYTES", "Disagreement", "Replay", "Report", "default_jobs",
    "verify", "verify_records",
]

# What a report's ``checks`` lists: every comparison ``verify`` makes (docs/verifier.md).
CHECKS = checks.DESCRIPTIONS


@dataclass(frozen=True, slots=True)
class Report:
    source: str
    records: int
    entries: int
    postings: int
    balances: int
    lots: int
    checkpoints: int
    head_hash: str
    seconds: float
    disagreement: Disagreement | None
    notes: tuple[str, ...] = ()
    rederived: Outcome = field(default_factory=Outcome)

    @property
    def ok(self) -> bool:
        return self.disagreement is None

    def as_dict(self) -> dict[str, Any]:
        rate = self.records / self.seconds if self.seconds > 0 else 0.0
        return {
            "ok": self.ok, "source": self.source, "records_checked": self.records,
            "entries": self.entries, "postings": self.postings, "balances": self.balances,
            "lots": self.lots, "checkpoints": self.checkpoints, "head_hash": self.head_hash,
            "duration_seconds": round(self.seconds, 3),
            "records_per_second": round(rate),
            "first_disagreement": None if self.disagreement is None
            else self.disagreement.as_dict(),
            "notes": list(self.notes),
            "rederived": {"households": self.rederived.households,
                          "erased": self.rederived.erased, "months": self.rederived.months},
            "checks": list(CHECKS),
            "not_checked": list(self.rederived.unchecked),
        }


def verify(source: Source, public_key: bytes | None = None, jobs: int | None = None) -> Report:
    """Replay ``source`` and compare; ``public_key`` (raw Ed25519) must sign every seal.

    ``jobs``: 1 walks in this process alone; 2 (or more) lets a second process read, decode
    and hash-chain the journal and read the stored entries while this one replays (export
    sources only, see ``sources.read_in_child``); ``None`` chooses (``default_jobs``). The
    report is the same whatever the choice."""
    started = time.perf_counter()
    state = Replayed()
    after: checks.After | None = None
    # The walk allocates millions of long-lived tuples and frees none: the cyclic garbage
    # collector would rescan them again and again for nothing (and, after the walk, would
    # rescan them all at every full collection while the final checks read the tables).
    collecting = gc.isenabled()
    gc.disable()
    try:
        items = _items(source, default_jobs(source) if jobs is None else jobs)
        try:
            bad = walk(items, state)
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()
        if bad is None:
            tables = source if state.tables is None else state.tables
            after = checks.After(source, tables, state, public_key)
            bad = checks.run(after)
    finally:
        if collecting:
            # Everything the walk allocated sits in the youngest generation: the first
            # collection would scan it all (seconds). Move it to the oldest generation
            # first (freeze + unfreeze: O(1), nothing is scanned or freed).
            gc.freeze()
            gc.unfreeze()
            gc.enable()
    counts = (0, 0, 0) if after is None else after.counts
    notes = () if after is None else tuple(after.notes)
    outcome = Outcome() if after is None else after.outcome
    return Report(
        source.name, state.records, state.entries, state.postings, counts[0], counts[1],
        counts[2], state.head_hash, time.perf_counter() - started, bad, notes, outcome,
    )


@dataclass(frozen=True, slots=True)
class Replay:
    """What ``verify_records`` found: the replayed books (every entry kept), the first
    disagreement (``None`` when everything agrees), the records verified and the head."""

    books: MemoryBooks
    disagreement: Disagreement | None
    records: int
    head_hash: str

    @property
    def ok(self) -> bool:
        return self.disagreement is None


def verify_records(
    records: Iterable[Mapping[str, Any]],
    entries: Mapping[int, Sequence[Entry]] | None = None,
    balances: Mapping[str, int] | None = None,
    runs_checked: bool = True,
) -> Replay:
    """``verify``'s walk and checks over records in memory (in seq order, without their
    stored bytes: each chain link is checked by ``chain_problem``).

    ``entries`` (``{seq: [Entry, ...]}``) are compared with the replay's, when given (an
    entry at a seq no record reaches is a disagreement); ``balances`` likewise, after the
    walk; the books' invariants are always checked. The books keep every entry, so a caller
    can compare them with its own. ``runs_checked=False``: a month run's rules and facts
    commitments are not looked up in the journal (a journal built without rule documents)."""
    state = Replayed(MemoryBooks(), entries_given=entries is not None,
                     runs_checked=runs_checked)
    with collector_paused():
        bad = walk(feed(_InMemory(records, entries or {})), state)
    if bad is None and balances is not None:
        bad = checks.balance_problem(state, balances)
    if bad is None:
        bad = checks.invariant_problem(state)
    return Replay(state.books, bad, state.records, state.head_hash)


class _InMemory:
    """Records and entries held in memory, read as ``feed`` reads a source."""

    def __init__(self, records: Iterable[Mapping[str, Any]],
                 entries: Mapping[int, Sequence[Entry]]) -> None:
        self._records, self._entries = records, entries

    def hashed_records(self) -> Iterator[tuple[dict[str, Any], bytes | None]]:
        return ((dict(record), None) for record in self._records)

    def entries(self) -> Iterator[tuple[int, tuple[Entry, ...]]]:
        return iter(sorted((seq, tuple(rows)) for seq, rows in self._entries.items() if rows))


def default_jobs(source: Source) -> int:
    """Two processes for an export big enough to pay for the second one (a few ms to start)
    on a machine with two CPUs or more; one otherwise (and always for a database: its rows
    are one snapshot read through one connection)."""
    if not getattr(source, "separate_reader", False) or _cpus() < 2:
        return 1
    size = getattr(source, "journal_bytes", None)
    return 2 if callable(size) and size() >= PARALLEL_MIN_BYTES else 1


PARALLEL_MIN_BYTES = 4 << 20


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _items(source: Source, jobs: int) -> Iterator[Item]:
    if jobs >= 2 and getattr(source, "separate_reader", False):
        return read_in_child(source, feed_then_tables)
    return feed(source)
