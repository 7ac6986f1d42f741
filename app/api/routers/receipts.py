"""Tax receipts (Cerfa 11580): the operator sets the fund's receipt settings and donors,
issues a year's receipts (numbered without gaps) and downloads them; an auditor lists them
(no personal data); a member downloads the receipts whose donor they are (another's reads
as 404, exactly as a missing one)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Path, Query, Response
from fastapi.concurrency import run_in_threadpool

from app.api.deps import (
    EngineDep,
    IdempotencyKey,
    OperatorDep,
    Principal,
    Role,
    require_roles,
)
from app.api.errors import problem_responses
from app.api.routers.common import today
from app.api.routing import api_router
from app.api.schemas.fields import IDENT_PATTERN
from app.api.schemas.receipts import (
    DonorBody,
    DonorOut,
    IssueBody,
    IssueOut,
    ReceiptOut,
    SettingsBody,
)
from app.services.receipts import donors, issue, settings

router = api_router(prefix="/receipts")

PDF_MEDIA_TYPE = "application/pdf"
Lister = Annotated[Principal, Depends(require_roles(Role.OPERATOR, Role.AUDITOR))]
Reader = Annotated[Principal, Depends(require_roles(Role.OPERATOR, Role.MEMBER))]
DonorId = Annotated[str, Path(description="The donor. Unit: identifier.", pattern=IDENT_PATTERN)]
ReceiptId = Annotated[
    str,
    Path(
        description="Year and number. Unit: text YEAR-NNNNNN.",
        pattern=r"^\d{4}-\d{1,9}$",
        examples=["2026-000001"],
    ),
]
Year = Annotated[int, Query(description="Year of the gifts. Unit: year.", ge=2000, le=9999)]


@router.put(
    "/settings",
    summary="Set the tax receipts' settings",
    response_model=SettingsBody,
    tags=["operator"],
    responses=problem_responses(422),
)
async def put_settings(body: SettingsBody, engine: EngineDep, _: OperatorDep) -> SettingsBody:
    """What the next receipts print about the organisation, and the reduction rate and
    ceiling they state (issued receipts keep what they printed)."""
    saved = await run_in_threadpool(settings.save, engine, body.model_dump())
    return SettingsBody.model_validate(saved.document())


@router.put(
    "/donors/{donor_id}",
    summary="Record a donor's identity",
    response_model=DonorOut,
    tags=["operator"],
    responses=problem_responses(422),
)
async def put_donor(
    donor_id: DonorId, body: DonorBody, engine: EngineDep, _: OperatorDep
) -> DonorOut:
    """The donor's name and address as receipts print them (personal data, erasable: the
    journal carries only a salted commitment), how the donor pays, and the member's
    household when the donor is one."""
    found = await run_in_threadpool(
        donors.set_donor, engine, donor_id, body.name, body.address, body.mode, body.household_id
    )
    return DonorOut.model_validate(asdict(found))


@router.post(
    "/issue",
    summary="Issue a year's tax receipts",
    response_model=IssueOut,
    tags=["operator"],
    responses=problem_responses(409, 422),
)
async def issue_year(
    body: IssueBody, key: IdempotencyKey, engine: EngineDep, principal: OperatorDep
) -> IssueOut:
    """One receipt per donor of the year not receipted yet, numbered from 1 without gaps,
    each recorded in the journal (no personal data). Sent again, it issues only what is new
    (the key is accepted for uniformity: the issue is idempotent by donor and year). 409
    without settings; 422 for an issue day inside the year."""
    outcome = await run_in_threadpool(
        lambda: issue.issue_year(
            engine,
            body.year,
            body.issued_on or today(),
            actor=principal.actor,
            now=datetime.now(UTC),
        )
    )
    return IssueOut(
        issued=[ReceiptOut.model_validate(asdict(found)) for found in outcome.issued],
        without_identity=list(outcome.without_identity),
    )


@router.get(
    "",
    summary="A year's tax receipts",
    response_model=list[ReceiptOut],
    tags=["operator", "auditor"],
    responses=problem_responses(422),
)
async def list_receipts(year: Year, engine: EngineDep, _: Lister) -> list[ReceiptOut]:
    """The year's receipts by number (no personal data)."""
    found = await run_in_threadpool(issue.receipts_of_year, engine, year)
    return [ReceiptOut.model_validate(asdict(one)) for one in found]


@router.get(
    "/{receipt_id}/pdf",
    summary="Download a tax receipt",
    response_class=Response,
    tags=["operator", "member"],
    responses={
        200: {
            "description": "The receipt as PDF, the same bytes at every download.",
            "content": {PDF_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        },
        410: {"description": "The donor was erased: the receipt cannot be reprinted."},
        **problem_responses(404, 422),
    },
)
async def receipt_pdf(receipt_id: ReceiptId, engine: EngineDep, principal: Reader) -> Response:
    """A member gets only the receipts whose donor they are (another's is 404). 410 once
    the donor's identity was erased."""
    household = principal.household_id if principal.role is Role.MEMBER else None
    if principal.role is Role.MEMBER and household is None:
        household = ""
    document = await run_in_threadpool(issue.pdf_of, engine, receipt_id, household)
    disposition = f'attachment; filename="{issue.file_name(receipt_id)}"'
    return Response(
        document, media_type=PDF_MEDIA_TYPE, headers={"Content-Disposition": disposition}
    )
