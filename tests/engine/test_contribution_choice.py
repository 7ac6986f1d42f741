"""Free choice: bounds (fixed or computed), step grid, levels, suggestion, accept/reject messages."""

from __future__ import annotations

import pytest

from app.engine import Status, assess
from app.engine.explain import render_step
from app.engine.resources import NeedsData
from app.engine.rules.choice import ChoiceBounds
from app.engine.rules.nodes import Rejected
from tests.engine.contribution_support import (
    ADULT,
    PERIOD,
    context,
    household,
    rule_set,
    traced,
)

MONTPELLIER = {
    "kind": "free_choice",
    "min_cents": 100,
    "max_cents": 15000,
    "suggested_cents": 5000,
    "step_cents": 100,
}
FLERS = {"kind": "free_choice", "min_cents": 2000, "step_cents": 500}
LEVELS = {"kind": "free_choice", "levels_cents": [1000, 2000, 4000]}


@pytest.mark.parametrize("chosen_cents", [100, 5000, 15000])
def test_montpellier_choice_is_owed_exactly_as_chosen(chosen_cents: int) -> None:
    result = assess(rule_set(MONTPELLIER), household(chosen_cents=chosen_cents), PERIOD)
    assert (result.status, result.contribution_cents) == (Status.ASSESSED, chosen_cents)


@pytest.mark.parametrize("chosen_cents", [0, 15100])
def test_montpellier_out_of_bounds_is_rejected_naming_both_bounds(chosen_cents: int) -> None:
    result = assess(rule_set(MONTPELLIER), household(chosen_cents=chosen_cents), PERIOD)
    assert result.status is Status.REJECTED
    (problem,) = result.problems
    assert problem.path == "chosen_contribution_cents"
    shown = f"{chosen_cents // 100},00 €"
    assert problem.message == (
        f"the chosen contribution {shown} is out of bounds: choose an amount between "
        "1,00 € and 150,00 €"
    )


@pytest.mark.parametrize("chosen_cents", [2000, 3500, 2500, 100000])
def test_flers_choice_on_the_grid_is_accepted(chosen_cents: int) -> None:
    result = assess(rule_set(FLERS), household(chosen_cents=chosen_cents), PERIOD)
    assert (result.status, result.contribution_cents) == (Status.ASSESSED, chosen_cents)


def test_flers_off_grid_choice_is_rejected_naming_the_step() -> None:
    result = assess(rule_set(FLERS), household(chosen_cents=2200), PERIOD)
    assert result.status is Status.REJECTED
    assert result.problems[0].message == (
        "the chosen contribution 22,00 € is not on the grid: choose an amount from 20,00 € "
        "in steps of 5,00 € (nearest: 20,00 € or 25,00 €)"
    )


def test_flers_below_the_minimum_names_the_minimum_and_no_maximum() -> None:
    result = assess(rule_set(FLERS), household(chosen_cents=1500), PERIOD)
    assert result.problems[0].message == (
        "the chosen contribution 15,00 € is out of bounds: choose at least 20,00 €"
    )


@pytest.mark.parametrize(("chosen_cents", "accepted"), [(1000, True), (2000, True), (3000, False)])
def test_levels_accept_only_a_listed_amount(chosen_cents: int, accepted: bool) -> None:
    result = assess(rule_set(LEVELS), household(chosen_cents=chosen_cents), PERIOD)
    if accepted:
        assert result.contribution_cents == chosen_cents
    else:
        assert result.problems[0].message == (
            "the chosen contribution 30,00 € is not one of the amounts offered: "
            "choose 10,00 €, 20,00 € or 40,00 €"
        )


def test_missing_choice_needs_data_and_the_bounds_are_still_offered() -> None:
    rules = rule_set(MONTPELLIER)
    ctx = context(rules, household())
    with pytest.raises(NeedsData) as missing:
        rules.contribution.node.evaluate(ctx, None)
    assert missing.value.field == "chosen_contribution_cents"
    assert "1,00 €" in missing.value.reason and "150,00 €" in missing.value.reason
    assert ctx.choice == ChoiceBounds(100, 15000, 5000, 100, None)


