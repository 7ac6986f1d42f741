"""Brackets: every bound (at, just below, just above; whole and between two cents), explanations."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from app.engine.explain import render_step
from tests.engine.contribution_support import ADULT, CHILD, TEEN, exact, household, traced

# The example of docs/rules-format.md, on income (one person: income per CU = income).
SPEC = [
    {"from": 0, "from_inclusive": True, "to": 50000, "to_inclusive": False, "amount_cents": 500},
    {"from": 50000, "from_inclusive": True, "to": 100000, "to_inclusive": True, "rate": "0.02"},
    {"from": 100000, "from_inclusive": False, "amount_cents": 4000},
]


def _brackets(base: str, brackets: list[Any]) -> dict[str, object]:
    return {"kind": "brackets", "base": base, "brackets": brackets}


@pytest.mark.parametrize(
    ("income_cents", "expected_cents"),
    [
        (0, 500),  # first bound, included
        (1, 500),
        (49999, 500),  # just below 50 000 (excluded from the first bracket)
        (50000, 1000),  # exactly 50 000: included in the second -> 2 % × 50 000
        (50001, Fraction(100002, 100)),  # just above
        (99999, Fraction(199998, 100)),  # just below 100 000
        (100000, 2000),  # exactly 100 000: included in the second
        (100001, 4000),  # just above: the third
        (10_000_000, 4000),  # unbounded
    ],
)
def test_spec_brackets_at_every_whole_bound(income_cents: int, expected_cents: Fraction) -> None:
    formula = _brackets("income_per_cu", SPEC)
    assert exact(formula, household(income_cents)) == expected_cents


@pytest.mark.parametrize(
    ("income_cents", "expected_cents"),
    [
        (99999, 500),  # 49 999.5 per person: below 50 000
        (100000, 1000),  # 50 000 exactly
        (100001, Fraction(100001, 100)),  # 50 000.5: 2 % of it = 1 000.01
        (199999, Fraction(1999990, 1000)),  # 99 999.5
        (200000, 2000),  # 100 000 exactly, included in the second
        (200001, 4000),  # 100 000.5: above the excluded bound
    ],
)
def test_spec_brackets_between_two_cents(income_cents: int, expected_cents: Fraction) -> None:
    # Two persons: income per person falls between two cents when the income is odd.
    formula = _brackets("income_per_person", SPEC)
    assert exact(formula, household(income_cents, (ADULT, ADULT))) == expected_cents


# Bounds owned the other way round: the lower neighbour keeps the shared bound, and an open
# bracket (both ends excluded) and a single-value bracket [300, 300].
OTHER_WAY = [
    {"from": 0, "from_inclusive": True, "to": 100, "to_inclusive": True, "amount_cents": 10},
    {"from": 100, "from_inclusive": False, "to": 200, "to_inclusive": False, "amount_cents": 20},
    {"from": 200, "from_inclusive": True, "to": 300, "to_inclusive": False, "amount_cents": 30},
    {"from": 300, "from_inclusive": True, "to": 300, "to_inclusive": True, "amount_cents": 40},
    {"from": 300, "from_inclusive": False, "amount_cents": 50},
]


@pytest.mark.parametrize(
    ("income_cents", "expected_cents"),
    [
        (0, 10),
        (198, 10),  # 99
        (199, 10),  # 99.5
        (200, 10),  # 100: included in the first
        (201, 20),  # 100.5: above the first
        (202, 20),  # 101
        (398, 20),  # 199
        (399, 20),  # 199.5: still below 200
        (400, 30),  # 200: included in the third
        (401, 30),  # 200.5
        (599, 30),  # 299.5
        (600, 40),  # 300 exactly: the single-value bracket
        (601, 50),  # 300.5
        (602, 50),  # 301
    ],
)
def test_each_shared_bound_belongs_to_exactly_one_bracket(
    income_cents: int, expected_cents: int
) -> None:
    formula = _brackets("income_per_person", OTHER_WAY)
    assert exact(formula, household(income_cents, (ADULT, ADULT))) == expected_cents


def test_brackets_on_the_number_of_persons() -> None:
    formula = _brackets(
        "persons",
        [
            {
                "from": 0,
                "from_inclusive": True,
                "to": 2,
                "to_inclusive": True,
                "amount_cents": 1000,
            },
            {"from": 2, "from_inclusive": False, "amount_cents": 1500},
        ],
    )
    values = [exact(formula, household(None, (ADULT,) * n)) for n in (1, 2, 3, 6)]
    assert values == [1000, 1000, 1500, 1500]
    _, steps = traced(formula, household(None, (ADULT,) * 3))
    assert render_step(steps[0], "fr") == (
        "Le nombre de personnes du foyer (3) est dans la tranche au-delà de 2 : "
        "participation de 15,00 €."
    )


QF_BRACKETS = _brackets(
    "quotient_familial",
    [
        {
            "from": 0,
            "from_inclusive": True,
            "to": 50000,
            "to_inclusive": False,
            "amount_cents": 500,
        },
        {
            "from": 50000,
            "from_inclusive": True,
            "to": 80000,
            "to_inclusive": False,
            "amount_cents": 1500,
        },
        {"from": 80000, "from_inclusive": True, "rate": "0.05"},
    ],
)


def test_bracket_explanation_names_the_bracket_and_its_bounds() -> None:
    family = (ADULT, ADULT, TEEN, CHILD)  # 3 CAF parts: 186 000 / 3 = 62 000
    value, steps = traced(QF_BRACKETS, household(186000, family))
    assert value == 1500
    assert steps[0].clause == "contribution.formula.brackets[1]"
    assert render_step(steps[0], "fr") == (
        "Votre quotient familial (620,00 €) est dans la tranche de 500,00 € (incluse) à "
        "800,00 € (exclue) : participation de 15,00 €."
    )
    assert render_step(steps[0], "en") == (
        "Your family quotient (€620.00) is in the bracket from €500.00 (included) to €800.00 "
        "(excluded): contribution of €15.00."
    )


def test_rate_bracket_explanation_shows_the_rate_and_result() -> None:
    value, steps = traced(QF_BRACKETS, household(300000, (ADULT, ADULT, TEEN, CHILD)))
    assert value == 5000  # 5 % of 100 000
    assert render_step(steps[0], "fr") == (
        "Votre quotient familial (1000,00 €) est dans la tranche à partir de 800,00 € "
        "(incluse) : participation de 5 % de ce montant, soit 50,00 €."
    )
