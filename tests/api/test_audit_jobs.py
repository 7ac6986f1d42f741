"""Audit jobs through the API: a verification or an export is queued (202), run by the
process's worker thread, polled, and (export) downloaded; the results are those of the
synchronous endpoints for the same books. Runs on SQLite and PostgreSQL like the rest."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from app.api.routers.audit import utc_now
from app.db.session import unit_of_work
from app.db.settings import Settings
from app.db.tables import Journal
from app.db.tables_jobs import AuditJob
from app.services.auditor import jobs as audit_jobs
from tests.api.fund_support import assert_only, call, close, seal, seed
from tests.api.support import Tokens, assert_problem

POLL_SECONDS = 0.02
POLL_BOUND_SECONDS = 10.0
UNKNOWN = "job_0000000000000000"


@pytest.fixture()
def jobs(api: FastAPI, tmp_path: Path) -> Iterator[audit_jobs.AuditJobs]:
    """The app's jobs, writing exports under the test's directory; stopped at the end."""
    worker = audit_jobs.AuditJobs(api.state.db_engine, tmp_path / "exports", utc_now)
    api.state.audit_jobs = worker
    yield worker
    worker.stop()


def start(client: TestClient, tokens: Tokens, collection: str) -> dict[str, Any]:
    response = call(client, tokens, "auditor", "POST", f"/v1/audit/{collection}")
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    assert response.headers["location"] == f"/v1/audit/{collection}/{body['job_id']}"
    return body


def wait(client: TestClient, tokens: Tokens, location: str) -> dict[str, Any]:
    """Poll until the job is done or failed (bounded)."""
    deadline = time.monotonic() + POLL_BOUND_SECONDS
    while True:
        response = call(client, tokens, "auditor", "GET", location)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if body["status"] in ("done", "failed"):
            return body
        assert time.monotonic() < deadline, f"job still {body['status']}"
        time.sleep(POLL_SECONDS)


def journal_size(api: FastAPI) -> int:
    with api.state.db_engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(Journal)).scalar_one())


class TestVerification:
    def test_the_job_reports_what_the_synchronous_verify_reports(
        self, api: FastAPI, client: TestClient, tokens: Tokens, jobs: audit_jobs.AuditJobs
    ) -> None:
        seed(api)
        close(api)
        seal(api)
        before = journal_size(api)
        queued = start(client, tokens, "verifications")
        assert (queued["kind"], queued["status"], queued["result"]) == ("verify", "queued", None)
        me = call(client, tokens, "auditor", "GET", "/v1/auth/whoami").json()
        assert queued["requested_by"] == f"auditor:{me['token_id']}"
        job = wait(client, tokens, f"/v1/audit/verifications/{queued['job_id']}")
        assert job["status"] == "done" and job["error"] is None
        assert job["requested_at"] <= job["started_at"] <= job["finished_at"]
        direct = call(client, tokens, "auditor", "GET", "/v1/audit/verify").json()
        assert job["result"]["ok"] is True
        assert job["result"] | {"duration_ms": 0} == direct | {"duration_ms": 0}
        assert journal_size(api) == before  # a job only reads

    def test_a_disagreement_is_a_finding_not_a_failure(
        self, api: FastAPI, client: TestClient, tokens: Tokens, jobs: audit_jobs.AuditJobs
    ) -> None:
        seed(api)
        with api.state.db_engine.begin() as connection:
            connection.execute(
                text("UPDATE balance SET balance_cents = balance_cents + 1 WHERE account = '512'")
            )
        queued = start(client, tokens, "verifications")
        job = wait(client, tokens, f"/v1/audit/verifications/{queued['job_id']}")
        assert job["status"] == "done"
        assert job["result"]["ok"] is False
        assert job["result"]["first_disagreement"]["table"] == "balance"

    def test_a_verifier_that_raises_fails_the_job_with_its_error(
        self,
        api: FastAPI,
        client: TestClient,
        tokens: Tokens,
        jobs: audit_jobs.AuditJobs,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        seed(api)

        def broken(*_: Any, **__: Any) -> Any:
            raise RuntimeError("replay exploded")

        monkeypatch.setattr("app.audit.verify.verify", broken)
        queued = start(client, tokens, "verifications")
        job = wait(client, tokens, f"/v1/audit/verifications/{queued['job_id']}")
        assert (job["status"], job["result"]) == ("failed", None)
        assert job["error"] == "RuntimeError: replay exploded"
        assert job["finished_at"] is not None
        # The worker survives: the next job runs.
        monkeypatch.undo()
        again = start(client, tokens, "verifications")
        assert wait(client, tokens, f"/v1/audit/verifications/{again['job_id']}")["status"] == (
            "done"
        )

    def test_recent_jobs_are_listed_newest_first(
        self, api: FastAPI, client: TestClient, tokens: Tokens, jobs: audit_jobs.AuditJobs
    ) -> None:
        seed(api)
        first = start(client, tokens, "verifications")["job_id"]
        second = start(client, tokens, "verifications")["job_id"]
        for job_id in (first, second):
            wait(client, tokens, f"/v1/audit/verifications/{job_id}")
        listed = call(client, tokens, "auditor", "GET", "/v1/audit/verifications").json()
        assert [job["job_id"] for job in listed["jobs"]] == [second, first]
        one = call(client, tokens, "auditor", "GET", "/v1/audit/verifications", limit=1).json()
        assert [job["job_id"] for job in one["jobs"]] == [second]
        exports = call(client, tokens, "auditor", "GET", "/v1/audit/exports").json()
        assert exports == {"jobs": []}

    def test_an_unknown_job_is_404(
        self, client: TestClient, tokens: Tokens, jobs: audit_jobs.AuditJobs
    ) -> None:
        response = call(client, tokens, "auditor", "GET", f"/v1/audit/verifications/{UNKNOWN}")
        assert_problem(response, 404, "not-found")

    def test_only_auditors(
        self, client: TestClient, tokens: Tokens, jobs: audit_jobs.AuditJobs
    ) -> None:
        for method, path in (
            ("POST", "/v1/audit/verifications"),
            ("GET", "/v1/audit/verifications"),
            ("GET", f"/v1/audit/verifications/{UNKNOWN}"),
        ):
            assert_only(client, tokens, method, path, ("auditor",))


class TestExport:
    def test_the_download_is_the_synchronous_export(
        self, api: FastAPI, client: TestClient, tokens: Tokens, jobs: audit_jobs.AuditJobs
    ) -> None:
        seed(api)
        before = journal_size(api)
        queued = start(client, tokens, "exports")
        assert (queued["kind"], queued["status"]) == ("export", "queued")
        job = wait(client, tokens, f"/v1/audit/exports/{queued['job_id']}")
        assert job["status"] == "done", job
        download = call(
            client, tokens, "auditor", "GET", f"/v1/audit/exports/{queued['job_id']}/download"
        )
        assert download.status_code == 200
        assert download.headers["content-type"] == "application/zip"
        direct = call(client, tokens, "auditor", "GET", "/v1/audit/export").content
        assert download.content == direct
        assert job["result"]["size_bytes"] == len(direct)
        assert job["result"]["sha256"] == hashlib.sha256(direct).hexdigest()
        assert job["result"]["records"] == before == journal_size(api)
        assert sorted(p.name for p in jobs.export_dir.iterdir()) == [f"{job['job_id']}.zip"]

    def test_download_before_the_job_is_done_is_409(
        self,
        api: FastAPI,
        client: TestClient,
        tokens: Tokens,
        jobs: audit_jobs.AuditJobs,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        seed(api)
        release, running = threading.Event(), threading.Event()
        real = audit_jobs.write_archive

        def held(*args: Any) -> dict[str, Any]:
            running.set()
            assert release.wait(POLL_BOUND_SECONDS)
            return real(*args)

        monkeypatch.setattr(audit_jobs, "write_archive", held)
        queued = start(client, tokens, "exports")
        download = f"/v1/audit/exports/{queued['job_id']}/download"
        try:
            assert running.wait(POLL_BOUND_SECONDS)
            status = call(client, tokens, "auditor", "GET", f"/v1/audit/exports/{queued['job_id']}")
            assert status.json()["status"] == "running"
            body = assert_problem(
                call(client, tokens, "auditor", "GET", download), 409, "job-not-finished"
            )
            assert body["job_status"] == "running"
        finally:
            release.set()
        assert wait(client, tokens, f"/v1/audit/exports/{queued['job_id']}")["status"] == "done"
        assert call(client, tokens, "auditor", "GET", download).status_code == 200

    def test_a_failed_export_cannot_be_downloaded(
        self,
        api: FastAPI,
        client: TestClient,
        tokens: Tokens,
        jobs: audit_jobs.AuditJobs,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        def full_disk(*_: Any) -> dict[str, Any]:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(audit_jobs, "write_archive", full_disk)
        queued = start(client, tokens, "exports")
        job = wait(client, tokens, f"/v1/audit/exports/{queued['job_id']}")
        assert job["status"] == "failed"
        assert job["error"] == "OSError: [Errno 28] No space left on device"
        download = f"/v1/audit/exports/{queued['job_id']}/download"
        body = assert_problem(
            call(client, tokens, "auditor", "GET", download), 409, "job-not-finished"
        )
        assert body["job_status"] == "failed"
        assert list(jobs.export_dir.iterdir()) == []  # no half-written archive left

    def test_an_unknown_job_is_404_and_kinds_do_not_mix(
        self, api: FastAPI, client: TestClient, tokens: Tokens, jobs: audit_jobs.AuditJobs
    ) -> None:
        for path in (f"/v1/audit/exports/{UNKNOWN}", f"/v1/audit/exports/{UNKNOWN}/download"):
            assert_problem(call(client, tokens, "auditor", "GET", path), 404, "not-found")
        seed(api)
        verification = start(client, tokens, "verifications")["job_id"]
        for path in (f"/v1/audit/exports/{verification}", f"{verification}/download"):
            url = path if path.startswith("/") else f"/v1/audit/exports/{path}"
            assert_problem(call(client, tokens, "auditor", "GET", url), 404, "not-found")

    def test_only_auditors(
        self, client: TestClient, tokens: Tokens, jobs: audit_jobs.AuditJobs
    ) -> None:
        for method, path in (
            ("POST", "/v1/audit/exports"),
            ("GET", "/v1/audit/exports"),
            ("GET", f"/v1/audit/exports/{UNKNOWN}"),
            ("GET", f"/v1/audit/exports/{UNKNOWN}/download"),
        ):
            assert_only(client, tokens, method, path, ("auditor",))


class TestExpiry:
    def test_an_export_downloads_until_its_retention_ends_then_answers_export_expired(
        self, api: FastAPI, client: TestClient, tokens: Tokens, tmp_path: Path
    ) -> None:
        finished = datetime(2027, 3, 1, 12, 0, 0, tzinfo=UTC)
        moment = [finished]  # the worker's clock, moved by hand
        worker = audit_jobs.AuditJobs(
            api.state.db_engine, tmp_path / "exports", lambda: moment[0], keep_days=30
        )
        api.state.audit_jobs = worker
        try:
            seed(api)
            job_id = start(client, tokens, "exports")["job_id"]
            assert wait(client, tokens, f"/v1/audit/exports/{job_id}")["finished_at"] == (
                "2027-03-01T12:00:00.000Z"
            )
            download = f"/v1/audit/exports/{job_id}/download"
            moment[0] = finished + timedelta(days=30)  # exactly 30 days: still kept
            assert call(client, tokens, "auditor", "GET", download).status_code == 200
            moment[0] = finished + timedelta(days=30, milliseconds=1)

            body = assert_problem(
                call(client, tokens, "auditor", "GET", download), 410, "export-expired"
            )
        finally:
            worker.stop()
        assert body["title"] == "The export has expired"
        assert body["detail"] == (
            f"Export {job_id} expired at 2027-03-31T12:00:00.001Z: its archive is deleted 30"
            " days after the job finished (CAISSE_EXPORT_KEEP_DAYS). Request a new export."
        )
        assert (body["job_id"], body["expired_at"]) == (job_id, "2027-03-31T12:00:00.001Z")
        shown = call(client, tokens, "auditor", "GET", f"/v1/audit/exports/{job_id}").json()
        assert (shown["status"], shown["expired_at"]) == ("done", "2027-03-31T12:00:00.001Z")
        assert shown["result"]["records"] == journal_size(api)  # what it was stays shown
        assert list(worker.export_dir.iterdir()) == []

    def test_the_app_s_retention_setting_reaches_the_worker(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        api.state.settings = Settings(api.state.settings.database_url, export_keep_days=7)
        seed(api)
        start(client, tokens, "verifications")  # the app makes its worker on first use
        worker: audit_jobs.AuditJobs = api.state.audit_jobs
        worker.stop()
        assert worker.keep_days == 7


class TestInterruptedJobs:
    def test_a_running_job_whose_process_died_is_failed_when_a_worker_starts(
        self, api: FastAPI, client: TestClient, tokens: Tokens, jobs: audit_jobs.AuditJobs
    ) -> None:
        seed(api)
        long_ago = audit_jobs.job_time(utc_now().replace(year=2020))
        with unit_of_work(api.state.db_engine) as session:
            session.add(
                AuditJob(
                    job_id="job_dead000000000000",
                    kind="verify",
                    status="running",
                    requested_by="auditor:tok_gone",
                    requested_at=long_ago,
                    started_at=long_ago,
                    heartbeat_at=long_ago,
                )
            )
        queued = start(client, tokens, "verifications")  # starts the worker thread
        assert wait(client, tokens, f"/v1/audit/verifications/{queued['job_id']}")["status"] == (
            "done"
        )
        dead = call(
            client, tokens, "auditor", "GET", "/v1/audit/verifications/job_dead000000000000"
        )
        body = dead.json()
        assert (body["status"], body["result"]) == ("failed", None)
        assert body["error"].startswith("interrupted: the process running this job stopped")
        assert body["finished_at"] > long_ago

    def test_a_job_with_a_live_heartbeat_is_left_running(
        self, api: FastAPI, jobs: audit_jobs.AuditJobs
    ) -> None:
        now = audit_jobs.job_time(utc_now())
        with unit_of_work(api.state.db_engine) as session:
            session.add(
                AuditJob(
                    job_id="job_live000000000000",
                    kind="export",
                    status="running",
                    requested_by="auditor:tok_other",
                    requested_at=now,
                    started_at=now,
                    heartbeat_at=now,
                )
            )
        assert jobs.fail_stale() == 0
        job = audit_jobs.get_job(api.state.db_engine, "export", "job_live000000000000")
        assert job.status == "running"
