"""The ``free_choice`` contribution kind: the member chooses, between computed bounds.

The chosen amount is the result, exactly as chosen (see ``choice_bounds`` for how the bounds
are rounded and checked). A missing choice is ``NeedsData("chosen_contribution_cents")``; an
unacceptable one is ``Rejected`` with a message naming the bounds, the step or the levels.
``ctx.choice`` is set to the offered ``ChoiceBounds`` before the choice is checked. When every
bound is a fixed amount, the offer and its explanation are computed once, at parse time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from app.engine.exact import Q
from app.engine.explain import Step, step
from app.engine.problems import Problem
from app.engine.resources import Context, NeedsData
from app.engine.rules.cents_or_formula import Amount, read_amount
from app.engine.rules.choice_bounds import CHOICE_FIELD, ChoiceBounds, euros, offer
from app.engine.rules.nodes import CONTRIBUTION_KINDS, Kinds, Node, Rejected
from app.engine.rules.reader import Reader

__all__ = ["CHOICE_FIELD", "ChoiceBounds", "FreeChoice"]


@dataclass(frozen=True, slots=True)
class FreeChoice:
    """The member's chosen amount, checked against bounds computed for the household."""

    path: str
    minimum: Amount | None
    maximum: Amount | None
    suggested: Amount | None
    step_cents: int | None
    levels_cents: tuple[int, ...] | None
    # Precomputed when every bound is a fixed amount: the offer and its explanation.
    fixed: ChoiceBounds | None
    fixed_steps: tuple[Step, ...]

    def evaluate(self, ctx: Context, trace: list[Step] | None) -> Q:
        bounds = self.fixed
        if bounds is None:
            bounds = self._offer(ctx, trace)
        elif trace is not None:
            trace.extend(self.fixed_steps)
        ctx.choice = bounds
        chosen = ctx.facts.chosen_contribution_cents
        if chosen is None:
            raise NeedsData(
                CHOICE_FIELD,
                "needs.choice",
                range=bounds.range_text("fr"),
                range_en=bounds.range_text("en"),
            )
        refusal = bounds.refusal(chosen)
        if refusal is not None:
            raise Rejected(Problem(CHOICE_FIELD, refusal))
        if trace is not None:
            trace.append(step(self.path, "free_choice.chosen", chosen_cents=chosen))
        return (chosen, 1)

    def _offer(self, ctx: Context, trace: list[Step] | None) -> ChoiceBounds:
        low = self.minimum.value(ctx, trace) if self.minimum is not None else (0, 1)
        high = self.maximum.value(ctx, trace) if self.maximum is not None else None
        wanted = self.suggested.value(ctx, trace) if self.suggested is not None else None
        bounds, raw_min = offer(low, high, wanted, self.step_cents, self.levels_cents)
        if trace is not None:
            trace.extend(bounds.steps(self.path, raw_min))
        return bounds


_FIELDS = (
    "kind",
    "min",
    "min_cents",
    "max",
    "max_cents",
    "suggested",
    "suggested_cents",
    "step_cents",
    "levels_cents",
)


def _levels(
    reader: Reader, doc: Mapping[str, Any], path: str
) -> tuple[bool, tuple[int, ...] | None]:
    """``levels_cents``: whole cents, strictly increasing; (ok, levels or None if absent)."""
    if "levels_cents" not in doc:
        return True, None
    where = f"{path}.levels_cents"
    items = reader.sequence(doc["levels_cents"], where, min_items=1)
    if items is None:
        return False, None
    levels = [
        reader.cents({"level": item}, "level", f"{where}[{i}]") for i, item in enumerate(items)
    ]
    if any(level is None for level in levels):
        return False, None
    values = tuple(level or 0 for level in levels)
    if any(b <= a for a, b in pairwise(values)):
        reader.add(where, "levels must be listed from the lowest to the highest, each once")
        return False, None
    return True, values


def _parse_free_choice(
    reader: Reader, doc: Mapping[str, Any], path: str, kinds: Kinds
) -> Node | None:
    reader.only_keys(doc, _FIELDS, path)
    ok_min, minimum = read_amount(reader, doc, path, kinds, "min")
    ok_max, maximum = read_amount(reader, doc, path, kinds, "max")
    ok_suggested, suggested = read_amount(reader, doc, path, kinds, "suggested")
    step_cents = reader.cents(doc, "step_cents", path, required=False, minimum=1)
    ok_levels, levels = _levels(reader, doc, path)
    ok = (
        ok_min
        and ok_max
        and ok_suggested
        and ok_levels
        and ("step_cents" not in doc or step_cents is not None)
    )
    if "step_cents" in doc and "levels_cents" in doc:
        reader.add(
            path, "give either step_cents (a grid from the minimum) or levels_cents, not both"
        )
        ok = False
    if not ok:
        return None
    consistent, fixed = _fixed_offer(reader, path, minimum, maximum, suggested, step_cents, levels)
    if not consistent:
        return None
    steps = fixed.steps(path, fixed.min_cents) if fixed is not None else ()
    return FreeChoice(path, minimum, maximum, suggested, step_cents, levels, fixed, steps)


def _fixed_offer(
    reader: Reader,
    path: str,
    minimum: Amount | None,
    maximum: Amount | None,
    suggested: Amount | None,
    step_cents: int | None,
    levels: tuple[int, ...] | None,
) -> tuple[bool, ChoiceBounds | None]:
    """(ok, the offer) when no bound is a formula, checked now; (True, None) otherwise."""
    parts = (minimum, maximum, suggested)
    if any(part is not None and part.node is not None for part in parts):
        return True, None
    low = minimum.cents if minimum is not None and minimum.cents is not None else 0
    high = maximum.cents if maximum is not None else None
    if high is not None and low > high:
        reader.add(
            f"{path}.min_cents", f"the minimum ({euros(low)}) is above the maximum ({euros(high)})"
        )
        return False, None
    bounds, _ = offer((low, 1), None if high is None else (high, 1), None, step_cents, levels)
    if levels is not None and not bounds.levels_cents:
        reader.add(f"{path}.levels_cents", f"no level is within the bounds ({bounds.range_text()})")
        return False, None
    if suggested is not None and suggested.cents is not None:
        refusal = bounds.refusal(suggested.cents)
        if refusal is not None:
            reader.add(
                f"{path}.suggested_cents", f"the suggested amount is not acceptable: {refusal}"
            )
            return False, None
        bounds = ChoiceBounds(low, high, suggested.cents, step_cents, bounds.levels_cents)
    return True, bounds


CONTRIBUTION_KINDS["free_choice"] = _parse_free_choice
