"""Audit (auditor): journal pages, replay verification, checkpoints, exports. Reads only;
everything here is pseudonymous (the journal and what derives from it, never the identity or
facts tables).

Verification and export come two ways. The jobs (``POST /audit/verifications``,
``POST /audit/exports``) answer 202 at once and run in the process's background worker
(app.services.auditor.jobs); the caller polls the job and downloads the export when done.
``GET /audit/verify`` and ``GET /audit/export`` do the same work inside the request: kept
for small funds and existing clients, they give the same report and the same bytes.

The clock is read here, at the edge; the export directory is ``CAISSE_EXPORT_DIR`` (default
``var/exports``, app.db.settings.export_directory), where export jobs write their archives; they are kept
``CAISSE_EXPORT_KEEP_DAYS`` (app.db.settings, read at start-up) after the job finished.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request
from fastapi.responses import FileResponse, Response
from sqlalchemy.engine import Engine

from app.api.deps import AuditorDep, SessionDep, get_engine
from app.api.errors import problem_responses
from app.api.routing import api_router
from app.api.schemas.audit import (
    CheckpointList,
    ExportJob,
    ExportJobList,
    JournalPage,
    VerificationJob,
    VerificationJobList,
    VerifyReport,
)
from app.db.settings import export_directory
from app.services import views
from app.services.auditor import jobs as jobs_service
from app.services.auditor import requests as audit_requests
from app.services.auditor import statement_proofs

router = api_router(prefix="/audit", tags=["auditor"])

ZIP_MEDIA_TYPE = "application/zip"
JSONL_MEDIA_TYPE = "application/jsonl"
ZIP_DOWNLOAD = {"Content-Disposition": 'attachment; filename="caisse-export.zip"'}
EngineDep = Annotated[Engine, Depends(get_engine)]


@router.get(
    "/journal",
    summary="Journal pages",
    response_model=JournalPage,
    responses=problem_responses(422),
)
def journal(
    session: SessionDep,
    _: AuditorDep,
    after_seq: Annotated[
        int,
        Query(
            description="Records after this one. Unit: journal sequence number.",
            ge=0,
            le=2**62,
            examples=[0],
        ),
    ] = 0,
    limit: Annotated[
        int,
        Query(description="At most this many records. Unit: count.", ge=1, le=1000, examples=[100]),
    ] = 100,
) -> JournalPage:
    """The hash-chained journal, in order, a page at a time."""
    records = views.journal_page(session, after_seq, limit)
    following = records[-1]["seq"] if len(records) == limit else None
    return JournalPage.model_validate({"records": records, "next_after_seq": following})


@router.get(
    "/verify", summary="Verify the books by replaying the journal", response_model=VerifyReport
)
def verify(engine: EngineDep, _: AuditorDep) -> VerifyReport:
    """Replay the whole journal through the books core and compare every stored entry,
    posting, balance, credit lot, exactly-once marker and checkpoint (with its signature).
    A disagreement is the expected finding of an audit, so it is a 200 with `ok: false` and
    the first disagreement (seq, table, row).

    For small funds: the replay runs inside this request. Prefer `POST
    /v1/audit/verifications`, which runs it in the background (same report)."""
    return VerifyReport.model_validate(jobs_service.verify_report(engine))


@router.get("/checkpoints", summary="Every checkpoint", response_model=CheckpointList)
def checkpoints(session: SessionDep, _: AuditorDep) -> CheckpointList:
    """The seal of every sealed month, oldest first."""
    return CheckpointList.model_validate({"checkpoints": views.checkpoints(session)})


@router.get(
    "/checkpoints.jsonl",
    summary="The witness file: signed checkpoints and heads, to copy",
    response_class=Response,
    responses={200: {"content": {JSONL_MEDIA_TYPE: {}}, "description": "JSON lines"}},
)
def witness_file(_: AuditorDep) -> Response:
    """The append-only witness file as it stands, one JSON document a line: every seal's
    signed checkpoint (with the month's Merkle root) and a signed journal head every
    `CAISSE_WITNESS_EVERY` records. Keep a copy: `caisse verify --witness COPY` then fails
    when the books no longer extend a head you kept (truncation, rewrite, fork)."""
    return Response(statement_proofs.witness_lines(), media_type=JSONL_MEDIA_TYPE)


@router.get(
    "/export",
    summary="Download the pseudonymised export",
    response_class=Response,
    responses={
        200: {
            "description": "A zip of the export directory (caisse.export/1).",
            "content": {ZIP_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
def export(engine: EngineDep, _: AuditorDep) -> Response:
    """The journal and its projections (entries, balances, lots, exactly-once markers,
    checkpoints) with a manifest of hashes, zipped: what `caisse verify --export DIR` reads.
    Pseudonymised by construction: identity and facts tables are never read.

    For small funds: the archive is built inside this request. Prefer `POST
    /v1/audit/exports`, which builds it in the background (same bytes)."""
    return Response(
        jobs_service.archive_bytes(engine), media_type=ZIP_MEDIA_TYPE, headers=ZIP_DOWNLOAD
    )


# --- background jobs -------------------------------------------------------------------------


def utc_now() -> datetime:
    """The clock (at the edge; the service is handed it)."""
    return datetime.now(UTC)


def get_jobs(request: Request) -> jobs_service.AuditJobs:
    """The app's audit jobs and worker, made on first use (the same one the pages use)."""
    return audit_requests.jobs_of(request.app.state, export_directory(), utc_now)


JobsDep = Annotated[jobs_service.AuditJobs, Depends(get_jobs)]

JobId = Annotated[
    str,
    Path(
        description="The job's id, as returned when it was requested. Unit: job id.",
        max_length=40,
        examples=["job_3f2a9c1b7d4e5f60"],
    ),
]
Limit = Annotated[
    int,
    Query(description="At most this many jobs. Unit: count.", ge=1, le=100, examples=[20]),
]


def accepted(location: str) -> dict[int | str, dict[str, Any]]:
    return {
        202: {
            "description": f"Queued. Poll `{location}` until `status` is done or failed.",
            "headers": {
                "Location": {
                    "description": "Where to poll the job.",
                    "schema": {"type": "string"},
                }
            },
        }
    }


@router.post(
    "/verifications",
    summary="Start a verification in the background",
    status_code=202,
    response_model=VerificationJob,
    responses=accepted("/v1/audit/verifications/{job_id}"),
)
def start_verification(
    request: Request, response: Response, jobs: JobsDep, principal: AuditorDep
) -> VerificationJob:
    """Queue a replay verification (what `GET /v1/audit/verify` does) and answer at once.
    The process's worker runs jobs one at a time, oldest first; poll the job for its
    status and, once done, its report. A retry asks for another job (jobs only read the
    books: there is no idempotency key)."""
    job = jobs.submit(jobs_service.VERIFY, principal.actor, utc_now())
    response.headers["Location"] = str(request.url_for("verification", job_id=job.job_id).path)
    return VerificationJob.model_validate(job.as_dict())


@router.get(
    "/verifications", summary="Recent verification jobs", response_model=VerificationJobList
)
def verifications(engine: EngineDep, _: AuditorDep, limit: Limit = 20) -> VerificationJobList:
    """The most recently requested verifications, newest first, whoever asked."""
    listed = jobs_service.list_jobs(engine, jobs_service.VERIFY, limit)
    return VerificationJobList.model_validate({"jobs": [job.as_dict() for job in listed]})


@router.get(
    "/verifications/{job_id}",
    name="verification",
    summary="A verification job",
    response_model=VerificationJob,
    responses=problem_responses(404),
)
def verification(engine: EngineDep, _: AuditorDep, job_id: JobId) -> VerificationJob:
    """Its status and, once done, the verifier's report (`result`, the same as `GET
    /v1/audit/verify` gives), or once failed its `error`. 404 for an unknown id."""
    job = jobs_service.get_job(engine, jobs_service.VERIFY, job_id)
    return VerificationJob.model_validate(job.as_dict())


@router.post(
    "/exports",
    summary="Start an export in the background",
    status_code=202,
    response_model=ExportJob,
    responses=accepted("/v1/audit/exports/{job_id}"),
)
def start_export(
    request: Request, response: Response, jobs: JobsDep, principal: AuditorDep
) -> ExportJob:
    """Queue a pseudonymised export (what `GET /v1/audit/export` builds) and answer at once.
    Once the job is done, download the zip from `/v1/audit/exports/{job_id}/download`. A
    retry asks for another job (there is no idempotency key)."""
    job = jobs.submit(jobs_service.EXPORT, principal.actor, utc_now())
    response.headers["Location"] = str(request.url_for("export_job", job_id=job.job_id).path)
    return ExportJob.model_validate(job.as_dict())


@router.get("/exports", summary="Recent export jobs", response_model=ExportJobList)
def exports(engine: EngineDep, _: AuditorDep, limit: Limit = 20) -> ExportJobList:
    """The most recently requested exports, newest first, whoever asked."""
    listed = jobs_service.list_jobs(engine, jobs_service.EXPORT, limit)
    return ExportJobList.model_validate({"jobs": [job.as_dict() for job in listed]})


@router.get(
    "/exports/{job_id}",
    name="export_job",
    summary="An export job",
    response_model=ExportJob,
    responses=problem_responses(404),
)
def export_job(engine: EngineDep, _: AuditorDep, job_id: JobId) -> ExportJob:
    """Its status and, once done, the archive's size and sha256, or once failed its
    `error`. 404 for an unknown id."""
    job = jobs_service.get_job(engine, jobs_service.EXPORT, job_id)
    return ExportJob.model_validate(job.as_dict())


@router.get(
    "/exports/{job_id}/download",
    summary="Download an export job's zip",
    response_class=FileResponse,
    responses={
        200: {
            "description": "The zip (caisse.export/1), the bytes `GET /v1/audit/export` gives"
            " for the same journal head.",
            "content": {ZIP_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        },
        404: {"description": "No export job of that id."},
        410: {
            "description": "`export-expired` (with `job_id` and `expired_at`): the archive"
            " was deleted after its retention; request a new export."
        },
        409: {"description": "`job-not-finished`: the job is queued, running or failed."},
    },
)
def download_export(jobs: JobsDep, _: AuditorDep, job_id: JobId) -> FileResponse:
    """The finished export's zip. 409 `job-not-finished` (with `job_status`) while the job
    is queued or running, or when it failed. 410 `export-expired` (with `job_id` and
    `expired_at`) once the archive was deleted, `CAISSE_EXPORT_KEEP_DAYS` after the job
    finished."""
    return FileResponse(jobs.artifact(job_id), media_type=ZIP_MEDIA_TYPE, headers=ZIP_DOWNLOAD)
