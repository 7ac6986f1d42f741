"""One month of a whole fund: every household assessed, fund-level credits, rationing, totals.

``assess_fund`` is pure and order-independent: households are assessed by the one
interpreter of the rules (``app.engine.batch.assess_batch``; ``app.engine.assess.assess`` is
its batch of one) and handled by ascending household id, so any permutation of the input gives
the same ``FundMonth`` (and the same explanation bytes). It guarantees:

- credits of the ``mean_of_contributions`` kind are an equal split of the month's total
  contributions of the assessed households (largest remainder, ties by household id), so
  they sum to those contributions exactly;
- when ``budget_cents`` is given and the credits exceed it, credits are rationed with the
  rule set's ``RationingPolicy`` (``app.engine.rationing``): they then sum to the budget
  exactly, no household gets more than its entitlement, and each rationed household's
  entitlement and granted credit are recorded and explained (French and English);
- totals are sums of the final per-household figures.

A funder's share (third-party top-up) is kept within the granted credit: if rationing cuts a
credit below its funder share, the share is lowered to the credit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import compress, islice, pairwise
from operator import attrgetter, lt
from typing import TypeAlias, TypeVar, overload

from app.engine.arrears import WAIVER_ATTRIBUTE, arrears_effect
from app.engine.assess import Assessment, Status
from app.engine.batch import HouseholdColumns, assess_columns
from app.engine.explain import ParamValue, RuleSetRef, Step, register_messages, step
from app.engine.facts import HouseholdFacts
from app.engine.fund_columns import MonthAssessments
from app.engine.money import split_by_largest_remainder
from app.engine.period import Period
from app.engine.problems import InvalidInput, Problem
from app.engine.rationing import RationingResult, ration_in_order
from app.engine.ruleset import RuleSet

Households: TypeAlias = Sequence[HouseholdFacts] | HouseholdColumns
"""A month's households: their facts, or their columns (in ascending id order)."""

register_messages(
    {
        "fund.mean_of_contributions": {
            "fr": "Les participations du mois ({total_cents}) sont réparties à parts égales "
            "entre les {households} foyers : votre crédit est de {result_cents}.",
            "en": "The month's contributions ({total_cents}) are shared equally between the "
            "{households} households: your credit is {result_cents}.",
        },
        "fund.rationing.proportional": {
            "fr": "Le budget du mois ({budget_cents}) ne couvre pas tous les droits "
            "({total_cents}) : chaque foyer reçoit la même proportion de son droit. "
            "Votre droit de {entitlement_cents} devient {granted_cents}.",
            "en": "The month's budget ({budget_cents}) does not cover every entitlement "
            "({total_cents}): each household receives the same share of its entitlement. "
            "Your entitlement of {entitlement_cents} becomes {granted_cents}.",
        },
        "fund.rationing.uniform_cut": {
            "fr": "Le budget du mois ({budget_cents}) ne couvre pas tous les droits "
            "({total_cents}) : chaque foyer perd le même montant ({cut_cents}), sans descendre "
            "sous le plancher de {floor_cents}. Votre droit de {entitlement_cents} devient "
            "{granted_cents}.",
            "en": "The month's budget ({budget_cents}) does not cover every entitlement "
            "({total_cents}): each household loses the same amount ({cut_cents}), never "
            "going below the floor of {floor_cents}. Your entitlement of {entitlement_cents} "
            "becomes {granted_cents}.",
        },
        "fund.rationing.floors_cut": {
            "fr": "Le budget du mois ({budget_cents}) ne couvre même pas les planchers de "
            "{floor_cents} : les planchers sont réduits en proportion. Votre droit de "
            "{entitlement_cents} devient {granted_cents}.",
            "en": "The month's budget ({budget_cents}) does not even cover the floors of "
            "{floor_cents}: the floors are cut in proportion. Your entitlement of "
            "{entitlement_cents} becomes {granted_cents}.",
        },
        "fund.rationing.priority_tiers": {
            "fr": "Le budget du mois ({budget_cents}) ne couvre pas tous les droits "
            "({total_cents}) : les foyers sont servis par ordre de priorité, le niveau "
            "{partial_tier} en proportion. Votre niveau est {tier} ; votre droit de "
            "{entitlement_cents} devient {granted_cents}.",
            "en": "The month's budget ({budget_cents}) does not cover every entitlement "
            "({total_cents}): households are served by priority, tier {partial_tier} in "
            "proportion. Your tier is {tier}; your entitlement of {entitlement_cents} "
            "becomes {granted_cents}.",
        },
        "fund.rationing.max_min": {
            "fr": "Le budget du mois ({budget_cents}) ne couvre pas tous les droits "
            "({total_cents}) : aucun crédit ne dépasse un même plafond de {cap_cents}, les "
            "plus petits droits sont servis en entier. Votre droit de {entitlement_cents} "
            "devient {granted_cents}.",
            "en": "The month's budget ({budget_cents}) does not cover every entitlement "
            "({total_cents}): no credit exceeds a common cap of {cap_cents}, the smallest "
            "entitlements are served in full. Your entitlement of {entitlement_cents} "
            "becomes {granted_cents}.",
        },
    }
)


