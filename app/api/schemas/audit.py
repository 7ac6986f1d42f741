"""Audit: journal pages, the verifier's report, checkpoints."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from app.api.schemas.fields import described
from app.api.schemas.months import CheckpointOut

SEQ = "journal sequence number"
HEX64 = "64 lowercase hex digits"


class JournalRecord(BaseModel):
    """One journal record, hash-chained to the one before (format caisse.journal/1)."""

    format: str = described("Record format.", "caisse.journal/1", "text")
    seq: int = described("Position in the journal, from 1, without gaps.", 42, SEQ)
    recorded_at: str = described(
        "When it was recorded.", "2027-01-31T18:00:00Z", "UTC timestamp, ISO 8601"
    )
    actor: str = described(
        "Role and token id that recorded it (never a name).",
        "operator:tok_3f2a9c1b7d4e5f60",
        "text",
    )
    kind: str = described("The command.", "run_month", "command name")
    idempotency_key: str = described(
        "The key it was recorded under (scoped to the token).",
        "tok_3f2a9c1b7d4e5f60:run-2027-01",
        "text",
    )
    payload: dict[str, Any] = described(
        "The command's payload (pseudonymous ids and salted commitments only; amounts in"
        " integer cents).",
        {"period": "2027-01"},
        "JSON object (docs/ledger.md)",
    )
    prev_hash: str = described("Hash of the record before.", "0" * 64, HEX64)
    hash: str = described(
        "sha256 of this record's canonical JSON without its hash.", "9f86d081" * 8, HEX64
    )


class JournalPage(BaseModel):
    """Records after `after_seq`, in order."""

    records: list[JournalRecord] = described("This page.", [], "list of records")
    next_after_seq: int | None = described(
        "Pass as `after_seq` for the next page; null on the last page.", 100, SEQ
    )


class Disagreement(BaseModel):
    """The first place where the stored books and the replay disagree."""

    seq: int = described("Journal record where it shows.", 42, SEQ)
    table: str = described("Stored table that disagrees.", "posting", "table name")
    row: str = described("The row.", "e42.1 line 0", "text")
    reason: str = described("What differs.", "amount_cents 15000 != replayed 14000", "text")
    account: str | None = described(
        "The account concerned, if any.", None, "account code", default=None
    )


class VerifyReport(BaseModel):
    """The replay verifier's verdict on the live database."""

    ok: bool = described("True when the books are exactly what the journal says.", True, "boolean")
    records_checked: int = described("Journal records replayed.", 1200, "count of records")
    entries: int = described("Ledger entries compared.", 3400, "count of entries")
    postings: int = described("Postings compared.", 7000, "count of postings")
    balances: int = described("Balances compared.", 420, "count of balances")
    lots: int = described("Credit lots compared.", 400, "count of lots")
    checkpoints: int = described("Checkpoints checked.", 3, "count of checkpoints")
    head_hash: str = described("Hash of the last record.", "9f86d081" * 8, HEX64)
    duration_ms: int = described("Time the replay took.", 350, "milliseconds")
    first_disagreement: Disagreement | None = described(
        "The first disagreement found; null when ok.", None, "object or null"
    )
    notes: list[str] = described("Remarks (e.g. unsigned checkpoints).", [], "list of text")


class CheckpointList(BaseModel):
    """Every month sealed, in journal order."""

    checkpoints: list[CheckpointOut] = described("Oldest first.", [], "list of checkpoints")
