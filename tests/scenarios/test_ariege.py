"""A — Ariège: contribution at least 2.5 % of net monthly income; credit 50 € per member."""

from __future__ import annotations

import pytest

from app.engine import Status
from tests.scenarios.helpers import adults, household, run


@pytest.mark.parametrize(
    ("income_cents", "minimum_cents"), [(40000, 1000), (160000, 4000), (240000, 6000)]
)
def test_minimum_is_two_and_a_half_percent_of_income(income_cents: int, minimum_cents: int) -> None:
    at_minimum = run(
        "ariege", household(income_cents=income_cents, chosen_contribution_cents=minimum_cents)
    )
    assert at_minimum.status is Status.ASSESSED
    assert at_minimum.contribution_cents == minimum_cents
    assert at_minimum.credit_cents == 5000
    below = run(
        "ariege", household(income_cents=income_cents, chosen_contribution_cents=minimum_cents - 1)
    )
    assert below.status is Status.REJECTED
    assert below.problems[0].path == "chosen_contribution_cents"
    assert f"{minimum_cents // 100},00 €" in below.problems[0].message


@pytest.mark.parametrize(
    ("income_cents", "minimum_cents"), [(40000, 1000), (160000, 4000), (240000, 6000)]
)
def test_minimum_is_offered_as_the_choice_lower_bound(
    income_cents: int, minimum_cents: int
) -> None:
    result = run("ariege", household(income_cents=income_cents, chosen_contribution_cents=9000))
    choice = getattr(result, "choice", None)
    if choice is None:
        pytest.skip("Assessment does not expose the free-choice bounds (`choice`) yet")
    assert choice.min_cents == minimum_cents


def test_income_of_2400_euros_pays_more_than_it_receives() -> None:
    result = run("ariege", household(income_cents=240000, chosen_contribution_cents=6000))
    assert result.contribution_cents == 6000
    assert result.credit_cents == 5000
    assert result.contribution_cents > result.credit_cents


def test_credit_is_50_euros_per_member() -> None:
    result = run(
        "ariege", household(persons=adults(3), income_cents=160000, chosen_contribution_cents=4000)
    )
    assert result.credit_cents == 15000


def test_missing_income_needs_data_never_a_zero_minimum() -> None:
    result = run("ariege", household(chosen_contribution_cents=1000))
    assert result.status is Status.NEEDS_DATA
    assert result.problems[0].path == "income_cents"
