"""Audit jobs: the replay verifier and the export run in the background, not in a request.

A verification of a large fund takes tens of seconds and an export can be large: too long
for one HTTP request behind a proxy, and a worker thread blocked meanwhile. So a request
only records a job (``submit``) and answers at once; ``AuditJobs``'s one thread per process
runs the jobs, one at a time, oldest first, and the caller polls the job's row.

Guarantees:

- a job only READS the books, in one snapshot (``snapshot_source``: SQLite a deferred
  ``BEGIN``, which neither waits for nor blocks the single writer; PostgreSQL ``REPEATABLE
  READ``), on its own connection. Nothing is journalled; the only writes are to the job's
  own row, in short transactions of their own;
- a verification's ``result`` is ``verify_report``, exactly what ``GET /v1/audit/verify``
  answers; an export's archive is written by ``write_archive``, exactly the bytes of
  ``GET /v1/audit/export`` for the same journal head. The archive goes to a file in the
  export directory (``<job_id>.zip``, written aside then renamed, so a half-written file is
  never served), never into the database;
- the job table is the queue: a job is claimed by a compare-and-set (``queued`` ->
  ``running``), so several processes (API workers) sharing a database never run a job
  twice, and a job queued by a process that stopped is run by the next worker that wakes;
- an exception fails the job (``failed``, ``error`` = the exception's text), never the
  worker; a disagreement found by the verifier is NOT a failure (``done``, ``ok: false``);
- while a job runs its heartbeat is refreshed every ``heartbeat_seconds``. A ``running``
  job whose heartbeat is older than ``stale_seconds`` was interrupted (its process died):
  it is marked ``failed`` with an explicit error when a worker thread starts. It is not
  re-queued on purpose: a job that killed its process (memory, a defect) would kill every
  next one in turn; an auditor asks again, knowingly;
- an export's archive is kept ``keep_days`` (``CAISSE_EXPORT_KEEP_DAYS``) after its job
  finished, then deleted (``expire_exports``): when a worker thread starts, after each job
  it runs, and when a download asks for an archive past its time. Only the files named after
  a known export job (``<job_id>.zip``, and the ``.zip.part`` a dead process may have left)
  are ever deleted, never by listing the directory; the job's ``expired_at`` records it and
  a download then answers ``ExportExpired`` (404 ``export-expired``, with the time).

The clock is the caller's: ``clock`` is passed in (services never read it).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import queue
import re
import secrets
import shutil
import tempfile
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from app.audit import export as audit_export
from app.audit import verify as audit_verify
from app.audit.sources import DbSource, read_engine
from app.db.session import read_only, unit_of_work
from app.db.settings import DEFAULT_EXPORT_KEEP_DAYS
from app.db.tables_jobs import AuditJob
from app.services import errors as svc
from app.services.writes.idle_thread import STOP, IdleThread

log = logging.getLogger(__name__)

VERIFY, EXPORT = "verify", "export"
KINDS = (VERIFY, EXPORT)
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"

ZIP_DATE = (2000, 1, 1, 0, 0, 0)  # fixed member timestamps: same books, same archive bytes
ARCHIVE_FOLDER = "caisse-export"
IDLE_SECONDS = 30.0  # an idle worker thread ends (holding nothing); the next submit restarts it
HEARTBEAT_SECONDS = 10.0
STALE_SECONDS = 60.0  # six missed heartbeats: the process running the job is gone
MAX_ERROR = 2000  # characters of an exception's text kept in the row
# What a job id may look like to name a file deleted (ids are ``new_job_id``'s): never a path.
FILE_SAFE_JOB_ID = re.compile(r"job_[A-Za-z0-9]{1,36}")

# The verifier's report fields the API shows (``source`` would name the database URL).
REPORT_FIELDS = (
    "ok",
    "records_checked",
    "entries",
    "postings",
    "balances",
    "lots",
    "checkpoints",
    "head_hash",
    "first_disagreement",
    "notes",
)

Clock = Callable[[], datetime]


class JobNotFinished(svc.Conflict):
    """The job's artifact is asked for before the job is done."""

    code = "job-not-finished"
    title = "The job has not finished"


class ExportExpired(svc.Gone):
    """The export's archive was deleted, its retention over."""

    code = "export-expired"
    title = "The export has expired"


