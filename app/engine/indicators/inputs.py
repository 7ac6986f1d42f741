"""What the indicators are computed from: plain values read from the books and the facts.

The shell (app.services.research) reads one ``MonthBooks`` per calendar month; the engine
never reads a clock or a database. Amounts are integer cents; resources per consumption
unit are exact Fractions (computed with the rule set's own scale, as the month run did).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from functools import partial
from itertools import compress
from typing import Any, NamedTuple

from app.engine.period import Period

MERCHANT_KINDS = ("producer", "shop", "solidarity_grocery", "market")
DEFAULT_MERCHANT_KIND = "shop"
FUNDING_SOURCES = ("subsidy", "donation", "top_up")


class HouseholdMonth(NamedTuple):
    """One household's month: what it owed, paid and received, and its facts that month
    (a row of ``Households``, which is what the engine reads: see there).

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


_NEW_ROW = partial(tuple.__new__, HouseholdMonth)  # a row of values -> a HouseholdMonth


@dataclass(frozen=True, slots=True)
class Households:
    """A month's households as columns: entry ``i`` of every column is household ``i``'s
    (the fields of ``HouseholdMonth``, same names, same meaning).

    Why columns: a year of 100,000 households is 1.2 million household-months; the engine
    reads each figure of all of them at once (sums, masks, deciles), which a column gives at
    C speed, and the shell builds a column in one C loop where a row per household-month
    cost an object each. A column the shell hands over unchanged from the month before (the
    same tuple) lets the engine reuse what it derived from it (``redistribution``).
    ``of(rows)`` builds the columns from rows (tests, small funds); ``rows()`` gives them
    back. ``ValueError`` if the columns are not all as long as the ids."""

    household_id: tuple[str, ...] = ()
    contribution_due_cents: tuple[int, ...] = ()
    contribution_paid_cents: tuple[int, ...] = ()
    credit_cents: tuple[int, ...] = ()
    expired_cents: tuple[int, ...] = ()
    persons: tuple[int | None, ...] = ()
    income_cents: tuple[int | None, ...] = ()
    resources_per_cu: tuple[Fraction | None, ...] = ()
    engagement_minutes: tuple[int | None, ...] = ()
    arrived: tuple[bool, ...] = ()
    active: tuple[bool, ...] = ()

    def __post_init__(self) -> None:
        span = len(self.household_id)
        for name in HouseholdMonth._fields:
            if len(getattr(self, name)) != span:
                raise ValueError(f"column {name} has {len(getattr(self, name))} entries, not {span}")

    @classmethod
    def of(cls, rows: Iterable[HouseholdMonth]) -> Households:
        """The columns of ``rows`` (in their order)."""
        columns = tuple(zip(*rows, strict=True))
        return cls(*columns) if columns else cls()

    def rows(self) -> tuple[HouseholdMonth, ...]:
        """One ``HouseholdMonth`` per household, in column order."""
        return tuple(map(_NEW_ROW, zip(*self.columns(), strict=True)))

    def columns(self) -> tuple[tuple[object, ...], ...]:
        """Every column, in the order of ``HouseholdMonth``'s fields."""
        return tuple(getattr(self, name) for name in HouseholdMonth._fields)

    def where(self, keep: Iterable[object]) -> Households:
        """The households for which ``keep`` is true, in order (``keep``: one per household)."""
        chosen = list(keep)
        columns: list[tuple[Any, ...]] = [tuple(compress(c, chosen)) for c in self.columns()]
        return Households(*columns)

    def __len__(self) -> int:
        return len(self.household_id)


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

    ``households``: the month's households as columns, each at most once (``indicator_table``
    raises ``ValueError`` otherwise); ``entitlement_cents``: the credits the rules entitled before rationing (``None`` when the
    month was not run); ``opening_credit_cents``/``closing_credit_cents``: credit owed to
    members (accounts 419) at the start and end of the month; ``reserve_cents``: the bank
    (512) at the end of the month; ``recent_credit_cents``: credit granted in this month and
    up to two months before it (the pace the runway is measured at);
    ``previous_active``: households active the month before (departures are measured
    against it); ``merchant_kinds``: merchant id -> one of ``MERCHANT_KINDS`` (absent: shop).
    """

    period: Period
    households: Households = field(default_factory=Households)
    spending: tuple[SpendLine, ...] = ()
    fundings: tuple[FundingLine, ...] = ()
    merchant_kinds: Mapping[str, str] = field(default_factory=dict)
    entitlement_cents: int | None = None
    opening_credit_cents: int = 0
    closing_credit_cents: int = 0
    reserve_cents: int = 0
    recent_credit_cents: tuple[int, ...] = ()
    previous_active: frozenset[str] = frozenset()
    # Derived once (several indicator modules read them): the active households (the same
    # columns when every household is active, as in most months).
    active: Households = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        households = self.households
        flags = households.active
        object.__setattr__(self, "active", households if all(flags) else households.where(flags))

    def kind_of(self, merchant_id: str) -> str:
        return self.merchant_kinds.get(merchant_id, DEFAULT_MERCHANT_KIND)

    @property
    def expired_cents(self) -> int:
        return sum(self.households.expired_cents)
