"""Compiling a rule document for the batch path (``app.engine.batch``).

- ``Compositions`` reduces a household to how many persons it has in each age class the rule
  set names, and computes everything that depends on that alone ONCE per distinct
  composition, with the real rule nodes on a representative household (persons at the bottom
  age of their class) -- so those values are the nodes' own, not a re-implementation.
- ``compile_node`` turns the clauses that read income (``proportional``,
  ``linear_average_rate_scale``, and ``min``/``max``/``sum``/``clamp`` over them) into
  closures over integers, with the nodes' exact arithmetic (``Q`` pairs, no rounding inside).
  Anything else raises ``Unsupported`` and the caller uses ``assess``.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from fractions import Fraction
from math import lcm
from typing import Any

from app.engine.exact import Q, q_add, q_lt
from app.engine.facts import HouseholdFacts, Person
from app.engine.money import Rounding, RoundingMode, round_ratio
from app.engine.period import Period
from app.engine.resources import Context, NeedsData
from app.engine.rules.nodes import Kinds, Node, Rejected, parse_node
from app.engine.rules.reader import Reader
from app.engine.ruleset import RuleSet

INCOME_BASES = frozenset({"income", "income_per_cu", "income_per_person", "quotient_familial"})
# Kinds whose value depends on the household's composition only (never on income or choices).
COMPOSITION_KINDS = frozenset(
    {
        "fixed",
        "household_amount",
        "per_person",
        "base_plus_extra",
        "age_weighted",
        "per_consumption_unit",
    }
)
COMBINATORS = frozenset({"min", "max", "sum", "clamp"})

Evaluator = Callable[[int, int], Q]  # (income_cents, composition index) -> exact cents


class Unsupported(Exception):
    """The rule set uses something the batch path does not compile: use ``assess``."""


class Compositions:
    """Distinct household compositions (persons per age class), each computed once."""

    def __init__(self, rules: RuleSet, period: Period) -> None:
        self.rules = rules
        self.period = period
        age_day = period.day(rules.definitions.age_reference_day)
        # Classes from the oldest: persons aged >= thresholds[i] (and below the previous one).
        self.thresholds = sorted(_age_thresholds(rules) | {0}, reverse=True)
        self.cutoffs = [latest_birth(age_day, age) for age in self.thresholds[:-1]]
        self.representatives = [latest_birth(age_day, age) for age in self.thresholds]
        self.known: dict[tuple[int, ...], int] = {}
        self.contexts: list[Context] = []
        self.tables: list[list[Q | None]] = []  # filled by ``table`` for each composition node
        self.nodes: list[Node] = []

    def index_of(self, persons: Sequence[Person]) -> int:
        """The composition's index, or -1 when this household must go through ``assess``."""
        if not persons:
            return -1
        cutoffs = self.cutoffs
        counts = [0] * len(self.thresholds)
        try:
            for person in persons:
                born = person.birth_on
                cls = 0
                for cutoff in cutoffs:
                    if born <= cutoff:  # type: ignore[operator]  # None -> TypeError
                        break
                    cls += 1
                counts[cls] += 1
        except TypeError:
            return -1
        return self._index(tuple(counts))

    def indexer(self) -> Callable[[Sequence[Person]], int]:
        """``index_of``, specialised for the usual single age line (e.g. 14): two classes."""
        if len(self.cutoffs) != 1:
            return self.index_of
        cutoff = self.cutoffs[0]
        known = self.known
        add = self._add

        def two_classes(persons: Sequence[Person]) -> int:
            older = 0
            try:
                for person in persons:
                    if person.birth_on <= cutoff:  # type: ignore[operator]  # None -> TypeError
                        older += 1
            except TypeError:
                return -1
            if not persons:
                return -1
            key = (older, len(persons) - older)
            found = known.get(key)
            return add(key) if found is None else found

        return two_classes

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
        """Per-composition values of a composition-only node (``None``: needs ``assess``)."""
        values = [_value(node, ctx) for ctx in self.contexts]
        self.nodes.append(node)
        self.tables.append(values)
        return values


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


def _age_thresholds(rules: RuleSet) -> set[int]:
    """Every age at which some clause of the rule set changes what a person counts for.

    More lines than needed is harmless (finer classes); a missing one would not be, so every
    ``min_age`` in the formulas counts, plus the consumption-unit bands and the CAF child age
    when a clause reads them.
    """
    ages: set[int] = set()
    words: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, Mapping):
            if isinstance(value.get("min_age"), int):
                ages.add(value["min_age"])
            words.update(str(value.get(key)) for key in ("kind", "base"))
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(rules.document.get("contribution"))
    walk(rules.document.get("credit"))
    if words & {"income_per_cu", "per_consumption_unit"}:
        ages |= {band.min_age for band in rules.definitions.consumption_units.bands}
    if "quotient_familial" in words:
        ages.add(rules.definitions.family_parts.child_age_below)
    return ages


def reads_income(doc: Any) -> bool:
    if isinstance(doc, Mapping):
        if doc.get("base") in INCOME_BASES:
            return True
        return any(reads_income(item) for item in doc.values())
    if isinstance(doc, list):
        return any(reads_income(item) for item in doc)
    return False


def _half_up_cent(num: int, den: int) -> int:
    """``max(0, round_ratio(num, den))`` at one cent, half-up."""
    if num <= 0:
        return 0
    quotient, remainder = divmod(num, den)
    return quotient + 1 if 2 * remainder >= den else quotient


HALF_UP_CENT = _half_up_cent


