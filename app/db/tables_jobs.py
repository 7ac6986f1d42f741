"""Background audit jobs (verifications and exports) and their outcome.

Not books: a job only reads the journal and its projections, and nothing here is ever
journalled. ``requested_by`` is the token's pseudonymous actor (``auditor:tok_…``), never a
name. Times are ISO-8601 UTC text to the millisecond (``2027-01-31T18:00:00.123Z``): one
fixed width, so text order is time order on every backend. ``heartbeat_at`` is refreshed by
the process running the job; a ``running`` job whose heartbeat stopped was interrupted
(app.services.auditor.jobs). ``artifact`` is the export's file name inside the export
directory (the archive itself is never stored in the database). ``expired_at`` is when an
export's archive was deleted, its retention (``CAISSE_EXPORT_KEEP_DAYS``) over; null while
it is kept (and for verifications).
"""

from __future__ import annotations

from sqlalchemy import Index, Text
from sqlmodel import Field, SQLModel

TIME = 40


class AuditJob(SQLModel, table=True):
    """One audit job: ``kind`` verify | export; ``status`` queued | running | done | failed."""

    __tablename__ = "audit_job"
    __table_args__ = (Index("ix_audit_job_kind_requested", "kind", "requested_at"),)

    job_id: str = Field(max_length=40, primary_key=True)
    kind: str = Field(max_length=20)
    status: str = Field(max_length=20)
    requested_by: str = Field(max_length=200)
    requested_at: str = Field(max_length=TIME)
    started_at: str | None = Field(default=None, max_length=TIME, nullable=True)
    heartbeat_at: str | None = Field(default=None, max_length=TIME, nullable=True)
    finished_at: str | None = Field(default=None, max_length=TIME, nullable=True)
    result: str | None = Field(default=None, sa_type=Text, nullable=True)
    error: str | None = Field(default=None, sa_type=Text, nullable=True)
    artifact: str | None = Field(default=None, max_length=200, nullable=True)
    expired_at: str | None = Field(default=None, max_length=TIME, nullable=True)
