"""Where the verifier reads the books: the live database or an export directory.

Both sources give the same things, read-only and in the same shapes:

- ``records()``: journal records (format ``caisse.journal/1``, with ``hash``) in seq order;
  ``hashed_records()`` gives each with the bytes its hash should cover, taken from the
  stored text without re-serialising it (``None`` when they cannot be had that way). If
  those bytes hash to the record's ``hash`` they ARE the record's canonical bytes, and the
  record was parsed from them, so the verifier may trust the parse; otherwise it falls
  back to ``canonical_bytes`` of the parsed record.
- ``entries()``: stored entries grouped by seq, ascending: ``(seq, (Entry, ...))``;
- ``balances()``: stored balance per account; ``lots()``: stored credit lots;
- ``credited()``: the exactly-once markers ``(household_id, period) -> seq``;
- ``checkpoints()``: the stored month checkpoints (with signature and public key if signed).

The database source queries the tables directly (one streaming query per kind of row, no
ORM objects on the hot path); the export source reads the files written by
``app.audit.export`` (``docs/verifier.md`` documents them).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import multiprocessing
import pickle
import threading
from collections.abc import Callable, Generator, Iterator
from json.encoder import encode_basestring
from multiprocessing.context import ForkContext, SpawnContext
from pathlib import Path
from queue import Queue
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from app.engine.books.entries import Entry, Posting
from app.engine.books.journal import FORMAT
from app.engine.period import Period

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

# SQLAlchemy and the tables are imported by the database source's methods only: verifying an
# export never loads them (about 0.8 s of CPU at start-up, issue 11).

try:
    import fcntl
except ImportError:  # not on POSIX
    fcntl = None  # type: ignore[assignment]

JOURNAL_FILE = "journal.jsonl"
ENTRIES_FILE = "entries.jsonl"
BALANCES_FILE = "balances.jsonl"
LOTS_FILE = "lots.jsonl"
CREDITED_FILE = "month_credits.jsonl"
CHECKPOINTS_FILE = "checkpoints.jsonl"
MANIFEST_FILE = "manifest.json"
EXPORT_FILES = (JOURNAL_FILE, ENTRIES_FILE, BALANCES_FILE, LOTS_FILE, CREDITED_FILE,
                CHECKPOINTS_FILE)
EXPORT_FORMAT = "caisse.export/1"
STREAM_BATCH = 5000
CHILD_BATCH = 2000  # items per message from the reading process (a few hundred KiB)
CHILD_AHEAD = 128  # messages the reading process may hold before the replay takes them


class StoredLot(NamedTuple):
    lot_id: str
    household_id: str
    period: str
    granted_cents: int
    remaining_cents: int
    expires_period: str | None
    is_open: bool
    last_seq: int


class StoredBalance(NamedTuple):
    balance_cents: int
    last_seq: int


class FactsRow(NamedTuple):
    """A committed facts preimage (``app.engine.commitment``; ``salt`` ``None``: erased) and
    where it was read (the verifier names it when it does not hash to the commitment)."""

    household_id: str
    from_period: str
    salt: str | None
    facts: dict[str, Any]
    where: str


CHECKPOINT_FIELDS = (
    "period", "seq", "journal_size", "head_hash", "balances_digest", "engine_version",
    "run_fingerprint", "month_root", "month_statements", "signature", "public_key",
)


class Tables(Protocol):
    """What the verifier's final checks read."""

    name: str
    expected_head: str | None  # the head hash the source says it holds (export manifest)

    def balances(self) -> dict[str, StoredBalance]: ...

    def lots(self) -> dict[str, StoredLot]: ...

    def credited(self) -> dict[tuple[str, str], int]: ...

    def checkpoints(self) -> list[dict[str, Any]]: ...


