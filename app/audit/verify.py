"""The replay verifier: re-derive the whole books from the journal and compare with storage.

``verify(source)`` walks the journal once, in seq order, and for every record:

1. checks the chain (format, gapless seq from 1, ``prev_hash`` link, recomputed ``hash``);
2. for a ``seal_month`` record, checks the sealed values against the replay at that point
   (journal size, head hash, balances digest, run fingerprint, invariants);
3. re-applies the command through the books core (``app.engine.books.apply``) into a fresh
   ``MemoryBooks`` (a refusal on replay is a disagreement);
4. compares the entries it produces (ids, header fields, every posting) with the stored
   entries of that seq. An export's stored entries are compared as text: each line of
   ``entries.jsonl`` must be the canonical text of the replayed entry (``entry_line``); a
   line that is not is parsed and compared field by field, so only a real difference is
   reported, exactly as for the database's rows.

The replay goes through ``apply_fast`` (``apply`` specialised for the hot kinds, with the
same effects and refusals) into ``MemoryBooks(keep_entries=False)``: entries are compared,
then dropped (only those a later reversal may read are kept).

After the last record it compares every stored balance, credit lot, exactly-once marker and
checkpoint (with its Ed25519 signature) with the replay, and checks the invariants. It stops
at the FIRST disagreement and names its seq, table and row. Nothing here writes.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Any

from app.audit import verify_checks as checks
from app.audit import verify_tables
from app.audit.rederive import KINDS as REDERIVE_KINDS
from app.audit.rederive import Outcome, Rederivation
from app.audit.sources import Source, TablesRead, entry_line, entry_of_line, read_in_child
from app.audit.verify_checks import Disagreement
from app.engine.books.commands import Command
from app.engine.books.core import apply
from app.engine.books.digest import RunFingerprint
from app.engine.books.entries import Entry
from app.engine.books.errors import BooksError
from app.engine.books.fast import FAST, SPLIT
from app.engine.books.journal import FORMAT, GENESIS_HASH, chain_problem
from app.engine.books.memory import MemoryBooks
from app.engine.books.state import Effects

Stored = tuple[Entry, ...] | tuple[str, ...]  # rows as entries, or an export's lines
Group = tuple[int, Stored]


def _streaming_books() -> MemoryBooks:
    return MemoryBooks(keep_entries=False)


@dataclass(slots=True)
class Replayed:
    """What the walk learnt beyond ``MemoryBooks``: opened lots and the seals it met."""

    books: MemoryBooks = field(default_factory=_streaming_books)
    granted: dict[str, int] = field(default_factory=dict)
    seals: dict[int, Mapping[str, Any]] = field(default_factory=dict)
    fingerprints: dict[str, RunFingerprint] = field(default_factory=dict)
    head_hash: str = GENESIS_HASH
    tables: TablesRead | None = None  # the final checks' tables, if read ahead
    rederive: Rederivation = field(default_factory=Rederivation)
    records: int = 0
    entries: int = 0
    postings: int = 0


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
    sources only, see ``sources.read_in_child``); ``None`` chooses (``default_jobs``). The report is the same
    whatever the choice."""
    started = time.perf_counter()
    state = Replayed()
    outcome = Outcome()
    notes: list[str] = []
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
        counts = (0, 0, 0)
        if bad is None:
            tables = source if state.tables is None else state.tables
            bad, counts = checks.final(tables, state, public_key, notes)
        if bad is None:
            bad = _registry(source, state, outcome)
        if bad is None:
            bad = _rederive(source, state, outcome)
        if bad is None:
            bad = _manifest(source if state.tables is None else state.tables, state)
    finally:
        if collecting:
            # Everything the walk allocated sits in the youngest generation: the first
            # collection would scan it all (seconds). Move it to the oldest generation
            # first (freeze + unfreeze: O(1), nothing is scanned or freed).
            gc.freeze()
            gc.unfreeze()
            gc.enable()
    return Report(
        source.name, state.records, state.entries, state.postings, counts[0], counts[1],
        counts[2], state.head_hash, time.perf_counter() - started, bad, tuple(notes),
        outcome,
    )


def _registry(source: Source, state: Replayed, outcome: Outcome) -> Disagreement | None:
    """The registry tables and the journal's request hashes (``verify_tables``); an export
    does not carry them, and the report says so."""
    rows, requests = getattr(source, "registry_rows", None), getattr(source, "request_rows", None)
    if not callable(rows) or not callable(requests):
        outcome.unchecked.append(
            "registry tables (household, merchant, month, purchase, rule_set) and the journal's "
            "request hashes: compared on a database only, an export does not carry them")
        return None
    return verify_tables.registry(rows(), state) or verify_tables.requests(requests())


