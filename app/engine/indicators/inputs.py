"""What the indicators are computed from: plain values read from the books and the facts.

The shell (app.services.research) reads one ``MonthBooks`` per calendar month; the engine
never reads a clock or a database. Amounts are integer cents; resources per consumption
unit are exact Fractions (computed with the rule set's own scale, as the month run did).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import compress
from operator import attrgetter
from typing import NamedTuple

from app.engine.period import Period

MERCHANT_KINDS = ("producer", "shop", "solidarity_grocery", "market")
DEFAULT_MERCHANT_KIND = "shop"
FUNDING_SOURCES = ("subsidy", "donation", "top_up")


class HouseholdMonth(NamedTuple):
    """One household's month: what it owed, paid and received, and its facts that month.
    (A named tuple, not a frozen dataclass: the shell builds 1.2 million of them for a year of
    100,000 households, and a tuple is built about five times faster, immutable all the same.)

    ``active``: the month run assessed it (it owed a contribution or received credit);
    ``expired_cents``: its unspent credit that expired this month (active or not);
    ``arrived``: it was enrolled from this month. ``persons``/``income_cents``/
    ``resources_per_cu`` are ``None`` where the facts are missing or erased."""

    household_id: str
    contribution_due_cents: int = 0
    contribution_paid_cents: int = 0
    credit_cents: int = 0
    expired_cents: int = 0
    persons: int | None = None
    income_cents: int | None = None
    resources_per_cu: Fraction | None = None
    engagement_minutes: int | None = None
    arrived: bool = False
    active: bool = True


# Readers of a household's month, for C-speed sums (``sum(map(CREDIT, households))``).
DUE = attrgetter("contribution_due_cents")
PAID = attrgetter("contribution_paid_cents")
CREDIT = attrgetter("credit_cents")
EXPIRED = attrgetter("expired_cents")
_ACTIVE = attrgetter("active")
_HOUSEHOLD = attrgetter("household_id")


class SpendLine(NamedTuple):
    """Credit one household spent at one merchant in one category this month, net of the
    refunds booked this month (so it may be negative). A named tuple, as ``HouseholdMonth``."""

    household_id: str
    merchant_id: str
    category: str
    amount_cents: int


@dataclass(frozen=True, slots=True)
class FundingLine:
    """Money a funder gave this month: ``source`` is one of ``FUNDING_SOURCES``."""

    funder_id: str
    source: str
    amount_cents: int

    def __post_init__(self) -> None:
        if self.source not in FUNDING_SOURCES:
            raise ValueError(
                f"funding source must be one of {FUNDING_SOURCES}, not {self.source!r}"
            )


@dataclass(frozen=True, slots=True)
class MonthBooks:
    """Everything one month's indicators need.

    ``entitlement_cents``: the credits the rules entitled before rationing (``None`` when the
    month was not run); ``opening_credit_cents``/``closing_credit_cents``: credit owed to
    members (accounts 419) at the start and end of the month; ``reserve_cents``: the bank
    (512) at the end of the month; ``recent_credit_cents``: credit granted in this month and
    up to two months before it (the pace the runway is measured at);
    ``previous_active``: households active the month before (departures are measured
    against it); ``merchant_kinds``: merchant id -> one of ``MERCHANT_KINDS`` (absent: shop).
    """

    period: Period
    households: tuple[HouseholdMonth, ...] = ()
    spending: tuple[SpendLine, ...] = ()
    fundings: tuple[FundingLine, ...] = ()
    merchant_kinds: Mapping[str, str] = field(default_factory=dict)
    entitlement_cents: int | None = None
    opening_credit_cents: int = 0
    closing_credit_cents: int = 0
    reserve_cents: int = 0
    recent_credit_cents: tuple[int, ...] = ()
    previous_active: frozenset[str] = frozenset()
    # Derived once (several indicator modules read them): the active households, their ids,
    # the ids of the households that paid a contribution.
    active: tuple[HouseholdMonth, ...] = field(init=False, repr=False, compare=False)
    active_ids: frozenset[str] = field(init=False, repr=False, compare=False)
    payer_ids: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # C loops (compress, map): a year of 100,000 households is 1.2 million of them.
        households = self.households
        active = tuple(compress(households, map(_ACTIVE, households)))
        object.__setattr__(self, "active", active)
        object.__setattr__(self, "active_ids", frozenset(map(_HOUSEHOLD, active)))
        payers = frozenset(map(_HOUSEHOLD, compress(households, map(PAID, households))))
        object.__setattr__(self, "payer_ids", payers)

    def kind_of(self, merchant_id: str) -> str:
        return self.merchant_kinds.get(merchant_id, DEFAULT_MERCHANT_KIND)

    @property
    def expired_cents(self) -> int:
        return sum(map(EXPIRED, self.households))