@dataclass(frozen=True, slots=True)
class RationedCredit:
    """A household's credit before (``entitlement_cents``) and after rationing."""

    household_id: str
    entitlement_cents: int
    granted_cents: int


@dataclass(frozen=True, slots=True)
class FundTotals:
    """Sums over the month's final assessments.

    ``shortfall_cents`` is what the fund's own pot must find beyond the members'
    contributions: credits minus funders' shares minus contributions, never below zero.
    """

    households: int
    by_status: Mapping[str, int]
    contributions_cents: int
    entitlements_cents: int
    credits_cents: int
    funder_shares_cents: int
    shortfall_cents: int


@dataclass(frozen=True, slots=True)
class FundMonth:
    """A whole fund's month: assessments by ascending household id, totals, rationing."""

    period: Period
    rule_set: RuleSetRef
    budget_cents: int | None
    assessments: MonthAssessments
    totals: FundTotals
    rationing: RationingResult | None
    rationed: tuple[RationedCredit, ...]

    def credit_column(self) -> list[int]:
        """Each household's credit as booked, by position (ascending id): 0 unless assessed."""
        return _credit_column(self.assessments, None)


@dataclass(frozen=True, slots=True)
class MonthCredits:
    """A month's credits as granted, beside its unrationed assessments (not copied).

    ``granted`` has one entry per assessment of ``unrationed``: the credit rationing set, or
    ``None`` where the assessment's own credit stands (nothing rationed, or not eligible).
    ``totals`` are the booked month's totals (a rationed funder share kept within its
    credit). ``booked`` builds the ``FundMonth`` the month run books: ``assess_fund`` and
    ``ration_fund`` are made of it, so a caller that needs only the credits and the totals
    (the projection) reads the same figures without an ``Assessment`` copied per household.
    """

    rules: RuleSet
    households: Sequence[HouseholdFacts]
    unrationed: FundMonth
    budget_cents: int | None
    granted: Sequence[int | None]
    totals: FundTotals
    rationing: RationingResult | None

    def credit_column(self) -> list[int]:
        """Each household's credit as granted, by position (the order of ``unrationed``'s
        assessments, ascending id): 0 unless assessed."""
        return _credit_column(self.unrationed.assessments, self.granted)

    def booked(self, *, explain: bool = False) -> FundMonth:
        """The month as booked: each rationed assessment copied with its granted credit (and
        its explained step), the others as they are."""
        month, outcome, rules = self.unrationed, self.rationing, self.rules
        results = month.assessments
        updated: dict[int, Assessment] = {}
        rationed: list[RationedCredit] = []
        tiers = None if outcome is None else _tiers(rules, self.households)
        for index, granted in enumerate(self.granted):
            if granted is None or outcome is None:
                continue
            assessment = results[index]
            household_id = assessment.household_id
            entitlement = assessment.credit_cents or 0
            rationed.append(RationedCredit(household_id, entitlement, granted))
            tier = tiers.get(household_id) if tiers is not None else None
            item = _rationing_step(outcome, entitlement, granted, rules, tier) if explain else None
            updated[index] = _with_credit(assessment, granted, item)
        return FundMonth(
            period=month.period,
            rule_set=rules.ref,
            budget_cents=self.budget_cents,
            assessments=results.with_changes(updated),
            totals=self.totals,
            rationing=outcome,
            rationed=tuple(rationed),
        )