class Source(Tables, Protocol):
    def records(self) -> Iterator[dict[str, Any]]: ...

    def hashed_records(self) -> Iterator[tuple[dict[str, Any], bytes | None]]: ...

    def entries(self) -> Iterator[tuple[int, tuple[Entry, ...]]]: ...


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def entry_line(entry: Entry) -> str:
    """The canonical JSON text of an entry as ``entries.jsonl`` holds it (without the newline):
    the bytes ``app.audit.export`` writes, built without ``json.dumps``' generic walk."""
    entry_id, seq, period, kind, memo, postings, reverses = entry
    q = encode_basestring
    if len(postings) == 2:  # the common case, without a join
        (a, c), (b, d) = postings
        lines = f"[{q(a)},{c!r}],[{q(b)},{d!r}]"
    else:
        lines = ",".join([f"[{q(a)},{c!r}]" for a, c in postings])
    text = _PERIOD_TEXT.get(period.year * 12 + period.month)
    if text is None:
        text = _PERIOD_TEXT[period.year * 12 + period.month] = str(period)  # digits only
    end = "null" if reverses is None else q(reverses)
    return (f'{{"entry_id":{q(entry_id)},"kind":{q(kind)},"memo":{q(memo)},"period":"{text}",'
            f'"postings":[{lines}],"reverses":{end},"seq":{seq!r}}}')


_PERIOD_TEXT: dict[int, str] = {}


def entry_of_line(line: str) -> Entry:
    """The entry an ``entries.jsonl`` line holds (raises ``ValueError``/``KeyError`` if it is
    malformed)."""
    d = json.loads(line)
    return Entry(d["entry_id"], d["seq"], Period.parse(d["period"]), d["kind"], d["memo"],
                 tuple([Posting(a, c) for a, c in d["postings"]]), d["reverses"])


def group_by_seq(entries: Iterator[Entry]) -> Iterator[tuple[int, tuple[Entry, ...]]]:
    """Consecutive entries of the same seq as one group (input sorted by seq)."""
    group: list[Entry] = []
    for entry in entries:
        if group and entry.seq != group[0].seq:
            yield group[0].seq, tuple(group)
            group = []
        group.append(entry)
    if group:
        yield group[0].seq, tuple(group)


