"""The auditor's pages (role auditor; they read the books and never write them).

- ``/audit``: start a verification (the replay verifier, as a background job of the
  process's audit worker, the same jobs as the API's), the recent ones, and each one's
  report in plain French (``/audit/verifications/<job>``);
- ``/audit/exports``: start a pseudonymised export, the recent ones, each one's page and
  its archive's download (``/audit/exports/<job>/archive``); an archive past its retention
  says so (410);
- ``/audit/points-de-controle``: the sealed months' checkpoints.

A job's page follows it while it is queued or running (app/web/static/auditor.js asks for
the page again every 2 seconds and reloads it once the job's state changed; without
JavaScript, a link does it). The job ids are in the addresses only: nobody types one.

The audit worker and its export directory are the API's own (one worker per app:
app.services.auditor.requests.jobs_of, ``CAISSE_EXPORT_DIR`` by app.db.settings).
"""

from __future__ import annotations

from typing import Annotated, Any

from babel.numbers import format_decimal
from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, Response
from starlette.datastructures import FormData

from app.db.settings import export_directory
from app.services import errors as svc
from app.services.auditor import jobs as jobs_service
from app.services.auditor import requests as audit_requests
from app.services.auditor.jobs import EXPORT, VERIFY, AuditJobs, Job
from app.services.people import Person
from app.services.tokens import Role
from app.web import i18n
from app.web.i18n import _
from app.web.pages import (
    PageNotFound,
    engine_of,
    form_of,
    now,
    redirect,
    render,
    signed_in,
)

router = APIRouter(include_in_schema=False)
AuditorDep = Annotated[Person, Depends(signed_in(Role.AUDITOR))]
FormDep = Annotated[FormData, Depends(form_of)]

ZIP_MEDIA_TYPE = "application/zip"
PENDING = (jobs_service.QUEUED, jobs_service.RUNNING)

STATUS = {
    jobs_service.QUEUED: _("En attente"),
    jobs_service.RUNNING: _("En cours"),
    jobs_service.DONE: _("Terminée"),
    jobs_service.FAILED: _("Échec"),
}
# The verifier's remarks it may make (English, for the API), as the page says them.
NOTES = {
    "signatures verified with the keys stored beside them; pass --public-key to check them"
    " against the fund's own key": _(
        "Les signatures des points de contrôle ont été vérifiées avec les clés enregistrées"
        " à côté d'elles. Pour les vérifier avec la clé publique de la caisse, utilisez"
        " « caisse verify --public-key »."
    ),
}


def jobs_of(request: Request) -> AuditJobs:
    return audit_requests.jobs_of(request.app.state, export_directory(), now)


JobsDep = Annotated[AuditJobs, Depends(jobs_of)]


def count(number: int) -> str:
    """A count as the reader's language writes it (``12 345``)."""
    return format_decimal(number, locale="fr_FR" if i18n.language() == "fr" else "en_GB")


def size(size_bytes: int) -> str:
    """A file's size in kilobytes or megabytes, one decimal."""
    locale = "fr_FR" if i18n.language() == "fr" else "en_GB"
    if size_bytes < 1_000_000:
        value, unit = format_decimal(round(size_bytes / 1000, 1), "#,##0.0", locale), _("Ko")
    else:
        value, unit = format_decimal(round(size_bytes / 1e6, 1), "#,##0.0", locale), _("Mo")
    return f"{value}\u00a0{unit}"


def shown(person: Person, jobs: list[Job], **context: Any) -> dict[str, Any]:
    """What every auditor page is given: the jobs, who asked them, whether one is pending
    (the page then follows it), the labels and the formatting helpers."""
    return {
        "jobs": jobs,
        "me": person.principal.actor,
        "pending": ",".join(f"{job.job_id}:{job.status}" for job in jobs if job.status in PENDING),
        "status_label": {key: _(label) for key, label in STATUS.items()},
        "count": count,
        "size": size,
        "notes": {key: _(label) for key, label in NOTES.items()},
        **context,
    }


