"""Merchants: approve and suspend (committee); charge a member with the member's consent code
and refund (merchant); sales and settlements (the merchant's own, or any for the office and
auditors); settle merchants (operator). A merchant asking for another merchant's sales or
sale gets 404, exactly as for one that does not exist."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from pydantic import TypeAdapter
from starlette.responses import Response

from app.api.deps import (
    KEY_LENGTHS,
    KEY_PATTERN,
    CommitteeDep,
    IdempotencyKey,
    MerchantDep,
    OperatorDep,
    Principal,
    Role,
    SessionDep,
    ensure_owner,
    require_roles,
)
from app.api.errors import problem_responses
from app.api.input_guard import NOT_JSON, checked_body
from app.api.lean_route import header, json_response, lean_route, principal
from app.api.routers.common import today, writes
from app.api.routing import api_router
from app.api.schemas.fields import IDENT_PATTERN
from app.api.schemas.trade import (
    ApproveRequest,
    ChargeOut,
    ChargeRequest,
    MerchantRecorded,
    RefundOut,
    RefundRequest,
    SalesOut,
    SettlementsOut,
    SettleOut,
    SettleRequest,
    SuspendRequest,
)
from app.services import merchants, money, views
from app.services.errors import invalid, not_found
from app.services.writes.charge_link import ChargeWriter
from app.services.writes.execute import prepare
from app.services.writes.group_commit import Charge

router = api_router()


def group_writer(http: Request) -> ChargeWriter:
    """Where the process's charges go to be written in groups (made with the app,
    app.api.app: the server's charge writer process, or a group writer of its own)."""
    writer: ChargeWriter = http.app.state.group_writer
    return writer


Reader = Annotated[Principal, Depends(require_roles(Role.MERCHANT, Role.OPERATOR, Role.AUDITOR))]
MerchantId = Annotated[
    str,
    Path(
        description="The merchant (a merchant may only give its own). Unit: identifier.",
        pattern=IDENT_PATTERN,
        examples=["m_epicerie_nord"],
    ),
]


@router.post(
    "/merchants/{merchant_id}/approve",
    summary="Approve a merchant",
    response_model=MerchantRecorded,
    tags=["committee"],
    responses=problem_responses(409, 422),
)
def approve(
    merchant_id: MerchantId,
    request: ApproveRequest,
    key: IdempotencyKey,
    session: SessionDep,
    principal: CommitteeDep,
) -> MerchantRecorded:
    """Approve (or re-approve, lifting a suspension) a merchant for product categories, each
    with the share of the price paid from credit."""
    result = merchants.approve_merchant(
        session,
        merchant_id,
        request.categories,
        request.valid_from,
        request.valid_until,
        **writes(principal, key),
    )
    return MerchantRecorded.model_validate(result)


@router.post(
    "/merchants/{merchant_id}/suspend",
    summary="Suspend a merchant",
    response_model=MerchantRecorded,
    tags=["committee"],
    responses=problem_responses(404, 409, 422),
)
def suspend(
    merchant_id: MerchantId,
    request: SuspendRequest,
    key: IdempotencyKey,
    session: SessionDep,
    principal: CommitteeDep,
) -> MerchantRecorded:
    """From `from_on`, every charge by the merchant is refused (409 merchant-suspended)."""
    result = merchants.suspend_merchant(
        session, merchant_id, request.reason, request.from_on, **writes(principal, key)
    )
    return MerchantRecorded.model_validate(result)


_charge_out = TypeAdapter(ChargeOut)
_key = re.compile(KEY_PATTERN)


async def lean_charge(http: Request) -> Response | None:
    """The charge's lean handler (app.api.lean_route): a plainly valid charge by a merchant
    is recorded here; anything else is None, answered by the route's framework handler."""
    checked = checked_body(http.scope)
    key = header(http, b"idempotency-key")
    if checked is None or key is None or checked.document is NOT_JSON:
        return None
    media_type = (header(http, b"content-type") or "").partition(";")[0].strip().lower()
    shortest, longest = KEY_LENGTHS
    if media_type != "application/json" or not shortest <= len(key) <= longest:
        return None
    if _key.fullmatch(key) is None:
        return None
    try:
        request = ChargeRequest.model_validate(checked.document)
    except ValueError:  # pydantic's errors are ValueErrors: the framework explains them
        return None
    caller = await principal(http)
    if caller is None or caller.role is not Role.MERCHANT:
        return None
    return json_response(_charge_out, await record_charge(request, key, caller, group_writer(http)))


