"""The batch plan: one rule set compiled for one month, run over many households.

``assess_batch(rules, households, period, explain=...)`` gives every household its
``Assessment``; ``app.engine.assess.assess`` is the batch of one. How:

- A household's ages matter to the rules only through the age classes the rule set's nodes
  name: each household is reduced to a *composition* (``app.engine.batch.compositions``),
  and everything that depends on the composition alone is computed ONCE per distinct
  composition, by the real rule nodes on a representative household.
- The nodes that read income are compiled to closures over integers by
  ``app.engine.batch.compile`` -- from the parsed nodes, with their exact arithmetic.
- A free choice is the household's own amount, within the bounds the node offers it
  (``compile_choice``), and those bounds go with its ``Assessment``.
- With ``explain=True`` the explanations are the nodes' own steps (``app.engine.batch.explain``),
  traced once per composition for a composition-only section.
- What has no fast form goes through the same nodes one household at a time
  (``app.engine.batch.household``): a rule set with eligibility, engagement, a fund-level
  credit or a node class without a compiler (``compile_batch`` returns ``None``), and any
  household with missing or odd facts (no persons, an unknown birth date, no income where
  income is read, no choice or one its bounds refuse).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import partial
from itertools import chain, compress, repeat
from typing import overload

from app.engine.assessment import Assessment, assessed, explanation_inputs
from app.engine.batch.columns import WHOLE_TYPECODES, HouseholdColumns
from app.engine.batch.compile import (
    HALF_UP_CENT,
    Evaluator,
    Unsupported,
    compile_choice,
    compile_node,
    reads_income,
    rounder,
    supports,
)
from app.engine.batch.compositions import Compositions
from app.engine.batch.explain import SectionTracer
from app.engine.batch.household import assess_household
from app.engine.batch.paths import CHUNK, PathExplainer
from app.engine.exact import Q
from app.engine.explain import Explanation
from app.engine.facts import HouseholdFacts
from app.engine.period import Period
from app.engine.rules.choice import ChoiceBounds, FreeChoice
from app.engine.ruleset import Formula, RuleSet


@dataclass(frozen=True, slots=True)
class BatchResult:
    """Per-household results, in input order. ``fallback`` holds the outcomes of the
    households that went through the nodes one at a time (``app.engine.batch.household``;
    their amounts here are ``None``)."""

    period: Period
    household_ids: Sequence[str]
    contributions_cents: Sequence[int | None]
    credits_cents: Sequence[int | None]
    fallback: Mapping[int, Assessment]
    explanations: Sequence[Explanation | None] = ()
    choices: Sequence[ChoiceBounds | None] = ()  # the bounds offered, with a free choice

    def assessment(self, index: int) -> Assessment:
        """Household ``index``'s ``Assessment``."""
        found = self.fallback.get(index)
        if found is not None:
            return found
        return assessed(
            self.household_ids[index],
            self.period,
            self.contributions_cents[index],
            self.credits_cents[index],
            self.explanations[index] if self.explanations else None,
            self.choices[index] if self.choices else None,
        )

    def assessments(self) -> list[Assessment]:
        """Every household's ``Assessment``, in input order."""
        period = self.period
        count = len(self.household_ids)
        fallback = self.fallback
        if len(fallback) == count:  # a rule set without a plan: every household node by node
            return [fallback[index] for index in range(count)]
        explanations = self.explanations or repeat(None, count)
        choices = self.choices or repeat(None, count)
        outcomes = [
            assessed(household_id, period, owed, received, explanation, choice)
            for household_id, owed, received, explanation, choice in zip(
                self.household_ids,
                self.contributions_cents,
                self.credits_cents,
                explanations,
                choices,
                strict=True,
            )
        ]
        for index, found in fallback.items():
            outcomes[index] = found
        return outcomes


def assess_batch(
    rules: RuleSet,
    households: Sequence[HouseholdFacts],
    period: Period,
    *,
    explain: bool = False,
) -> BatchResult:
    """Every household's ``Assessment`` for ``period`` under ``rules`` (``BatchResult``)."""
    return run_plan(compile_batch(rules, period), rules, households, period, explain=explain)


def assess_columns(
    rules: RuleSet, columns: HouseholdColumns, period: Period, *, explain: bool = False
) -> BatchResult:
    """``assess_batch`` for households given as columns (a loader of stored columns): the
    same plan, the same outcomes; without a plan, each ``columns.household(i)`` node by node.
    ``columns.household(i)`` carries no attributes or engagement: a caller whose households
    have some passes their facts as ``columns.facts`` (their explanations list them)."""
    plan = compile_batch(rules, period)
    if plan is None:
        households = [columns.household(index) for index in range(len(columns))]
        return run_plan(None, rules, households, period, explain=explain)
    return plan.run_columns(columns, explain=explain)


def run_plan(
    plan: BatchPlan | None,
    rules: RuleSet,
    households: Sequence[HouseholdFacts],
    period: Period,
    *,
    explain: bool,
) -> BatchResult:
    """``plan.run``, or every household through the nodes when ``rules`` have no plan."""
    if plan is None:
        outcomes = {
            i: assess_household(rules, h, period, explain=explain) for i, h in enumerate(households)
        }
        ids = [h.household_id for h in households]
        return BatchResult(period, ids, [None] * len(ids), [None] * len(ids), outcomes)
    return plan.run(households, explain=explain)


