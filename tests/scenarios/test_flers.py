"""F — Flers: contribution from 20 € in steps of 5 €; credit 100 €."""

from __future__ import annotations

import pytest

from app.engine import Status
from tests.scenarios.helpers import household, run


@pytest.mark.parametrize("chosen_cents", [2000, 2500, 3500, 10000])
def test_choice_on_the_5_euro_grid_from_20_euros_is_accepted(chosen_cents: int) -> None:
    result = run("flers", household(chosen_contribution_cents=chosen_cents))
    assert result.status is Status.ASSESSED
    assert result.contribution_cents == chosen_cents
    assert result.credit_cents == 10000


def test_choice_off_the_grid_is_rejected_naming_the_step() -> None:
    result = run("flers", household(chosen_contribution_cents=2200))
    assert result.status is Status.REJECTED
    (problem,) = result.problems
    assert problem.path == "chosen_contribution_cents"
    assert "5,00 €" in problem.message


def test_choice_below_20_euros_is_rejected_naming_the_minimum() -> None:
    result = run("flers", household(chosen_contribution_cents=1500))
    assert result.status is Status.REJECTED
    assert "20,00 €" in result.problems[0].message
