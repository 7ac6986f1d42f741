"""Exports for auditors: the journal directory the verifier reads, and the ledger as CSV.

``export_journal(source, DIR)`` writes (format ``caisse.export/1``, see docs/verifier.md):

- ``journal.jsonl``: every journal record, canonical JSON (sorted keys, compact), with hash;
- ``entries.jsonl``: every stored entry with its postings, in seq order;
- ``balances.jsonl``, ``lots.jsonl``, ``month_credits.jsonl``, ``checkpoints.jsonl``;
- ``manifest.json``: counts, head hash and the sha256 of every file.

Pseudonymised by construction: only the journal and the projections derived from it are
exported (pseudonymous ids, salted commitments); identity and facts tables are never read.
``export_ledger_csv`` writes one row per posting (amounts as integer cents and as euros).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any

from app.audit import sources as s
from app.engine.books.entries import Entry
from app.engine.commitment import preimage
from app.engine.money import format_cents

CSV_COLUMNS = ("seq", "entry_id", "period", "kind", "memo", "reverses", "line", "account",
               "amount_cents", "debit_eur", "credit_eur")


def _line(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8") + b"\n"


class ExportWriter:
    """Writes an export directory file by file; ``finish`` writes the manifest."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.counts: dict[str, int] = {}
        self.head_hash: str | None = None
        self._journal = (directory / s.JOURNAL_FILE).open("wb")
        self._entries = (directory / s.ENTRIES_FILE).open("wb")

    def record(self, record: Mapping[str, Any]) -> None:
        self._journal.write(_line(record))
        self.counts["records"] = self.counts.get("records", 0) + 1
        self.head_hash = str(record["hash"])

    def entries(self, entries: Iterable[Entry]) -> None:
        write = self._entries.write
        n = 0
        for e in entries:
            write(_line({"entry_id": e.entry_id, "seq": e.seq, "period": str(e.period),
                         "kind": e.kind, "memo": e.memo, "reverses": e.reverses,
                         "postings": [[a, c] for a, c in e.postings]}))
            n += 1
        self.counts["entries"] = self.counts.get("entries", 0) + n

    def rows(self, name: str, rows: Iterable[Mapping[str, Any]]) -> None:
        with (self.directory / name).open("wb") as handle:
            n = 0
            for row in rows:
                handle.write(_line(row))
                n += 1
        self.counts[name.split(".")[0]] = n

    def finish(self) -> dict[str, Any]:
        self._journal.close()
        self._entries.close()
        files = sorted(p.name for p in self.directory.iterdir()
                       if p.is_file() and p.name != s.MANIFEST_FILE)
        manifest = {"format": s.EXPORT_FORMAT, "counts": self.counts,
                    "head_hash": self.head_hash, "files": {n: s.file_sha256(self.directory / n)
                                                           for n in files}}
        (self.directory / s.MANIFEST_FILE).write_text(
            json.dumps(manifest, sort_keys=True, indent=1) + "\n", "utf-8")
        return manifest


def write_projections(writer: ExportWriter, source: s.Source) -> None:
    """Balances, lots, exactly-once markers and checkpoints of ``source``."""
    writer.rows(s.BALANCES_FILE, ({"account": a, "balance_cents": b.balance_cents,
                                   "last_seq": b.last_seq}
                                  for a, b in sorted(source.balances().items())))
    writer.rows(s.LOTS_FILE, (lot._asdict() for _, lot in sorted(source.lots().items())))
    writer.rows(s.CREDITED_FILE, ({"household_id": h, "period": p, "seq": q}
                                  for (h, p), q in sorted(source.credited().items())))
    writer.rows(s.CHECKPOINTS_FILE, source.checkpoints())


def export_journal(source: s.Source, directory: Path) -> dict[str, Any]:
    """Write ``source`` (usually the database) as an export directory; returns the manifest."""
    writer = ExportWriter(directory)
    for record in source.records():
        writer.record(record)
    writer.entries(entry for _, group in source.entries() for entry in group)
    write_projections(writer, source)
    return writer.finish()


def export_facts(source: s.DbSource, out: IO[str]) -> int:
    """Every household's facts that are not erased, one preimage of its journal commitment per
    line (``app.engine.commitment``): what an operator hands an authorised auditor so that
    ``caisse verify --export DIR --facts FILE`` re-derives the amounts. PERSONAL DATA
    (incomes, birth dates): never part of the pseudonymised export. Returns the line count."""
    lines = 0
    for row in source.facts_rows():
        if row.salt is None:
            continue
        out.write(_line(preimage(row.salt, row.household_id, row.from_period, row.facts))
                  .decode("utf-8"))
        lines += 1
    return lines


def euros(cents: int) -> str:
    """Exact decimal text of a whole number of cents: ``-1234 -> "-12.34"``."""
    return format_cents(cents, ".")


def export_ledger_csv(
    source: s.Source, out: IO[str], *, delimiter: str = ",", decimal: str = "."
) -> int:
    """One CSV row per posting, in journal order; returns the number of rows.
    ``delimiter=";", decimal=","``: the same rows in French conventions (a French
    spreadsheet reads ``12.34`` as text or a date)."""
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    rows = 0
    for _, group in source.entries():
        for e in group:
            for line, (account, cents) in enumerate(e.postings):
                writer.writerow((e.seq, e.entry_id, str(e.period), e.kind, e.memo,
                                 e.reverses or "", line, account, cents,
                                 format_cents(cents, decimal) if cents > 0 else "",
                                 format_cents(-cents, decimal) if cents < 0 else ""))
                rows += 1
    return rows