def compile_batch(rules: RuleSet, period: Period) -> BatchPlan | None:
    """A compiled plan for ``rules`` in ``period``, or ``None`` when it has no fast form."""
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
        chooser = rules.contribution.node
        # A free choice: the household's own amount, within the bounds the node offers it.
        self.choice = (
            compile_choice(chooser, self.compositions) if isinstance(chooser, FreeChoice) else None
        )
        self.contribution = self._section(rules.contribution) if self.choice is None else None
        self.credit = self._section(rules.credit)
        self.period_text = str(period)
        self.measures: dict[int, tuple[tuple[str, Fraction], ...]] = {}
        self.tracers = (
            SectionTracer(
                "contribution",
                rules.contribution,
                self.choice is None and not reads_income(chooser),
                rules,
                period,
                self.compositions,
            ),
            SectionTracer(
                "credit",
                rules.credit,
                not reads_income(rules.credit.node),
                rules,
                period,
                self.compositions,
            ),
        )

        # Explanations by path (``app.engine.batch.paths``), where the nodes have column methods.
        self.paths: PathExplainer | None
        try:
            self.paths = PathExplainer(self)
        except Unsupported:
            self.paths = None

    def _section(self, formula: Formula) -> Section:
        """Per household: the rounded amount, or ``None`` when it goes node by node."""
        if getattr(formula.node, "fund_level", False):
            raise Unsupported(formula.node.path)
        evaluate = compile_node(formula.node, self.compositions)
        rounding = rounder(formula.rounding)
        if not reads_income(formula.node):
            return _by_composition(evaluate, rounding, self.compositions)
        return partial(_by_income, evaluate, rounding)

    def run(self, households: Sequence[HouseholdFacts], *, explain: bool = False) -> BatchResult:
        """Every household's outcome: their columns (``HouseholdColumns.from_facts``) run."""
        return self.run_columns(HouseholdColumns.from_facts(households), explain=explain)

    def run_columns(self, columns: HouseholdColumns, *, explain: bool = False) -> BatchResult:
        """Every household's outcome, column by column: compositions, then each section's
        amounts; what has no fast form goes node by node (``fallback``). Explanations are
        built when read (``Explanations``)."""
        ks = self.compositions.indices(columns)
        incomes = columns.incomes_cents
        choices: list[ChoiceBounds | None] = []
        if self.contribution is not None:
            contributions = self.contribution(incomes, ks)
        else:
            contributions, choices = self._chosen(columns, ks)
        credits = self.credit(incomes, ks)
        fallback: dict[int, Assessment] = {}
        if None in contributions or None in credits:
            for index, (owed, received) in enumerate(zip(contributions, credits, strict=True)):
                if owed is None or received is None:
                    facts = columns.household(index)
                    fallback[index] = assess_household(
                        self.rules, facts, self.period, explain=explain
                    )
        explanations = Explanations(self, columns, ks, contributions, credits) if explain else ()
        return BatchResult(
            self.period,
            columns.household_ids,
            contributions,
            credits,
            fallback,
            explanations,
            choices,
        )

    def _chosen(
        self, columns: HouseholdColumns, ks: Sequence[int]
    ) -> tuple[list[int | None], list[ChoiceBounds | None]]:
        """Each household's chosen amount, rounded as the section says, and the bounds offered
        (``None`` where it goes node by node: no choice, or one the bounds refuse)."""
        offered = self.choice
        assert offered is not None  # only called with a free choice
        rounding = rounder(self.rules.contribution.rounding)
        chosen_column = columns.chosen_contributions_cents or repeat(None, len(ks))
        amounts: list[int | None] = []
        choices: list[ChoiceBounds | None] = []
        for income, k, chosen in zip(columns.incomes_cents, ks, chosen_column, strict=True):
            bounds = offered(income, k)
            if bounds is None or chosen is None or bounds.refusal(chosen) is not None:
                amounts.append(None)
            else:
                amounts.append(rounding(chosen, 1))
            choices.append(bounds)
        return amounts, choices

    def explanation(
        self, facts: HouseholdFacts, k: int, owed_cents: int, received_cents: int
    ) -> Explanation | None:
        """The explanation of a household the plan assessed (composition ``k``, its two
        amounts): the nodes' own steps (``app.engine.batch.explain``), the composition's
        measures computed once per composition."""
        owed_steps = self.tracers[0].trace(facts, k, owed_cents)
        credit_steps = self.tracers[1].trace(facts, k, received_cents)
        if owed_steps is None or credit_steps is None:
            # Never expected (the traced amounts are the compiled ones): the nodes' own.
            return assess_household(self.rules, facts, self.period, explain=True).explanation
        measures = self.measures.get(k)
        if measures is None:
            measures = self.measures[k] = self.compositions.contexts[k].measures(
                self.rules.measures
            )
        return Explanation(
            self.rules.ref,
            self.period_text,
            facts.household_id,
            explanation_inputs(facts),
            owed_steps,
            credit_steps,
            measures,
        )