def assess_fund(
    rules: RuleSet,
    households: Households,
    period: Period,
    *,
    budget_cents: int | None = None,
    explain: bool = True,
) -> FundMonth:
    """Assess every household, settle fund-level credits, ration to ``budget_cents`` if short.

    ``households`` are facts, or columns (``HouseholdColumns``, in ascending id order: the
    projection's months, whose incomes drift as a column)."""
    columns, ordered = _ordered(households, budget_cents)
    # The one interpreter: facts become columns (HouseholdColumns.from_facts), as
    # assess_batch does; only what a rule needs beyond the plan reads a household's facts.
    results = MonthAssessments(assess_columns(rules, columns, period, explain=explain))
    results = _mean_of_contributions(results, explain)
    results = _after_arrears(rules, ordered, results, explain)
    unrationed = FundMonth(
        period=period,
        rule_set=rules.ref,
        budget_cents=None,
        assessments=results,
        totals=_totals(results),
        rationing=None,
        rationed=(),
    )
    if budget_cents is None:
        return unrationed
    return _credits(rules, ordered, unrationed, budget_cents).booked(explain=explain)


def ration_fund(
    rules: RuleSet,
    households: Households,
    unrationed: FundMonth,
    budget_cents: int,
    *,
    explain: bool = False,
) -> FundMonth:
    """``assess_fund(rules, households, period, budget_cents=budget_cents, explain=explain)``
    from that month assessed without a budget (``unrationed``, with the same ``explain``):
    the same result without assessing every household again."""
    _, ordered = _ordered(households, budget_cents)
    return _credits(rules, ordered, unrationed, budget_cents).booked(explain=explain)


def ration_credits(
    rules: RuleSet,
    households: Households,
    unrationed: FundMonth,
    budget_cents: int,
) -> MonthCredits:
    """What ``ration_fund`` grants each household, and its totals, without copying the
    assessments (``ration_fund`` is this, booked)."""
    return _credits(rules, _ordered(households, budget_cents)[1], unrationed, budget_cents)


def _credits(
    rules: RuleSet, ordered: Sequence[HouseholdFacts], unrationed: FundMonth, budget_cents: int
) -> MonthCredits:
    """The month's credits within ``budget_cents``: rationed with the rule set's method when
    the entitlements exceed it."""
    results = unrationed.assessments
    entitlements_cents = unrationed.totals.entitlements_cents
    if entitlements_cents <= budget_cents:
        kept: list[int | None] = [None] * len(results)
        return MonthCredits(rules, ordered, unrationed, budget_cents, kept, unrationed.totals, None)
    granted, outcome = _ration(rules, ordered, results, budget_cents)
    totals = _granted_totals(unrationed.totals, results, granted)
    return MonthCredits(rules, ordered, unrationed, budget_cents, granted, totals, outcome)


_household_id = attrgetter("household_id")
_T = TypeVar("_T")


