"""The rule nodes' fast form: each parsed node compiled to a closure over integers.

``compile_node(node, compositions)`` dispatches on the node's class (``COMPILERS``) and
reads the node's own parsed fields -- never the rule document -- so there is one reading of
the rule language (``app.engine.rules``) and one meaning for each node:

- a node that does not read income (``reads_income``) is a table of its own ``evaluate``
  values, one per distinct household composition (``Compositions.table``);
- ``proportional``, ``linear``, ``linear_average_rate_scale`` and ``brackets`` over an income
  base, and ``min``/``max``/``sum``/``clamp`` over compiled operands, become closures with
  the nodes' exact arithmetic (``Q`` pairs, no rounding inside, the same comparisons in the
  same order);
- a ``free_choice`` at the top of the contribution is compiled to the bounds it offers
  (``compile_choice``): the node's fixed offer, or ``offer`` over its compiled bounds;
- any other class raises ``Unsupported``: the plan then takes each household through the
  nodes' ``evaluate`` (``app.engine.batch.household``).

An ``Evaluator`` takes ``(income_cents, composition index)`` and returns exact cents; it
raises ``Unsupported`` for a composition whose nodes need more than its persons and ages.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from typing import Any

from app.engine.batch.compositions import Compositions
from app.engine.exact import Q, q_add, q_lt
from app.engine.money import Rounding, RoundingMode, round_ratio
from app.engine.rules.amounts import HouseholdAmount, Linear
from app.engine.rules.brackets import Brackets
from app.engine.rules.cents_or_formula import Amount
from app.engine.rules.choice import FreeChoice
from app.engine.rules.choice_bounds import ChoiceBounds, offer
from app.engine.rules.combinators import Clamp, Extreme, Fixed, Sum
from app.engine.rules.contribution import Proportional
from app.engine.rules.credit_people import AgeWeighted, BasePlusExtra, PerConsumptionUnit, PerPerson
from app.engine.rules.nodes import Node
from app.engine.rules.scales import LinearAverageRateScale

INCOME_BASES = frozenset({"income", "income_per_cu", "income_per_person", "quotient_familial"})
# Classes whose value depends on the household's composition only (never on income or choices).
COMPOSITION_CLASSES: frozenset[type] = frozenset(
    {Fixed, HouseholdAmount, PerPerson, BasePlusExtra, AgeWeighted, PerConsumptionUnit}
)

Evaluator = Callable[[int, int], Q]  # (income_cents, composition index) -> exact cents


class Unsupported(Exception):
    """The node has no fast form: its households go through the nodes' ``evaluate``."""


def reads_income(node: Node) -> bool:
    """Whether the node's value depends on the household's income (``Unsupported`` when the
    node may depend on more than income and composition, e.g. a free choice)."""
    if type(node) in COMPOSITION_CLASSES:
        return False
    # One base each: they read the composition only when it is ``persons``.
    if isinstance(node, Proportional | Linear | LinearAverageRateScale | Brackets):
        return node.base in INCOME_BASES
    if isinstance(node, Extreme | Sum):
        return any(reads_income(item) for item in node.of)
    if isinstance(node, Clamp):
        parts = (node.of, node.floor, node.cap)
        return any(reads_income(item) for item in parts if item is not None)
    raise Unsupported(node.path)


def compile_node(node: Node, compositions: Compositions) -> Evaluator:
    """The node's evaluator (``Unsupported`` when the node has no fast form)."""
    if not reads_income(node):
        return _composition(compositions.table(node))
    compiler = COMPILERS.get(type(node))
    if compiler is None:
        raise Unsupported(node.path)
    return compiler(node, compositions)


def _composition(table: list[Q | None]) -> Evaluator:
    def value(income: int, k: int) -> Q:
        found = table[k]
        if found is None:
            raise Unsupported("this composition needs the household's own facts")
        return found

    return value


class _Factors(dict[int, tuple[int, int]]):
    """``Context.base`` for one income base as ``(multiplier, divisor)`` per composition
    (``base = income × multiplier / divisor``), computed the first time a composition needs
    it: the evaluators read it inline (one lookup, no call) on the hot path."""

    def __init__(self, name: str, compositions: Compositions) -> None:
        super().__init__()
        self.name, self.contexts = name, compositions.contexts

    def __missing__(self, k: int) -> tuple[int, int]:
        ctx = self.contexts[k]
        if self.name == "income":
            found = (1, 1)
        elif self.name == "income_per_person":
            found = (1, len(ctx.facts.persons))
        else:
            units = ctx.consumption_units() if self.name == "income_per_cu" else ctx.family_parts()
            found = (units.denominator, units.numerator)
        self[k] = found
        return found


def _proportional(node: Proportional, compositions: Compositions) -> Evaluator:
    factors = _Factors(node.base, compositions)
    rate_num, rate_den = node.rate_num, node.rate_den

    def value(income: int, k: int) -> Q:
        multiplier, divisor = factors[k]
        return (income * multiplier * rate_num, divisor * rate_den)

    return value


def _linear(node: Linear, compositions: Compositions) -> Evaluator:
    """``Linear.evaluate``: flat below the first anchor and above the second, a line between."""
    factors = _Factors(node.base, compositions)
    from_base, from_amount = node.from_base, node.from_amount_cents
    to_base, to_amount = node.to_base, node.to_amount_cents
    width = to_base - from_base
    rise = to_amount - from_amount

    def value(income: int, k: int) -> Q:
        multiplier, den = factors[k]
        num = income * multiplier
        if num <= from_base * den:
            return (from_amount, 1)
        if num >= to_base * den:
            return (to_amount, 1)
        return (from_amount * width * den + rise * (num - from_base * den), width * den)

    return value


