"""The one replay: walk the journal in seq order, one ``step`` per record.

``step(state, item)`` is the only place a journal record is checked and re-applied, for
``caisse verify`` (a database or an export, one process or two) and for every test:

1. the chain link (format, gapless seq from 1, ``prev_hash``, recomputed ``hash``): ``feed``
   makes the fast check on the stored bytes (``chained``); a record that fails it is checked
   again by ``journal.chain_problem``, which names the reason;
2. a ``seal_month`` record's sealed values against the replay just before it (journal size,
   head hash, balances digest, run fingerprint, month tree, invariants);
3. the command re-applied by the books core (``core.apply_record``, the ``apply`` of every
   write; for a purchase or a payment whose plain payload ``feed`` read ahead, in the reading
   process when there are two, the second half of the same handler, ``core.READ_AHEAD``):
   a refusal is a disagreement;
4. the entries it produces against the stored entries of that seq: an export's lines as text
   (``entry_line``), a line that is not the canonical text parsed and compared field by
   field, so only a real difference is reported, exactly as for the database's rows.

Then the effects are committed to ``MemoryBooks`` (streaming, ``keep_entries=False``, for
``caisse verify``), and the walk notes what the checks after it need: opened lots, seals,
run fingerprints, the records that decide a month run's amounts (``rederive``). The first
disagreement stops the walk; it names its seq, table and row.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Any, Protocol

from app.audit.sources import TablesRead, entry_line, entry_of_line
from app.audit.verify.finding import Disagreement
from app.audit.verify.rederive import KINDS as REDERIVE_KINDS
from app.audit.verify.rederive import Rederivation
from app.engine.books.core import READ_AHEAD, apply_record
from app.engine.books.digest import RunFingerprint, balances_digest, month_tree_problem
from app.engine.books.entries import Entry
from app.engine.books.errors import BooksError
from app.engine.books.invariants import check_totals
from app.engine.books.journal import FORMAT, GENESIS_HASH, chain_problem
from app.engine.books.memory import MemoryBooks

Stored = tuple[Entry, ...] | tuple[str, ...]  # rows as entries, or an export's lines
Group = tuple[int, Stored]


def _streaming_books() -> MemoryBooks:
    return MemoryBooks(keep_entries=False)


@dataclass(slots=True)
class Replayed:
    """The replay so far: the books, and what the checks after the walk need beyond them
    (opened lots, the seals met, run fingerprints, the re-derivation's records).

    ``entries_given``: the stored entries are compared (``False`` only when a caller has none
    to give: then the journal alone is checked). ``runs_checked``: each month run's rules
    and facts commitments are checked against the journal (``rederive``; ``False`` only for
    journals built without rule documents, as the books core's own tests build them)."""

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
    entries_given: bool = True
    runs_checked: bool = True


class Journal(Protocol):
    """What the walk reads: the records (with their stored bytes, if any) and the entries."""

    def hashed_records(self) -> Iterator[tuple[dict[str, Any], bytes | None]]: ...

    def entries(self) -> Iterator[tuple[int, tuple[Entry, ...]]]: ...


# An item of the walk, in seq order: ``(ok, kind, payload, hash, stored, record)``.
# ``ok``: the fast chain check (``chained``) passed against the previous record's hash; then
# ``record`` is ``None`` and kind/payload/hash are the record's (for a plain payload of a
# ``READ_AHEAD`` kind, ``payload`` is the tuple of values its reader gave). Otherwise
# ``record`` is the whole record (kind/payload/hash ``None``) and ``step`` decides
# (``chain_problem``).
# ``ok is None`` marks stored entries at a seq no record reaches (``stored`` is the group),
# or, with ``stored`` ``None`` too, the tables read ahead (``record``, ``feed_then_tables``).
Item = tuple[bool | None, Any, Any, Any, Any, Any]


def feed(source: Journal) -> Iterator[Item]:
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
            reader = READ_AHEAD.get(kind) if type(kind) is str else None
            if reader is not None:
                # A plain payload of a hot kind, read here (the reading process, with two):
                # the walk gets its values, a plain tuple (cheap to send), and applies them.
                payload = reader[0](payload) or payload  # total: ``None`` if not plain
            yield True, kind, payload, prev, stored, None
        else:
            yield ok, None, None, None, stored, record
    if pending is not None:
        yield None, None, None, None, pending, None


def feed_then_tables(source: Any) -> Iterator[Item]:
    """``feed``, then (if it did not stop at stored entries no record reaches) the tables
    the final checks read, read ahead (``TablesRead``) while the walk is still replaying."""
    for item in feed(source):
        yield item
        if item[0] is None:
            return
    yield None, None, None, None, None, TablesRead(source)


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


def walk(items: Iterable[Item], state: Replayed) -> Disagreement | None:
    """``step`` for every record, in order; the first disagreement, or ``None``."""
    for item in items:
        if item[0] is None:  # not a record
            if item[4] is None:  # after the last record: the tables, read ahead
                state.tables = item[5]
                return None
            return _orphans(item[4])
        bad = step(state, item)
        if bad is not None:
            return bad
    return None


def step(state: Replayed, item: Item) -> Disagreement | None:
    """One journal record (``item``, from ``feed``): checked, re-applied, compared, committed
    (steps 1-4 of the module docstring); the disagreement, or ``None``."""
    ok, kind, payload, hashed, stored, record = item
    seq = state.records + 1
    books = state.books
    if record is not None:  # the fast chain check did not pass: the full one names why
        if not ok:
            reason = chain_problem(record, seq, state.head_hash, strict=False)
            if reason is not None:
                return Disagreement(seq, "journal", f"seq={seq}", reason)
        kind, payload, hashed = record["kind"], record["payload"], record["hash"]
    try:
        if type(payload) is tuple:  # a plain payload's values, read by ``feed``
            effects = READ_AHEAD[kind][1](books, payload, seq)  # the kind's handler
        else:
            if type(payload) is not dict and not isinstance(payload, Mapping):
                return Disagreement(seq, "journal", f"seq={seq}", "payload is not a JSON object")
            if kind == "seal_month":
                bad = seal_problem(state, payload, seq)
                if bad is not None:
                    return bad
            effects = apply_record(books, kind, payload, seq)
    except BooksError as error:
        return Disagreement(seq, "journal", f"seq={seq}",
                            f"the engine refuses this {kind} on replay: {error}")
    entries, lot_changes = effects[0], effects[1]  # by index: fields are descriptors
    first = stored[0] if len(stored) == 1 else None
    if type(first) is str and len(entries) == 1 and first == entry_line(entries[0]):
        pass  # the common case: one entry, its stored line is its canonical text
    elif (stored or entries) and state.entries_given:
        bad = _differs(seq, stored, entries)
        if bad is not None:
            return bad
    books.commit(effects)
    state.entries += len(entries)
    if len(entries) == 1:  # the usual case, without a loop
        state.postings += len(entries[0][5])  # [5]: postings
    else:
        for entry in entries:
            state.postings += len(entry.postings)
    for change in lot_changes:
        if change[0] == "open":  # kind
            state.granted[change.lot_id] = change.amount_cents
    if kind in _NOTED:  # never a hot kind: one set lookup for them
        bad = _note(state, kind, payload, seq)
        if bad is not None:
            return bad
    state.head_hash = hashed
    state.records = seq
    return None


# ``_note`` reads a payload as a mapping: no kind it notes is read ahead (``READ_AHEAD``;
# tests/audit/test_verify_read_ahead.py).
_NOTED = REDERIVE_KINDS | {"seal_month"}


def _note(state: Replayed, kind: str, payload: Mapping[str, Any],
          seq: int) -> Disagreement | None:
    """What the checks after the walk need of a record that decides a month run's amounts,
    a run (its fingerprint, for the seal) or a seal."""
    if kind == "seal_month":
        state.seals[seq] = payload
        return None
    if state.runs_checked:
        bad = state.rederive.record(kind, payload, seq)
        if bad is not None:
            return bad
    if kind == "run_month":
        period = str(payload["period"])
        state.fingerprints.setdefault(period, RunFingerprint()).add(payload)
    return None


def _orphans(group: Group) -> Disagreement:
    seq, entries = group
    first = entries[0]
    entry_id = entry_of_line(first).entry_id if isinstance(first, str) else first.entry_id
    return Disagreement(seq, "ledger_entry", f"entry_id={entry_id}",
                        f"stored entries at seq {seq} have no journal record")


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
        return entries_differ(seq, stored, entries)  # type: ignore[arg-type]
    return None


def entries_differ(seq: int, stored: tuple[Entry, ...],
                   replayed: tuple[Entry, ...]) -> Disagreement:
    """Which stored row differs from the replay: an entry header or one posting line."""
    for mine, theirs in zip(replayed, stored, strict=False):
        if mine == theirs:
            continue
        row = f"entry_id={theirs.entry_id}"
        for name in ("entry_id", "seq", "period", "kind", "memo", "reverses"):
            if getattr(mine, name) != getattr(theirs, name):
                return Disagreement(seq, "ledger_entry", row, f"{name} is "
                                    f"{getattr(theirs, name)!r}, replay gives "
                                    f"{getattr(mine, name)!r}")
        return _postings_differ(seq, theirs, mine)
    if len(stored) > len(replayed):
        extra = stored[len(replayed)]
        return Disagreement(seq, "ledger_entry", f"entry_id={extra.entry_id}",
                            f"{len(stored)} stored entries, replay produces {len(replayed)}")
    missing = replayed[len(stored)]
    return Disagreement(seq, "ledger_entry", f"entry_id={missing.entry_id}",
                        f"entry missing: replay produces {len(replayed)}, "
                        f"{len(stored)} stored")


def _postings_differ(seq: int, stored: Entry, replayed: Entry) -> Disagreement:
    for line in range(max(len(stored.postings), len(replayed.postings))):
        theirs = stored.postings[line] if line < len(stored.postings) else None
        mine = replayed.postings[line] if line < len(replayed.postings) else None
        if theirs != mine:
            account = (theirs or mine or ("", 0))[0]
            return Disagreement(seq, "posting", f"entry_id={stored.entry_id} line={line}",
                                f"stored posting {theirs!r}, replay gives {mine!r}", account)
    return Disagreement(seq, "ledger_entry", f"entry_id={stored.entry_id}", "entry differs")


def seal_problem(state: Replayed, payload: Mapping[str, Any], seq: int) -> Disagreement | None:
    """Step 2: a ``seal_month`` record's values against the replay just before it."""
    row = f"seq={seq}"
    books = state.books
    if payload.get("journal_size") != seq - 1:
        return Disagreement(seq, "journal", row, f"seal journal_size is "
                            f"{payload.get('journal_size')!r}, expected {seq - 1}")
    if payload.get("head_hash") != state.head_hash:
        return Disagreement(seq, "journal", row, "seal head_hash is not the hash of the "
                            f"record before it ({state.head_hash})")
    digest = balances_digest(books.balances)
    if payload.get("balances_digest") != digest:
        return Disagreement(seq, "journal", row, "seal balances_digest differs from the "
                            f"replayed balances ({digest})")
    period = str(payload.get("period"))
    run = state.fingerprints.get(period, RunFingerprint())
    fingerprint = run.value()
    if payload.get("run_fingerprint") != fingerprint:
        return Disagreement(seq, "journal", row, "seal run_fingerprint differs from the "
                            f"replayed run of {period} ({fingerprint})")
    tree = month_tree_problem(payload, run)
    if tree is not None:
        return Disagreement(seq, "journal", row, tree)
    problems = check_totals(books.code_totals)
    if problems:
        return Disagreement(seq, "journal", row, "invariant broken before the seal: "
                            + "; ".join(p.message for p in problems))
    return None
