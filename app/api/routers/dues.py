"""What a household owes, month by month: the contributions its runs called for, settled
oldest first by its payments (``app.services.arrears``, read from the books). A member sees
only its own household (another's is 404); operators and auditors read any household."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from app.api.deps import SessionDep, ensure_owner
from app.api.routers.common import today
from app.api.routers.members import NOT_VISIBLE, HouseholdId, Reader
from app.api.routing import api_router
from app.api.rules_ops import parse_period
from app.api.schemas.dues import DuesOut
from app.api.schemas.fields import PERIOD_PATTERN
from app.services import arrears

router = api_router(prefix="/members/{household_id}", tags=["member", "operator", "auditor"])


@router.get(
    "/dues",
    summary="What the household owes, by month",
    response_model=DuesOut,
    responses=NOT_VISIBLE,
)
def dues(
    household_id: HouseholdId,
    session: SessionDep,
    principal: Reader,
    period: Annotated[
        str | None,
        Query(
            description='The month to read for, "YYYY-MM" (default: this month, UTC): earlier'
            " months with something outstanding are arrears. Unit: month.",
            pattern=PERIOD_PATTERN,
        ),
    ] = None,
) -> DuesOut:
    """Each month's contribution, what payments settled (oldest month first), what is still
    owed, what was paid ahead, the months in arrears and the arrears policy in force."""
    ensure_owner(principal, household_id=household_id)
    now = today()
    month = parse_period(period or f"{now.year:04d}-{now.month:02d}", "query.period")
    return DuesOut.model_validate(arrears.owed_by_month(session, household_id, month))