class Explanations(Sequence[Explanation | None]):
    """Each household's explanation (``None`` for one that went node by node: its outcome in
    ``fallback`` has its own), built from the plan each time it is read: a run with
    explanations costs what one without does. One read alone is the nodes' own trace of the
    household (``BatchPlan.explanation``); read in order (iterated), they are built a chunk
    of households at a time, by path (``app.engine.batch.paths``: the same steps, traced
    once per path). What it says never depends on when or how it is read (the plan's steps
    are pure; ``tests/engine/test_batch_paths.py``)."""

    def __init__(
        self,
        plan: BatchPlan,
        columns: HouseholdColumns,
        ks: Sequence[int],
        contributions: Sequence[int | None],
        credits: Sequence[int | None],
    ) -> None:
        self.plan, self.columns, self.ks = plan, columns, ks
        self.contributions, self.credits = contributions, credits

    def __len__(self) -> int:
        return len(self.ks)

    def __iter__(self) -> Iterator[Explanation | None]:
        count = len(self)
        if self.plan.paths is None:
            return map(self._one, range(count))
        starts = range(0, count, CHUNK)
        return chain.from_iterable(map(self._built, starts, [*starts[1:], count]))

    @overload
    def __getitem__(self, index: int) -> Explanation | None: ...

    @overload
    def __getitem__(self, index: slice) -> list[Explanation | None]: ...

    def __getitem__(self, index: int | slice) -> Explanation | list[Explanation | None] | None:
        if isinstance(index, slice):
            return [self[item] for item in range(*index.indices(len(self)))]
        return self._one(index)

    def _one(self, index: int) -> Explanation | None:
        """Household ``index``'s explanation, the nodes' own trace (a path's template costs
        more than one household's trace: it pays from a chunk of households on)."""
        owed, received = self.contributions[index], self.credits[index]
        if owed is None or received is None:
            return None
        facts = self.columns.household(index)
        return self.plan.explanation(facts, self.ks[index], owed, received)

    def _built(self, start: int, stop: int) -> list[Explanation | None]:
        """Households ``start`` to ``stop``'s explanations, by path."""
        paths = self.plan.paths
        assert paths is not None  # only iterated by chunks with paths
        return paths.explanations(
            self.columns, self.ks, self.contributions, self.credits, start, stop
        )


Section = Callable[[Sequence[int | None], Sequence[int]], list[int | None]]


def _by_income(
    evaluate: Evaluator,
    rounding: Callable[[int, int], int],
    incomes: Sequence[int | None],
    ks: Sequence[int],
) -> list[int | None]:
    """A section that reads income: the compiled node over the whole columns at once, then
    rounded (``None`` where a household goes node by node: an unknown income, k = -1, or a
    composition the compiled nodes do not take, ``supports``)."""
    refused = {k for k in set(ks) if k < 0 or not supports(evaluate, k)}
    if not refused and not _may_hold_none(incomes):
        return _rounded_column(rounding, evaluate(incomes, ks))  # type: ignore[arg-type]
    kept = [income is not None and k not in refused for income, k in zip(incomes, ks, strict=True)]
    known: list[int] = list(compress(incomes, kept))  # type: ignore[arg-type]  # no ``None``
    amounts = iter(_rounded_column(rounding, evaluate(known, list(compress(ks, kept)))))
    return [next(amounts) if keep else None for keep in kept]


def _may_hold_none(column: Sequence[int | None]) -> bool:
    """Whether ``None`` is in ``column`` (never in an array of whole numbers: not asked, as
    asking would box every value)."""
    if isinstance(column, array) and column.typecode in WHOLE_TYPECODES:
        return False
    return None in column


def _rounded_column(rounding: Callable[[int, int], int], values: list[Q]) -> list[int | None]:
    """Each exact amount rounded as the section says."""
    if rounding is not HALF_UP_CENT:
        return [rounding(num, den) for num, den in values]
    # ``max(0, round_ratio(num, den))`` for cent, half-up, inlined (the hot loop): with
    # ``num = q·den + r``, ``(2·num + den) // (2·den)`` is ``q + 1`` exactly when ``2·r >= den``.
    return [(2 * num + den) // (2 * den) if num > 0 else 0 for num, den in values]


def _by_composition(
    evaluate: Evaluator, rounding: Callable[[int, int], int], compositions: Compositions
) -> Section:
    """A composition-only section: rounded once per distinct composition, then looked up."""
    rounded: list[int | None] = []

    def amounts(incomes: Sequence[int | None], ks: Sequence[int]) -> list[int | None]:
        while len(rounded) < len(compositions.contexts):
            rounded.append(_rounded(evaluate, rounding, len(rounded)))
        return list(map([*rounded, None].__getitem__, ks))  # k = -1: the ``None`` at the end

    return amounts


def _rounded(evaluate: Evaluator, rounding: Callable[[int, int], int], k: int) -> int | None:
    try:
        ((num, den),) = evaluate([0], [k])
    except Unsupported:
        return None
    return rounding(num, den)
