"""How the credit is used: spent, expired or carried over, and how much rationing cut.

Over a period, the credit AVAILABLE is what members held at its start plus what was granted
during it; of that, ``credit_spent_share`` went to merchants (net of refunds),
``credit_expired_share`` expired back to the fund and ``credit_carried_share`` was still held
at the period's end (the three add up to one when the books balance, as they must).
``rationing_rate`` = (entitled − granted) ÷ entitled over the months that were run.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.engine.indicators.cells import ALL, Tally, amount, ratio
from app.engine.indicators.inputs import MonthBooks
from app.engine.indicators.population import Population
from app.engine.indicators.spending import SpendSummary

CREDIT_GRANTED = "credit_granted_cents"
CREDIT_SPENT = "credit_spent_cents"
CREDIT_EXPIRED = "credit_expired_cents"
CONTRIBUTIONS_DUE = "contributions_due_cents"
CONTRIBUTIONS_RECEIVED = "contributions_received_cents"
RATIONING_RATE = "rationing_rate"
SHARES = ("credit_spent_share", "credit_expired_share", "credit_carried_share")


def month_tallies(month: MonthBooks, spend: SpendSummary, pop: Population) -> list[Tally]:
    active = month.active
    ids = pop.month_mask(month, "active")
    payers = pop.month_mask(month, "payers")
    granted = sum(active.credit_cents)
    entitled = granted if month.entitlement_cents is None else month.entitlement_cents
    return [
        amount(CREDIT_GRANTED, ALL, granted, ids),
        amount(CREDIT_SPENT, ALL, spend.total_cents, spend.spenders),
        amount(CREDIT_EXPIRED, ALL, month.expired_cents, pop.month_mask(month, "expiring")),
        amount(CONTRIBUTIONS_DUE, ALL, sum(active.contribution_due_cents), ids),
        amount(CONTRIBUTIONS_RECEIVED, ALL, sum(month.households.contribution_paid_cents), payers),
        ratio(RATIONING_RATE, ALL, entitled - granted, entitled, ids),
    ]


def stock_tallies(
    months: Sequence[MonthBooks], spends: Sequence[SpendSummary], pop: Population
) -> list[Tally]:
    """Shares of the credit available over ``months`` (consecutive, in order). Each share is
    built from the households that spent or whose credit expired: with the credit granted
    (published) any one share gives the others away, so they are suppressed together
    (``suppression.LINKED``)."""
    granted = sum(sum(m.active.credit_cents) for m in months)
    available = months[0].opening_credit_cents + granted
    spent = sum(spend.total_cents for spend in spends)
    expired = sum(m.expired_cents for m in months)
    who = 0
    for month in months:
        who |= pop.month_mask(month, "expiring")
    for spend in spends:
        who |= spend.spenders
    parts = (spent, expired, months[-1].closing_credit_cents)
    return [
        ratio(name, ALL, part, available, who) for name, part in zip(SHARES, parts, strict=True)
    ]
