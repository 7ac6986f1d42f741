"""Where the credit is spent: by merchant category, by merchant kind (producer, shop,
épicerie solidaire, market), the share spent with producers, and merchant concentration.

Concentration is over merchants (never named): ``top3_share`` = spend at the three largest
merchants ÷ all spend, and ``hhi`` = Σ (merchant's share)², exact (1 = one merchant takes
everything, 1/n = n equal merchants). Each cell counts the distinct households that spent in
it, so a category or kind used by few households is suppressed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from operator import attrgetter

from app.engine.indicators.cells import ALL, RATIO, Tally, amount, ratio
from app.engine.indicators.inputs import MonthBooks
from app.engine.indicators.population import Population, mark, where

BY_CATEGORY = "spend_by_category_cents"
BY_KIND = "spend_by_kind_cents"
KIND_SHARE = "spend_by_kind_share"
PRODUCER_SHARE = "producer_share"
TOP3_SHARE = "merchant_top3_share"
HHI = "merchant_hhi"
PRODUCER = "producer"
_HOUSEHOLD = attrgetter("household_id")
_PLACE = attrgetter("merchant_id", "category")
_AMOUNT = attrgetter("amount_cents")


@dataclass(frozen=True, slots=True)
class SpendSummary:
    """One month's spending, read in one pass: cents by (merchant, category), the households
    by category and by merchant kind, all spenders, the total."""

    cents: Mapping[tuple[str, str], int]
    by_category: Mapping[str, int]
    by_kind: Mapping[str, int]
    spenders: int
    total_cents: int


def summarise(month: MonthBooks, pop: Population) -> SpendSummary:
    """One pass over the lines: cents by (merchant, category); each line's household is
    looked up in line order (the shell reads them by household) and flagged in its
    category's and its kind's ``flags``, read out as masks at the end."""
    lines = month.spending
    positions = pop.positions_of(map(_HOUSEHOLD, lines))
    cents: dict[tuple[str, str], int] = {}
    where_spent: dict[tuple[str, str], list[int]] = {}
    for key, cents_of_line, position in zip(
        map(_PLACE, lines), map(_AMOUNT, lines), positions, strict=True
    ):
        found = where_spent.get(key)
        if found is None:
            cents[key] = cents_of_line
            where_spent[key] = [position]
        else:
            cents[key] += cents_of_line
            found.append(position)
    category_flags: dict[str, bytearray] = {}
    kind_flags: dict[str, bytearray] = {}
    for (merchant, category), spent_at in where_spent.items():
        for flags in (
            category_flags.setdefault(category, pop.flags()),
            kind_flags.setdefault(month.kind_of(merchant), pop.flags()),
        ):
            mark(flags, spent_at)
    by_category = {category: where(flags, 1) for category, flags in category_flags.items()}
    by_kind = {kind: where(flags, 1) for kind, flags in kind_flags.items()}
    spenders = 0
    for mask in by_category.values():
        spenders |= mask
    return SpendSummary(cents, by_category, by_kind, spenders, sum(cents.values()))


def month_tallies(month: MonthBooks, spend: SpendSummary) -> list[Tally]:
    total = spend.total_cents
    category_cents: dict[str, int] = {}
    kind_cents: dict[str, int] = {}
    for (merchant, category), cents in spend.cents.items():
        category_cents[category] = category_cents.get(category, 0) + cents
        kind = month.kind_of(merchant)
        kind_cents[kind] = kind_cents.get(kind, 0) + cents
    tallies: list[Tally] = []
    for category in sorted(category_cents):
        who = spend.by_category[category]
        tallies.append(amount(BY_CATEGORY, "category:" + category, category_cents[category], who))
    for kind in sorted(kind_cents):
        cents, who = kind_cents[kind], spend.by_kind[kind]
        tallies.append(amount(BY_KIND, "kind:" + kind, cents, who))
        tallies.append(ratio(KIND_SHARE, "kind:" + kind, cents, total, who))
    # Grouped under kind:producer, so it shares that cell's fate (suppression rule 2).
    producer = kind_cents.get(PRODUCER, 0)
    producers = spend.by_kind.get(PRODUCER, 0)
    tallies.append(ratio(PRODUCER_SHARE, "kind:" + PRODUCER, producer, total, producers))
    return tallies


def concentration(spends: Sequence[SpendSummary]) -> list[Tally]:
    """Top-3 share and HHI over the months of ``spends`` (not additive: computed on the
    period's totals by merchant)."""
    by_merchant: dict[str, int] = {}
    for spend in spends:
        for (merchant, _), cents in spend.cents.items():
            by_merchant[merchant] = by_merchant.get(merchant, 0) + cents
    who = 0
    for spend in spends:
        who |= spend.spenders
    total = sum(by_merchant.values())
    if total <= 0:
        return [ratio(TOP3_SHARE, ALL, 0, 0, who), ratio(HHI, ALL, 0, 0, who)]
    top3 = sum(sorted(by_merchant.values(), reverse=True)[:3])
    hhi = sum((Fraction(c, total) ** 2 for c in by_merchant.values()), Fraction(0))
    return [
        ratio(TOP3_SHARE, ALL, top3, total, who),
        Tally(HHI, ALL, RATIO, hhi.numerator, hhi.denominator, who),
    ]