def job_time(moment: datetime) -> str:
    """ISO-8601 UTC to the millisecond, fixed width (text order = time order)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


# --- the work itself (also what the synchronous endpoints run) ------------------------------


@contextlib.contextmanager
def snapshot_source(engine: Engine) -> Iterator[DbSource]:
    """A ``DbSource`` reading ``engine``'s database in one read-only snapshot, on a
    connection of its own (never one of the API's pooled connections for tens of seconds)."""
    reader = read_engine(engine.url.render_as_string(hide_password=False))
    source = DbSource(reader)
    try:
        yield source
    finally:
        source.close()
        reader.dispose()


def verify_report(engine: Engine) -> dict[str, Any]:
    """Replay the journal and compare (app.audit.verify): the report as the API shows it."""
    with snapshot_source(engine) as source:
        report = audit_verify.verify(source).as_dict()
    shown = {name: report[name] for name in REPORT_FIELDS}
    shown["duration_ms"] = int(report["duration_seconds"] * 1000)
    return shown


def write_archive(engine: Engine, target: IO[bytes]) -> dict[str, Any]:
    """Zip the export directory of the books (app.audit.export) into ``target``; returns the
    export's manifest. Member files are streamed (the journal can be large), with fixed
    timestamps: the same books give the same bytes."""
    with (
        snapshot_source(engine) as source,
        tempfile.TemporaryDirectory(prefix="caisse-export-") as tmp,
    ):
        directory = Path(tmp)
        manifest = audit_export.export_journal(source, directory)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(directory.iterdir()):
                info = zipfile.ZipInfo(f"{ARCHIVE_FOLDER}/{path.name}", ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.file_size = path.stat().st_size  # as ``writestr`` would: same bytes
                with path.open("rb") as member, archive.open(info, "w") as out:
                    shutil.copyfileobj(member, out, 1 << 20)
    return manifest


def archive_bytes(engine: Engine) -> bytes:
    """``write_archive`` in memory (the synchronous export, for small funds)."""
    buffer = io.BytesIO()
    write_archive(engine, buffer)
    return buffer.getvalue()


# --- jobs ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Job:
    """A job as shown: its row, with ``result`` parsed."""

    job_id: str
    kind: str
    status: str
    requested_by: str
    requested_at: str
    started_at: str | None
    finished_at: str | None
    result: dict[str, Any] | None
    error: str | None
    expired_at: str | None

    @classmethod
    def of(cls, row: AuditJob) -> Job:
        return cls(
            row.job_id,
            row.kind,
            row.status,
            row.requested_by,
            row.requested_at,
            row.started_at,
            row.finished_at,
            None if row.result is None else json.loads(row.result),
            row.error,
            row.expired_at,
        )

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


def new_job_id() -> str:
    return "job_" + secrets.token_hex(8)


def get_job(engine: Engine, kind: str, job_id: str) -> Job:
    """The job; ``NotFound`` when there is none of that kind and id."""
    with read_only(engine) as session:
        row = session.get(AuditJob, job_id)
        if row is None or row.kind != kind:
            raise svc.not_found("job", job_id)
        return Job.of(row)


def list_jobs(engine: Engine, kind: str, limit: int) -> list[Job]:
    """The ``limit`` most recently requested jobs of ``kind``, newest first."""
    query = (
        select(AuditJob)
        .where(AuditJob.kind == kind)
        .order_by(col(AuditJob.requested_at).desc(), col(AuditJob.job_id).desc())
        .limit(limit)
    )
    with read_only(engine) as session:
        return [Job.of(row) for row in session.exec(query)]


class AuditJobs:
    """The process's audit jobs: ``submit`` records one, the worker thread (started on
    first use, ended after ``IDLE_SECONDS`` idle) runs them; see the module docstring."""

    def __init__(
        self,
        engine: Engine,
        export_dir: Path,
        clock: Clock,
        *,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
        stale_seconds: float = STALE_SECONDS,
        keep_days: int = DEFAULT_EXPORT_KEEP_DAYS,
    ) -> None:
        if keep_days < 1:
            raise ValueError(f"keep_days must be a whole number of days >= 1, not {keep_days}")
        self.engine = engine
        self.export_dir = export_dir
        self.clock = clock
        self.keep_days = keep_days
        self.heartbeat_seconds = heartbeat_seconds
        self.stale_seconds = stale_seconds
        # Wakes (a job id, or nothing) and the worker thread, gone after IDLE_SECONDS idle.
        self._worker = IdleThread("caisse-audit-jobs", self._run, lambda: IDLE_SECONDS)

    # -- requests ---------------------------------------------------------------------------

    def submit(self, kind: str, actor: str, now: datetime) -> Job:
        """Record a queued job (committed before the worker is woken, so it can claim it)."""
        if kind not in KINDS:
            raise ValueError(f"unknown audit job kind {kind!r}")
        row = AuditJob(
            job_id=new_job_id(),
            kind=kind,
            status=QUEUED,
            requested_by=actor,
            requested_at=job_time(now),
        )
        with unit_of_work(self.engine) as session:
            session.add(row)
        self._worker.put(row.job_id)
        return Job.of(row)

    def artifact(self, job_id: str) -> Path:
        """The finished export's file; ``NotFound`` (no such export, or its file is gone),
        ``JobNotFinished`` (409) while queued or running, and for a failed export,
        ``ExportExpired`` once its retention is over (deleted now if not yet)."""
        job = get_job(self.engine, EXPORT, job_id)
        if job.status != DONE:
            raise JobNotFinished(
                detail=f"Export {job_id} is {job.status}; download it once it is done."
                + (" It failed: request a new export." if job.status == FAILED else ""),
                extras={"job_status": job.status},
            )
        if job.expired_at is None and self._expired_by(job.finished_at):
            self.expire_exports()  # not served past its time, even before a worker sweeps
            job = get_job(self.engine, EXPORT, job_id)
        if job.expired_at is not None:
            raise ExportExpired(
                detail=f"Export {job_id} expired at {job.expired_at}: its archive is deleted"
                f" {self.keep_days} days after the job finished (CAISSE_EXPORT_KEEP_DAYS)."
                " Request a new export.",
                extras={"job_id": job_id, "expired_at": job.expired_at},
            )
        path = self.export_dir / f"{job_id}.zip"
        if not path.is_file():
            raise svc.NotFound(
                detail=f"The archive of export {job_id} is no longer in the export directory."
            )
        return path

    # -- the worker thread ------------------------------------------------------------------

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the worker thread after the job it is running, if any."""
        self._worker.stop(timeout)

    def _run(self) -> None:
        try:
            self.fail_stale()
        except Exception:  # the database may be down; the jobs below will say so
            log.exception("could not check for interrupted audit jobs")
        self._expire_logged()
        while True:
            try:
                while self.run_next():
                    self._expire_logged()
            except Exception:  # a database error between jobs: wait for the next wake
                log.exception("audit job worker: could not claim a job")
            if self._next() is STOP:
                return

    def _next(self) -> object:
        """Wait for a wake; ``STOP`` once idle for ``IDLE_SECONDS`` with nothing queued."""
        item = self._worker.get()
        if item is STOP:
            return STOP
        # Several wakes may be waiting: one pass over the table serves them all.
        with contextlib.suppress(queue.Empty):
            while True:
                if self._worker.get_nowait() is STOP:
                    return STOP
        return item

    def fail_stale(self) -> int:
        """Mark failed every ``running`` job whose heartbeat stopped ``stale_seconds`` ago."""
        now = self.clock()
        cutoff = job_time(now - timedelta(seconds=self.stale_seconds))
        statement = (
            update(AuditJob)
            .where(col(AuditJob.status) == RUNNING, col(AuditJob.heartbeat_at) < cutoff)
            .values(
                status=FAILED,
                finished_at=job_time(now),
                error=(
                    "interrupted: the process running this job stopped (no heartbeat for"
                    f" {int(self.stale_seconds)} s); request a new job"
                ),
            )
        )
        with unit_of_work(self.engine) as session:
            return int(session.execute(statement).rowcount)  # type: ignore[attr-defined]

    # -- retention of export archives ---------------------------------------------------

    def _cutoff(self) -> str:
        """Jobs finished before this time are past their retention (``keep_days``)."""
        return job_time(self.clock() - timedelta(days=self.keep_days))

    def _expired_by(self, finished_at: str | None) -> bool:
        return finished_at is not None and finished_at < self._cutoff()

    def expire_exports(self) -> list[str]:
        """Delete the archives of the export jobs (done or failed) that finished more than
        ``keep_days`` ago and mark them ``expired_at``; their ids, oldest first. Exactly
        ``keep_days`` old is still kept. Only ``<job_id>.zip`` and ``<job_id>.zip.part``
        of those jobs are deleted; a file that cannot be deleted leaves its job unmarked
        (tried again next time), the others go on."""
        now = self.clock()
        due = (
            select(AuditJob.job_id)
            .where(
                col(AuditJob.kind) == EXPORT,
                col(AuditJob.status).in_((DONE, FAILED)),
                col(AuditJob.expired_at).is_(None),
                col(AuditJob.finished_at) < self._cutoff(),
            )
            .order_by(col(AuditJob.finished_at), col(AuditJob.job_id))
        )
        with read_only(self.engine) as session:
            job_ids = list(session.exec(due))
        expired = []
        for job_id in job_ids:
            if not FILE_SAFE_JOB_ID.fullmatch(job_id):
                log.warning("export job id %r names no file of ours: left alone", job_id)
                continue
            try:
                for name in (f"{job_id}.zip", f"{job_id}.zip.part"):
                    (self.export_dir / name).unlink(missing_ok=True)
            except OSError:
                log.exception("could not delete the archive of expired export %s", job_id)
                continue
            mark = (
                update(AuditJob)
                .where(col(AuditJob.job_id) == job_id, col(AuditJob.expired_at).is_(None))
                .values(expired_at=job_time(now))
            )
            with unit_of_work(self.engine) as session:
                session.execute(mark)
            expired.append(job_id)
        if expired:
            log.info("expired %d export archive(s): %s", len(expired), ", ".join(expired))
        return expired

    def _expire_logged(self) -> None:
        try:
            self.expire_exports()
        except Exception:  # the database may be down: the next sweep tries again
            log.exception("could not expire old export archives")

    def run_next(self) -> bool:
        """Claim the oldest queued job and run it here; False when none is queued."""
        claimed = self._claim()
        if claimed is None:
            return False
        self._execute(*claimed)
        return True

    def _claim(self) -> tuple[str, str] | None:
        """(job id, kind) of the job claimed, None when nothing is queued."""
        while True:
            oldest = (
                select(AuditJob.job_id, AuditJob.kind)
                .where(AuditJob.status == QUEUED)
                .order_by(col(AuditJob.requested_at), col(AuditJob.job_id))
                .limit(1)
            )
            with read_only(self.engine) as session:
                found = session.exec(oldest).first()
            if found is None:
                return None
            job_id, kind = found
            at = job_time(self.clock())
            claim = (
                update(AuditJob)
                .where(col(AuditJob.job_id) == job_id, col(AuditJob.status) == QUEUED)
                .values(status=RUNNING, started_at=at, heartbeat_at=at)
            )
            with unit_of_work(self.engine) as session:
                claimed = session.execute(claim).rowcount  # type: ignore[attr-defined]
            if claimed == 1:
                return job_id, kind
            # Another process claimed it first: look again.

    def _execute(self, job_id: str, kind: str) -> None:
        artifact = None
        try:
            with self._heartbeat(job_id):
                if kind == VERIFY:
                    result = verify_report(self.engine)
                else:
                    result, artifact = self._export(job_id), f"{job_id}.zip"
        except Exception as error:
            log.exception("audit job %s (%s) failed", job_id, kind)
            text = f"{type(error).__name__}: {error}"[:MAX_ERROR]
            self._finish(job_id, {"status": FAILED, "error": text})
            return
        text = json.dumps(result, sort_keys=True)
        self._finish(job_id, {"status": DONE, "result": text, "artifact": artifact})

    def _export(self, job_id: str) -> dict[str, Any]:
        self.export_dir.mkdir(parents=True, exist_ok=True)
        final = self.export_dir / f"{job_id}.zip"
        partial = final.with_suffix(".zip.part")
        try:
            with partial.open("wb") as handle:
                manifest = write_archive(self.engine, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, final)
        finally:
            partial.unlink(missing_ok=True)
        digest = _sha256_file(final)
        return {
            "size_bytes": final.stat().st_size,
            "sha256": digest,
            "records": int(manifest["counts"].get("records", 0)),
            "head_hash": manifest["head_hash"],
        }

    def _finish(self, job_id: str, values: dict[str, Any]) -> None:
        """Record the outcome (only if the job is still ``running``: one marked failed as
        interrupted meanwhile keeps that verdict)."""
        statement = (
            update(AuditJob)
            .where(col(AuditJob.job_id) == job_id, col(AuditJob.status) == RUNNING)
            .values(finished_at=job_time(self.clock()), **values)
        )
        try:
            with unit_of_work(self.engine) as session:
                session.execute(statement)
        except Exception:  # its heartbeat stops: the next worker marks it failed
            log.exception("could not record the end of audit job %s", job_id)

    @contextlib.contextmanager
    def _heartbeat(self, job_id: str) -> Iterator[None]:
        """Refresh the job's ``heartbeat_at`` every ``heartbeat_seconds`` while it runs."""
        done = threading.Event()

        def beat() -> None:
            while not done.wait(self.heartbeat_seconds):
                statement = (
                    update(AuditJob)
                    .where(col(AuditJob.job_id) == job_id, col(AuditJob.status) == RUNNING)
                    .values(heartbeat_at=job_time(self.clock()))
                )
                try:
                    with unit_of_work(self.engine) as session:
                        session.execute(statement)
                except Exception:  # a missed beat is harmless; six in a row fail the job
                    log.warning("audit job %s: heartbeat not recorded", job_id, exc_info=True)

        thread = threading.Thread(target=beat, name=f"caisse-audit-heartbeat-{job_id}")
        thread.daemon = True
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join()


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
