"""Explanations for the compiled households, the steps the nodes give one household alone.

The steps come from the rule nodes themselves (``node.evaluate(ctx, trace)``), never from a
copy of their wording, so they are the nodes' own. What is saved:

- a section that depends on the household's composition only (e.g. an age-band credit) is
  traced once per distinct composition, on the representative household of
  ``app.engine.batch.compositions.Compositions``, and its steps are shared (they are immutable);
- the other section runs its nodes on a ``Context`` whose consumption units and CAF parts
  are taken from the composition instead of being summed again person by person.

A household whose traced amount would differ from the compiled amount (never expected) goes
through the nodes one household at a time (``app.engine.batch.household``): ``trace``
returns ``None``.
"""

from __future__ import annotations

from fractions import Fraction

from app.engine.assessment import rounding_step
from app.engine.batch.compile import rounder
from app.engine.batch.compositions import Compositions
from app.engine.exact import Q
from app.engine.explain import Step
from app.engine.facts import HouseholdFacts
from app.engine.period import Period
from app.engine.resources import Context, NeedsData
from app.engine.rules.nodes import Rejected
from app.engine.ruleset import Formula, RuleSet


class SectionTracer:
    """The steps of one section (contribution or credit) for one household."""

    def __init__(
        self,
        section: str,
        formula: Formula,
        composition_only: bool,
        rules: RuleSet,
        period: Period,
        compositions: Compositions,
    ) -> None:
        self.section = section
        self.formula = formula
        self.composition_only = composition_only
        self.rules = rules
        self.period = period
        self.compositions = compositions
        self.shared: dict[int, tuple[int, tuple[Step, ...]] | None] = {}
        self.divisors: dict[int, tuple[Q, Fraction]] = {}
        self.age_day = period.day(rules.definitions.age_reference_day)
        self.round = rounder(formula.rounding)

    def trace(self, facts: HouseholdFacts, k: int, amount_cents: int) -> tuple[Step, ...] | None:
        if self.composition_only:
            if k not in self.shared:
                self.shared[k] = self._run(self.compositions.contexts[k])
            found = self.shared[k]
        else:
            divisors = self.divisors.get(k) or self._divisors(k)
            if divisors is None:
                ctx = Context(facts, self.period, self.rules.definitions)
            else:
                ctx = Context(
                    facts,
                    self.period,
                    self.rules.definitions,
                    age_day=self.age_day,
                    units=divisors[0],
                    parts=divisors[1],
                )
            found = self._run(ctx)
        if found is None or found[0] != amount_cents:
            return None
        return found[1]

    def _divisors(self, k: int) -> tuple[Q, Fraction] | None:
        """The composition's consumption units and CAF parts (``None``: use the facts)."""
        representative = self.compositions.contexts[k]
        try:
            units = representative.consumption_units_q()
            parts = representative.family_parts()
        except NeedsData:
            return None
        divisors = self.divisors[k] = (units, parts)
        return divisors

    def _run(self, ctx: Context) -> tuple[int, tuple[Step, ...]] | None:
        """Like ``household``'s section: evaluate with a trace, round once, add the rounding step."""
        trace: list[Step] = []
        formula = self.formula
        try:
            num, den = formula.node.evaluate(ctx, trace)
        except (NeedsData, Rejected):
            return None
        amount_cents = self.round(num, den)  # max(0, round_ratio(num, den, rounding))
        trace.append(rounding_step(self.section, num, den, amount_cents, formula.rounding))
        return amount_cents, tuple(trace)