def read_engine(url: str) -> Engine:
    """An engine for reading one consistent snapshot: every query of a ``DbSource`` runs in
    one transaction (SQLite: a deferred ``BEGIN``, which never blocks writers in WAL mode;
    PostgreSQL: ``REPEATABLE READ``)."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.pool import NullPool

    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if not url.startswith("sqlite"):
        return create_engine(url, poolclass=NullPool, isolation_level="REPEATABLE READ")
    engine = create_engine(url, poolclass=NullPool)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy decides when to BEGIN

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")

    return engine


class DbSource:
    """The live database, read in ONE transaction so every table is the same snapshot."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.name = f"database {engine.url.render_as_string(hide_password=True)}"
        self.expected_head: str | None = None
        self._conn: Connection | None = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.rollback()
            self._conn.close()
            self._conn = None

    def records(self) -> Iterator[dict[str, Any]]:
        for record, _ in self.hashed_records():
            yield record

    def hashed_records(self) -> Iterator[tuple[dict[str, Any], bytes | None]]:
        from sqlalchemy import select

        from app.db import tables as t

        j = t.Journal.__table__.c  # type: ignore[attr-defined]
        query = select(j.seq, j.recorded_at, j.actor, j.kind, j.idempotency_key, j.payload,
                       j.prev_hash, j.hash).order_by(j.seq)
        loads, dumps = json.loads, _dumps
        for seq, at, actor, kind, key, payload, prev, hashed in self._stream(query):
            record = {"format": FORMAT, "seq": seq, "recorded_at": at, "actor": actor,
                      "kind": kind, "idempotency_key": key, "payload": loads(payload),
                      "prev_hash": prev, "hash": hashed}
            # The canonical bytes of the record without its hash: keys in sorted order.
            body = (f'{{"actor":{dumps(actor)},"format":"{FORMAT}","idempotency_key":'
                    f'{dumps(key)},"kind":{dumps(kind)},"payload":{payload},"prev_hash":'
                    f'{dumps(prev)},"recorded_at":{dumps(at)},"seq":{int(seq)}}}')
            yield record, body.encode("utf-8")

    def entries(self) -> Iterator[tuple[int, tuple[Entry, ...]]]:
        return group_by_seq(self._entries())

    def _entries(self) -> Iterator[Entry]:
        from sqlalchemy import select

        from app.db import tables as t

        entry_table = t.LedgerEntry.__table__  # type: ignore[attr-defined]
        posting_table = t.Posting.__table__  # type: ignore[attr-defined]
        e, p = entry_table.c, posting_table.c
        query = (
            select(e.entry_id, e.seq, e.period, e.kind, e.memo, e.reverses, p.account,
                   p.amount_cents)
            .select_from(entry_table.outerjoin(posting_table, p.entry_id == e.entry_id))
            .order_by(e.seq, e.position, p.line)
        )
        current: list[Any] | None = None
        postings: list[Posting] = []
        periods: dict[str, Period] = {}
        for row in self._stream(query):
            if current is None or row[0] != current[0]:
                if current is not None:
                    yield _entry(current, postings, periods)
                current, postings = list(row), []
            if row[6] is not None:
                postings.append(Posting(row[6], int(row[7])))
        if current is not None:
            yield _entry(current, postings, periods)

    def balances(self) -> dict[str, StoredBalance]:
        from sqlalchemy import select

        from app.db import tables as t

        b = t.Balance.__table__.c  # type: ignore[attr-defined]
        return {str(a): StoredBalance(int(c), int(s))
                for a, c, s in self._stream(select(b.account, b.balance_cents, b.last_seq))}

    def lots(self) -> dict[str, StoredLot]:
        from sqlalchemy import select

        from app.db import tables as t

        c = t.CreditLot.__table__.c  # type: ignore[attr-defined]
        query = select(c.lot_id, c.household_id, c.period, c.granted_cents, c.remaining_cents,
                       c.expires_period, c.is_open, c.last_seq)
        return {str(r[0]): StoredLot(str(r[0]), str(r[1]), str(r[2]), int(r[3]), int(r[4]),
                                     r[5], bool(r[6]), int(r[7]))
                for r in self._stream(query)}

    def credited(self) -> dict[tuple[str, str], int]:
        from sqlalchemy import select

        from app.db import tables as t

        c = t.MonthCredit.__table__.c  # type: ignore[attr-defined]
        return {(str(h), str(p)): int(s)
                for h, p, s in self._stream(select(c.household_id, c.period, c.seq))}

    def checkpoints(self) -> list[dict[str, Any]]:
        from sqlalchemy import select

        from app.db import tables as t

        c = t.Checkpoint.__table__.c  # type: ignore[attr-defined]
        query = select(*(c[name] for name in CHECKPOINT_FIELDS)).order_by(c.seq)
        return [dict(zip(CHECKPOINT_FIELDS, row, strict=True)) for row in self._stream(query)]

    def registry_rows(self) -> dict[str, list[Any]]:
        """Every row of the registry tables the verifier compares (``app.audit.verify.tables``)."""
        from sqlalchemy import select
        from sqlmodel import SQLModel

        return {name: list(self._stream(select(SQLModel.metadata.tables[name])))
                for name in ("household", "merchant", "month", "purchase", "rule_set")}

    def request_rows(self) -> Iterator[tuple[int, str, str, str, str]]:
        """``(seq, kind, payload text, request_hash, result text)`` of every record."""
        from sqlalchemy import select

        from app.db import tables as t

        j = t.Journal.__table__.c  # type: ignore[attr-defined]
        query = select(j.seq, j.kind, j.payload, j.request_hash, j.result).order_by(j.seq)
        for seq, kind, payload, digest, result in self._stream(query):
            yield int(seq), str(kind), str(payload), str(digest), str(result)

    def facts_rows(self) -> list[FactsRow]:
        """Every ``household_facts`` row as the preimage of its commitment (the inverse of
        ``app.services.households``' row: JSON text columns parsed back)."""
        from sqlalchemy import select

        from app.db import tables as t

        f = t.HouseholdFacts.__table__.c  # type: ignore[attr-defined]
        query = select(f.household_id, f.from_period, f.salt, f.seq, f.income_cents, f.persons,
                       f.chosen_contribution_cents, f.engagement_minutes, f.attributes,
                       f.active_from, f.active_until, f.priority_tier).order_by(f.seq)
        rows = []
        for household, start, salt, seq, income, persons, chosen, minutes, labels, since, \
                until, tier in self._stream(query):
            facts = {"income_cents": income, "persons": json.loads(persons),
                     "chosen_contribution_cents": chosen, "engagement_minutes": minutes,
                     "attributes": json.loads(labels), "active_from": since,
                     "active_until": until, "priority_tier": tier}
            rows.append(FactsRow(str(household), str(start), salt, facts,
                                 f"household_facts seq={seq}"))
        return rows

    def _stream(self, query: Any) -> Iterator[Any]:
        if self._conn is None:
            self._conn = self.engine.connect()
        options = {"stream_results": True, "yield_per": STREAM_BATCH}
        yield from self._conn.execute(query, execution_options=options)


