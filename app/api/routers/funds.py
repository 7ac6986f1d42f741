"""Money in (operator): contribution payments, subsidies, donations and top-ups; the fund's
position (operator, committee, auditor)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.api.deps import IdempotencyKey, OperatorDep, Principal, Role, SessionDep, require_roles
from app.api.errors import problem_responses
from app.api.routers.common import writes
from app.api.routing import api_router
from app.api.schemas.funds import (
    FundingOut,
    FundingRequest,
    PaymentOut,
    PaymentRequest,
    PositionOut,
)
from app.services import money, views

router = api_router(prefix="/funds")

PositionReader = Annotated[
    Principal, Depends(require_roles(Role.OPERATOR, Role.COMMITTEE, Role.AUDITOR))
]


@router.post(
    "/payments",
    summary="Record a contribution payment",
    response_model=PaymentOut,
    tags=["operator"],
    responses=problem_responses(404, 409, 422),
)
def record_payment(
    request: PaymentRequest, key: IdempotencyKey, session: SessionDep, principal: OperatorDep
) -> PaymentOut:
    """A member's contribution received, in cash or at the bank. 404 for an unknown
    household; 409 when the month of `received_on` is closed."""
    result = money.record_payment(
        session,
        request.household_id,
        request.amount_cents,
        request.method,
        request.reference,
        request.received_on,
        **writes(principal, key),
    )
    return PaymentOut.model_validate(result)


@router.post(
    "/fundings",
    summary="Record a subsidy, donation or top-up",
    response_model=FundingOut,
    tags=["operator"],
    responses=problem_responses(409, 422),
)
def record_funding(
    request: FundingRequest, key: IdempotencyKey, session: SessionDep, principal: OperatorDep
) -> FundingOut:
    """Money from a third party. An awarded subsidy is booked as receivable until paid.
    422 for an impossible combination (an awarded donation, a dedicated top-up)."""
    result = money.record_funding(
        session,
        request.funder_id,
        request.kind,
        request.amount_cents,
        request.reference,
        request.received_on,
        dedicated=request.dedicated,
        status=None if request.status == "received" else request.status,
        **writes(principal, key),
    )
    return FundingOut.model_validate(result)


@router.get(
    "/position",
    summary="The fund's position",
    response_model=PositionOut,
    tags=["operator", "committee", "auditor"],
)
def position(session: SessionDep, _: PositionReader) -> PositionOut:
    """Bank and till, receivables, credit in circulation, payables to merchants, earmarked
    funds, expired credit and the reserve (held − owed)."""
    return PositionOut.model_validate(views.fund_position(session))
