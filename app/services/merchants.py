"""Merchants and spending: approve / suspend, purchase (with the member's consent code),
refund. A purchase can never overdraw: the books core refuses it (``InsufficientCredit``)
under the writer lock, and on PostgreSQL the wallet's rows are also read ``FOR UPDATE``.
A purchase goes the one purchase path (app.services.writes.group_commit), the API's. The member's
consent code is checked first, under the writer lock (app.services.consent): a wrong code
is refused (403) and counted per household and merchant (the count is committed, nothing
else is); after a few, that merchant waits a growing delay before trying that household
again (409 ``consent-locked``), the member's other merchants are not slowed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from app.engine.books.commands import Command
from app.engine.period import Period
from app.services import errors as svc
from app.services import free_text
from app.services.writes.execute import Db, execute, prepare
from app.services.writes.group_commit import Charge, record_one


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
    """Suspend the merchant from ``from_on``; the reason is free text, kept out of the
    journal (its commitment only: app.services.free_text)."""
    sealed = free_text.seal(db, idempotency_key, {"reason": reason})
    payload = {
        "merchant_id": merchant_id,
        "reason": sealed.commitments["reason"],
        "from_on": from_on.isoformat(),
    }
    command = Command("suspend_merchant", payload)
    return execute(db, command, actor, idempotency_key, now, side=sealed.keep)


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
    split: bool = False,
    whole_basket: bool = False,
) -> dict[str, Any]:
    """Charge the member's credit at the category's rate; the member pays the rest.

    The purchase path the API takes (app.services.writes.group_commit), as a group of one: the
    consent code is checked under the writer lock, a wrong one counted and committed."""
    command = purchase_command(
        purchase_id,
        household_id,
        merchant_id,
        category,
        amount_cents,
        on,
        split=split,
        whole_basket=whole_basket,
    )
    charge = Charge(prepare(command), actor, idempotency_key, now, consent_code)
    return record_one(db, charge)


# ``today`` is the fund's local date (app.api.hot_reads.today); a day of slack keeps a till
# whose clock or time zone runs ahead of the server's from refusing its own sales.
SALE_DAY_AHEAD = timedelta(days=1)


def check_sale_day(on: date, today: date) -> None:
    """A sale is dated on or before the day it is recorded (issue 10: purchases are dated within
    the open window; a closed month refuses it in the books, and a purchase never spends credit
    granted after its date). ``InvalidRequest`` naming ``on`` for a later day."""
    if on > today + SALE_DAY_AHEAD:
        raise svc.invalid(
            "on",
            f"{on.isoformat()} is after today ({today.isoformat()}); a sale is dated on or"
            " before the day it is recorded",
        )


def purchase_command(
    purchase_id: str,
    household_id: str,
    merchant_id: str,
    category: str,
    amount_cents: int,
    on: date,
    *,
    split: bool = False,
    whole_basket: bool = False,
) -> Command:
    """The ``purchase`` command (its month is the day's). ``split``: a basket larger than
    the member's credit is not refused; the credit pays what the member holds and the member
    pays the rest (app.engine.books.apply_purchase). ``whole_basket`` (with ``split``, the
    till's lines): a line the credit pays nothing of is recorded too, with credit 0."""
    payload = {
        "purchase_id": purchase_id,
        "household_id": household_id,
        "merchant_id": merchant_id,
        "category": category,
        "amount_cents": amount_cents,
        "on": on.isoformat(),
        "period": str(Period(on.year, on.month)),
    }
    if split:
        payload["split"] = True
    if whole_basket:
        payload["whole_basket"] = True
    return Command("purchase", payload)


def refund(
    db: Db,
    refund_id: str,
    merchant_id: str,
    purchase_id: str,
    amount_cents: int,
    on: date,
    *,
    actor: str,
    idempotency_key: str,
    now: datetime,
) -> dict[str, Any]:
    """Give credit back for (part of) a purchase's credit part. The purchase is
    ``merchant_id``'s ``purchase_id`` (ids are unique per merchant): another merchant's
    purchase of that id is not found, exactly as an unknown id."""
    payload = {
        "refund_id": refund_id,
        "merchant_id": merchant_id,
        "purchase_id": purchase_id,
        "amount_cents": amount_cents,
        "on": on.isoformat(),
    }
    return execute(db, Command("refund", payload), actor, idempotency_key, now)