def _entry(row: list[Any], postings: list[Posting], periods: dict[str, Period]) -> Entry:
    text = str(row[2])
    period = periods.get(text)
    if period is None:
        period = periods[text] = Period.parse(text)
    return Entry(str(row[0]), int(row[1]), period, str(row[3]), str(row[4] or ""),
                 tuple(postings), row[5])


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file's bytes, read by blocks (the export manifest's hashes)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _seq_of(line: str) -> int:
    seq = json.loads(line)["seq"]
    if type(seq) is not int:
        raise ValueError(f"{ENTRIES_FILE}: seq is not a whole number in {line[:200]!r}")
    return seq


class ExportSource:
    """An export directory written by ``caisse export journal DIR``.

    ``separate_reader``: a second process may read the files on its own while the verifier
    replays (``read_in_child``): files, unlike a database snapshot, read the same from any
    process."""

    separate_reader = True

    def __init__(self, directory: Path, facts: Path | None = None) -> None:
        self.directory = directory
        self.facts = facts
        self.name = f"export {directory}"
        manifest = directory / MANIFEST_FILE
        if not manifest.is_file():
            raise FileNotFoundError(f"{manifest} not found: not a caisse export directory")
        self.manifest: dict[str, Any] = json.loads(manifest.read_text("utf-8"))
        if self.manifest.get("format") != EXPORT_FORMAT:
            raise ValueError(f"{manifest}: format is not {EXPORT_FORMAT!r}")
        head = self.manifest.get("head_hash")
        self.expected_head = head if isinstance(head, str) else None

    def _lines(self, name: str) -> Iterator[Any]:
        path = self.directory / name
        if not path.exists():
            return
        loads = json.loads
        with path.open("rb") as handle:
            for line in handle:
                if line.strip():
                    yield loads(line)

    def records(self) -> Iterator[dict[str, Any]]:
        yield from self._lines(JOURNAL_FILE)

    def journal_bytes(self) -> int:
        path = self.directory / JOURNAL_FILE
        return path.stat().st_size if path.is_file() else 0

    def hashed_records(self) -> Iterator[tuple[dict[str, Any], bytes | None]]:
        path = self.directory / JOURNAL_FILE
        decoder = json.JSONDecoder()
        # ``scan_once`` is what ``decode`` runs, without its two Python-level wrappers; a line
        # it does not take whole (leading space, trailing data) goes through ``decode``.
        scan, decode = decoder.scan_once, decoder.decode  # type: ignore[attr-defined]
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if line.isspace():
                    continue
                try:
                    record, end = scan(line, 0)
                except StopIteration:
                    end = -1
                if end < 0 or (end != len(line) and line[end:].strip(" \t\n\r")):
                    record = decode(line)
                hashed = record.get("hash")
                if not isinstance(hashed, str):
                    yield record, None
                    continue
                # A canonical line is the canonical body with '"hash":"<hex>",' inserted: cut
                # out the first occurrence of that field (found by its key, then checked).
                body = line.rstrip("\r\n")
                at = body.find('"hash":"')
                cut = at + 8 + len(hashed)
                if at >= 0 and body.startswith(hashed, at + 8) and body.startswith('",', cut):
                    yield record, (body[:at] + body[cut + 2:]).encode("utf-8")
                    continue
                field = f'"hash":"{hashed}",'
                yield record, (body.replace(field, "", 1).encode("utf-8")
                               if field in body else None)

    def entries(self) -> Iterator[tuple[int, tuple[Entry, ...]]]:
        return group_by_seq(self._entries())

    def entry_lines(self) -> Iterator[tuple[int, tuple[str, ...]]]:
        """The lines of ``entries.jsonl`` (newline removed) grouped by seq, unparsed.

        The verifier compares each line with ``entry_line`` of the replayed entry and parses
        only a line that differs. A canonical line ends with its seq (``,"seq":N}``, keys
        sorted), so the seq is read from there; any other line is parsed for it.
        """
        path = self.directory / ENTRIES_FILE
        if not path.exists():
            return
        group: list[str] = []
        current = -1
        with path.open(encoding="utf-8") as handle:
            for raw in handle:
                if raw.isspace():
                    continue
                line = raw[:-1] if raw.endswith("\n") else raw
                cut = line.rfind(',"seq":')
                tail = line[cut + 7:-1] if cut > 0 and line.endswith("}") else ""
                seq = int(tail) if tail.isdigit() and tail.isascii() else _seq_of(line)
                if seq != current and group:
                    yield current, tuple(group)
                    group = []
                current = seq
                group.append(line)
        if group:
            yield current, tuple(group)

    def _entries(self) -> Iterator[Entry]:
        # Hot path (about one entry per record): text lines and the decoder itself skip
        # ``json.loads``' encoding detection; periods are parsed once per month.
        path = self.directory / ENTRIES_FILE
        if not path.exists():
            return
        decode = json.JSONDecoder().decode
        periods: dict[str, Period] = {}
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                if line.isspace():
                    continue
                d = decode(line)
                text = d["period"]
                period = periods.get(text)
                if period is None:
                    period = periods[text] = Period.parse(text)
                yield Entry(d["entry_id"], d["seq"], period, d["kind"], d["memo"],
                            tuple([Posting(a, c) for a, c in d["postings"]]), d["reverses"])

    def balances(self) -> dict[str, StoredBalance]:
        return {d["account"]: StoredBalance(d["balance_cents"], d["last_seq"])
                for d in self._lines(BALANCES_FILE)}

    def lots(self) -> dict[str, StoredLot]:
        return {d["lot_id"]: StoredLot(*(d[f] for f in StoredLot._fields))
                for d in self._lines(LOTS_FILE)}

    def credited(self) -> dict[tuple[str, str], int]:
        return {(d["household_id"], d["period"]): d["seq"] for d in self._lines(CREDITED_FILE)}

    def checkpoints(self) -> list[dict[str, Any]]:
        return [{name: d.get(name) for name in CHECKPOINT_FIELDS}
                for d in self._lines(CHECKPOINTS_FILE)]

    def manifest_problem(self) -> tuple[str, str] | None:
        """The first file whose sha256 is not the manifest's (or that the manifest does not
        list, or that is missing): ``(file name, why)``; ``None`` when every file matches."""
        files = self.manifest.get("files")
        if not isinstance(files, dict) or not files:
            return MANIFEST_FILE, "the manifest lists no file hashes"
        for name in EXPORT_FILES:
            if name not in files and (self.directory / name).exists():
                return name, "the file is not listed in the manifest"
        for name, expected in sorted(files.items()):
            path = self.directory / str(name)
            if Path(str(name)).name != name or not path.is_file():
                return str(name), "listed in the manifest but not a file of the export"
            actual = file_sha256(path)
            if actual != expected:
                return str(name), f"its sha256 is {actual}, the manifest says {expected}"
        return None

    def facts_rows(self) -> list[FactsRow] | None:
        """The facts file given with the export (``None`` if none: amounts are then not
        re-derived). One preimage per line, as ``caisse export facts`` writes it."""
        return None if self.facts is None else read_facts_file(self.facts)


