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

An ``Evaluator`` takes two columns, the households' incomes (cents) and composition indices,
and returns each household's exact cents, in order: a loop over the columns in one frame per
node rather than a call per node and household, each composition's factors computed once.
It raises ``Unsupported`` when some composition's nodes need more than its persons and ages
(``supports`` tells which compositions it takes). One household is a column of one.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
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

# (incomes_cents, composition indices) -> each household's exact cents
Evaluator = Callable[[Sequence[int], Sequence[int]], list[Q]]


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


def supports(evaluate: Evaluator, k: int) -> bool:
    """Whether ``evaluate`` takes composition ``k`` (``Unsupported`` depends on the
    composition alone: a composition-only node's value, never the income)."""
    try:
        evaluate([0], [k])
    except Unsupported:
        return False
    return True


def _composition(table: list[Q | None]) -> Evaluator:
    def value(incomes: Sequence[int], ks: Sequence[int]) -> list[Q]:
        found = list(map(table.__getitem__, ks))
        if None in found:
            raise Unsupported("this composition needs the household's own facts")
        return found  # type: ignore[return-value]  # no ``None`` left

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

    def value(incomes: Sequence[int], ks: Sequence[int]) -> list[Q]:
        return [
            (income * multiplier * rate_num, divisor * rate_den)
            for income, (multiplier, divisor) in zip(incomes, map(factors.__getitem__, ks), strict=True)
        ]

    return value


def _linear(node: Linear, compositions: Compositions) -> Evaluator:
    """``Linear.evaluate``: flat below the first anchor and above the second, a line between."""
    factors = _Factors(node.base, compositions)
    from_base, from_amount = node.from_base, node.from_amount_cents
    to_base, to_amount = node.to_base, node.to_amount_cents
    width = to_base - from_base
    rise = to_amount - from_amount

    def value(incomes: Sequence[int], ks: Sequence[int]) -> list[Q]:
        values: list[Q] = []
        append = values.append
        for income, k in zip(incomes, ks, strict=True):
            multiplier, den = factors[k]
            num = income * multiplier
            if num <= from_base * den:
                append((from_amount, 1))
            elif num >= to_base * den:
                append((to_amount, 1))
            else:
                append((from_amount * width * den + rise * (num - from_base * den), width * den))
        return values

    return value


Segments = tuple[list[int], list[tuple[int, int, int]]]