def _ordered(
    households: Households, budget_cents: int | None
) -> tuple[HouseholdColumns, Sequence[HouseholdFacts]]:
    """Households by ascending id, as columns and as facts (built when read, from columns);
    duplicate ids, columns out of order and a bad budget are refused."""
    problems: list[Problem] = []
    if budget_cents is not None and (
        isinstance(budget_cents, bool) or not isinstance(budget_cents, int) or budget_cents < 0
    ):
        problems.append(
            Problem("budget_cents", f"expected zero or more cents, got {budget_cents!r}")
        )
    facts: Sequence[HouseholdFacts]
    if isinstance(households, HouseholdColumns):
        columns, facts = households, FactsOf(households)
        if not _ascending(columns.household_ids):
            problems.append(
                Problem("households", "expected columns in strictly ascending id order")
            )
    else:
        facts = _by_id(households, problems)
        columns = HouseholdColumns.from_facts(facts)
    if problems:
        raise InvalidInput(problems)
    return columns, facts


def _ascending(ids: Sequence[str]) -> bool:
    return all(map(lt, ids, islice(ids, 1, None)))


def _by_id(households: Sequence[HouseholdFacts], problems: list[Problem]) -> list[HouseholdFacts]:
    """``households`` by ascending id; a duplicate id is added to ``problems``."""
    if _ascending(list(map(_household_id, households))):
        # Already strictly ascending (a loaded month usually is): nothing to sort, and no id
        # can be given twice.
        return list(households)
    ordered = sorted(households, key=_household_id)
    ids = [facts.household_id for facts in ordered]
    if len(set(ids)) != len(ids):  # the pairwise walk only to name the duplicates
        for before, after in pairwise(ids):
            if before == after:
                problems.append(Problem(f"households.{after}", "the same household is given twice"))
    return ordered


class FactsOf(Sequence[HouseholdFacts]):
    """Households given as columns, read as facts: household ``i``'s facts are built when
    read (``HouseholdColumns.household``), so only what a rule needs beyond the plan (arrears,
    priority tiers) builds any; columns made from facts give those very facts back."""

    __slots__ = ("columns",)

    def __init__(self, columns: HouseholdColumns) -> None:
        self.columns = columns

    def __len__(self) -> int:
        return len(self.columns)

    @overload
    def __getitem__(self, index: int) -> HouseholdFacts: ...

    @overload
    def __getitem__(self, index: slice) -> list[HouseholdFacts]: ...

    def __getitem__(self, index: int | slice) -> HouseholdFacts | list[HouseholdFacts]:
        if isinstance(index, slice):
            return [self.columns.household(i) for i in range(len(self))[index]]
        return self.columns.household(index)


def _mean_of_contributions(results: MonthAssessments, explain: bool) -> MonthAssessments:
    """Give every pending household an equal share of the assessed households' contributions."""
    pending = results.pending()
    if not pending:
        return results
    assessed = Status.ASSESSED
    total_cents = sum(
        cents or 0
        for status, cents in zip(results.statuses(), results.contributions_cents(), strict=True)
        if status is assessed
    )
    ids = [results[i].household_id for i in pending]
    shares = split_by_largest_remainder(total_cents, [1] * len(pending), ids)
    updated: dict[int, Assessment] = {}
    for index, share in zip(pending, shares, strict=True):
        item = (
            step(
                "credit.formula",
                "fund.mean_of_contributions",
                total_cents=total_cents,
                households=len(pending),
                result_cents=share,
            )
            if explain
            else None
        )
        updated[index] = replace(
            _with_credit(results[index], share, item), credit_pending_fund=False
        )
    return results.with_changes(updated)


def _after_arrears(
    rules: RuleSet, ordered: Sequence[HouseholdFacts], results: MonthAssessments, explain: bool
) -> MonthAssessments:
    """Each assessed household's credit after the rules' arrears policy (app.engine.arrears),
    before any rationing: what the run would ration is what the household is entitled to."""
    if rules.arrears.after_months is None:
        return results
    assessed = Status.ASSESSED
    updated: dict[int, Assessment] = {}
    for index, status in enumerate(results.statuses()):
        facts = ordered[index]
        if status is not assessed or not facts.arrears_months:
            continue  # ``after_arrears`` would return it unchanged
        assessment = results[index]
        after = after_arrears(rules, facts, assessment, explain=explain)
        if after is not assessment:
            updated[index] = after
    return results.with_changes(updated)


