"""The outcome of assessing one household for one month, and the words every path shares.

``Assessment`` is what the engine says about a household-month: ``assessed`` (amounts),
``needs_data`` (naming what is missing), ``not_eligible`` (with reasons) or ``rejected`` (the
household's own input, such as a free choice, is out of bounds). None of them is ever a
silent zero. ``rounding_step`` and ``explanation_inputs`` are the parts of an explanation
that are not a rule node's own step, so that every household's explanation is built from
the same words (``app.engine.batch``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from app.engine.explain import Explanation, Params, Step, register_messages, sorted_params
from app.engine.facts import HouseholdFacts
from app.engine.money import Rounding
from app.engine.period import Period
from app.engine.problems import Problem
from app.engine.rules.choice_bounds import ChoiceBounds

register_messages(
    {
        "rounding": {
            "fr": "Arrondi une seule fois, au pas de {unit_cents} ({mode_fr}) : {result_cents}.",
            "en": "Rounded once, to a step of {unit_cents} ({mode_en}): {result_cents}.",
        },
    }
)

_MODE_WORDS = {
    "down": ("vers le bas", "down"),
    "up": ("vers le haut", "up"),
    "half_up": ("au plus proche, les moitiés vers le haut", "to nearest, halves up"),
    "half_even": ("au plus proche, les moitiés vers le pair", "to nearest, halves to even"),
}


class Status(StrEnum):
    ASSESSED = "assessed"
    NEEDS_DATA = "needs_data"
    NOT_ELIGIBLE = "not_eligible"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Assessment:
    """The outcome for one household-month. Amounts are ``None`` unless ``assessed``.

    ``credit_cents`` is the whole credit the household receives; ``funder_share_cents`` is
    the part of it paid by a third-party funder (``funder_id``), booked to that funder.
    ``credit_pending_fund`` is true when the credit is decided at fund level (e.g. the mean
    of the month's contributions) and is filled in by the fund allocation.
    """

    household_id: str
    period: Period
    status: Status
    contribution_cents: int | None = None
    credit_cents: int | None = None
    funder_share_cents: int = 0
    funder_id: str | None = None
    credit_pending_fund: bool = False
    problems: tuple[Problem, ...] = ()
    explanation: Explanation | None = None
    choice: ChoiceBounds | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "household_id": self.household_id,
            "period": str(self.period),
            "status": self.status.value,
            "contribution_cents": self.contribution_cents,
            "credit_cents": self.credit_cents,
            "funder_share_cents": self.funder_share_cents,
            "funder_id": self.funder_id,
            "credit_pending_fund": self.credit_pending_fund,
            "problems": [p.as_dict() for p in self.problems],
            "explanation": self.explanation.as_dict() if self.explanation else None,
            "choice": _choice_dict(self.choice),
        }


# The slots' own setters: a frozen dataclass's ``__init__`` sets each field through
# ``object.__setattr__`` (looked up per field), twice the cost of calling these directly.
_new = object.__new__
(
    _set_household_id,
    _set_period,
    _set_status,
    _set_contribution,
    _set_credit,
    _set_funder_share,
    _set_funder_id,
    _set_pending,
    _set_problems,
    _set_explanation,
    _set_choice,
) = (getattr(Assessment, name).__set__ for name in Assessment.__slots__)


def assessed(
    household_id: str,
    period: Period,
    contribution_cents: int | None,
    credit_cents: int | None,
    explanation: Explanation | None,
    choice: ChoiceBounds | None = None,
) -> Assessment:
    """``Assessment(household_id, period, Status.ASSESSED, contribution_cents, credit_cents,
    explanation=explanation, choice=choice)``, every other field at its default: the batch
    path builds one per household (100k to 1M a month run), at half the cost of the keyword
    call."""
    outcome = _new(Assessment)
    _set_household_id(outcome, household_id)
    _set_period(outcome, period)
    _set_status(outcome, Status.ASSESSED)
    _set_contribution(outcome, contribution_cents)
    _set_credit(outcome, credit_cents)
    _set_funder_share(outcome, 0)
    _set_funder_id(outcome, None)
    _set_pending(outcome, False)
    _set_problems(outcome, ())
    _set_explanation(outcome, explanation)
    _set_choice(outcome, choice)
    return outcome


def _choice_dict(choice: ChoiceBounds | None) -> dict[str, object] | None:
    """The free-choice bounds offered to the member, or None when the rules have no choice."""
    if choice is None:
        return None
    return {
        "min_cents": choice.min_cents,
        "max_cents": choice.max_cents,
        "suggested_cents": choice.suggested_cents,
        "step_cents": choice.step_cents,
        "levels_cents": list(choice.levels_cents) if choice.levels_cents is not None else None,
    }


def rounding_step(section: str, num: int, den: int, amount_cents: int, rounding: Rounding) -> Step:
    """Show the exact value before rounding, the declared step and mode, and the result.

    Deferred: the exact value is reduced only when the step is read (hot path).
    """
    clause = _ROUNDING_CLAUSES.get(section) or f"{section}.rounding"
    # Only ints and strings are kept (the collector stops scanning such a tuple).
    mode = rounding.mode.value
    return Step.deferred(
        clause, "rounding", _rounding_params, num, den, amount_cents, rounding.unit_cents, mode
    )


_ROUNDING_CLAUSES = {section: f"{section}.rounding" for section in ("contribution", "credit")}


def _rounding_params(num: int, den: int, amount_cents: int, unit_cents: int, mode: str) -> Params:
    exact = Fraction(num, den)
    return sorted_params(
        exact=str(exact.numerator)
        if exact.denominator == 1
        else f"{exact.numerator}/{exact.denominator}",
        result_cents=amount_cents,
        unit_cents=unit_cents,
        mode=mode,
        mode_fr=_MODE_WORDS[mode][0],
        mode_en=_MODE_WORDS[mode][1],
    )


def explanation_inputs(facts: HouseholdFacts) -> tuple[tuple[str, int | str], ...]:
    """The facts used, as they were given (persons as a count; ages are in the steps)."""
    if (
        not facts.attributes
        and facts.chosen_contribution_cents is None
        and facts.engagement_minutes is None
    ):
        return usual_inputs(facts.income_cents, len(facts.persons))
    items: list[tuple[str, int | str]] = [("persons", len(facts.persons))]
    if facts.income_cents is not None:
        items.append(("income_cents", facts.income_cents))
    if facts.chosen_contribution_cents is not None:
        items.append(("chosen_contribution_cents", facts.chosen_contribution_cents))
    if facts.engagement_minutes is not None:
        items.append(("engagement_minutes", facts.engagement_minutes))
    for key in sorted(facts.attributes):
        items.append((f"attribute.{key}", facts.attributes[key]))
    return tuple(sorted(items))


def usual_inputs(income_cents: int | None, persons: int) -> tuple[tuple[str, int | str], ...]:
    """``explanation_inputs`` of the usual household: no attributes, choice or engagement (the
    hot path; the general case gives these, sorted). The batch path's explanations give it
    a household of columns without its facts (``app.engine.batch.paths``)."""
    if income_cents is None:
        return (("persons", persons),)
    return (("income_cents", income_cents), ("persons", persons))
