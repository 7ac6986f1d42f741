"""Kinds shared by contribution and credit formulas: fixed amounts and min/max/clamp/sum.

``min``, ``max`` and ``clamp`` compose any nodes exactly (no rounding in between); the
section's declared rounding is applied once, to the final value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from app.engine.exact import Q, q_add, q_lt
from app.engine.explain import Params, Step, register_messages, step
from app.engine.rules.cents_or_formula import read_amount
from app.engine.rules.nodes import CONTRIBUTION_KINDS, CREDIT_KINDS, Kinds, Node, parse_node
from app.engine.rules.reader import Reader

register_messages(
    {
        "fixed": {"fr": "Montant fixe : {amount_cents}.", "en": "Fixed amount: {amount_cents}."},
        "min": {
            "fr": "Le plus petit des montants possibles est retenu : {result_cents}.",
            "en": "The smallest of the possible amounts is kept: {result_cents}.",
        },
        "max": {
            "fr": "Le plus grand des montants possibles est retenu : {result_cents}.",
            "en": "The largest of the possible amounts is kept: {result_cents}.",
        },
        "clamp.raised": {
            "fr": "Le montant est relevé au plancher de {floor_cents}.",
            "en": "The amount is raised to the floor of {floor_cents}.",
        },
        "clamp.lowered": {
            "fr": "Le montant est ramené au plafond de {cap_cents}.",
            "en": "The amount is lowered to the cap of {cap_cents}.",
        },
        "clamp.within": {
            "fr": "Le montant est entre le plancher et le plafond : il est gardé tel quel.",
            "en": "The amount is between the floor and the cap: it is kept as is.",
        },
        "sum": {
            "fr": "Somme des montants : {result_cents}.",
            "en": "Sum of the amounts: {result_cents}.",
        },
    }
)


def q_cents(value: Q) -> int | Fraction:
    """An exact amount of cents as a step parameter: an int when whole, else a Fraction."""
    num, den = value
    if den == 1:
        return num
    exact = Fraction(num, den)
    return exact.numerator if exact.denominator == 1 else exact


def one_amount(name: str, value: Q) -> Params:
    """The parameters of a step that shows one exact amount (for deferred steps)."""
    return ((name, q_cents(value)),)


@dataclass(frozen=True, slots=True)
class Fixed:
    path: str
    amount_cents: int
    # The same words every time: built once (steps are immutable and shared).
    step: Step = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "step", step(self.path, "fixed", amount_cents=self.amount_cents))

    def evaluate(self, ctx: Any, trace: list[Step] | None) -> Q:
        if trace is not None:
            trace.append(self.step)
        return (self.amount_cents, 1)


@dataclass(frozen=True, slots=True)
class Extreme:
    """``min`` or ``max`` of several nodes."""

    path: str
    of: tuple[Node, ...]
    largest: bool

    def evaluate(self, ctx: Any, trace: list[Step] | None) -> Q:
        best: Q | None = None
        for node in self.of:
            value = node.evaluate(ctx, trace)
            if best is None or (q_lt(best, value) if self.largest else q_lt(value, best)):
                best = value
        assert best is not None  # parse guarantees at least one operand
        if trace is not None:
            code = "max" if self.largest else "min"
            trace.append(Step.deferred(self.path, code, one_amount, "result_cents", best))
        return best


@dataclass(frozen=True, slots=True)
class Clamp:
    """``of`` kept between ``floor`` and ``cap`` (either optional).

    When a computed floor lies above the cap, the cap wins: a cap is a promise to members
    (e.g. "never more than 150 €") and a floor must not break it. Same rule as free choice.
    """

    path: str
    of: Node
    floor: Node | None
    cap: Node | None
    # Steps whose words never change (whole-cent bounds): built once, shared by every household.
    within: Step = field(init=False, repr=False, compare=False)
    raised: Step | None = field(init=False, repr=False, compare=False)
    lowered: Step | None = field(init=False, repr=False, compare=False)
    # Both bounds whole cents (``Fixed``): ``(floor, cap)``, and per outcome (``outcome``) the
    # steps the bounds add after ``of``'s, in the order ``evaluate`` gives them in general.
    fixed: tuple[int, int] | None = field(init=False, repr=False, compare=False)
    outcome_steps: tuple[tuple[Step, ...], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        floor, cap = self.floor, self.cap
        object.__setattr__(self, "within", step(self.path, "clamp.within"))
        raised = None
        if isinstance(floor, Fixed):
            raised = step(self.path, "clamp.raised", floor_cents=floor.amount_cents)
        object.__setattr__(self, "raised", raised)
        lowered = None
        if isinstance(cap, Fixed):
            lowered = step(self.path, "clamp.lowered", cap_cents=cap.amount_cents)
        object.__setattr__(self, "lowered", lowered)
        fixed: tuple[int, int] | None = None
        outcome_steps: tuple[tuple[Step, ...], ...] = ()
        if isinstance(floor, Fixed) and isinstance(cap, Fixed) and raised and lowered:
            fixed = (floor.amount_cents, cap.amount_cents)
            outcome_steps = (
                (floor.step, cap.step, self.within),  # KEPT
                (floor.step, raised, cap.step),  # RAISED
                (floor.step, cap.step, lowered),  # LOWERED
                (floor.step, raised, cap.step, lowered),  # RAISED then LOWERED: cap < floor
            )
        object.__setattr__(self, "fixed", fixed)
        object.__setattr__(self, "outcome_steps", outcome_steps)

    def evaluate(self, ctx: Any, trace: list[Step] | None) -> Q:
        value = self.of.evaluate(ctx, trace)
        if self.fixed is not None:  # whole-cent bounds: nothing more to read from the household
            outcome = self.outcome(*value)
            if trace is not None:
                trace.extend(self.outcome_steps[outcome])
            return self.settled(value, outcome)
        moved = False
        if self.floor is not None:
            floor = self.floor.evaluate(ctx, trace)
            if q_lt(value, floor):
                value, moved = floor, True
                if trace is not None:
                    trace.append(
                        self.raised
                        or Step.deferred(
                            self.path, "clamp.raised", one_amount, "floor_cents", floor
                        )
                    )
        if self.cap is not None:
            cap = self.cap.evaluate(ctx, trace)
            if q_lt(cap, value):
                value, moved = cap, True
                if trace is not None:
                    trace.append(
                        self.lowered
                        or Step.deferred(self.path, "clamp.lowered", one_amount, "cap_cents", cap)
                    )
        if trace is not None and not moved:
            trace.append(self.within)
        return value

    def outcome(self, num: int, den: int) -> int:
        """With whole-cent bounds (``fixed``), how the exact value ``num / den`` is moved:
        ``KEPT``, ``RAISED`` to the floor, ``LOWERED`` to the cap, or both (a cap under the
        floor: the cap wins). Written once: ``evaluate`` and, over a column, the batch
        path's explanations (``app.engine.batch.paths``) read it here."""
        if self.fixed is None:
            raise ValueError(f"{self.path}: only a clamp with whole-cent bounds has an outcome")
        low, high = self.fixed
        if num < low * den:
            return RAISED_LOWERED if high < low else RAISED
        return LOWERED if high * den < num else KEPT

    def settled(self, value: Q, outcome: int) -> Q:
        """The value once moved as ``outcome`` says (``outcome``): ``KEPT`` keeps it."""
        if outcome == KEPT or self.fixed is None:
            return value
        low, high = self.fixed
        return (low, 1) if outcome == RAISED else (high, 1)