def after_arrears(
    rules: RuleSet, facts: HouseholdFacts, assessment: Assessment, *, explain: bool = True
) -> Assessment:
    """One household's assessment after the rules' arrears policy, given its facts'
    ``arrears_months`` (unchanged when the policy, the months or the status say so): the
    month run applies it to every household, a statement to its own."""
    if assessment.status is not Status.ASSESSED or not facts.arrears_months:
        return assessment
    waiver = facts.attributes.get(WAIVER_ATTRIBUTE)
    effect = arrears_effect(
        rules.arrears, assessment.credit_cents or 0, facts.arrears_months, waiver
    )
    if effect.item is None:
        return assessment
    return _with_credit(assessment, effect.credit_cents, effect.item if explain else None)


def _credit_column(results: MonthAssessments, granted: Sequence[int | None] | None) -> list[int]:
    """Each household's final credit by position: where ``granted`` gives one, that one, else
    its assessment's own; 0 unless assessed (what ``_totals`` sums as credits)."""
    assessed = Status.ASSESSED
    statuses = results.statuses()
    own = results.credits_cents()
    if granted is None:
        return [
            (cents or 0) if status is assessed else 0
            for status, cents in zip(statuses, own, strict=True)
        ]
    return [
        ((cents or 0) if given is None else given) if status is assessed else 0
        for status, cents, given in zip(statuses, own, granted, strict=True)
    ]


def _tiers(rules: RuleSet, ordered: Sequence[HouseholdFacts]) -> dict[str, int] | None:
    """Each household's priority tier, when the rule set rations by tiers."""
    if rules.rationing.method != "priority_tiers":
        return None
    return {f.household_id: f.priority_tier for f in ordered if f.priority_tier is not None}


def _ration(
    rules: RuleSet,
    ordered: Sequence[HouseholdFacts],
    results: MonthAssessments,
    budget_cents: int,
) -> tuple[list[int | None], RationingResult]:
    """Cut the credits to the budget with the rule set's method: the granted credit of each
    eligible household (assessed, with a credit), ``None`` for the others."""
    assessed = Status.ASSESSED
    credits = results.credits_cents()
    eligible = [
        i
        for i, (status, cents) in enumerate(zip(results.statuses(), credits, strict=True))
        if status is assessed and cents is not None
    ]
    tiers = (
        _tiers(rules, [ordered[i] for i in eligible])
        if rules.rationing.method == "priority_tiers"
        else None
    )
    # By ascending id, as ``ration_in_order`` wants.
    household_ids = results.household_ids()
    ids = [household_ids[i] for i in eligible]
    amounts: list[int] = [credits[i] for i in eligible]  # type: ignore[misc]  # not None
    outcome = ration_in_order(ids, amounts, budget_cents, rules.rationing, tiers)
    # Both in ascending id order (``results`` are, ``outcome.granted`` is): no lookup by id.
    given = outcome.granted.values()
    if len(eligible) == len(results):  # every household eligible: the column as it is
        return list(given), outcome
    granted: list[int | None] = [None] * len(results)
    for index, cents in zip(eligible, given, strict=True):
        granted[index] = cents
    return granted, outcome


def _rationing_step(
    outcome: RationingResult, entitlement: int, granted: int, rules: RuleSet, tier: int | None
) -> Step:
    common: dict[str, ParamValue] = {
        "budget_cents": outcome.budget_cents,
        "total_cents": outcome.total_entitlement_cents,
        "entitlement_cents": entitlement,
        "granted_cents": granted,
    }
    method = outcome.method
    floor = rules.rationing.floor_cents or 0
    if method == "uniform_cut" and not outcome.floors_covered:
        return step("rationing", "fund.rationing.floors_cut", floor_cents=floor, **common)
    if method == "uniform_cut":
        cut = outcome.level if outcome.level is not None else 0
        return step(
            "rationing", "fund.rationing.uniform_cut", cut_cents=cut, floor_cents=floor, **common
        )
    if method == "max_min":
        cap = outcome.level if outcome.level is not None else 0
        return step("rationing", "fund.rationing.max_min", cap_cents=cap, **common)
    if method == "priority_tiers":
        partial = "-" if outcome.partial_tier is None else str(outcome.partial_tier)
        return step(
            "rationing",
            "fund.rationing.priority_tiers",
            partial_tier=partial,
            tier="-" if tier is None else str(tier),
            **common,
        )
    return step("rationing", "fund.rationing.proportional", **common)


