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


# --- background jobs -------------------------------------------------------------------------

JOB_ID = "job id (text: job_ and 16 hex digits)"
JOB_TIME = "UTC timestamp, ISO 8601, to the millisecond"
JOB_STATUS = "text: queued | running | done | failed"


class AuditJobFields(BaseModel):
    """What every audit job shows, whatever its kind."""

    job_id: str = described(
        "The job's id: poll it, download with it.", "job_3f2a9c1b7d4e5f60", JOB_ID
    )
    kind: str = described("What the job does.", "verify", "text: verify | export")
    status: str = described(
        "Where it is: queued (waiting for the worker), running, done (see `result`) or"
        " failed (see `error`). A verification that finds a disagreement is done, with"
        " `result.ok` false.",
        "done",
        JOB_STATUS,
    )
    requested_by: str = described(
        "Role and token id that asked for it (never a name).",
        "auditor:tok_3f2a9c1b7d4e5f60",
        "text",
    )
    requested_at: str = described("When it was asked for.", "2027-01-31T18:00:00.123Z", JOB_TIME)
    started_at: str | None = described(
        "When the worker started it; null while queued.", "2027-01-31T18:00:00.200Z", JOB_TIME
    )
    finished_at: str | None = described(
        "When it ended (done or failed); null before.", "2027-01-31T18:00:41.950Z", JOB_TIME
    )
    error: str | None = described(
        "Why it failed (the error's text); null unless failed.",
        None,
        "text or null",
    )


class VerificationJob(AuditJobFields):
    """A replay verification run in the background."""

    result: VerifyReport | None = described(
        "The verifier's report, the same as `GET /v1/audit/verify` gives; null until done.",
        None,
        "object or null",
    )


class ExportResult(BaseModel):
    """The archive an export job wrote (download it from `.../download`)."""

    size_bytes: int = described("Size of the zip.", 1048576, "bytes")
    sha256: str = described("sha256 of the zip's bytes.", "9f86d081" * 8, HEX64)
    records: int = described("Journal records in the export.", 1200, "count of records")
    head_hash: str | None = described(
        "Hash of the last record exported; null for an empty journal.", "9f86d081" * 8, HEX64
    )


class ExportJob(AuditJobFields):
    """A pseudonymised export built in the background."""

    result: ExportResult | None = described(
        "The archive written; null until done.", None, "object or null"
    )
    expired_at: str | None = described(
        "When the archive was deleted, its retention (`CAISSE_EXPORT_KEEP_DAYS` after the job"
        " finished) over: it can no longer be downloaded. Null while it is kept.",
        None,
        JOB_TIME,
    )


class VerificationJobList(BaseModel):
    """Verification jobs, newest first."""

    jobs: list[VerificationJob] = described("The most recent first.", [], "list of jobs")


class ExportJobList(BaseModel):
    """Export jobs, newest first."""

    jobs: list[ExportJob] = described("The most recent first.", [], "list of jobs")