def rounder(rounding: Rounding) -> Callable[[int, int], int]:
    """``max(0, round_ratio(num, den, rounding))``; ``HALF_UP_CENT`` for the usual cent half-up."""
    if rounding.unit_cents == 1 and rounding.mode is RoundingMode.HALF_UP:
        return HALF_UP_CENT
    return lambda num, den: max(0, round_ratio(num, den, rounding))


def compile_node(doc: Any, path: str, kinds: Kinds, compositions: Compositions) -> Evaluator:
    """An evaluator for the (already validated) node document ``doc``."""
    kind = doc["kind"]
    if not reads_income(doc) and (kind in COMPOSITION_KINDS or kind in COMBINATORS):
        node = parse_node(Reader(), doc, path, kinds)
        if node is None:
            raise Unsupported(path)
        return _composition(compositions.table(node))
    if kind in COMBINATORS:
        return _combinator(doc, path, kinds, compositions)
    if kind == "proportional":
        base = _base(doc["base"], compositions)
        rate = Fraction(doc["rate"])
        rate_num, rate_den = rate.numerator, rate.denominator
        return lambda income, k: _times(base(income, k), rate_num, rate_den)
    if kind == "linear_average_rate_scale":
        return _linear_average(doc, compositions)
    raise Unsupported(f"{path}: {kind}")


def _composition(table: list[Q | None]) -> Evaluator:
    def value(income: int, k: int) -> Q:
        found = table[k]
        if found is None:
            raise Unsupported("composition needs assess")
        return found

    return value


def _times(value: Q, num: int, den: int) -> Q:
    return (value[0] * num, value[1] * den)


def _base(name: str, compositions: Compositions) -> Evaluator:
    """``Context.base`` for one base, with the composition's divisor computed once."""
    contexts = compositions.contexts
    if name == "income":
        return lambda income, k: (income, 1)
    if name == "income_per_person":
        return lambda income, k: (income, len(contexts[k].facts.persons))
    divisors: list[tuple[int, int]] = []

    def divisor(k: int) -> tuple[int, int]:
        while len(divisors) <= k:
            ctx = contexts[len(divisors)]
            units = ctx.consumption_units() if name == "income_per_cu" else ctx.family_parts()
            divisors.append((units.numerator, units.denominator))
        return divisors[k]

    def per_unit(income: int, k: int) -> Q:
        try:
            num, den = divisors[k]
        except IndexError:
            num, den = divisor(k)
        return (income * den, num)

    return per_unit


def _combinator(doc: Any, path: str, kinds: Kinds, compositions: Compositions) -> Evaluator:
    """``min``/``max``/``sum``/``clamp`` over compiled operands, compared exactly."""
    kind = doc["kind"]
    if kind == "clamp":
        return _clamp(doc, path, kinds, compositions)
    operands = [
        compile_node(item, f"{path}.of[{i}]", kinds, compositions)
        for i, item in enumerate(doc["of"])
    ]
    if kind == "sum":

        def total(income: int, k: int) -> Q:
            value: Q = (0, 1)
            for operand in operands:
                value = q_add(value, operand(income, k))
            return value

        return total
    largest = kind == "max"

    def extreme(income: int, k: int) -> Q:
        best: Q | None = None
        for operand in operands:
            value = operand(income, k)
            if best is None or (q_lt(best, value) if largest else q_lt(value, best)):
                best = value
        return best  # type: ignore[return-value]  # at least one operand (validated)

    return extreme


def _clamp(doc: Any, path: str, kinds: Kinds, compositions: Compositions) -> Evaluator:
    of = compile_node(doc["of"], f"{path}.of", kinds, compositions)
    floor = _bound(doc, "floor", path, kinds, compositions)
    cap = _bound(doc, "cap", path, kinds, compositions)
    if isinstance(floor, int) and isinstance(cap, int):
        low, high = floor, cap

        def fixed_bounds(income: int, k: int) -> Q:
            num, den = of(income, k)
            if num < low * den:
                return (low, 1)
            if high * den < num:
                return (high, 1)
            return (num, den)

        return fixed_bounds

    def clamp(income: int, k: int) -> Q:
        value = of(income, k)
        if floor is not None:
            low_q = (floor, 1) if isinstance(floor, int) else floor(income, k)
            if q_lt(value, low_q):
                return low_q
        if cap is not None:
            high_q = (cap, 1) if isinstance(cap, int) else cap(income, k)
            if q_lt(high_q, value):
                return high_q
        return value

    return clamp


def _bound(
    doc: Any, name: str, path: str, kinds: Kinds, compositions: Compositions
) -> int | Evaluator | None:
    """A clamp bound: whole cents (``<name>_cents``), a compiled node, or absent."""
    if f"{name}_cents" in doc:
        amount: int = doc[f"{name}_cents"]
        return amount
    if name in doc:
        return compile_node(doc[name], f"{path}.{name}", kinds, compositions)
    return None


def _linear_average(doc: Any, compositions: Compositions) -> Evaluator:
    """base × average rate, the rate linear between thresholds and flat after the last."""
    base = _base(doc["base"], compositions)
    starts = tuple(int(item["from"]) for item in doc["thresholds"])
    rates = [Fraction(item["rate"]) for item in doc["thresholds"]]
    denominator = lcm(*(rate.denominator for rate in rates))
    numerators = tuple(rate.numerator * (denominator // rate.denominator) for rate in rates)
    last = len(starts) - 1

    def value(income: int, k: int) -> Q:
        num, den = base(income, k)
        i = bisect_right(starts, num // den) - 1
        if i == last:
            return (num * numerators[i], den * denominator)
        start = starts[i]
        width = starts[i + 1] - start
        rise = numerators[i + 1] - numerators[i]
        rate_num = numerators[i] * width * den + rise * (num - start * den)
        return (num * rate_num, den * denominator * width * den)

    return value
