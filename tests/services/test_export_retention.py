"""Export archives are kept ``keep_days`` after their job finished, then deleted and their
job marked ``expired_at`` (app.services.auditor.jobs). The clock is passed in: a fixed time,
and the boundary is exact to the millisecond. SQLite and PostgreSQL like the rest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from app.db.session import unit_of_work
from app.db.tables_jobs import AuditJob
from app.services.auditor import jobs as audit_jobs
from app.services.auditor.jobs import AuditJobs, ExportExpired, get_job, job_time

NOW = datetime(2027, 3, 31, 12, 0, 0, tzinfo=UTC)
NOW_TEXT = "2027-03-31T12:00:00.000Z"
KEEP_DAYS = 30
BOUNDARY = "2027-03-01T12:00:00.000Z"  # NOW - 30 days: still kept
JUST_PAST = "2027-03-01T11:59:59.999Z"  # one millisecond older: expired


def clock() -> datetime:
    return NOW


def add_job(engine: Engine, job_id: str, finished_at: str | None, **fields: str) -> None:
    values = {"kind": "export", "status": "done", "requested_by": "auditor:tok_a"} | fields
    with unit_of_work(engine) as session:
        session.add(
            AuditJob(
                job_id=job_id,
                requested_at="2027-01-01T00:00:00.000Z",
                started_at="2027-01-01T00:00:00.000Z",
                finished_at=finished_at,
                artifact=f"{job_id}.zip" if values["status"] == "done" else None,
                **values,
            )
        )


def archive(directory: Path, name: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_bytes(b"PK\x05\x06" + bytes(18))  # an empty zip's bytes: any bytes would do
    return path


@pytest.fixture()
def jobs(engine: Engine, tmp_path: Path) -> AuditJobs:
    return AuditJobs(engine, tmp_path / "exports", clock, keep_days=KEEP_DAYS)


def test_the_boundary_is_kept_and_one_millisecond_older_expires(
    engine: Engine, jobs: AuditJobs
) -> None:
    assert job_time(NOW - timedelta(days=KEEP_DAYS)) == BOUNDARY  # the hand-computed cutoff
    add_job(engine, "job_kept000000000000", BOUNDARY)
    add_job(engine, "job_gone000000000000", JUST_PAST)
    kept = archive(jobs.export_dir, "job_kept000000000000.zip")
    gone = archive(jobs.export_dir, "job_gone000000000000.zip")

    assert jobs.expire_exports() == ["job_gone000000000000"]

    assert (kept.is_file(), gone.exists()) == (True, False)
    assert get_job(engine, "export", "job_kept000000000000").expired_at is None
    expired = get_job(engine, "export", "job_gone000000000000")
    assert (expired.status, expired.expired_at) == ("done", NOW_TEXT)
    assert expired.result is None and expired.finished_at == JUST_PAST
    assert jobs.artifact("job_kept000000000000") == kept
    assert jobs.expire_exports() == []  # once is enough


def test_a_longer_retention_keeps_what_a_shorter_one_deletes(
    engine: Engine, tmp_path: Path
) -> None:
    add_job(engine, "job_old0000000000000", JUST_PAST)  # 30 days and 1 ms old
    path = archive(tmp_path / "exports", "job_old0000000000000.zip")
    patient = AuditJobs(engine, tmp_path / "exports", clock, keep_days=31)
    assert patient.expire_exports() == []
    assert path.is_file()


def test_downloading_an_expired_export_names_the_job_and_when_it_expired(
    engine: Engine, jobs: AuditJobs
) -> None:
    add_job(engine, "job_gone000000000000", JUST_PAST)
    archive(jobs.export_dir, "job_gone000000000000.zip")
    jobs.expire_exports()

    with pytest.raises(ExportExpired) as raised:
        jobs.artifact("job_gone000000000000")

    assert raised.value.detail == (
        "Export job_gone000000000000 expired at 2027-03-31T12:00:00.000Z: its archive is"
        " deleted 30 days after the job finished (CAISSE_EXPORT_KEEP_DAYS). Request a new"
        " export."
    )
    assert raised.value.extras == {
        "job_id": "job_gone000000000000",
        "expired_at": "2027-03-31T12:00:00.000Z",
    }


def test_a_download_past_retention_expires_it_without_waiting_for_the_worker(
    engine: Engine, jobs: AuditJobs
) -> None:
    add_job(engine, "job_late000000000000", JUST_PAST)
    path = archive(jobs.export_dir, "job_late000000000000.zip")

    with pytest.raises(ExportExpired):
        jobs.artifact("job_late000000000000")

    assert not path.exists()
    assert get_job(engine, "export", "job_late000000000000").expired_at == NOW_TEXT


def test_files_unknown_to_the_job_table_are_left_alone(engine: Engine, jobs: AuditJobs) -> None:
    add_job(engine, "job_gone000000000000", JUST_PAST)
    add_job(engine, "job_verify0000000000", JUST_PAST, kind="verify")
    add_job(engine, "job_run0000000000000", None, status="running")
    names = [
        "job_gone000000000000.zip",  # the one archive to delete
        "job_unknown000000000.zip",  # looks like ours, but no job of that id
        "job_verify0000000000.zip",  # a verification's id: verifications have no archive
        "job_run0000000000000.zip.part",  # a running export's file being written
        "job_gone000000000000.zip.bak",  # a copy someone made: not a name we write
        "notes.txt",
    ]
    for name in names:
        archive(jobs.export_dir, name)
    (jobs.export_dir / "job_gone000000000000").mkdir()  # a directory named like the job

    assert jobs.expire_exports() == ["job_gone000000000000"]

    left = sorted(path.name for path in jobs.export_dir.iterdir())
    assert left == sorted(["job_gone000000000000", *names[1:]])


def test_a_failed_export_s_leftover_partial_file_expires_too(
    engine: Engine, jobs: AuditJobs
) -> None:
    # A process that died mid-export leaves ``.zip.part``; its job was marked failed.
    add_job(engine, "job_dead000000000000", JUST_PAST, status="failed", error="interrupted")
    partial = archive(jobs.export_dir, "job_dead000000000000.zip.part")

    assert jobs.expire_exports() == ["job_dead000000000000"]

    assert not partial.exists()
    dead = get_job(engine, "export", "job_dead000000000000")
    assert (dead.status, dead.expired_at) == ("failed", NOW_TEXT)


def test_a_job_id_that_is_not_a_plain_file_name_deletes_nothing(
    engine: Engine, jobs: AuditJobs, tmp_path: Path
) -> None:
    # Ids are ``new_job_id``'s; a row written by hand must not name a path to delete.
    add_job(engine, "job_../../outside", JUST_PAST)
    outside = archive(tmp_path, "outside.zip")

    assert jobs.expire_exports() == []

    assert outside.is_file()
    assert get_job(engine, "export", "job_../../outside").expired_at is None


def test_the_worker_expires_old_archives_when_it_starts_and_after_each_job(
    engine: Engine, jobs: AuditJobs, monkeypatch: pytest.MonkeyPatch
) -> None:
    swept: list[list[str]] = []
    real = AuditJobs.expire_exports

    def counted(self: AuditJobs) -> list[str]:
        swept.append(real(self))
        return swept[-1]

    monkeypatch.setattr(AuditJobs, "expire_exports", counted)
    monkeypatch.setattr(audit_jobs, "verify_report", lambda _engine: {"ok": True})
    add_job(engine, "job_gone000000000000", JUST_PAST)
    archive(jobs.export_dir, "job_gone000000000000.zip")

    job = jobs.submit("verify", "auditor:tok_a", NOW)
    jobs.stop(timeout=30)  # the worker runs what is queued first

    assert get_job(engine, "verify", job.job_id).status == "done"
    assert swept == [["job_gone000000000000"], []]  # at the start, then after the job
    assert not (jobs.export_dir / "job_gone000000000000.zip").exists()


def test_a_retention_below_one_day_is_refused(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="keep_days must be a whole number of days >= 1, not 0"):
        AuditJobs(engine, tmp_path, clock, keep_days=0)
