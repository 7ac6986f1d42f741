"""Money in and out: contribution payments, funding, merchant settlements, reversals.

References and reasons are free text (a bank reference may carry a payer's name): the
journal gets their salted commitments, the texts go to erasable storage in the command's
transaction (app.services.free_text)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from app.engine.books.commands import Command
from app.services import free_text
from app.services.writes.execute import Db, execute


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
    sealed = free_text.seal(db, idempotency_key, {"reference": reference})
    payload = {
        "household_id": household_id,
        "amount_cents": amount_cents,
        "method": method,
        "reference": sealed.commitments["reference"],
        "received_on": received_on.isoformat(),
    }
    command = Command("record_payment", payload)
    return execute(db, command, actor, idempotency_key, now, side=sealed.keep)


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
    sealed = free_text.seal(db, idempotency_key, {"reference": reference})
    payload: dict[str, Any] = {
        "funder_id": funder_id,
        "kind": kind,
        "amount_cents": amount_cents,
        "reference": sealed.commitments["reference"],
        "received_on": received_on.isoformat(),
        "dedicated": dedicated,
    }
    if status is not None:
        payload["status"] = status
    command = Command("record_funding", payload)
    return execute(db, command, actor, idempotency_key, now, side=sealed.keep)


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
    sealed = free_text.seal(db, idempotency_key, {"reference": reference})
    payload = {
        "batch_id": batch_id,
        "reference": sealed.commitments["reference"],
        "on": on.isoformat(),
        "merchants": merchants,
    }
    command = Command("settle_merchants", payload)
    return execute(db, command, actor, idempotency_key, now, side=sealed.keep)


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
    sealed = free_text.seal(db, idempotency_key, {"reason": reason})
    payload = {"entry_id": entry_id, "reason": sealed.commitments["reason"], "period": period}
    command = Command("reverse_entry", payload)
    return execute(db, command, actor, idempotency_key, now, side=sealed.keep)
