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
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Any

from app.audit import verify_checks as checks
from app.audit.sources import Source, entry_line, entry_of_line
from app.audit.verify_checks import Disagreement
from app.engine.books.commands import Command
from app.engine.books.core import apply
from app.engine.books.digest import RunFingerprint
from app.engine.books.entries import Entry
from app.engine.books.errors import BooksError
from app.engine.books.fast import FAST
from app.engine.books.journal import FORMAT, GENESIS_HASH, chain_problem
from app.engine.books.memory import MemoryBooks

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
        }


def verify(source: Source, public_key: bytes | None = None) -> Report:
    """Replay ``source`` and compare; ``public_key`` (raw Ed25519) must sign every seal."""
    started = time.perf_counter()
    state = Replayed()
    notes: list[str] = []
    # The walk allocates millions of long-lived tuples and frees none: the cyclic garbage
    # collector would rescan them again and again for nothing.
    collecting = gc.isenabled()
    gc.disable()
    try:
        bad = walk(source, state)
    finally:
        if collecting:
            gc.enable()
    counts = (0, 0, 0)
    if bad is None:
        bad, counts = checks.final(source, state, public_key, notes)
    return Report(
        source.name, state.records, state.entries, state.postings, counts[0], counts[1],
        counts[2], state.head_hash, time.perf_counter() - started, bad, tuple(notes),
    )


def walk(source: Source, state: Replayed) -> Disagreement | None:
    """Steps 1-4 for every record; the first disagreement, or ``None``."""
    lines = getattr(source, "entry_lines", None)
    stored_groups: Iterator[Group] = lines() if callable(lines) else source.entries()
    pending = next(stored_groups, None)
    for record, body in source.hashed_records():
        seq = state.records + 1
        if pending is not None and pending[0] < seq:
            return _orphans(pending)
        stored: Stored = ()
        if pending is not None and pending[0] == seq:
            stored = pending[1]
            pending = next(stored_groups, None)
        bad = step(state, record, body, seq, stored)
        if bad is not None:
            return bad
    if pending is not None:
        return _orphans(pending)
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


def step(state: Replayed, record: Mapping[str, Any], body: bytes | None, seq: int,
         stored: Stored) -> Disagreement | None:
    if not chained(record, body, seq, state.head_hash):
        reason = chain_problem(record, seq, state.head_hash, strict=False)
        if reason is not None:
            return Disagreement(seq, "journal", f"seq={seq}", reason)
    kind = record["kind"]
    payload = record["payload"]
    books = state.books
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
    if kind == "run_month":
        period = str(payload["period"])
        state.fingerprints.setdefault(period, RunFingerprint()).add(payload)
    elif kind == "seal_month":
        state.seals[seq] = payload
    state.head_hash = record["hash"]
    state.records = seq
    return None
