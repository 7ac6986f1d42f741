"""An auditor's request from the pages queues one job, and the same request again (a double
click, the form posted twice) answers the job still pending instead of queueing a second
(app.services.auditor.requests). SQLite and PostgreSQL like the rest."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import col

from app.db.session import unit_of_work
from app.db.settings import Settings
from app.db.tables_jobs import AuditJob
from app.services.auditor import requests as audit_requests
from app.services.auditor.jobs import DONE, EXPORT, QUEUED, RUNNING, VERIFY, AuditJobs, list_jobs

NOW = datetime(2027, 3, 31, 12, 0, 0, tzinfo=UTC)
AURELE, OTHER = "auditor:acc_aurele", "auditor:tok_other"


def clock() -> datetime:
    return NOW


@pytest.fixture()
def jobs(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AuditJobs:
    made = AuditJobs(engine, tmp_path / "exports", clock)
    # No worker: the jobs stay queued for as long as the test looks at them.
    monkeypatch.setattr(made._worker, "put", lambda item: None)
    return made


def set_status(engine: Engine, job_id: str, status: str) -> None:
    with unit_of_work(engine) as session:
        session.execute(
            update(AuditJob).where(col(AuditJob.job_id) == job_id).values(status=status)
        )


def test_the_same_request_twice_queues_one_job(engine: Engine, jobs: AuditJobs) -> None:
    first = audit_requests.start(jobs, VERIFY, AURELE, NOW)
    again = audit_requests.start(jobs, VERIFY, AURELE, NOW)
    assert (first.status, again.job_id) == (QUEUED, first.job_id)
    set_status(engine, first.job_id, RUNNING)
    assert audit_requests.start(jobs, VERIFY, AURELE, NOW).job_id == first.job_id
    assert [job.job_id for job in list_jobs(engine, VERIFY, 10)] == [first.job_id]


def test_a_finished_job_or_another_kind_or_person_asks_anew(
    engine: Engine, jobs: AuditJobs
) -> None:
    first = audit_requests.start(jobs, VERIFY, AURELE, NOW)
    export = audit_requests.start(jobs, EXPORT, AURELE, NOW)
    other = audit_requests.start(jobs, VERIFY, OTHER, NOW)
    assert len({first.job_id, export.job_id, other.job_id}) == 3
    set_status(engine, first.job_id, DONE)
    second = audit_requests.start(jobs, VERIFY, AURELE, NOW)
    assert second.job_id not in (first.job_id, other.job_id)
    assert len(list_jobs(engine, VERIFY, 10)) == 3
    assert len(audit_requests.recent(engine, VERIFY)) == 3


def test_the_app_keeps_one_audit_worker(engine: Engine, tmp_path: Path) -> None:
    state = SimpleNamespace(
        db_engine=engine, settings=Settings(str(engine.url), export_keep_days=7)
    )
    made = audit_requests.jobs_of(state, tmp_path, clock)
    assert (made.keep_days, made.export_dir, made.engine) == (7, tmp_path, engine)
    assert audit_requests.jobs_of(state, tmp_path / "other", clock) is made
    assert state.audit_jobs is made


def test_no_checkpoint_before_a_month_is_sealed(engine: Engine) -> None:
    assert audit_requests.checkpoints(engine) == []
