"""Money in and out: contribution payments, funding, merchant settlements, reversals."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from app.engine.books.commands import Command
from app.services.execute import Db, execute


def record_payment(
    db: Db,
    household_id: str,
    amount_cents: int,
    method: str,
    reference: str,
    received_on: date,
    *,
    actor: str,
    idempotency_key: str,
    now: datetime,
) -> dict[str, Any]:
    """A member's contribution received (method: cash, transfer or direct_debit)."""
    payload = {
        "household_id": household_id,
        "amount_cents": amount_cents,
        "method": method,
        "reference": reference,
        "received_on": received_on.isoformat(),
    }
    return execute(db, Command("record_payment", payload), actor, idempotency_key, now)


def record_funding(
    db: Db,
    funder_id: str,
    kind: str,
    amount_cents: int,
    reference: str,
    received_on: date,
    *,
    dedicated: bool = False,
    status: str | None = None,
    actor: str,
    idempotency_key: str,
    now: datetime,
) -> dict[str, Any]:
    """A subsidy, donation or third-party top-up from ``funder_id``; ``status="awarded"``
    books a subsidy granted but not yet paid (a receivable)."""
    payload: dict[str, Any] = {
        "funder_id": funder_id,
        "kind": kind,
        "amount_cents": amount_cents,
        "reference": reference,
        "received_on": received_on.isoformat(),
        "dedicated": dedicated,
    }
    if status is not None:
        payload["status"] = status
    return execute(db, Command("record_funding", payload), actor, idempotency_key, now)


def settle_merchants(
    db: Db,
    batch_id: str,
    reference: str,
    on: date,
    amounts_cents: Mapping[str, int],
    *,
    actor: str,
    idempotency_key: str,
    now: datetime,
) -> dict[str, Any]:
    """Pay merchants what they are owed, in one batch with its own reference."""
    merchants = [
        {"merchant_id": m, "amount_cents": amounts_cents[m]} for m in sorted(amounts_cents)
    ]
    payload = {
        "batch_id": batch_id,
        "reference": reference,
        "on": on.isoformat(),
        "merchants": merchants,
    }
    return execute(db, Command("settle_merchants", payload), actor, idempotency_key, now)


def reverse_entry(
    db: Db,
    entry_id: str,
    reason: str,
    period: str,
    *,
    actor: str,
    idempotency_key: str,
    now: datetime,
) -> dict[str, Any]:
    """Reverse an entry in the open month ``period`` (a new entry pointing at the old one)."""
    payload = {"entry_id": entry_id, "reason": reason, "period": period}
    return execute(db, Command("reverse_entry", payload), actor, idempotency_key, now)
