"""One household through the rule nodes themselves, for what the compiled form cannot hold.

The batch plan (``app.engine.batch.plan``) sends here, one at a time, the households whose
outcome is not a pair of integers of their composition, income and choice: a rule set with
eligibility, engagement, a third-party top-up or a fund-level credit, and any household with
missing or odd facts (no persons, an unknown birth date, no income where income is read, no
choice or one its bounds refuse). It is the same interpreter as the compiled form -- the parsed nodes'
``evaluate`` -- on the household's own ``Context``, never a second reading of the document.

Pure: same rule set, facts and period -> the same ``Assessment`` (and explanation bytes).
"""

from __future__ import annotations

from app.engine.assessment import Assessment, Status, explanation_inputs, rounding_step
from app.engine.explain import Explanation, Step, register_messages, step
from app.engine.facts import HouseholdFacts
from app.engine.money import round_ratio
from app.engine.period import Period
from app.engine.problems import Problem
from app.engine.resources import Context, NeedsData
from app.engine.rules.choice_bounds import ChoiceBounds
from app.engine.rules.nodes import Rejected
from app.engine.ruleset import Formula, RuleSet

register_messages(
    {
        "credit.fund_level": {
            "fr": "Le crédit est fixé pour tout le fonds en fin de mois (moyenne des participations).",
            "en": "The credit is set for the whole fund at month end (mean of contributions).",
        },
    }
)

_Traces = tuple[list[Step] | None, list[Step] | None]


def assess_household(
    rules: RuleSet, facts: HouseholdFacts, period: Period, *, explain: bool
) -> Assessment:
    """What one household owes and receives for ``period``, node by node."""
    ctx = Context(facts, period, rules.definitions)
    traces: _Traces = ([], []) if explain else (None, None)
    contribution_trace, credit_trace = traces
    try:
        if rules.eligibility is not None:
            reasons = rules.eligibility.check(ctx, credit_trace)
            if reasons:
                return _outcome(rules, ctx, Status.NOT_ELIGIBLE, reasons, traces)
        contribution_cents = _contribution(rules, ctx, contribution_trace)
        ctx.contribution_cents = contribution_cents
        credit_cents = _credit(rules, ctx, credit_trace)
    except NeedsData as missing:
        return _outcome(rules, ctx, Status.NEEDS_DATA, (missing.problem,), traces)
    except Rejected as rejected:
        return _outcome(rules, ctx, Status.REJECTED, (rejected.problem,), traces)
    funder_share_cents = ctx.funder_share_cents
    if credit_cents is not None:
        # The funder's share is part of the credit: never more than the rounded credit.
        funder_share_cents = min(funder_share_cents, credit_cents)
    return Assessment(
        household_id=facts.household_id,
        period=period,
        status=Status.ASSESSED,
        contribution_cents=contribution_cents,
        credit_cents=credit_cents,
        funder_share_cents=funder_share_cents,
        funder_id=ctx.funder_id,
        credit_pending_fund=credit_cents is None,
        explanation=_explanation(rules, ctx, *traces),
        choice=_choice(ctx),
    )


def _choice(ctx: Context) -> ChoiceBounds | None:
    return ctx.choice if isinstance(ctx.choice, ChoiceBounds) else None


def _contribution(rules: RuleSet, ctx: Context, trace: list[Step] | None) -> int:
    amount_cents = _rounded("contribution", rules.contribution, ctx, trace)
    if rules.engagement is not None:
        amount_cents = rules.engagement.adjust_contribution(ctx, amount_cents, trace)
    return amount_cents


def _credit(rules: RuleSet, ctx: Context, trace: list[Step] | None) -> int | None:
    formula = rules.credit
    if getattr(formula.node, "fund_level", False):
        if trace is not None:
            trace.append(step(formula.node.path, "credit.fund_level"))
        return None
    amount_cents = _rounded("credit", formula, ctx, trace)
    if rules.engagement is not None:
        amount_cents = rules.engagement.adjust_credit(ctx, amount_cents, trace)
    return amount_cents


def _rounded(section: str, formula: Formula, ctx: Context, trace: list[Step] | None) -> int:
    """The section's formula, exact, rounded once at its declared step; never below 0."""
    num, den = formula.node.evaluate(ctx, trace)
    amount_cents = max(0, round_ratio(num, den, formula.rounding))
    if trace is not None:
        trace.append(rounding_step(section, num, den, amount_cents, formula.rounding))
    return amount_cents


def _explanation(
    rules: RuleSet,
    ctx: Context,
    contribution_trace: list[Step] | None,
    credit_trace: list[Step] | None,
) -> Explanation | None:
    if contribution_trace is None or credit_trace is None:
        return None
    return Explanation(
        rule_set=rules.ref,
        period=str(ctx.period),
        household_id=ctx.facts.household_id,
        inputs=explanation_inputs(ctx.facts),
        contribution=tuple(contribution_trace),
        credit=tuple(credit_trace),
        composition=ctx.measures(rules.measures),
    )


def _outcome(
    rules: RuleSet, ctx: Context, status: Status, problems: tuple[Problem, ...], traces: _Traces
) -> Assessment:
    """An outcome without amounts: not eligible, needs data or rejected, with its reasons."""
    return Assessment(
        household_id=ctx.facts.household_id,
        period=ctx.period,
        status=status,
        problems=problems,
        explanation=_explanation(rules, ctx, *traces),
        choice=_choice(ctx),
    )