SHARE_FLOOR = {
    "kind": "free_choice",
    "min": {"kind": "proportional", "base": "income", "rate": "0.025"},
    "max": {"kind": "proportional", "base": "income", "rate": "0.1"},
}


def test_computed_bounds_round_min_up_and_max_down() -> None:
    rules = rule_set(SHARE_FLOOR)
    # 40 001 × 2.5 % = 1 000.025 -> minimum 1 001; 40 001 × 10 % = 4 000.1 -> maximum 4 000.
    ctx = context(rules, household(40001, chosen_cents=1001))
    assert rules.contribution.node.evaluate(ctx, None) == (1001, 1)
    assert ctx.choice == ChoiceBounds(1001, 4000, None, None, None)
    for refused in (1000, 4001):
        with pytest.raises(Rejected) as error:
            rules.contribution.node.evaluate(
                context(rules, household(40001, chosen_cents=refused)), None
            )
        assert "between 10,01 € and 40,00 €" in error.value.problem.message


def test_a_computed_minimum_above_the_maximum_gives_way_to_the_maximum() -> None:
    formula = {
        "kind": "free_choice",
        "min": {"kind": "proportional", "base": "income", "rate": "0.025"},
        "max_cents": 15000,
    }
    # 800 000 × 2.5 % = 20 000 > 15 000: the member may choose exactly 150 €.
    value, steps = traced(formula, household(800000, chosen_cents=15000))
    assert value == 15000
    assert render_step(steps[1], "fr") == (
        "Le minimum calculé (200,00 €) dépasse le maximum : le maximum (150,00 €) s'applique."
    )


def test_gironde_floor_per_extra_person_is_the_minimum() -> None:
    formula = {
        "kind": "free_choice",
        "min": {
            "kind": "household_amount",
            "per_household_cents": 1000,
            "per_extra_person_cents": 500,
        },
    }
    rules = rule_set(formula)
    three = household(None, (ADULT,) * 3, chosen_cents=5000)
    ctx = context(rules, three)
    assert rules.contribution.node.evaluate(ctx, None) == (5000, 1)
    assert isinstance(ctx.choice, ChoiceBounds) and ctx.choice.min_cents == 2000
    below = assess(rules, household(None, (ADULT,) * 3, chosen_cents=1999), PERIOD)
    assert "at least 20,00 €" in below.problems[0].message


@pytest.mark.parametrize(
    ("income_cents", "suggested_cents"),
    [(0, 2000), (100000, 3000), (110000, 3500), (1000000, 10000)],
)
def test_computed_suggestion_moves_up_onto_the_grid_within_the_bounds(
    income_cents: int, suggested_cents: int
) -> None:
    formula = {
        "kind": "free_choice",
        "min_cents": 2000,
        "max_cents": 10000,
        "step_cents": 500,
        "suggested": {"kind": "proportional", "base": "income", "rate": "0.03"},
    }
    rules = rule_set(formula)
    ctx = context(rules, household(income_cents, chosen_cents=2000))
    rules.contribution.node.evaluate(ctx, None)
    assert isinstance(ctx.choice, ChoiceBounds)
    assert ctx.choice.suggested_cents == suggested_cents


def test_choice_explanation_shows_the_offer_and_the_choice() -> None:
    _, steps = traced(MONTPELLIER, household(chosen_cents=4200))
    assert [render_step(s, "fr") for s in steps] == [
        "Vous choisissez votre participation entre 1,00 € et 150,00 €.",
        "Montants possibles : à partir de 1,00 €, par pas de 1,00 €.",
        "Montant suggéré : 50,00 €.",
        "Vous avez choisi 42,00 € : ce montant est retenu tel que vous l'avez choisi.",
    ]
    _, level_steps = traced(LEVELS, household(chosen_cents=2000))
    assert render_step(level_steps[1], "en") == "Possible amounts: €10.00, €20.00 or €40.00."


def test_rejected_choice_keeps_the_offer_in_the_explanation() -> None:
    result = assess(rule_set(FLERS), household(chosen_cents=2200), PERIOD)
    assert result.explanation is not None
    codes = [s.code for s in result.explanation.contribution]
    assert codes == ["free_choice.bounds.open", "free_choice.step"]
