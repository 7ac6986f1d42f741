"""Months (operator): preview, run, status and totals, close, seal, checkpoint."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path

from app.api.deps import IdempotencyKey, OperatorDep, Principal, Role, SessionDep, require_roles
from app.api.errors import problem_responses
from app.api.routers.common import scoped_key, writes
from app.api.routing import api_router
from app.api.rules_ops import parse_period
from app.api.schemas.fields import PERIOD_PATTERN
from app.api.schemas.months import CheckpointOut, MonthPreview, MonthRecorded, MonthRun, MonthStatus
from app.engine.problems import Problem
from app.services import api_reads, months, reads, seal
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
    period: PeriodPath, key: IdempotencyKey, session: SessionDep, principal: OperatorDep
) -> MonthRun:
    """Assess and credit every household not yet credited for the month, exactly once per
    household. A retry with the same key returns the original figures without crediting
    anyone new; the same key for another month is 409."""
    month = parse_period(period, "path.period")
    stored = api_reads.run_retry(session, scoped_key(principal, key), month)
    if stored is not None:
        summary = months.preview_month(session, period)
        return MonthRun.model_validate(summary | stored)
    return MonthRun.model_validate(months.run_month(session, period, **writes(principal, key)))


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
    found = reads.month_status(session, str(month))
    if found["checkpoint"] is not None:
        found["checkpoint"] = {"period": found["period"], **found["checkpoint"]}
    return MonthStatus.model_validate(found)


@router.post(
    "/{period}/close",
    summary="Close a month",
    response_model=MonthRecorded,
    responses=problem_responses(409, 422),
)
def close(
    period: PeriodPath, key: IdempotencyKey, session: SessionDep, principal: OperatorDep
) -> MonthRecorded:
    """No entry is booked in the month afterwards; corrections go into a later month."""
    result = months.close_month(session, period, **writes(principal, key))
    return MonthRecorded.model_validate(result)


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
    result = seal.seal_month(session, period, **writes(principal, key))
    if result["period"] != str(parse_period(period, "path.period")):
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
    return CheckpointOut.model_validate(api_reads.checkpoint(session, month))
