"""An auditor's requests from the pages: verifications and exports run by the process's
audit job worker (app.services.auditor.jobs, the same jobs, worker and rows as the API's), and
the sealed months' checkpoints.

- ``jobs_of``: the application's one ``AuditJobs`` (on ``state.audit_jobs``, where the API's
  routes keep theirs too), made on first use;
- ``start``: a verification or an export is queued, unless the same person's job of that
  kind is still queued or running: then that one is answered. So a double click, or the
  same form posted twice, never queues two jobs for one request (the worker runs one job
  at a time; a second identical one would only wait behind the first);
- ``recent``: what the pages list; ``checkpoints``: every seal, oldest
  first.

Nothing here writes the books: jobs only read them (see app.services.auditor.jobs).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from app.db.session import read_only
from app.db.tables_jobs import AuditJob
from app.services import views
from app.services.auditor import jobs as jobs_service

RECENT = 20  # jobs listed on a page, newest first

_MAKING = threading.Lock()
_STARTING = threading.Lock()


def jobs_of(state: Any, export_dir: Path, clock: Callable[[], datetime]) -> jobs_service.AuditJobs:
    """The application's audit jobs and worker (``state`` is the app's state), made on first
    use with its engine and its export retention (``state.settings.export_keep_days``)."""
    with _MAKING:
        jobs: jobs_service.AuditJobs | None = getattr(state, "audit_jobs", None)
        if jobs is None:
            keep_days = state.settings.export_keep_days
            jobs = jobs_service.AuditJobs(state.db_engine, export_dir, clock, keep_days=keep_days)
            state.audit_jobs = jobs
    return jobs


def pending_of(engine: Engine, kind: str, actor: str) -> jobs_service.Job | None:
    """``actor``'s newest job of ``kind`` still queued or running, if any."""
    query = (
        select(AuditJob)
        .where(
            AuditJob.kind == kind,
            AuditJob.requested_by == actor,
            col(AuditJob.status).in_((jobs_service.QUEUED, jobs_service.RUNNING)),
        )
        .order_by(col(AuditJob.requested_at).desc(), col(AuditJob.job_id).desc())
        .limit(1)
    )
    with read_only(engine) as session:
        row = session.exec(query).first()
        return None if row is None else jobs_service.Job.of(row)


def start(jobs: jobs_service.AuditJobs, kind: str, actor: str, now: datetime) -> jobs_service.Job:
    """Queue a job of ``kind`` for ``actor``, or answer the one of theirs still pending (see
    the module docstring). The check and the queueing are one step in this process."""
    with _STARTING:
        pending = pending_of(jobs.engine, kind, actor)
        return pending if pending is not None else jobs.submit(kind, actor, now)


def recent(engine: Engine, kind: str) -> list[jobs_service.Job]:
    """The ``RECENT`` most recently requested jobs of ``kind``, whoever asked."""
    return jobs_service.list_jobs(engine, kind, RECENT)


def checkpoints(engine: Engine) -> list[dict[str, Any]]:
    """Every sealed month's checkpoint, oldest first (the API's ``/audit/checkpoints``)."""
    with read_only(engine) as session:
        return views.checkpoints(session)