class _Segments(dict[int, Segments]):
    """``LinearAverageRateScale`` for one composition, computed when first met: the income
    (cents) at which each threshold starts, and per segment ``(constant, rise, denominator)``
    such that the node's value is ``(income × (constant + rise × income), denominator)``.

    It is the node's own arithmetic, expanded for ``num = income × multiplier`` (the base is
    ``num / den``): ``num × (numerators[i]·width·den + rise·(num − start·den))`` over
    ``den·denominator·width·den``, and ``num × numerators[last]`` over ``den·denominator`` in
    the last segment: the same exact ``Q``. ``bisect_right(starts, num // den)`` equals
    ``bisect_right(income_starts, income)`` with ``income_starts[j]`` the least income whose
    ``num`` reaches ``starts[j]·den`` (whole numbers, ``multiplier`` > 0)."""

    def __init__(self, node: LinearAverageRateScale, compositions: Compositions) -> None:
        super().__init__()
        self.node, self.factors = node, _Factors(node.base, compositions)

    def __missing__(self, k: int) -> Segments:
        multiplier, den = self.factors[k]
        starts, numerators = self.node.starts, self.node.numerators
        denominator, last = self.node.denominator, len(starts) - 1
        income_starts = [-(-start * den // multiplier) for start in starts]
        segments = []
        for i in range(-1, last + 1):  # -1: a base below the first threshold, as the node
            if i == last:
                segments.append((numerators[i] * multiplier, 0, den * denominator))
                continue
            start = starts[i]
            width = starts[i + 1] - start
            rise = numerators[i + 1] - numerators[i]
            constant = numerators[i] * width * den - rise * start * den
            segments.append(
                (constant * multiplier, rise * multiplier * multiplier, den * denominator * width * den)
            )
        found = self[k] = (income_starts, segments)
        return found


def _linear_average(node: LinearAverageRateScale, compositions: Compositions) -> Evaluator:
    """``LinearAverageRateScale.evaluate``: base × an average rate linear between thresholds
    (``_Segments``: one ``bisect`` and three integer operations a household)."""
    by_composition = _Segments(node, compositions)

    def value(incomes: Sequence[int], ks: Sequence[int]) -> list[Q]:
        # One comprehension (``for ... in (one,)`` binds a name without a frame or a call).
        return [
            (income * (constant + rise * income), divisor)
            for income, (starts, segments) in zip(
                incomes, map(by_composition.__getitem__, ks), strict=True
            )
            for constant, rise, divisor in (segments[bisect_right(starts, income)],)
        ]

    return value


def _brackets(node: Brackets, compositions: Compositions) -> Evaluator:
    """``Brackets.evaluate``: one bisect on the node's integer keys, then its amount or rate."""
    factors = _Factors(node.base, compositions)
    starts = node.starts
    amounts = tuple(item.amount_cents for item in node.items)
    rates = tuple((item.rate_num, item.rate_den) for item in node.items)

    def value(incomes: Sequence[int], ks: Sequence[int]) -> list[Q]:
        values: list[Q] = []
        append = values.append
        for income, k in zip(incomes, ks, strict=True):
            multiplier, den = factors[k]
            num = income * multiplier
            whole, rest = divmod(num, den)
            index = bisect_right(starts, 2 * whole + (1 if rest else 0)) - 1
            amount = amounts[index]
            if amount is not None:
                append((amount, 1))
            else:
                rate_num, rate_den = rates[index]
                append((num * rate_num, den * rate_den))
        return values

    return value


def _sum(node: Sum, compositions: Compositions) -> Evaluator:
    operands = [compile_node(item, compositions) for item in node.of]

    def total(incomes: Sequence[int], ks: Sequence[int]) -> list[Q]:
        values: list[Q] = [(0, 1)] * len(incomes)
        for operand in operands:
            values = list(map(q_add, values, operand(incomes, ks)))
        return values

    return total


def _extreme(node: Extreme, compositions: Compositions) -> Evaluator:
    """``min``/``max``: the first operand that is strictly smaller (larger) wins, as the node."""
    operands = [compile_node(item, compositions) for item in node.of]
    largest = node.largest

    def wins(best: Q, value: Q) -> Q:
        return value if (q_lt(best, value) if largest else q_lt(value, best)) else best

    def extreme(incomes: Sequence[int], ks: Sequence[int]) -> list[Q]:
        best = operands[0](incomes, ks)  # at least one operand (parsed)
        for operand in operands[1:]:
            best = list(map(wins, best, operand(incomes, ks)))
        return best

    return extreme


def _clamp(node: Clamp, compositions: Compositions) -> Evaluator:
    """``Clamp.evaluate``: raised to the floor, then lowered to the cap (the cap wins)."""
    of = compile_node(node.of, compositions)
    if isinstance(node.floor, Fixed) and isinstance(node.cap, Fixed):
        low, high = node.floor.amount_cents, node.cap.amount_cents

        # Below the floor: the floor, unless the cap is under it (the cap wins).
        floored: Q = (high, 1) if high < low else (low, 1)
        capped: Q = (high, 1)

        def fixed_bounds(incomes: Sequence[int], ks: Sequence[int]) -> list[Q]:
            return [
                floored if num < low * den else capped if high * den < num else value
                for value in of(incomes, ks)  # within the bounds: the very pair, no new one
                for num, den in (value,)
            ]

        return fixed_bounds
    floor = compile_node(node.floor, compositions) if node.floor is not None else None
    cap = compile_node(node.cap, compositions) if node.cap is not None else None

    def raised(value: Q, low_q: Q) -> Q:
        return low_q if q_lt(value, low_q) else value

    def lowered(value: Q, high_q: Q) -> Q:
        return high_q if q_lt(high_q, value) else value

    def clamp(incomes: Sequence[int], ks: Sequence[int]) -> list[Q]:
        values = of(incomes, ks)
        if floor is not None:
            values = list(map(raised, values, floor(incomes, ks)))
        if cap is not None:
            values = list(map(lowered, values, cap(incomes, ks)))
        return values

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
        money, ks = [income or 0], [k]  # one household: columns of one
        try:
            low = lowest(money, ks)[0] if lowest is not None else (0, 1)
            high = highest(money, ks)[0] if highest is not None else None
            suggested = wanted(money, ks)[0] if wanted is not None else None
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
    return lambda incomes, ks: [cents] * len(incomes)


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
