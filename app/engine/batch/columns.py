"""Households as columns: the compiled plan's one input, one value a household per column.

A month's households arrive as rows or columns (the stored facts, the bench's int64 files);
the plan reads them as ``HouseholdColumns`` -- ids, incomes, how many persons each household
has and every person's birth day (``date.toordinal()``), persons together in household
order -- so that no Python object is built per household or per person on the way in.
``HouseholdColumns.from_facts`` gives the same columns from ``HouseholdFacts`` (what
``assess`` and ``assess_batch`` hand over), so facts and columns take the one path.

Guarantees: the columns hold what ``HouseholdFacts`` would accept (``InvalidInput`` naming
the column and the household otherwise); ``household(i)`` is household ``i``'s facts (the
very facts when the columns were made from facts), for what goes node by node and for the
explanations. ``NumberedIds`` are identifiers a loader numbers (``pattern % index``),
formatted when read rather than a million strings built up front.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import partial
from itertools import accumulate, chain
from operator import attrgetter, is_not
from types import NoneType
from typing import overload

from app.engine.facts import HouseholdFacts, Person
from app.engine.problems import InvalidInput, Problem

_known = partial(is_not, None)
WHOLE_TYPECODES = frozenset("bBhHiIlLqQ")


@dataclass(frozen=True, slots=True)
class HouseholdColumns:
    """One month's households, column by column (every column in household order).

    - ``household_ids``: non-empty identifiers.
    - ``incomes_cents``: declared monthly resources, ``None`` when unknown.
    - ``person_counts``: persons in each household (0: unknown).
    - ``birth_days``: every person's ``date.toordinal()`` (``None``: unknown), the first
      household's persons first; ``sum(person_counts)`` of them.
    - ``chosen_contributions_cents``: the member's own choice, for free-choice rules.
    - ``facts``: the households' own facts, when the columns were made from them (the
      columns' incomes prevail: see ``with_incomes``).
    """

    household_ids: Sequence[str]
    incomes_cents: Sequence[int | None]
    person_counts: Sequence[int]
    birth_days: Sequence[int | None]
    chosen_contributions_cents: Sequence[int | None] | None = None
    facts: Sequence[HouseholdFacts] | None = None
    # Where each household's persons start in ``birth_days``, and where the last one ends.
    starts: Sequence[int] = field(init=False, repr=False, compare=False)
    # One ``Person`` per birth day met by ``household`` (immutable: households share them).
    people: dict[int | None, Person] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            raise InvalidInput(problems)
        _set_starts(self, list(accumulate(self.person_counts, initial=0)))
        _set_people(self, {})

    def __len__(self) -> int:
        return len(self.household_ids)

    @classmethod
    def from_facts(cls, households: Sequence[HouseholdFacts]) -> HouseholdColumns:
        """The columns of ``households`` (kept as ``facts``: ``household(i)`` gives them back).

        Not checked again (the facts were, when built): a C loop per column, an attribute read
        per household or person (a person's ``birth_day`` is computed with the person).
        """
        persons = list(map(_PERSONS, households))
        # Flattened first: mapping over the chain itself costs half as much again (measured).
        days = list(map(_BIRTH_DAY, list(chain.from_iterable(persons))))
        columns: HouseholdColumns = object.__new__(cls)
        for name, value in (
            ("household_ids", list(map(_HOUSEHOLD_ID, households))),
            ("incomes_cents", list(map(_INCOME_CENTS, households))),
            ("person_counts", list(map(len, persons))),
            ("birth_days", days),
            ("chosen_contributions_cents", list(map(_CHOSEN_CENTS, households))),
            ("facts", households),
        ):
            _SETTERS[name](columns, value)
        _set_starts(columns, list(accumulate(columns.person_counts, initial=0)))
        _set_people(columns, {})
        return columns

    def with_incomes(self, incomes_cents: Sequence[int | None]) -> HouseholdColumns:
        """The same households with these incomes (one per household, checked as the
        constructor checks them); everything else shared, not copied. ``household(i)`` then
        gives household ``i``'s facts with its new income (the projection's drifted months:
        no facts rebuilt for a household the plan reads as columns)."""
        problems = []
        if len(incomes_cents) != len(self):
            problems.append(
                Problem("incomes_cents", f"expected {len(self)} values, got {len(incomes_cents)}")
            )
        elif not _counts(incomes_cents, allow_none=True):
            problems.append(Problem("incomes_cents", "expected whole numbers of zero or more"))
        if problems:
            raise InvalidInput(problems)
        columns: HouseholdColumns = object.__new__(HouseholdColumns)
        for name in HouseholdColumns.__slots__:
            _SETTERS[name](columns, getattr(self, name))
        _SETTERS["incomes_cents"](columns, incomes_cents)
        _set_people(columns, {})
        return columns

    def household(self, index: int) -> HouseholdFacts:
        """Household ``index``'s facts: its own facts when the columns were made from facts
        (with the income column's value, should ``with_incomes`` have changed it), else built
        from the columns."""
        if self.facts is not None:
            facts = self.facts[index]
            income = self.incomes_cents[index]
            return facts if facts.income_cents == income else replace(facts, income_cents=income)
        index = range(len(self))[index]  # a negative index counts from the end, as a list's
        days = self.birth_days[self.starts[index] : self.starts[index + 1]]
        chosen = self.chosen_contributions_cents
        people = self.people
        for day in days:
            if day not in people:
                people[day] = Person(None if day is None else date.fromordinal(day))
        return HouseholdFacts(
            self.household_ids[index],
            tuple(map(people.__getitem__, days)),
            self.incomes_cents[index],
            None if chosen is None else chosen[index],
        )


class NumberedIds(Sequence[str]):
    """Household ``i``'s identifier is ``pattern % i``, formatted when read (a list's indexing:
    a negative index counts from the end, a slice gives a list).

    For a loader whose identifiers are numbers in a fixed format: building ``count`` strings
    up front cost some 15 % of assessing a million households (measured), and most are
    never read. Guarantee: every identifier is non-empty text (checked on the first and the
    last: formatting a larger whole number never gives fewer characters)."""

    def __init__(self, pattern: str, count: int) -> None:
        self.pattern, self.size = pattern, count
        try:
            ends = {pattern % 0, pattern % max(count - 1, 0)}
        except (TypeError, ValueError):  # not one conversion of a number
            ends = {""}
        if not all(isinstance(item, str) and item for item in ends):
            raise InvalidInput([Problem("household_ids", "expected non-empty identifiers")])

    def __len__(self) -> int:
        return self.size

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        numbers = range(self.size)[index]
        if isinstance(numbers, range):
            return list(map(self.pattern.__mod__, numbers))
        text: str = self.pattern % numbers
        return text


def _problems(columns: HouseholdColumns) -> list[Problem]:
    """What ``HouseholdFacts`` would refuse, checked column by column (C loops, no object per
    household): a wrong length, a value that is not a whole number of zero or more, an empty
    or non-text identifier."""
    count = len(columns.household_ids)
    problems: list[Problem] = []
    ids = columns.household_ids
    if not isinstance(ids, NumberedIds) and (  # numbered: checked when made
        not all(isinstance(item, str) for item in _odd(ids, {str}))
        or (count and not min(map(len, ids)))
    ):
        problems.append(Problem("household_ids", "expected non-empty identifiers"))
    optional = {"incomes_cents": columns.incomes_cents, "person_counts": columns.person_counts}
    if columns.chosen_contributions_cents is not None:
        optional["chosen_contributions_cents"] = columns.chosen_contributions_cents
    for name, column in optional.items():
        if len(column) != count:
            problems.append(Problem(name, f"expected {count} values, got {len(column)}"))
        elif not _counts(column, allow_none=name != "person_counts"):
            problems.append(Problem(name, "expected whole numbers of zero or more"))
    if not all(
        item is None or (isinstance(item, int) and not isinstance(item, bool))
        for item in _odd(columns.birth_days, {int, NoneType})
    ):
        problems.append(Problem("birth_days", "expected day numbers (date.toordinal())"))
    elif not problems and sum(columns.person_counts) != len(columns.birth_days):
        problems.append(
            Problem("birth_days", f"expected {sum(columns.person_counts)} persons' birth days")
        )
    if columns.facts is not None and len(columns.facts) != count:
        problems.append(Problem("facts", f"expected {count} households' facts"))
    return problems


def _counts(column: Sequence[int | None], *, allow_none: bool) -> bool:
    """Whether every value is an ``int`` (not a ``bool``) of zero or more (or ``None``)."""
    if isinstance(column, array) and column.typecode in WHOLE_TYPECODES:
        return min(column, default=0) >= 0  # an array of whole numbers holds nothing else
    allowed: set[type] = {int, NoneType} if allow_none else {int}
    whole = all(
        (item is None and allow_none) or (isinstance(item, int) and not isinstance(item, bool))
        for item in _odd(column, allowed)
    )
    known: Iterable[int] = filter(_known, column)  # type: ignore[arg-type]  # no None left
    return whole and min(known, default=0) >= 0


def _odd(column: Sequence[object], allowed: set[type]) -> Iterable[object]:
    """The whole column when some value's type is not exactly one of ``allowed`` (a subclass
    is then judged value by value), else an empty one: the usual column costs one C loop,
    an array of whole numbers none."""
    if isinstance(column, array) and column.typecode in WHOLE_TYPECODES:
        return ()
    if set(map(type, column)) <= allowed:
        return ()
    return column


_SETTERS = {name: HouseholdColumns.__dict__[name].__set__ for name in HouseholdColumns.__slots__}
_set_starts = _SETTERS["starts"]
_set_people = _SETTERS["people"]
_HOUSEHOLD_ID = attrgetter("household_id")
_INCOME_CENTS = attrgetter("income_cents")
_PERSONS = attrgetter("persons")
_CHOSEN_CENTS = attrgetter("chosen_contribution_cents")
_BIRTH_DAY = attrgetter("birth_day")
