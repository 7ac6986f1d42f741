"""Marginal rate, marginal amount and linear average rate scales, by hand."""

from __future__ import annotations

from fractions import Fraction

import pytest

from app.engine.explain import render_step
from tests.engine.contribution_support import ADULT, exact, household, traced

MARGINAL_RATE = {
    "kind": "marginal_rate_scale",
    "base": "income",
    "thresholds": [
        {"from": 0, "rate": "0"},
        {"from": 60000, "rate": "0.05"},
        {"from": 120000, "rate": "0.1"},
    ],
}


@pytest.mark.parametrize(
    ("income_cents", "expected_cents"),
    [
        (0, 0),
        (59999, 0),
        (60000, 0),
        (60001, Fraction(5, 100)),  # 5 % of 1 cent
        (90000, 1500),  # 5 % × 30 000
        (119999, Fraction(299995, 100)),
        (120000, 3000),  # 5 % × 60 000
        (120001, Fraction(300010, 100)),  # + 10 % of 1 cent
        (150000, 6000),  # 3 000 + 10 % × 30 000
    ],
)
def test_marginal_rate_scale_sums_each_slice(income_cents: int, expected_cents: Fraction) -> None:
    assert exact(MARGINAL_RATE, household(income_cents)) == expected_cents


def test_marginal_rate_scale_between_two_cents() -> None:
    formula = {**MARGINAL_RATE, "base": "income_per_person"}
    # 180 001 / 2 = 90 000.5 -> 5 % × 30 000.5 = 1 500.025
    assert exact(formula, household(180001, (ADULT, ADULT))) == Fraction(60001, 40)


def test_marginal_rate_scale_explains_every_slice_reached() -> None:
    value, steps = traced(MARGINAL_RATE, household(150000))
    assert value == 6000
    assert [s.clause for s in steps] == [
        "contribution.formula.thresholds[0]",
        "contribution.formula.thresholds[1]",
        "contribution.formula.thresholds[2]",
        "contribution.formula",
    ]
    assert render_step(steps[1], "fr") == (
        "Tranche de 600,00 € à 1200,00 € : 5 % de 600,00 € = 30,00 €."
    )
    assert render_step(steps[2], "en") == "Slice above €1200.00: 10% of €300.00 = €30.00."
    assert render_step(steps[3], "fr") == (
        "Votre revenu mensuel (1500,00 €) : somme des tranches, 60,00 €."
    )


MARGINAL_AMOUNT = {
    "kind": "marginal_amount_scale",
    "base": "income",
    "thresholds": [{"from": 0, "amount_cents": 200}, {"from": 80000, "amount_cents": 1000}],
}


@pytest.mark.parametrize(
    ("income_cents", "expected_cents"), [(0, 200), (79999, 200), (80000, 1200), (80001, 1200)]
)
def test_marginal_amount_scale_adds_every_threshold_reached(
    income_cents: int, expected_cents: int
) -> None:
    assert exact(MARGINAL_AMOUNT, household(income_cents)) == expected_cents


def test_marginal_amount_scale_between_two_cents() -> None:
    formula = {**MARGINAL_AMOUNT, "base": "income_per_person"}
    assert exact(formula, household(159999, (ADULT, ADULT))) == 200  # 79 999.5
    assert exact(formula, household(160000, (ADULT, ADULT))) == 1200  # 80 000


def test_marginal_amount_scale_on_persons() -> None:
    formula = {
        "kind": "marginal_amount_scale",
        "base": "persons",
        "thresholds": [
            {"from": 0, "amount_cents": 0},
            {"from": 2, "amount_cents": 500},
            {"from": 4, "amount_cents": 300},
        ],
    }
    values = [exact(formula, household(None, (ADULT,) * n)) for n in (1, 2, 3, 4, 6)]
    assert values == [0, 500, 500, 800, 800]
    _, steps = traced(formula, household(None, (ADULT,) * 4))
    assert [render_step(s, "fr") for s in steps] == [
        "Seuil de 0 atteint : + 0,00 €.",
        "Seuil de 2 atteint : + 5,00 €.",
        "Seuil de 4 atteint : + 3,00 €.",
        "Le nombre de personnes du foyer (4) : somme des montants des seuils atteints, 8,00 €.",
    ]


CALIEN = {
    "kind": "linear_average_rate_scale",
    "base": "income_per_cu",
    "thresholds": [{"from": 0, "rate": "0.01"}, {"from": 150000, "rate": "0.05"}],
}


@pytest.mark.parametrize(
    ("income_cents", "expected_cents"),
    [
        (0, 0),
        (75000, 2250),  # average 3 % × 75 000
        (100000, Fraction(100000 * 110, 3 * 1000)),  # 1 % + 4 % × 2/3 = 11/300
        (150000, 7500),  # 5 %
        (200000, 10000),  # 5 % beyond the last threshold
    ],
)
def test_linear_average_rate_scale_interpolates_the_rate(
    income_cents: int, expected_cents: Fraction
) -> None:
    assert exact(CALIEN, household(income_cents)) == expected_cents


def test_linear_average_rate_scale_with_three_thresholds() -> None:
    formula = {
        "kind": "linear_average_rate_scale",
        "base": "income",
        "thresholds": [
            {"from": 0, "rate": "0.01"},
            {"from": 100000, "rate": "0.02"},
            {"from": 200000, "rate": "0.04"},
        ],
    }
    assert exact(formula, household(50000)) == 750  # 1.5 %
    assert exact(formula, household(100000)) == 2000  # 2 %
    assert exact(formula, household(150000)) == 4500  # 3 %
    assert exact(formula, household(300000)) == 12000  # 4 %


def test_linear_average_rate_scale_on_consumption_units() -> None:
    # Two adults: 1.5 CU; 225 000 / 1.5 = 150 000 per CU -> 5 % of 150 000 = 7 500.
    assert exact(CALIEN, household(225000, (ADULT, ADULT))) == 7500


def test_linear_average_rate_scale_explains_the_average_rate() -> None:
    _, steps = traced(CALIEN, household(75000))
    assert render_step(steps[0], "fr") == (
        "Votre revenu par unité de consommation (750,00 €) : taux moyen de 3 % (de 1 % à "
        "0,00 € jusqu'à 5 % à 1500,00 €) ; participation : 22,50 €."
    )
    _, beyond = traced(CALIEN, household(200000))
    assert render_step(beyond[0], "en") == (
        "Your income per consumption unit (€2000.00) is at least €1500.00: rate of 5%; "
        "contribution: €100.00."
    )