def job_or_404(request: Request, kind: str, job_id: str) -> Job:
    try:
        return jobs_service.get_job(engine_of(request), kind, job_id)
    except svc.NotFound as missing:
        raise PageNotFound() from missing


# --- verifications ---------------------------------------------------------------------------


@router.get("/audit")
def verifications(request: Request, person: AuditorDep) -> Response:
    listed = audit_requests.recent(engine_of(request), VERIFY)
    context = shown(person, listed)
    return render(request, "auditor/verifications.html", context, title=_("Vérifications"))


@router.post("/audit")
def start_verification(
    request: Request, person: AuditorDep, form: FormDep, jobs: JobsDep
) -> Response:
    del form  # checked (anti-forgery); the form has nothing else
    job = audit_requests.start(jobs, VERIFY, person.principal.actor, now())
    return redirect(f"/audit/verifications/{job.job_id}")


@router.get("/audit/verifications/{job_id}")
def verification(request: Request, person: AuditorDep, job_id: str) -> Response:
    job = job_or_404(request, VERIFY, job_id)
    context = shown(person, [job], job=job)
    return render(request, "auditor/verification.html", context, title=_("Vérification"))


# --- exports ---------------------------------------------------------------------------------


@router.get("/audit/exports")
def exports(request: Request, person: AuditorDep) -> Response:
    listed = audit_requests.recent(engine_of(request), EXPORT)
    context = shown(person, listed)
    return render(request, "auditor/exports.html", context, title=_("Exports"))


@router.post("/audit/exports")
def start_export(request: Request, person: AuditorDep, form: FormDep, jobs: JobsDep) -> Response:
    del form  # checked (anti-forgery); the form has nothing else
    job = audit_requests.start(jobs, EXPORT, person.principal.actor, now())
    return redirect(f"/audit/exports/{job.job_id}")


@router.get("/audit/exports/{job_id}")
def export(request: Request, person: AuditorDep, job_id: str) -> Response:
    job = job_or_404(request, EXPORT, job_id)
    context = shown(person, [job], job=job)
    return render(request, "auditor/export.html", context, title=_("Export"))


@router.get("/audit/exports/{job_id}/archive")
def download(request: Request, person: AuditorDep, jobs: JobsDep, job_id: str) -> Response:
    """The finished export's zip, or its page saying why it cannot be downloaded."""
    job = job_or_404(request, EXPORT, job_id)
    try:
        path = jobs.artifact(job_id)
    except svc.ServiceError as refusal:
        return refused_download(request, person, job_id, refusal)
    return FileResponse(path, media_type=ZIP_MEDIA_TYPE, filename=archive_name(job))


def archive_name(job: Job) -> str:
    finished = (job.finished_at or job.requested_at)[:10]
    return f"caisse-export-{finished}-{job.job_id.removeprefix('job_')}.zip"


def refused_download(
    request: Request, person: Person, job_id: str, refusal: svc.ServiceError
) -> Response:
    """The export's page with the reason its archive is not given (in French)."""
    job = job_or_404(request, EXPORT, job_id)  # as it is now (expiry may have just marked it)
    if isinstance(refusal, jobs_service.ExportExpired):
        status, reason = 410, "expired"
    elif isinstance(refusal, jobs_service.JobNotFinished):
        status, reason = 409, "failed" if job.status == jobs_service.FAILED else "not_ready"
    elif isinstance(refusal, svc.NotFound):
        status, reason = 410, "missing"
    else:
        raise refusal
    context = shown(person, [job], job=job, refused=reason)
    return render(request, "auditor/export.html", context, status=status, title=_("Export"))


# --- checkpoints -----------------------------------------------------------------------------


@router.get("/audit/points-de-controle")
def checkpoints(request: Request, person: AuditorDep) -> Response:
    sealed = audit_requests.checkpoints(engine_of(request))
    context = shown(person, [], checkpoints=sealed)
    return render(request, "auditor/checkpoints.html", context, title=_("Points de contrôle"))
