"""Months (operator): preview, run, status and totals, expire, close, seal, checkpoint.

Every write goes through ``app.services.month_desk``, the pages' and the command line's
path too: months close and seal in order and only after their run, a run that would ration
needs ``confirm_rationing``, and a close expires the credit due first."""

from __future__ import annotations

from typing import Annotated

from fastapi import Body, Depends, Path

from app.api.deps import IdempotencyKey, OperatorDep, Principal, Role, SessionDep, require_roles
from app.api.errors import problem_responses
from app.api.routers.common import today, writes
from app.api.routing import api_router
from app.api.rules_ops import parse_period
from app.api.schemas.fields import PERIOD_PATTERN
from app.api.schemas.months import (
    CheckpointOut,
    ExpireRequest,
    MonthClosed,
    MonthExpired,
    MonthPreview,
    MonthRecorded,
    MonthRun,
    MonthRunRequest,
    MonthStatus,
)
from app.engine.problems import Problem
from app.services import month_desk, months, views
from app.services.errors import IdempotencyConflict

router = api_router(prefix="/months", tags=["operator"])

MonthReader = Annotated[Principal, Depends(require_roles(Role.OPERATOR, Role.AUDITOR))]
PeriodPath = Annotated[
    str,
    Path(
        description='The month, "YYYY-MM". Unit: month.',
        pattern=PERIOD_PATTERN,
        examples=["2027-01"],
    ),
]


@router.get(
    "/{period}/preview",
    summary="Preview a month",
    response_model=MonthPreview,
    responses=problem_responses(409, 422),
)
def preview(period: PeriodPath, session: SessionDep, _: OperatorDep) -> MonthPreview:
    """What running the month would book for every household (status, contribution, credit,
    funder share, problems), and the budget and rationing. Nothing is written. 409 when no
    adopted rule set applies to the month."""
    return MonthPreview.model_validate(months.preview_month(session, period))


@router.post(
    "/{period}/run",
    summary="Run a month",
    response_model=MonthRun,
    responses=problem_responses(409, 422),
)
def run(
    period: PeriodPath,
    key: IdempotencyKey,
    session: SessionDep,
    principal: OperatorDep,
    options: Annotated[MonthRunRequest | None, Body()] = None,
) -> MonthRun:
    """Assess and credit every household not yet credited for the month, exactly once per
    household. A run that would ration (the fund's means below the credits due) is refused
    with 409 ``rationing-not-confirmed`` (its ``percent``, ``credit_cents``,
    ``entitlement_cents`` and ``budget_cents``) unless the body says
    ``{"confirm_rationing": true}``. A retry with the same key returns the original figures
    without crediting anyone new; the same key for another month is 409."""
    month = str(parse_period(period, "path.period"))
    confirm = options is not None and options.confirm_rationing
    result = month_desk.run(session, month, None, confirm_any=confirm, **writes(principal, key))
    return MonthRun.model_validate(result)


@router.get(
    "/{period}",
    summary="Status and totals of a month",
    response_model=MonthStatus,
    tags=["operator", "auditor"],
    responses=problem_responses(422),
)
def status(period: PeriodPath, session: SessionDep, _: MonthReader) -> MonthStatus:
    """open, closed or sealed; households credited; debits booked per entry kind; the seal."""
    month = parse_period(period, "path.period")
    found = views.month_status(session, str(month))
    if found["checkpoint"] is not None:
        found["checkpoint"] = {"period": found["period"], **found["checkpoint"]}
    return MonthStatus.model_validate(found)


@router.post(
    "/{period}/close",
    summary="Close a month",
    response_model=MonthClosed,
    responses=problem_responses(409, 422),
)
def close(
    period: PeriodPath, key: IdempotencyKey, session: SessionDep, principal: OperatorDep
) -> MonthClosed:
    """Expire the credit due at the month's end, then close it: no entry is booked in the
    month afterwards; corrections go into a later month. 409 ``month-never-run`` for a month
    no household was credited for, ``earlier-month-open`` while an earlier run month is
    open."""
    month = str(parse_period(period, "path.period"))
    result = month_desk.close(session, month, **writes(principal, key))
    return MonthClosed.model_validate(result)


@router.post(
    "/{period}/expire",
    summary="Expire the credit due at a month's end",
    response_model=MonthExpired,
    responses=problem_responses(409, 422),
)
def expire_month(
    period: PeriodPath, key: IdempotencyKey, session: SessionDep, principal: OperatorDep
) -> MonthExpired:
    """Expire (or cap) the unspent credit due at the end of the open month, as its rules
    say; nothing is recorded when none is due. Closing the month does it too."""
    month = str(parse_period(period, "path.period"))
    return MonthExpired.model_validate(month_desk.expire(session, month, **writes(principal, key)))


@router.post(
    "/expire",
    summary="Expire the credit due on a day (scheduled)",
    response_model=MonthExpired,
    responses=problem_responses(409, 422),
)
def expire_due(
    key: IdempotencyKey,
    session: SessionDep,
    principal: OperatorDep,
    options: Annotated[ExpireRequest | None, Body()] = None,
) -> MonthExpired:
    """What a scheduler calls (e.g. on the 1st of each month): credit whose last month ended
    before ``as_of`` expires, booked in the month before ``as_of``'s. A month already closed
    expired its credit when it closed (``expired_cents`` 0). Same key, same answer."""
    as_of = options.as_of if options is not None and options.as_of else today()
    done = month_desk.expire_as_of(session, as_of, **writes(principal, key))
    return MonthExpired.model_validate(done)


@router.post(
    "/{period}/seal",
    summary="Seal a closed month",
    response_model=MonthRecorded,
    responses=problem_responses(409, 422),
)
def seal_month(
    period: PeriodPath, key: IdempotencyKey, session: SessionDep, principal: OperatorDep
) -> MonthRecorded:
    """Record the month's checkpoint (journal size, head hash, balances digest, engine
    version, run fingerprint; signed when the server has a key). 409 unless closed."""
    month = str(parse_period(period, "path.period"))
    result = month_desk.seal_month(session, month, **writes(principal, key))
    if result["period"] != month:
        raise IdempotencyConflict(
            (Problem("header.Idempotency-Key", f"key {key!r} sealed {result['period']}"),),
            f"The idempotency key {key!r} was already used to seal {result['period']}.",
        )
    return MonthRecorded.model_validate(result)


@router.get(
    "/{period}/checkpoint",
    summary="A month's checkpoint",
    response_model=CheckpointOut,
    tags=["operator", "auditor"],
    responses=problem_responses(404, 422),
)
def checkpoint(period: PeriodPath, session: SessionDep, _: MonthReader) -> CheckpointOut:
    """The seal of the month; 404 until it is sealed."""
    month = parse_period(period, "path.period")
    return CheckpointOut.model_validate(views.checkpoint(session, month))