def _with_credit(assessment: Assessment, credit_cents: int, item: Step | None) -> Assessment:
    """A copy with the final credit, its funder share kept within it, and the step appended."""
    explanation = assessment.explanation
    if item is not None and explanation is not None:
        explanation = replace(explanation, credit=(*explanation.credit, item))
    # The constructor, not dataclasses.replace: the same value for a third of the time
    # (rationing copies every assessed household's assessment). Every field is passed:
    # tests/engine/test_projection_wallets.py checks it.
    return Assessment(
        assessment.household_id,
        assessment.period,
        assessment.status,
        assessment.contribution_cents,
        credit_cents,
        min(assessment.funder_share_cents, credit_cents),
        assessment.funder_id,
        assessment.credit_pending_fund,
        assessment.problems,
        explanation,
        assessment.choice,
    )


def _totals(results: MonthAssessments) -> FundTotals:
    """Sums over the month's assessments as they are (nothing rationed: the entitlements are
    the credits)."""
    statuses = results.statuses()
    counted = Counter(statuses)
    by_status = {status.value: counted[status] for status in Status}
    mask = _assessed_mask(statuses, counted[Status.ASSESSED])
    # ``None`` and 0 both add nothing: sum only what is there (``or 0`` without a branch).
    contributions = sum(filter(None, _kept(results.contributions_cents(), mask)))
    credits = sum(filter(None, _kept(results.credits_cents(), mask)))
    funders = sum(_kept(results.funder_shares_cents(), mask))
    return FundTotals(
        households=len(results),
        by_status=by_status,
        contributions_cents=contributions,
        entitlements_cents=credits,
        credits_cents=credits,
        funder_shares_cents=funders,
        shortfall_cents=max(0, credits - funders - contributions),
    )


def _assessed_mask(statuses: Sequence[Status], assessed_count: int) -> list[bool] | None:
    """Which positions are assessed; ``None`` when every one is (usually: then a column is
    summed as it is)."""
    if assessed_count == len(statuses):
        return None
    assessed = Status.ASSESSED
    return [status is assessed for status in statuses]


def _kept(column: Sequence[_T], mask: Sequence[bool] | None) -> Sequence[_T]:
    return column if mask is None else list(compress(column, mask))


def _granted_totals(
    unrationed: FundTotals, results: MonthAssessments, granted: Sequence[int | None]
) -> FundTotals:
    """``unrationed`` (the totals of ``results``) with the credits ``granted`` where it gives
    one, and the funder shares kept within them (as ``_with_credit`` keeps them): rationing
    moves those two sums and the shortfall, nothing else (statuses, contributions and
    entitlements stay), so only they are summed again."""
    statuses = results.statuses()
    mask = _assessed_mask(statuses, unrationed.by_status.get(Status.ASSESSED.value, 0))
    given = _kept(granted, mask)
    credits = sum(
        [
            (own or 0) if cents is None else cents
            for own, cents in zip(_kept(results.credits_cents(), mask), given, strict=True)
        ]
    )
    # The share kept within the granted credit: min(share, credit), without a call.
    funders = sum(
        [
            share if cents is None or share <= cents else cents
            for share, cents in zip(_kept(results.funder_shares_cents(), mask), given, strict=True)
        ]
    )
    contributions = unrationed.contributions_cents
    return replace(
        unrationed,
        credits_cents=credits,
        funder_shares_cents=funders,
        shortfall_cents=max(0, credits - funders - contributions),
    )
