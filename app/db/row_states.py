"""Engine states read from the registry tables' rows: ``household``, ``credit_lot``,
``merchant``, ``purchase`` and ``month`` (the inverse of app.ledger.registry's writes).

One reading for everyone: the books' SQL view (app.ledger.view) reads its rows with these,
and the verifier (app.audit.verify.tables) compares the stored rows, read with these, with
the replayed states. A row may be an ORM object or a plain row.
"""

from __future__ import annotations

import json
from datetime import date
from functools import lru_cache
from typing import Any

from app.engine.books.state import CreditLot, HouseholdState, MerchantState, PurchaseState
from app.engine.period import Period
from app.engine.rules.policies import UnspentCreditPolicy

# A book holds few distinct months and many rows naming them (a year of a 100,000-household
# fund: a million credit lots over twelve months): each text is parsed once. ``Period`` is
# immutable, so rows share the one value.
_parse_period = lru_cache(maxsize=4096)(Period.parse)


def _period(text: str | None) -> Period | None:
    return None if text is None else _parse_period(text)


def _date(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def household_state(row: Any) -> HouseholdState:
    """From a ``household`` row (ORM object or plain row; so are the ones below)."""
    return HouseholdState(
        row.household_id, Period.parse(row.from_period), row.facts_commitment, row.erased
    )


def lot_state(row: Any) -> CreditLot:
    return CreditLot(
        row.lot_id,
        row.household_id,
        _parse_period(row.period),
        _period(row.expires_period),
        int(row.remaining_cents),
    )


def merchant_state(row: Any) -> MerchantState:
    rates = json.loads(row.categories)
    return MerchantState(
        row.merchant_id,
        tuple(sorted((str(k), str(v)) for k, v in rates.items())),
        date.fromisoformat(row.valid_from),
        _date(row.valid_until),
        _date(row.suspended_from),
        row.suspension_reason,
    )


def purchase_state(row: Any) -> PurchaseState:
    return PurchaseState(
        row.purchase_id,
        row.household_id,
        row.merchant_id,
        row.category,
        Period.parse(row.period),
        int(row.amount_cents),
        int(row.credit_cents),
        int(row.refunded_cents),
        _period(row.lots_expire),
        tuple(json.loads(row.refund_ids)),
    )


def unspent_policy(row: Any) -> UnspentCreditPolicy | None:
    if row.unspent_policy is None:
        return None
    return UnspentCreditPolicy(row.unspent_policy, row.unspent_after_months, row.unspent_cap_cents)