KEPT, RAISED, LOWERED, RAISED_LOWERED = range(4)  # ``Clamp.outcome``


@dataclass(frozen=True, slots=True)
class Sum:
    path: str
    of: tuple[Node, ...]

    def evaluate(self, ctx: Any, trace: list[Step] | None) -> Q:
        total: Q = (0, 1)
        for node in self.of:
            total = q_add(total, node.evaluate(ctx, trace))
        if trace is not None:
            trace.append(Step.deferred(self.path, "sum", one_amount, "result_cents", total))
        return total


def _parse_fixed(reader: Reader, doc: Mapping[str, Any], path: str, kinds: Kinds) -> Node | None:
    reader.only_keys(doc, ("kind", "amount_cents"), path)
    amount = reader.cents(doc, "amount_cents", path)
    return Fixed(path, amount) if amount is not None else None


def _operands(
    reader: Reader, doc: Mapping[str, Any], path: str, kinds: Kinds
) -> tuple[Node, ...] | None:
    items = reader.sequence(doc.get("of"), f"{path}.of", min_items=1)
    if items is None:
        return None
    nodes = [parse_node(reader, item, f"{path}.of[{i}]", kinds) for i, item in enumerate(items)]
    if any(node is None for node in nodes):
        return None
    return tuple(node for node in nodes if node is not None)