def _rederive(source: Source, state: Replayed, outcome: Outcome) -> Disagreement | None:
    """Every month run's amounts from the journal's rules and the facts the source gives
    (``facts_rows``; ``None``: not given, the report says which checks could not run)."""
    read = getattr(source, "facts_rows", None)
    rows = read() if callable(read) else None
    erased = [h for h, s in state.books.households.items() if s.erased]
    bad, done = state.rederive.finish(rows, erased)
    outcome.households, outcome.erased, outcome.months = done.households, done.erased, done.months
    outcome.unchecked.extend(done.unchecked)
    return bad


def _manifest(tables: Any, state: Replayed) -> Disagreement | None:
    """An export's files against its manifest's sha256 (after everything else, so that a
    changed line is named by its content first, and by its file only if nothing else is)."""
    check = getattr(tables, "manifest_problem", None)
    problem = check() if callable(check) else None
    if problem is None:
        return None
    seq = max(state.records, 1)
    return Disagreement(seq, "manifest", f"file={problem[0]}", problem[1])


# What a report's ``checks`` lists: every comparison ``verify`` makes (docs/verifier.md).
CHECKS = (
    "journal chain: format, gapless seq, prev_hash, hash of every record",
    "every command re-applied by the engine (a refusal is a disagreement)",
    "ledger_entry and posting: every stored entry equals the replayed one",
    "seal_month: journal size, head hash, balances digest, run fingerprint, invariants",
    "run_month: rule_set_hash is an adopted rule document's, the one in force for the month",
    "run_month: unspent-credit policy is the rule document's",
    "run_month: each household's facts commitment is the one in force in the journal",
    "run_month: every contribution, credit and funder share re-derived with the engine from "
    "the rule document and the facts behind each commitment (facts re-hashed first)",
    "balance: every stored balance equals the replayed one",
    "books invariants: trial balance, backing, no credit below zero, lots equal credit",
    "credit_lot, month_credit: every lot and exactly-once marker",
    "checkpoint: every row equals its seal_month record; signatures verify",
    "household, merchant, month, purchase (database): every row equals the replayed state, "
    "none missing or extra; consent-code hashes in the one accepted form",
    "rule_set (database): every adopted row is its adopt_rule_set record, its document "
    "hashes to the adopted hash",
    "journal request_hash and result seq (database): recomputed from each record",
    "manifest (export): every file's sha256 is the manifest's, every file listed",
)


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


def feed_then_tables(source: Source) -> Iterator[Item]:
    """``feed``, then (if it did not stop at stored entries no record reaches) the tables
    the final checks read, read ahead (``TablesRead``) while the walk is still replaying."""
    for item in feed(source):
        yield item
        if item[0] is None:
            return
    yield None, None, None, None, None, TablesRead(source)


# An item of the walk, in seq order: ``(ok, kind, payload, hash, stored, record)``.
# ``ok``: the fast chain check (``chained``) passed against the previous record's hash; then
# ``record`` is ``None`` and kind/payload/hash are the record's (for a hot kind whose fields
# are valid, ``payload`` is the tuple of its values, ``fast.SPLIT``). Otherwise ``record`` is the
# whole record (kind/payload/hash ``None``) and the walk decides (``chain_problem``).
# ``ok is None`` marks stored entries at a seq no record reaches (``stored`` is the group),
# or, with ``stored`` ``None`` too, the tables read ahead (``record``, ``feed_then_tables``).
Item = tuple[bool | None, Any, Any, Any, Any, Any]


def feed(source: Source) -> Iterator[Item]:
    """The walk's input: each record with its fast chain check and its stored entries.

    The sources are read in exactly the order the walk has always read them (the stored
    entries one group ahead), so a source that cannot be read fails at the same point
    whichever process reads it. The chain check uses the previous record's ``hash``: the walk
    reaches a record only if the previous one verified, and then that is the head it holds.
    """
    lines = getattr(source, "entry_lines", None)
    stored_groups: Iterator[Group] = lines() if callable(lines) else source.entries()
    pending = next(stored_groups, None)
    prev: Any = GENESIS_HASH
    for seq, (record, body) in enumerate(source.hashed_records(), 1):
        if pending is not None and pending[0] < seq:
            yield None, None, None, None, pending, None
            return
        stored: Stored = ()
        if pending is not None and pending[0] == seq:
            stored = pending[1]
            pending = next(stored_groups, None)
        try:
            ok = type(prev) is str and prev.isascii() and chained(record, body, seq, prev)
        except Exception:  # an odd record: the walk's own check names it
            ok = False
        prev = record.get("hash")
        if ok and type(record) is dict and "kind" in record and "payload" in record:
            kind, payload = record["kind"], record["payload"]
            split = SPLIT.get(kind) if type(kind) is str else None
            if split is not None and type(payload) is dict and tuple(payload) == split[2]:
                # A hot kind in canonical key order: its values, if valid without the books
                # (cheaper to send to the walk than the dict, and already half checked).
                payload = split[0](payload) or payload
            yield True, kind, payload, prev, stored, None
        else:
            yield ok, None, None, None, stored, record
    if pending is not None:
        yield None, None, None, None, pending, None


