"""The replay verifier: re-derive the whole books from the journal and compare with storage.

``verify(source)`` walks the journal once, in seq order, and for every record:

1. checks the chain (format, gapless seq from 1, ``prev_hash`` link, recomputed ``hash``);
2. for a ``seal_month`` record, checks the sealed values against the replay at that point
   (journal size, head hash, balances digest, run fingerprint, invariants);
3. re-applies the command through the books core (``app.engine.books.apply``) into a fresh
   ``MemoryBooks`` (a refusal on replay is a disagreement);
4. compares the entries it produces (ids, header fields, every posting) with the stored
   entries of that seq.

After the last record it compares every stored balance, credit lot, exactly-once marker and
checkpoint (with its Ed25519 signature) with the replay, and checks the invariants. It stops
at the FIRST disagreement and names its seq, table and row. Nothing here writes.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Any

from app.audit import verify_checks as checks
from app.audit.sources import Source
from app.audit.verify_checks import Disagreement
from app.engine.books.commands import Command
from app.engine.books.core import apply
from app.engine.books.digest import RunFingerprint
from app.engine.books.entries import Entry
from app.engine.books.errors import BooksError
from app.engine.books.journal import FORMAT, GENESIS_HASH, chain_problem
from app.engine.books.memory import MemoryBooks

Group = tuple[int, tuple[Entry, ...]]


@dataclass(slots=True)
class Replayed:
    """What the walk learnt beyond ``MemoryBooks``: opened lots and the seals it met."""

    books: MemoryBooks = field(default_factory=MemoryBooks)
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
    stored_groups = source.entries()
    pending = next(stored_groups, None)
    for record, body in source.hashed_records():
        seq = state.records + 1
        if pending is not None and pending[0] < seq:
            return _orphans(pending)
        stored: tuple[Entry, ...] = ()
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
    return Disagreement(seq, "ledger_entry", f"entry_id={entries[0].entry_id}",
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


def step(state: Replayed, record: Mapping[str, Any], body: bytes | None, seq: int,
         stored: tuple[Entry, ...]) -> Disagreement | None:
    if not chained(record, body, seq, state.head_hash):
        reason = chain_problem(record, seq, state.head_hash, strict=False)
        if reason is not None:
            return Disagreement(seq, "journal", f"seq={seq}", reason)
    kind = record["kind"]
    payload = record["payload"]
    books = state.books
    if not isinstance(payload, Mapping):
        return Disagreement(seq, "journal", f"seq={seq}", "payload is not a JSON object")
    if kind == "seal_month":
        bad = checks.seal_record(state, payload, seq)
        if bad is not None:
            return bad
    try:
        effects = apply(books, Command(kind, payload), seq)
    except BooksError as error:
        return Disagreement(seq, "journal", f"seq={seq}",
                            f"the engine refuses this {kind} on replay: {error}")
    if stored != effects.entries:
        return checks.entries_differ(seq, stored, effects.entries)
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