def _parse_min(reader: Reader, doc: Mapping[str, Any], path: str, kinds: Kinds) -> Node | None:
    reader.only_keys(doc, ("kind", "of"), path)
    operands = _operands(reader, doc, path, kinds)
    return Extreme(path, operands, largest=False) if operands else None


def _parse_max(reader: Reader, doc: Mapping[str, Any], path: str, kinds: Kinds) -> Node | None:
    reader.only_keys(doc, ("kind", "of"), path)
    operands = _operands(reader, doc, path, kinds)
    return Extreme(path, operands, largest=True) if operands else None


def _parse_sum(reader: Reader, doc: Mapping[str, Any], path: str, kinds: Kinds) -> Node | None:
    reader.only_keys(doc, ("kind", "of"), path)
    operands = _operands(reader, doc, path, kinds)
    return Sum(path, operands) if operands else None


def _bound(
    reader: Reader, doc: Mapping[str, Any], path: str, kinds: Kinds, name: str
) -> tuple[bool, Node | None]:
    """A clamp bound: ``<name>_cents`` (a ``Fixed`` node at that field) or ``<name>``."""
    ok, amount = read_amount(reader, doc, path, kinds, name)
    if amount is None or amount.node is not None:
        return ok, amount.node if amount is not None else None
    return ok, Fixed(f"{path}.{name}_cents", amount.cents or 0)


def _parse_clamp(reader: Reader, doc: Mapping[str, Any], path: str, kinds: Kinds) -> Node | None:
    reader.only_keys(doc, ("kind", "of", "floor", "floor_cents", "cap", "cap_cents"), path)
    if "of" not in doc:
        reader.add(f"{path}.of", "this field is required")
        return None
    of = parse_node(reader, doc["of"], f"{path}.of", kinds)
    ok_floor, floor = _bound(reader, doc, path, kinds, "floor")
    ok_cap, cap = _bound(reader, doc, path, kinds, "cap")
    if floor is None and cap is None and ok_floor and ok_cap:
        reader.add(path, "a clamp needs a floor, a cap, or both")
        return None
    if (
        isinstance(floor, Fixed)
        and isinstance(cap, Fixed)
        and floor.amount_cents > cap.amount_cents
    ):
        reader.add(path, f"the floor ({floor.amount_cents}) is above the cap ({cap.amount_cents})")
        return None
    if of is None or not ok_floor or not ok_cap:
        return None
    return Clamp(path, of, floor, cap)


for _kinds in (CONTRIBUTION_KINDS, CREDIT_KINDS):
    _kinds["fixed"] = _parse_fixed
    _kinds["min"] = _parse_min
    _kinds["max"] = _parse_max
    _kinds["clamp"] = _parse_clamp
    _kinds["sum"] = _parse_sum
