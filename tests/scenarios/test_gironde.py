"""G — Gironde: credit 150 € + 75 €/extra person; self-assessed contribution, floor 10 € + 5 €/extra."""

from __future__ import annotations

import pytest

from app.engine import Assessment, Status, assess
from tests.scenarios.helpers import PERIOD, adults, household, rules, run


def _choice_min(result: Assessment) -> int:
    choice = getattr(result, "choice", None)
    if choice is None:
        pytest.skip("Assessment does not expose the free-choice bounds (`choice`) yet")
    return int(choice.min_cents)


@pytest.mark.parametrize(
    ("persons", "credit_cents", "floor_cents"),
    [(1, 15000, 1000), (2, 22500, 1500), (3, 30000, 2000), (5, 45000, 3000)],
)
def test_credit_and_floor_by_household_size(
    persons: int, credit_cents: int, floor_cents: int
) -> None:
    at_floor = run(
        "gironde", household(persons=adults(persons), chosen_contribution_cents=floor_cents)
    )
    assert at_floor.status is Status.ASSESSED
    assert at_floor.contribution_cents == floor_cents
    assert at_floor.credit_cents == credit_cents
    below = run(
        "gironde", household(persons=adults(persons), chosen_contribution_cents=floor_cents - 1)
    )
    assert below.status is Status.REJECTED
    assert below.problems[0].path == "chosen_contribution_cents"
    assert f"{floor_cents // 100},00 €" in below.problems[0].message


@pytest.mark.parametrize(("persons", "floor_cents"), [(1, 1000), (3, 2000), (5, 3000)])
def test_floor_is_offered_as_the_choice_lower_bound(persons: int, floor_cents: int) -> None:
    result = run("gironde", household(persons=adults(persons), chosen_contribution_cents=5000))
    assert _choice_min(result) == floor_cents


def test_published_case_three_persons_pays_50_receives_300() -> None:
    result = run("gironde", household(persons=adults(3), chosen_contribution_cents=5000))
    assert (result.status, result.contribution_cents, result.credit_cents) == (
        Status.ASSESSED,
        5000,
        30000,
    )


def test_fund_of_193_households_and_400_persons_credits_44475_euros_a_month() -> None:
    gironde = rules("gironde")
    sizes = [1] * 80 + [2] * 50 + [3] * 40 + [4] * 15 + [5] * 8
    assert (len(sizes), sum(sizes)) == (193, 400)
    results = [
        assess(
            gironde,
            household(
                f"g{index:03d}", adults(size), chosen_contribution_cents=1000 + 500 * (size - 1)
            ),
            PERIOD,
        )
        for index, size in enumerate(sizes)
    ]
    credits_cents = sum(r.credit_cents or 0 for r in results)
    assert credits_cents == 193 * 15000 + 207 * 7500 == 4_447_500
