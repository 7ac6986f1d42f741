"""Audit (auditor): journal pages, replay verification, checkpoints, export download. Reads
only; everything here is pseudonymous (the journal and what derives from it, never the
identity or facts tables)."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Query
from fastapi.responses import Response
from sqlalchemy.engine import Engine

from app.api.deps import AuditorDep, SessionDep, get_engine
from app.api.errors import problem_responses
from app.api.routing import api_router
from app.api.schemas.audit import CheckpointList, JournalPage, VerifyReport
from app.audit import export as audit_export
from app.audit import verify as audit_verify
from app.audit.sources import DbSource
from app.services import api_reads, reads

router = api_router(prefix="/audit", tags=["auditor"])

ZIP_MEDIA_TYPE = "application/zip"
ZIP_DATE = (2000, 1, 1, 0, 0, 0)  # fixed member timestamps: same books, same archive bytes
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
    records = reads.journal_page(session, after_seq, limit)
    following = records[-1]["seq"] if len(records) == limit else None
    return JournalPage.model_validate({"records": records, "next_after_seq": following})


def _verified(engine: Engine) -> dict[str, Any]:
    source = DbSource(engine)
    try:
        return audit_verify.verify(source).as_dict()
    finally:
        source.close()


@router.get(
    "/verify", summary="Verify the books by replaying the journal", response_model=VerifyReport
)
def verify(engine: EngineDep, _: AuditorDep) -> VerifyReport:
    """Replay the whole journal through the books core and compare every stored entry,
    posting, balance, credit lot, exactly-once marker and checkpoint (with its signature).
    A disagreement is the expected finding of an audit, so it is a 200 with `ok: false` and
    the first disagreement (seq, table, row)."""
    report = _verified(engine)
    report["duration_ms"] = int(report.pop("duration_seconds") * 1000)
    return VerifyReport.model_validate(report)


@router.get("/checkpoints", summary="Every checkpoint", response_model=CheckpointList)
def checkpoints(session: SessionDep, _: AuditorDep) -> CheckpointList:
    """The seal of every sealed month, oldest first."""
    return CheckpointList.model_validate({"checkpoints": api_reads.checkpoints(session)})


def _archive(engine: Engine) -> bytes:
    source = DbSource(engine)
    buffer = io.BytesIO()
    try:
        with tempfile.TemporaryDirectory(prefix="caisse-export-") as tmp:
            directory = Path(tmp)
            audit_export.export_journal(source, directory)
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for path in sorted(directory.iterdir()):
                    info = zipfile.ZipInfo(f"caisse-export/{path.name}", ZIP_DATE)
                    info.compress_type = zipfile.ZIP_DEFLATED
                    archive.writestr(info, path.read_bytes())
    finally:
        source.close()
    return buffer.getvalue()


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
    Pseudonymised by construction: identity and facts tables are never read."""
    return Response(
        _archive(engine),
        media_type=ZIP_MEDIA_TYPE,
        headers={"Content-Disposition": 'attachment; filename="caisse-export.zip"'},
    )