def read_facts_file(path: Path) -> list[FactsRow]:
    """A facts file's lines (``ValueError`` naming the line if one is not a preimage)."""
    rows = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            d = json.loads(line)
            if not (isinstance(d, dict) and isinstance(d.get("household_id"), str)
                    and isinstance(d.get("from_period"), str)
                    and isinstance(d.get("salt"), str) and isinstance(d.get("facts"), dict)):
                raise ValueError(f"{path} line {number}: expected an object with household_id, "
                                 "from_period, salt (text) and facts (object)")
            rows.append(FactsRow(d["household_id"], d["from_period"], d["salt"], d["facts"],
                                 f"{path.name} line {number}"))
    return rows


class TablesRead:
    """A source's tables read ahead (by the process that reads the journal, after it): each
    method gives what the source's own gave, or raises what it raised, when it is called, so
    the verifier reads them in the same order with the same outcome as from the source."""

    def __init__(self, source: Source) -> None:
        self.name = source.name
        self.expected_head = source.expected_head
        self._read: dict[str, tuple[bool, Any]] = {}
        for table in ("balances", "lots", "credited", "checkpoints", "manifest_problem"):
            try:
                read = getattr(source, table, lambda: None)
                self._read[table] = (True, read())
            except Exception as error:  # raised when the verifier asks for this table
                self._read[table] = (False, error)

    def _give(self, table: str) -> Any:
        ok, value = self._read[table]
        if not ok:
            raise value
        return value

    def balances(self) -> dict[str, StoredBalance]:
        read: dict[str, StoredBalance] = self._give("balances")
        return read

    def lots(self) -> dict[str, StoredLot]:
        read: dict[str, StoredLot] = self._give("lots")
        return read

    def credited(self) -> dict[tuple[str, str], int]:
        read: dict[tuple[str, str], int] = self._give("credited")
        return read

    def checkpoints(self) -> list[dict[str, Any]]:
        read: list[dict[str, Any]] = self._give("checkpoints")
        return read

    def manifest_problem(self) -> tuple[str, str] | None:
        read: tuple[str, str] | None = self._give("manifest_problem")
        return read


