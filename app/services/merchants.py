"""Merchants and spending: approve / suspend, purchase (with the member's consent code),
refund. A purchase can never overdraw: the books core refuses it (``InsufficientCredit``)
under the writer lock, and on PostgreSQL the wallet's rows are also read ``FOR UPDATE``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from app.db import tables as t
from app.engine.books.commands import Command
from app.engine.period import Period
from app.engine.problems import Problem
from app.services import errors as svc
from app.services.execute import Db, execute, run_in
from app.services.households import consent_code_matches


def approve_merchant(
    db: Db,
    merchant_id: str,
    categories: Mapping[str, str],
    valid_from: date,
    valid_until: date | None = None,
    *,
    actor: str,
    idempotency_key: str,
    now: datetime,
) -> dict[str, Any]:
    """Approve (or re-approve) a merchant: rate per product category as decimal strings."""
    payload = {
        "merchant_id": merchant_id,
        "categories": dict(categories),
        "valid_from": valid_from.isoformat(),
        "valid_until": None if valid_until is None else valid_until.isoformat(),
    }
    return execute(db, Command("approve_merchant", payload), actor, idempotency_key, now)


def suspend_merchant(
    db: Db,
    merchant_id: str,
    reason: str,
    from_on: date,
    *,
    actor: str,
    idempotency_key: str,
    now: datetime,
) -> dict[str, Any]:
    payload = {"merchant_id": merchant_id, "reason": reason, "from_on": from_on.isoformat()}
    return execute(db, Command("suspend_merchant", payload), actor, idempotency_key, now)


def _check_consent(db: Db, household_id: str, consent_code: str) -> None:
    def stored(session: Session) -> str | None:
        row = session.get(t.Household, household_id)
        return None if row is None else row.consent_code_hash

    if not consent_code_matches(run_in(db, stored), consent_code):
        raise svc.Forbidden(
            (Problem("consent_code", "the member's consent code does not match"),),
            "The member's consent code does not match; nothing was charged.",
        )


def purchase(
    db: Db,
    purchase_id: str,
    household_id: str,
    merchant_id: str,
    category: str,
    amount_cents: int,
    on: date,
    consent_code: str,
    *,
    actor: str,
    idempotency_key: str,
    now: datetime,
) -> dict[str, Any]:
    """Charge the member's credit at the category's rate; the member pays the rest."""
    _check_consent(db, household_id, consent_code)
    payload = {
        "purchase_id": purchase_id,
        "household_id": household_id,
        "merchant_id": merchant_id,
        "category": category,
        "amount_cents": amount_cents,
        "on": on.isoformat(),
        "period": str(Period(on.year, on.month)),
    }
    return execute(db, Command("purchase", payload), actor, idempotency_key, now)


def refund(
    db: Db,
    refund_id: str,
    purchase_id: str,
    amount_cents: int,
    on: date,
    *,
    actor: str,
    idempotency_key: str,
    now: datetime,
) -> dict[str, Any]:
    """Give credit back for (part of) a purchase's credit part."""
    payload = {
        "refund_id": refund_id,
        "purchase_id": purchase_id,
        "amount_cents": amount_cents,
        "on": on.isoformat(),
    }
    return execute(db, Command("refund", payload), actor, idempotency_key, now)
