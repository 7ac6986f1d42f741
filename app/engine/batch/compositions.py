"""Household compositions: how many persons a household has in each age class its rules name.

Everything a rule node computes from persons and ages alone is the same for two households
with the same counts per class, so the batch path computes it ONCE per distinct composition,
with the real rule nodes on a representative household whose persons sit at the bottom age
of their class (``latest_birth``). The classes come from the parsed nodes (their age bands,
the consumption-unit bands when a node reads consumption units, the CAF child age when one
reads the quotient familial), never from the raw document.

Guarantee: two households with the same composition get the same value from every node that
does not read income (``app.engine.batch.compile.reads_income``).
"""

from __future__ import annotations

import dataclasses
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from itertools import accumulate, repeat
from operator import sub
from typing import Any

from app.engine.batch.columns import WHOLE_TYPECODES, HouseholdColumns
from app.engine.exact import Q
from app.engine.facts import HouseholdFacts, Person
from app.engine.period import Period
from app.engine.resources import Context, NeedsData
from app.engine.rules.credit_bands import AgeBands
from app.engine.rules.credit_people import PerConsumptionUnit
from app.engine.rules.nodes import Node, Rejected
from app.engine.ruleset import RuleSet


class Compositions:
    """Distinct household compositions (persons per age class), each computed once."""

    def __init__(self, rules: RuleSet, period: Period) -> None:
        self.rules = rules
        self.period = period
        age_day = period.day(rules.definitions.age_reference_day)
        # Classes from the oldest: persons aged >= thresholds[i] (and below the previous one).
        self.thresholds = sorted(age_thresholds(rules) | {0}, reverse=True)
        self.cutoffs = [latest_birth(age_day, age) for age in self.thresholds[:-1]]
        self.representatives = [latest_birth(age_day, age) for age in self.thresholds]
        self.known: dict[tuple[int, ...], int] = {}
        self.contexts: list[Context] = []
        self.tables: list[list[Q | None]] = []  # filled by ``table`` for each composition node
        self.nodes: list[Node] = []

    def indices(self, columns: HouseholdColumns) -> list[int]:
        """Each household's composition index (-1: it goes node by node), from the columns.

        Without a loop in Python per household or person: a person's class is a ``bisect``
        of its birth day among the age lines; a household's *code* is the sum over its persons
        of ``base ** class`` (``base`` above any household's size, so the code holds its count
        per class), summed as differences of one running total; each distinct code is decoded
        and looked up once. A household without persons or with an unknown birth day gets a
        code of 0 or at least ``base ** classes``: -1.
        """
        counts = columns.person_counts
        base = max(counts, default=0) + 1
        classes = len(self.thresholds)
        weights = [base**cls for cls in range(classes)]
        unknown = base**classes
        cutoffs = [day.toordinal() for day in self.cutoffs]
        days: Sequence[Any] = columns.birth_days  # ints, or ints and ``None``
        per_person: Iterable[int]
        # An array of whole numbers holds no ``None`` (asking would box every day).
        if not (isinstance(days, array) and days.typecode in WHOLE_TYPECODES) and None in days:
            per_person = [
                unknown if day is None else weights[bisect_left(cutoffs, day)] for day in days
            ]
        elif len(cutoffs) == 1:  # the usual single age line: one comparison, no bisect
            per_person = map(weights.__getitem__, map(cutoffs[0].__lt__, days))
        else:
            per_person = map(weights.__getitem__, map(bisect_left, repeat(cutoffs), days))
        running = list(accumulate(per_person, initial=0))
        starts = columns.starts
        codes = map(sub, map(running.__getitem__, starts[1:]), map(running.__getitem__, starts))
        return list(map(_Codes(self, base, classes).__getitem__, codes))

    def _index(self, key: tuple[int, ...]) -> int:
        found = self.known.get(key)
        return self._add(key) if found is None else found

    def _add(self, key: tuple[int, ...]) -> int:
        persons = tuple(
            Person(born)
            for born, count in zip(self.representatives, key, strict=True)
            for _ in range(count)
        )
        facts = HouseholdFacts(household_id="composition", persons=persons)
        context = Context(facts, self.period, self.rules.definitions)
        index = len(self.contexts)
        self.contexts.append(context)
        for node, table in zip(self.nodes, self.tables, strict=True):
            table.append(_value(node, context))
        self.known[key] = index
        return index

    def table(self, node: Node) -> list[Q | None]:
        """Per-composition values of a composition-only node (``None``: go node by node)."""
        values = [_value(node, ctx) for ctx in self.contexts]
        self.nodes.append(node)
        self.tables.append(values)
        return values


class _Codes(dict[int, int]):
    """Composition index by household code (``Compositions.indices``), decoded when first met."""

    def __init__(self, compositions: Compositions, base: int, classes: int) -> None:
        super().__init__()
        self.compositions, self.base, self.classes = compositions, base, classes

    def __missing__(self, code: int) -> int:
        found = -1
        if 0 < code < self.base**self.classes:
            key, rest = [], code
            for _ in range(self.classes):
                rest, count = divmod(rest, self.base)
                key.append(count)
            found = self.compositions._index(tuple(key))
        self[code] = found
        return found


def _value(node: Node, ctx: Context) -> Q | None:
    try:
        return node.evaluate(ctx, None)
    except (NeedsData, Rejected):
        return None


def latest_birth(day: date, age: int) -> date:
    """The latest birth date of a person aged at least ``age`` on ``day`` (29 Feb -> 28 Feb)."""
    try:
        return day.replace(year=day.year - age)
    except ValueError:
        return day.replace(year=day.year - age, day=day.day - 1)


def walk(node: object) -> Iterator[object]:
    """``node`` and every value below it that is itself a dataclass (nodes, age-band tables,
    a free choice's bounds...), depth first: a node held inside any such value is found."""
    yield node
    if not dataclasses.is_dataclass(node) or isinstance(node, type):
        return
    for item in dataclasses.fields(node):
        value = getattr(node, item.name)
        for child in value if isinstance(value, tuple) else (value,):
            if dataclasses.is_dataclass(child) and not isinstance(child, type):
                yield from walk(child)


def age_thresholds(rules: RuleSet) -> set[int]:
    """Every age at which some node of the rule set changes what a person counts for.

    More lines than needed is harmless (finer classes); a missing one would not be, so every
    age band counts, plus the consumption-unit bands and the CAF child age when a node reads
    them.
    """
    ages: set[int] = set()
    reads_units = reads_parts = False
    for root in (rules.contribution.node, rules.credit.node):
        for node in walk(root):
            if isinstance(node, AgeBands):
                ages.update(node.min_ages)
            base = getattr(node, "base", None)
            reads_units |= base == "income_per_cu" or isinstance(node, PerConsumptionUnit)
            reads_parts |= base == "quotient_familial"
    if reads_units:
        ages |= {band.min_age for band in rules.definitions.consumption_units.bands}
    if reads_parts:
        ages.add(rules.definitions.family_parts.child_age_below)
    return ages
