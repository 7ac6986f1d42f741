"""CALIEN: average-rate scale on income per consumption unit clamped to 1-150 €, credit by
persons and ages, engagement offset, expiry after 3 months, max-min rationing."""

from __future__ import annotations

import pytest

from app.engine import Status
from tests.scenarios.helpers import ADULT, CHILD, TEEN, household, rules, run

FAMILY = (ADULT, ADULT, TEEN, CHILD)  # 1 + 0.5 + 0.5 + 0.3 = 2.3 consumption units


@pytest.mark.parametrize(
    ("persons", "income_cents", "contribution_cents"),
    [
        # 1 200 €/CU: rate 1 % + 4 % × 1 200/1 500 = 4.2 % -> 50.40 €.
        ((ADULT,), 120000, 5040),
        # 3 000 € / 2.3 CU = 1 304.35 €/CU: 1 304.35 × (1 % + 4 % × 0.8696) = 58.4121 € -> 58.41 €.
        (FAMILY, 300000, 5841),
        # 2 000 € / 1.5 CU = 1 333.33 €/CU × 4.5556 % = 60.7407 € -> 60.74 €.
        ((ADULT, ADULT), 200000, 6074),
        # 4 000 €/CU: beyond the last threshold, 5 % = 200 € -> capped at 150 €.
        ((ADULT,), 400000, 15000),
        # No income: 0 € -> raised to the 1 € floor.
        ((ADULT,), 0, 100),
    ],
)
def test_contribution_follows_the_average_rate_scale_clamped_to_1_150_euros(
    persons: tuple[object, ...], income_cents: int, contribution_cents: int
) -> None:
    facts = household(persons=persons, income_cents=income_cents, engagement_minutes=0)
    result = run("calien", facts)
    assert result.status is Status.ASSESSED
    assert result.contribution_cents == contribution_cents


@pytest.mark.parametrize(
    ("persons", "credit_cents"),
    [((ADULT,), 15000), ((ADULT, ADULT), 22500), ((ADULT, CHILD), 19500), (FAMILY, 34500)],
)
def test_credit_is_150_plus_75_per_person_14_and_over_plus_45_per_child(
    persons: tuple[object, ...], credit_cents: int
) -> None:
    facts = household(persons=persons, income_cents=120000, engagement_minutes=0)
    assert run("calien", facts).credit_cents == credit_cents


@pytest.mark.parametrize(
    ("minutes", "contribution_cents"),
    [(0, 5040), (90, 4290), (240, 3040), (600, 3040)],
)
def test_engagement_lowers_the_contribution_5_euros_an_hour_at_most_20(
    minutes: int, contribution_cents: int
) -> None:
    facts = household(income_cents=120000, engagement_minutes=minutes)
    assert run("calien", facts).contribution_cents == contribution_cents


def test_policies_are_expiry_after_3_months_and_max_min_rationing() -> None:
    calien = rules("calien")
    assert calien.unspent_credit.policy == "expire"
    assert calien.unspent_credit.after_months == 3
    assert calien.rationing.method == "max_min"
