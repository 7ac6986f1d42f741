"""A member's own data, all of it, as the API hands it to them: identity, facts, balance,
history and every statement. Nothing here writes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.db import tables as t
from app.services.views.credit import balances
from app.services.views.households import facts_dict, facts_rows, household_row, identity
from app.services.views.statements import history, statement


def member_export(session: Session, household_id: str) -> dict[str, Any]:
    """Everything the fund holds about one household (identity, facts, books, statements)."""
    household = household_row(session, household_id)
    credited = session.execute(
        select(col(t.MonthCredit.period))
        .where(col(t.MonthCredit.household_id) == household_id)
        .order_by(col(t.MonthCredit.period))
    ).scalars()
    return {
        "format": "caisse.member-export/1",
        "household_id": household_id,
        "member_since": household.from_period,
        "erased": bool(household.erased),
        "identity": identity(session, household_id),
        "facts": []
        if household.erased
        else [facts_dict(r) for r in facts_rows(session, household_id)],
        "balance": balances(session, household_id),
        "history": history(session, household_id, limit=100_000),
        "statements": [statement(session, household_id, p) for p in credited],
    }