def read_in_child(source: Any,
                  produce: Callable[[Any], Iterator[Any]]) -> Generator[Any, None, None]:
    """``produce(source)``'s items, produced by a second process and yielded here in order.

    The child runs ``produce`` (reading and decoding the files is most of its work) and sends
    its items in batches through a pipe (pickled: far cheaper to load than the JSON they come
    from). If ``produce`` raises, the items before the error are yielded first, then the same
    error is raised here: the caller sees exactly what iterating ``produce(source)`` in this
    process would have given. Closing this generator early stops the child.
    """
    # fork: the child starts in a few milliseconds with the modules already imported.
    context: ForkContext | SpawnContext = (
        multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods()
        else multiprocessing.get_context("spawn")
    )
    receiver, sender = context.Pipe(duplex=False)
    _widen(sender)
    child = context.Process(target=_produce_into, args=(produce, source, sender),
                            name="caisse-verify-reader", daemon=True)
    try:
        child.start()
    except (OSError, AssertionError):  # no second process here (e.g. inside a daemon)
        receiver.close()
        sender.close()
        yield from produce(source)
        return
    sender.close()
    try:
        while True:
            try:
                message = receiver.recv_bytes()
            except EOFError:
                child.join()
                raise ChildProcessError(f"the process reading {getattr(source, 'name', '?')} "
                                        f"stopped (exit code {child.exitcode})") from None
            batch, end = pickle.loads(message)
            yield from batch
            if isinstance(end, BaseException):
                raise end
            if end:
                return
    finally:
        receiver.close()
        if child.is_alive():
            child.terminate()
        child.join()


def _dumps_fast(value: Any) -> bytes:
    """``pickle.dumps`` without the memo (2.5x faster here): the items are trees of JSON
    values, with no cycles, and an object met twice is simply written twice."""
    out = io.BytesIO()
    pickler = pickle.Pickler(out, pickle.HIGHEST_PROTOCOL)
    pickler.fast = True
    pickler.dump(value)
    return out.getvalue()


def _widen(connection: Any) -> None:
    """A 1 MiB pipe (Linux; 64 KiB by default): a batch crosses in a few system calls."""
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
    if set_size is not None:
        with contextlib.suppress(OSError):  # a smaller pipe only costs more system calls
            fcntl.fcntl(connection.fileno(), set_size, 1 << 20)


def _produce_into(produce: Callable[[Any], Iterator[Any]], source: Any, sender: Any) -> None:
    """In the child: send ``(batch, end)`` messages; ``end`` is ``False`` (more follows),
    ``True`` (done) or the exception ``produce`` raised.

    A thread writes the messages, so the child may run up to ``CHILD_AHEAD`` batches ahead
    of the replay instead of a pipe's worth: it then reads the last tables (``TablesRead``,
    seconds on a year) while the replay is still busy, rather than after it.
    """
    queue: Queue[bytes | None] = Queue(maxsize=CHILD_AHEAD)

    def write() -> None:
        while (message := queue.get()) is not None:
            sender.send_bytes(message)
        sender.close()

    writer = threading.Thread(target=write, name="caisse-verify-writer", daemon=True)
    writer.start()
    batch: list[Any] = []
    end: bool | BaseException = True
    try:
        for item in produce(source):
            batch.append(item)
            if len(batch) >= CHILD_BATCH:
                queue.put(_dumps_fast((batch, False)))
                batch = []
    except Exception as error:  # sent to the parent, which raises it in order
        end = error
    try:
        message = pickle.dumps((batch, end), pickle.HIGHEST_PROTOCOL)
    except Exception:  # an exception that does not pickle: its type and text
        message = pickle.dumps((batch, ChildProcessError(f"{type(end).__name__}: {end}")),
                               pickle.HIGHEST_PROTOCOL)
    queue.put(message)
    queue.put(None)
    writer.join()