def _linear_average(node: LinearAverageRateScale, compositions: Compositions) -> Evaluator:
    """``LinearAverageRateScale.evaluate``: base × an average rate linear between thresholds."""
    factors = _Factors(node.base, compositions)
    starts, numerators, denominator = node.starts, node.numerators, node.denominator
    last = len(starts) - 1

    def value(income: int, k: int) -> Q:
        multiplier, den = factors[k]
        num = income * multiplier
        i = bisect_right(starts, num // den) - 1
        if i == last:
            return (num * numerators[i], den * denominator)
        start = starts[i]
        width = starts[i + 1] - start
        rise = numerators[i + 1] - numerators[i]
        rate_num = numerators[i] * width * den + rise * (num - start * den)
        return (num * rate_num, den * denominator * width * den)

    return value


def _brackets(node: Brackets, compositions: Compositions) -> Evaluator:
    """``Brackets.evaluate``: one bisect on the node's integer keys, then its amount or rate."""
    factors = _Factors(node.base, compositions)
    starts = node.starts
    amounts = tuple(item.amount_cents for item in node.items)
    rates = tuple((item.rate_num, item.rate_den) for item in node.items)

    def value(income: int, k: int) -> Q:
        multiplier, den = factors[k]
        num = income * multiplier
        whole, rest = divmod(num, den)
        index = bisect_right(starts, 2 * whole + (1 if rest else 0)) - 1
        amount = amounts[index]
        if amount is not None:
            return (amount, 1)
        rate_num, rate_den = rates[index]
        return (num * rate_num, den * rate_den)

    return value


def _sum(node: Sum, compositions: Compositions) -> Evaluator:
    operands = [compile_node(item, compositions) for item in node.of]

    def total(income: int, k: int) -> Q:
        value: Q = (0, 1)
        for operand in operands:
            value = q_add(value, operand(income, k))
        return value

    return total


def _extreme(node: Extreme, compositions: Compositions) -> Evaluator:
    """``min``/``max``: the first operand that is strictly smaller (larger) wins, as the node."""
    operands = [compile_node(item, compositions) for item in node.of]
    largest = node.largest

    def extreme(income: int, k: int) -> Q:
        best: Q | None = None
        for operand in operands:
            value = operand(income, k)
            if best is None or (q_lt(best, value) if largest else q_lt(value, best)):
                best = value
        return best  # type: ignore[return-value]  # at least one operand (parsed)

    return extreme


def _clamp(node: Clamp, compositions: Compositions) -> Evaluator:
    """``Clamp.evaluate``: raised to the floor, then lowered to the cap (the cap wins)."""
    of = compile_node(node.of, compositions)
    if isinstance(node.floor, Fixed) and isinstance(node.cap, Fixed):
        low, high = node.floor.amount_cents, node.cap.amount_cents

        def fixed_bounds(income: int, k: int) -> Q:
            num, den = of(income, k)
            if num < low * den:
                num, den = low, 1
            if high * den < num:
                return (high, 1)
            return (num, den)

        return fixed_bounds
    floor = compile_node(node.floor, compositions) if node.floor is not None else None
    cap = compile_node(node.cap, compositions) if node.cap is not None else None

    def clamp(income: int, k: int) -> Q:
        value = of(income, k)
        if floor is not None:
            low_q = floor(income, k)
            if q_lt(value, low_q):
                value = low_q
        if cap is not None:
            high_q = cap(income, k)
            if q_lt(high_q, value):
                value = high_q
        return value

    return clamp


COMPILERS: dict[type, Callable[[Any, Compositions], Evaluator]] = {
    Proportional: _proportional,
    Linear: _linear,
    LinearAverageRateScale: _linear_average,
    Brackets: _brackets,
    Sum: _sum,
    Extreme: _extreme,
    Clamp: _clamp,
}


Offer = Callable[[int | None, int], ChoiceBounds | None]  # (income, composition) -> bounds


def compile_choice(node: FreeChoice, compositions: Compositions) -> Offer:
    """The bounds ``FreeChoice.evaluate`` offers a household (``None``: go node by node)."""
    fixed = node.fixed
    if fixed is not None:
        return lambda income, k: fixed
    parts = [_amount(item, compositions) for item in (node.minimum, node.maximum, node.suggested)]
    needs_income = any(
        item is not None and item.node is not None and reads_income(item.node)
        for item in (node.minimum, node.maximum, node.suggested)
    )
    lowest, highest, wanted = parts
    step_cents, levels_cents = node.step_cents, node.levels_cents

    def offered(income: int | None, k: int) -> ChoiceBounds | None:
        if k < 0 or (needs_income and income is None):
            return None
        money = income or 0
        try:
            low = lowest(money, k) if lowest is not None else (0, 1)
            high = highest(money, k) if highest is not None else None
            suggested = wanted(money, k) if wanted is not None else None
        except Unsupported:
            return None
        return offer(low, high, suggested, step_cents, levels_cents)[0]

    return offered


def _amount(amount: Amount | None, compositions: Compositions) -> Evaluator | None:
    """A bound written as whole cents or as a node, compiled (``None``: no such bound)."""
    if amount is None:
        return None
    if amount.node is not None:
        return compile_node(amount.node, compositions)
    cents: Q = (amount.cents or 0, 1)
    return lambda income, k: cents


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