def walk(items: Iterable[Item], state: Replayed) -> Disagreement | None:
    """Steps 1-4 for every record; the first disagreement, or ``None``."""
    books = state.books
    commit = books.commit
    for ok, kind, payload, hashed, stored, record in items:
        seq = state.records + 1
        effects = None
        if type(payload) is tuple:  # a hot kind's values, valid without the books (``feed``)
            effects = SPLIT[kind][1](books, payload, seq)
            if effects is not None and len(stored) == 1 and len(effects.entries) == 1:
                line, entry = stored[0], effects.entries[0]
                if type(line) is str and line == entry_line(entry):
                    # ``step`` for the hot case: one entry, stored as its canonical text.
                    commit(effects)
                    state.entries += 1
                    state.postings += len(entry.postings)
                    for change in effects.lot_changes:
                        if change.kind == "open":
                            state.granted[change.lot_id] = change.amount_cents
                    state.head_hash = hashed
                    state.records = seq
                    continue
        if ok is None:
            if stored is None:  # after the last record: the tables, read ahead
                state.tables = record
                return None
            return _orphans(stored)
        if record is not None:
            if not ok:
                reason = chain_problem(record, seq, state.head_hash, strict=False)
                if reason is not None:
                    return Disagreement(seq, "journal", f"seq={seq}", reason)
            kind, payload, hashed = record["kind"], record["payload"], record["hash"]
        bad = step(state, kind, payload, hashed, seq, stored, effects)
        if bad is not None:
            return bad
    return None


def _orphans(group: Group) -> Disagreement:
    seq, entries = group
    first = entries[0]
    entry_id = entry_of_line(first).entry_id if isinstance(first, str) else first.entry_id
    return Disagreement(seq, "ledger_entry", f"entry_id={entry_id}",
                        f"stored entries at seq {seq} have no journal record")


def chained(record: Mapping[str, Any], body: bytes | None, seq: int, prev: str) -> bool:
    """Fast path of the chain check: the stored bytes hash to ``hash`` (see sources)."""
    return (
        body is not None
        and record.get("seq") == seq
        and record.get("prev_hash") == prev
        and record.get("format") == FORMAT
        and type(record.get("seq")) is int
        and sha256(prev.encode("ascii") + body).hexdigest() == record.get("hash")
    )


def _differs(seq: int, stored: Stored, entries: tuple[Entry, ...]) -> Disagreement | None:
    """Step 4: the stored entries of ``seq`` against the replayed ones."""
    if stored and isinstance(stored[0], str):
        if len(stored) == len(entries) and all(
            line == entry_line(entry) for line, entry in zip(stored, entries, strict=True)
        ):
            return None
        # Not the canonical text: parse and compare the values (only a value differs).
        stored = tuple([entry_of_line(line) for line in stored if isinstance(line, str)])
    if stored != entries:
        return checks.entries_differ(seq, stored, entries)  # type: ignore[arg-type]
    return None


def step(state: Replayed, kind: Any, payload: Any, hashed: str, seq: int,
         stored: Stored, effects: Effects | None = None) -> Disagreement | None:
    """Steps 2-4 for one record whose chain link (step 1) verified (``effects``: the hot
    kind's, already computed by ``walk``)."""
    books = state.books
    if type(payload) is tuple and effects is None:
        # A hot kind's values that ``SPLIT``'s checked half did not take (refused, or not
        # the plain case): the general handler decides, and names a refusal.
        payload = dict(zip(SPLIT[kind][2], payload, strict=True))
    if effects is None:
        if type(payload) is not dict and not isinstance(payload, Mapping):
            return Disagreement(seq, "journal", f"seq={seq}", "payload is not a JSON object")
        if kind == "seal_month":
            bad = checks.seal_record(state, payload, seq)
            if bad is not None:
                return bad
        fast = FAST.get(kind)
        effects = fast(books, payload, seq) if fast is not None else None
        if effects is None:
            try:
                effects = apply(books, Command(kind, payload), seq)
            except BooksError as error:
                return Disagreement(seq, "journal", f"seq={seq}",
                                    f"the engine refuses this {kind} on replay: {error}")
    entries = effects.entries
    first = stored[0] if len(stored) == 1 else None
    if type(first) is str and len(entries) == 1 and first == entry_line(entries[0]):
        pass  # the common case: one entry, its stored line is its canonical text
    elif stored or entries:
        bad = _differs(seq, stored, entries)
        if bad is not None:
            return bad
    books.commit(effects)
    state.entries += len(effects.entries)
    for entry in effects.entries:
        state.postings += len(entry.postings)
    for change in effects.lot_changes:
        if change.kind == "open":
            state.granted[change.lot_id] = change.amount_cents
    if kind in REDERIVE_KINDS:
        bad = state.rederive.record(kind, payload, seq)
        if bad is not None:
            return bad
    if kind == "run_month":
        period = str(payload["period"])
        state.fingerprints.setdefault(period, RunFingerprint()).add(payload)
    elif kind == "seal_month":
        state.seals[seq] = payload
    state.head_hash = hashed
    state.records = seq
    return None
