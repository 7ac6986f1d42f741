"""Fast batch assessment: many households, one rule set, one month.

``assess_batch(rules, households, period, explain=...)`` returns, for every household,
exactly what ``assess(rules, facts, period, explain=...)`` returns (proved by a Hypothesis test); it is
only faster. How:

- A household's ages matter to the supported rules only through the age classes the rule set
  names (consumption-unit bands, credit age bands, CAF child age): each household is reduced
  to a *composition* (how many persons in each class). Everything that depends on the
  composition alone (consumption units, CAF parts, per-person and age-band credits, fixed
  amounts) is computed ONCE per distinct composition, by the real rule nodes on a
  representative household whose persons sit at the bottom age of each class.
- Clauses that read income (``proportional``, ``linear_average_rate_scale`` and the
  ``min``/``max``/``sum``/``clamp`` combinators over them) are compiled from the rule
  document into closures over integers, with the same exact arithmetic as the nodes.
- With ``explain=True`` the explanations are the nodes' own steps (``batch_explain``),
  traced once per composition for a composition-only section.
- Anything else falls back to ``assess``: a rule set with eligibility, engagement or another
  kind (``compile_batch`` returns ``None``), and any household with missing or odd facts
  (no persons, an unknown birth date, no income where income is read).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.engine.assess import Assessment, Status, assess, explanation_inputs
from app.engine.batch_compile import (
    HALF_UP_CENT,
    Compositions,
    Evaluator,
    Unsupported,
    compile_node,
    reads_income,
    rounder,
)
from app.engine.batch_explain import SectionTracer
from app.engine.explain import Explanation
from app.engine.facts import HouseholdFacts
from app.engine.period import Period
from app.engine.rules.nodes import CONTRIBUTION_KINDS, CREDIT_KINDS, Kinds
from app.engine.ruleset import Formula, RuleSet


@dataclass(frozen=True, slots=True)
class BatchResult:
    """Per-household results, in input order. ``fallback`` holds the ``assess`` outcomes."""

    period: Period
    household_ids: Sequence[str]
    contributions_cents: Sequence[int | None]
    credits_cents: Sequence[int | None]
    fallback: Mapping[int, Assessment]
    explanations: Sequence[Explanation | None] = ()

    def assessment(self, index: int) -> Assessment:
        """The ``Assessment`` that ``assess`` gives household ``index``."""
        found = self.fallback.get(index)
        if found is not None:
            return found
        return Assessment(
            household_id=self.household_ids[index],
            period=self.period,
            status=Status.ASSESSED,
            contribution_cents=self.contributions_cents[index],
            credit_cents=self.credits_cents[index],
            explanation=self.explanations[index] if self.explanations else None,
        )

    def assessments(self) -> list[Assessment]:
        return [self.assessment(index) for index in range(len(self.household_ids))]


def assess_batch(
    rules: RuleSet,
    households: Sequence[HouseholdFacts],
    period: Period,
    *,
    explain: bool = False,
) -> BatchResult:
    """``assess(rules, h, period, explain=explain)`` for every household, fast when possible."""
    plan = compile_batch(rules, period)
    if plan is None:
        outcomes = {i: assess(rules, h, period, explain=explain) for i, h in enumerate(households)}
        ids = [h.household_id for h in households]
        return BatchResult(period, ids, [None] * len(ids), [None] * len(ids), outcomes)
    return plan.run(households, explain=explain)


def compile_batch(rules: RuleSet, period: Period) -> BatchPlan | None:
    """A compiled plan for ``rules`` in ``period``, or ``None`` if the rule set is unsupported."""
    if rules.eligibility is not None or rules.engagement is not None:
        return None
    try:
        return BatchPlan(rules, period)
    except Unsupported:
        return None


class BatchPlan:
    """A rule set compiled for one month; ``run`` assesses a list of households."""

    def __init__(self, rules: RuleSet, period: Period) -> None:
        self.rules = rules
        self.period = period
        self.compositions = Compositions(rules, period)
        document = rules.document
        self.contribution = self._section(
            rules.contribution,
            document["contribution"]["formula"],
            "contribution.formula",
            CONTRIBUTION_KINDS,
        )
        self.credit = self._section(
            rules.credit, document["credit"]["formula"], "credit.formula", CREDIT_KINDS
        )
        self.tracers = tuple(
            SectionTracer(
                name,
                formula,
                not reads_income(document[name]["formula"]),
                rules,
                period,
                self.compositions,
            )
            for name, formula in (("contribution", rules.contribution), ("credit", rules.credit))
        )

    def _section(self, formula: Formula, doc: Any, path: str, kinds: Kinds) -> Section:
        """Per household: the rounded amount, or ``None`` when ``assess`` must decide."""
        if getattr(formula.node, "fund_level", False):
            raise Unsupported(path)
        evaluate = compile_node(doc, path, kinds, self.compositions)
        rounding = rounder(formula.rounding)
        if not reads_income(doc):
            # Composition only: rounded once per distinct composition.
            rounded: list[int | None] = []

            def by_composition(income: int | None, k: int) -> int | None:
                if k < 0:
                    return None
                try:
                    return rounded[k]
                except IndexError:
                    while len(rounded) <= k:
                        rounded.append(_rounded(evaluate, rounding, len(rounded)))
                    return rounded[k]

            return by_composition

        if rounding is HALF_UP_CENT:

            def by_household_half_up(income: int | None, k: int) -> int | None:
                if k < 0 or income is None:
                    return None
                try:
                    num, den = evaluate(income, k)
                except Unsupported:
                    return None
                if num <= 0:
                    return 0
                # ``max(0, round_ratio(num, den))`` for cent, half-up, inlined (hot path).
                quotient, remainder = divmod(num, den)
                return quotient + 1 if 2 * remainder >= den else quotient

            return by_household_half_up

        def by_household(income: int | None, k: int) -> int | None:
            if k < 0 or income is None:
                return None
            try:
                num, den = evaluate(income, k)
            except Unsupported:
                return None
            return rounding(num, den)

        return by_household

    def run(self, households: Sequence[HouseholdFacts], *, explain: bool = False) -> BatchResult:
        index_of = self.compositions.indexer()
        ks = [index_of(facts.persons) for facts in households]
        incomes = [facts.income_cents for facts in households]
        contribution, credit = self.contribution, self.credit
        contributions = [contribution(i, k) for i, k in zip(incomes, ks, strict=True)]
        credits = [credit(i, k) for i, k in zip(incomes, ks, strict=True)]
        explanations = self._explain(households, ks, contributions, credits) if explain else []
        fallback: dict[int, Assessment] = {}
        for index, (owed, received) in enumerate(zip(contributions, credits, strict=True)):
            if owed is None or received is None or (explain and explanations[index] is None):
                facts = households[index]
                fallback[index] = assess(self.rules, facts, self.period, explain=explain)
        ids = [facts.household_id for facts in households]
        return BatchResult(self.period, ids, contributions, credits, fallback, explanations)

    def _explain(
        self,
        households: Sequence[HouseholdFacts],
        ks: Sequence[int],
        contributions: Sequence[int | None],
        credits: Sequence[int | None],
    ) -> list[Explanation | None]:
        """Each household's explanation (``None`` where ``assess`` must decide)."""
        ref, period_text = self.rules.ref, str(self.period)
        contexts, measures = self.compositions.contexts, self.rules.measures
        owed_trace, credit_trace = (tracer.trace for tracer in self.tracers)
        result: list[Explanation | None] = []
        append = result.append
        for facts, k, owed, received in zip(households, ks, contributions, credits, strict=True):
            if owed is None or received is None:
                append(None)
                continue
            owed_steps = owed_trace(facts, k, owed)
            credit_steps = credit_trace(facts, k, received)
            if owed_steps is None or credit_steps is None:
                append(None)
                continue
            append(
                Explanation(
                    ref,
                    period_text,
                    facts.household_id,
                    explanation_inputs(facts),
                    owed_steps,
                    credit_steps,
                    contexts[k].measures(measures),
                )
            )
        return result


Section = Callable[[int | None, int], int | None]


def _rounded(evaluate: Evaluator, rounding: Callable[[int, int], int], k: int) -> int | None:
    try:
        num, den = evaluate(0, k)
    except Unsupported:
        return None
    return rounding(num, den)
