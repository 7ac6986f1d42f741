"""Households as the API and the office read them: one lookup (``household_row``, 404 when
unknown), the list, the facts, a member's profile and their data export. Nothing here writes.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.db import tables as t
from app.engine.period import Period
from app.services import errors as svc


def household_row(session: Session, household_id: str) -> t.Household:
    row = session.get(t.Household, household_id)
    if row is None:
        raise svc.not_found("household", household_id)
    return row


def list_households(session: Session, after: str, limit: int) -> list[dict[str, Any]]:
    """Households by id after ``after`` (at most ``limit``), with their holder's name."""
    rows = session.execute(
        select(t.Household, t.MemberIdentity)
        .outerjoin(
            t.MemberIdentity,
            col(t.MemberIdentity.household_id) == col(t.Household.household_id),
        )
        .where(col(t.Household.household_id) > after)
        .order_by(col(t.Household.household_id))
        .limit(limit)
    ).all()
    return [
        {
            "household_id": h.household_id,
            "from_period": h.from_period,
            "erased": bool(h.erased),
            "full_name": None if identity is None else identity.full_name,
            "last_seq": int(h.last_seq),
        }
        for h, identity in rows
    ]


def facts_rows(session: Session, household_id: str) -> list[t.HouseholdFacts]:
    return list(
        session.execute(
            select(t.HouseholdFacts)
            .where(col(t.HouseholdFacts.household_id) == household_id)
            .order_by(col(t.HouseholdFacts.from_period), col(t.HouseholdFacts.seq))
        ).scalars()
    )


def facts_dict(row: t.HouseholdFacts) -> dict[str, Any]:
    return {
        "from_period": row.from_period,
        "seq": int(row.seq),
        "income_cents": row.income_cents,
        "chosen_contribution_cents": row.chosen_contribution_cents,
        "persons": [{"birth_on": day} for day in json.loads(row.persons)],
        "engagement_minutes": row.engagement_minutes,
        "attributes": json.loads(row.attributes),
        "active_from": row.active_from,
        "active_until": row.active_until,
        "priority_tier": row.priority_tier,
    }


def identity(session: Session, household_id: str) -> dict[str, Any] | None:
    row = session.get(t.MemberIdentity, household_id)
    if row is None:
        return None
    return {
        "full_name": row.full_name,
        "email": row.email,
        "phone": row.phone,
        "address": row.address,
    }


def profile(session: Session, household_id: str, period: Period) -> dict[str, Any]:
    """The household's identity and the facts in force for ``period`` (latest not after)."""
    household = household_row(session, household_id)
    rows = [r for r in facts_rows(session, household_id) if r.from_period <= str(period)]
    return {
        "household_id": household_id,
        "member_since": household.from_period,
        "erased": bool(household.erased),
        "identity": identity(session, household_id),
        "facts": facts_dict(rows[-1]) if rows and not household.erased else None,
    }
