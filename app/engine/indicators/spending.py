"""Where the credit is spent: by merchant category, by merchant kind (producer, shop,
épicerie solidaire, market), the share spent with producers, and merchant concentration.

Concentration is over merchants (never named): ``top3_share`` = spend at the three largest
merchants ÷ all spend, and ``hhi`` = Σ (merchant's share)², exact (1 = one merchant takes
everything, 1/n = n equal merchants). Each cell counts the distinct households that spent in
it, so a category or kind used by few households is suppressed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction

from app.engine.indicators.cells import ALL, RATIO, Tally, amount, ratio
from app.engine.indicators.inputs import MonthBooks, SpendLine

BY_CATEGORY = "spend_by_category_cents"
BY_KIND = "spend_by_kind_cents"
KIND_SHARE = "spend_by_kind_share"
PRODUCER_SHARE = "producer_share"
TOP3_SHARE = "merchant_top3_share"
HHI = "merchant_hhi"
PRODUCER = "producer"


def month_tallies(month: MonthBooks) -> list[Tally]:
    lines = month.spending
    total = sum(line.amount_cents for line in lines)
    tallies: list[Tally] = []
    by_category = _grouped(lines, lambda line: "category:" + line.category)
    for group, (cents, who) in sorted(by_category.items()):
        tallies.append(amount(BY_CATEGORY, group, cents, who))
    by_kind = _grouped(lines, lambda line: "kind:" + month.kind_of(line.merchant_id))
    for group, (cents, who) in sorted(by_kind.items()):
        tallies.append(amount(BY_KIND, group, cents, who))
        tallies.append(ratio(KIND_SHARE, group, cents, total, who))
    # Grouped under kind:producer, so it shares that cell's fate (suppression rule 2).
    producer, producers = by_kind.get("kind:" + PRODUCER, (0, frozenset()))
    tallies.append(ratio(PRODUCER_SHARE, "kind:" + PRODUCER, producer, total, producers))
    return tallies


def _grouped(
    lines: Sequence[SpendLine], key: Callable[[SpendLine], str]
) -> dict[str, tuple[int, frozenset[str]]]:
    cents: dict[str, int] = {}
    who: dict[str, set[str]] = {}
    for line in lines:
        group = key(line)
        cents[group] = cents.get(group, 0) + line.amount_cents
        who.setdefault(group, set()).add(line.household_id)
    return {group: (cents[group], frozenset(who[group])) for group in cents}


def concentration(months: Sequence[MonthBooks]) -> list[Tally]:
    """Top-3 share and HHI over ``months`` (not additive: computed on the period's totals)."""
    by_merchant: dict[str, int] = {}
    spenders: set[str] = set()
    for month in months:
        for line in month.spending:
            by_merchant[line.merchant_id] = by_merchant.get(line.merchant_id, 0) + line.amount_cents
            spenders.add(line.household_id)
    total = sum(by_merchant.values())
    who = frozenset(spenders)
    if total <= 0:
        return [ratio(TOP3_SHARE, ALL, 0, 0, who), ratio(HHI, ALL, 0, 0, who)]
    top3 = sum(sorted(by_merchant.values(), reverse=True)[:3])
    hhi = sum((Fraction(c, total) ** 2 for c in by_merchant.values()), Fraction(0))
    return [
        ratio(TOP3_SHARE, ALL, top3, total, who),
        Tally(HHI, ALL, RATIO, hhi.numerator, hhi.denominator, who),
    ]