@lean_route(
    router,
    "POST",
    "/merchant/charges",
    lean_charge,
    summary="Charge a member's credit",
    response_model=ChargeOut,
    tags=["merchant"],
    responses=problem_responses(404, 409, 422),
)
async def charge(
    request: ChargeRequest, key: IdempotencyKey, principal: MerchantDep, http: Request
) -> ChargeOut:
    """Take the purchase from the member's credit at the category's rate (oldest credit
    first); the member pays the rest. When the credit cannot pay all the rate allows, it pays
    what the member holds and the member pays the rest (`split`, on by default); the answer
    gives both parts and the credit left. 403 when the consent code does not match (nothing is
    charged); 409 `insufficient-credit` (with `available_cents`: no credit at all, or `split`
    false and too little), `merchant-suspended`,
    `consent-locked` (from the third wrong code in a row for this member, this merchant waits
    30 s, then 60 s, 120 s... at most an hour, until `locked_until`; the member's other
    merchants are not slowed), or a closed month. A retry with the same key returns the original
    charge."""
    return await record_charge(request, key, principal, group_writer(http))


async def record_charge(
    request: ChargeRequest, key: str, principal: Principal, writer: ChargeWriter
) -> ChargeOut:
    """The charge endpoint's work, the same for its lean handler and the framework's."""
    day = today()
    if request.on is not None:
        merchants.check_sale_day(request.on, day)
    command = merchants.purchase_command(
        request.purchase_id,
        request.household_id,
        principal.merchant_id or "",
        request.category,
        request.amount_cents,
        request.on or day,
        split=request.split,
    )
    recorded = writes(principal, key)
    charge_ = Charge(
        prepare(command),
        recorded["actor"],
        recorded["idempotency_key"],
        recorded["now"],
        request.consent_code,
    )
    # Charges arriving together are written in one transaction (app.services.writes.group_commit).
    result = await writer.record(charge_)
    return ChargeOut.model_validate({**result, "credit_left_cents": result["available_cents"]})


@router.post(
    "/merchant/refunds",
    summary="Refund one of your sales",
    response_model=RefundOut,
    tags=["merchant"],
    responses=problem_responses(404, 409, 422),
)
def refund(
    request: RefundRequest, key: IdempotencyKey, session: SessionDep, principal: MerchantDep
) -> RefundOut:
    """Give credit back for (part of) one of your sales' credit part; the answer says the
    member's own part you give back in cash with it (`member_due_cents`). Another merchant's
    sale is 404. 409 when more than what is left is refunded or the refund id is reused."""
    # Purchase ids are the merchant's own: only the token's merchant's purchase of that id
    # is looked for, so another merchant's reads exactly as an unknown one.
    merchant_id = principal.merchant_id
    if merchant_id is None or not views.purchase_exists(
        session, merchant_id, request.purchase_id
    ):
        raise not_found("purchase", request.purchase_id)
    day = today()
    if request.on is not None:
        merchants.check_sale_day(request.on, day)
    result = merchants.refund(
        session,
        request.refund_id,
        merchant_id,
        request.purchase_id,
        request.amount_cents,
        request.on or day,
        **writes(principal, key),
    )
    return RefundOut.model_validate(result)


@router.get(
    "/merchants/{merchant_id}/sales",
    summary="A merchant's sales",
    response_model=SalesOut,
    tags=["merchant", "operator", "auditor"],
    responses=problem_responses(404, 422),
)
def sales(
    merchant_id: MerchantId,
    session: SessionDep,
    principal: Reader,
    limit: Annotated[
        int,
        Query(description="At most this many sales. Unit: count.", ge=1, le=1000, examples=[200]),
    ] = 200,
) -> SalesOut:
    """Sales (newest first) with their credit part and refunds, and what the fund owes."""
    ensure_owner(principal, merchant_id=merchant_id)
    return SalesOut.model_validate(views.merchant_sales(session, merchant_id, limit))


@router.get(
    "/merchants/{merchant_id}/settlements",
    summary="A merchant's settlements",
    response_model=SettlementsOut,
    tags=["merchant", "operator", "auditor"],
    responses=problem_responses(404, 422),
)
def settlements(merchant_id: MerchantId, session: SessionDep, principal: Reader) -> SettlementsOut:
    """Every payment of the fund to the merchant, newest first."""
    ensure_owner(principal, merchant_id=merchant_id)
    lines = views.merchant_settlements(session, merchant_id)
    return SettlementsOut.model_validate({"merchant_id": merchant_id, "settlements": lines})


@router.post(
    "/settlements",
    summary="Settle merchants",
    response_model=SettleOut,
    tags=["operator"],
    responses=problem_responses(404, 409, 422),
)
def settle(
    request: SettleRequest, key: IdempotencyKey, session: SessionDep, principal: OperatorDep
) -> SettleOut:
    """Pay merchants what the fund owes them, in one bank batch. 409 when an amount is more
    than the merchant is owed (each such line named) or the month is closed."""
    amounts = {item.merchant_id: item.amount_cents for item in request.merchants}
    if len(amounts) != len(request.merchants):
        raise invalid("body.merchants", "a merchant appears twice in the batch")
    result = money.settle_merchants(
        session, request.batch_id, request.reference, request.on, amounts, **writes(principal, key)
    )
    return SettleOut.model_validate(result)
