"""How the fund pays for itself: self-financing, the funding mix, the reserve and its runway.

- ``self_financing``: contributions RECEIVED ÷ credit granted (exact); ``self_financing_due``
  uses the contributions due instead (what the rules asked for);
- ``funding_cents`` by ``source:contributions|subsidy|donation|top_up`` and its share of all
  money received (``funding_share``); subsidies and top-ups also ``by funder`` (public bodies
  and partners). Donations are NOT broken down by donor: a donor may be a person;
- ``reserve_cents``: the bank at the end of the period; ``runway_months``: how many months
  of credit it covers at the recent pace (mean credit granted over the last three months,
  ending with the period's last month). Stocks, not sums: they are taken at the period's end.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from app.engine.indicators.cells import ALL, MONTHS, Tally, amount, ratio
from app.engine.indicators.inputs import FUNDING_SOURCES, MonthBooks
from app.engine.indicators.population import Population

SELF_FINANCING = "self_financing"
SELF_FINANCING_DUE = "self_financing_due"
FUNDING = "funding_cents"
FUNDING_SHARE = "funding_share"
FUNDING_BY_FUNDER = "funding_by_funder_cents"
RESERVE = "reserve_cents"
RUNWAY = "runway_months"
BY_FUNDER_SOURCES = ("subsidy", "top_up")


def month_tallies(month: MonthBooks, pop: Population) -> list[Tally]:
    active = month.active
    ids = pop.month_mask(month, "active")
    payers = pop.month_mask(month, "payers")
    received = sum(month.households.contribution_paid_cents)
    granted = sum(active.credit_cents)
    due = sum(active.contribution_due_cents)
    sources = {"contributions": received} | dict.fromkeys(FUNDING_SOURCES, 0)
    for line in month.fundings:
        sources[line.source] += line.amount_cents
    total = sum(sources.values())
    tallies = [
        ratio(SELF_FINANCING, ALL, received, granted, ids | payers),
        ratio(SELF_FINANCING_DUE, ALL, due, granted, ids),
    ]
    for source, cents in sources.items():
        who = payers if source == "contributions" else None
        tallies.append(amount(FUNDING, "source:" + source, cents, who))
        tallies.append(ratio(FUNDING_SHARE, "source:" + source, cents, total, who))
    tallies += _by_funder(month)
    return tallies


def _by_funder(month: MonthBooks) -> list[Tally]:
    found: dict[str, int] = {}
    for line in month.fundings:
        if line.source in BY_FUNDER_SOURCES:
            key = f"{line.source}:{line.funder_id}"
            found[key] = found.get(key, 0) + line.amount_cents
    return [amount(FUNDING_BY_FUNDER, key, cents, None) for key, cents in sorted(found.items())]


def stock_tallies(months: Sequence[MonthBooks]) -> list[Tally]:
    """Reserve and runway at the end of ``months`` (the last one's figures)."""
    last = months[-1]
    recent = last.recent_credit_cents or (0,)
    # runway = reserve ÷ (sum of recent credit ÷ months) = reserve × months ÷ sum.
    pace = Fraction(sum(recent), len(recent))
    runway = Tally(RUNWAY, ALL, MONTHS, 0, 0, None)
    if pace > 0:
        exact = Fraction(last.reserve_cents) / pace
        runway = Tally(RUNWAY, ALL, MONTHS, exact.numerator, exact.denominator, None)
    return [amount(RESERVE, ALL, last.reserve_cents, None), runway]
