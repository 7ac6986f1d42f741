"""Hand-computed cases for proportional, effort_rate, linear and household_amount."""

from __future__ import annotations

from fractions import Fraction

import pytest

from app.engine import Status, assess
from app.engine.explain import render_step
from app.engine.resources import NeedsData
from tests.engine.contribution_support import (
    ADULT,
    CHILD,
    PERIOD,
    TEEN,
    exact,
    household,
    rule_set,
    traced,
)

FAMILY = (ADULT, ADULT, TEEN, CHILD)  # 3 CAF parts; 1 + 0.5 + 0.5 + 0.3 = 2.3 CU


# --- proportional -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("income_cents", "expected_cents"),
    [(0, 0), (40000, 1000), (160000, 4000), (240000, 6000), (40001, Fraction(400010, 400))],
)
def test_proportional_is_rate_times_income(income_cents: int, expected_cents: Fraction) -> None:
    formula = {"kind": "proportional", "base": "income", "rate": "0.025"}
    assert exact(formula, household(income_cents)) == expected_cents


def test_proportional_on_quotient_familial_divides_income_by_caf_parts() -> None:
    # 186 000 / 3 parts = 62 000 ; × 10 % = 6 200.
    formula = {"kind": "proportional", "base": "quotient_familial", "rate": "0.1"}
    assert exact(formula, household(186000, FAMILY)) == 6200


def test_proportional_on_income_per_cu_is_exact_not_rounded() -> None:
    # 230 000 / 2.3 CU = 100 000 ; × 3 % = 3 000. And 100 000 / 2.3 × 3 % = 30 000/23.
    formula = {"kind": "proportional", "base": "income_per_cu", "rate": "0.03"}
    assert exact(formula, household(230000, FAMILY)) == 3000
    assert exact(formula, household(100000, FAMILY)) == Fraction(30000, 23)


def test_proportional_missing_income_needs_data() -> None:
    formula = {"kind": "proportional", "base": "income", "rate": "0.025"}
    with pytest.raises(NeedsData) as missing:
        exact(formula, household(None))
    assert missing.value.field == "income_cents"


def test_share_of_income_floor_composes_inside_max_and_clamp() -> None:
    share = {"kind": "proportional", "base": "income", "rate": "0.025"}
    as_max = {"kind": "max", "of": [{"kind": "fixed", "amount_cents": 500}, share]}
    as_clamp = {"kind": "clamp", "of": share, "floor_cents": 500, "cap_cents": 5000}
    as_floor = {"kind": "clamp", "of": {"kind": "fixed", "amount_cents": 500}, "floor": share}
    # 10 000 × 2.5 % = 250 < 500; 160 000 -> 4 000; 400 000 -> 10 000 (clamp caps at 5 000).
    incomes = (10000, 160000, 400000)
    assert [exact(as_max, household(i)) for i in incomes] == [500, 4000, 10000]
    assert [exact(as_clamp, household(i)) for i in incomes] == [500, 4000, 5000]
    assert [exact(as_floor, household(i)) for i in incomes] == [500, 4000, 10000]


# --- effort_rate --------------------------------------------------------------------------


def _effort(**bounds: int) -> dict[str, object]:
    return {"kind": "effort_rate", "base": "income", "rate": "0.03", **bounds}


def test_resources_floor_and_amount_floor_differ_on_the_same_household() -> None:
    poor = household(10000)  # 100 € a month: 3 % = 3 €
    # Resources floor: the income counted is raised to 300 €, then 3 % -> 9 €.
    assert exact(_effort(resources_floor_cents=30000), poor) == 900
    # Amount floor: 3 % of 100 € = 3 €, raised to the 5 € floor.
    assert exact(_effort(floor_cents=500), poor) == 500


def test_resources_cap_and_amount_cap_differ_on_the_same_household() -> None:
    rich = household(400000)  # 4 000 €: 3 % = 120 €
    assert exact(_effort(), rich) == 12000
    assert exact(_effort(resources_cap_cents=300000), rich) == 9000
    assert exact(_effort(cap_cents=8000), rich) == 8000
    assert exact(_effort(resources_cap_cents=300000, cap_cents=8000), rich) == 8000


@pytest.mark.parametrize(
    ("income_cents", "expected_cents"),
    [
        (0, 900),  # resources floor 300 € -> 9 €
        (29999, 900),
        (30000, 900),
        (30001, Fraction(90003, 100)),
        (100000, 3000),
        (266666, Fraction(799998, 100)),
        (266667, 8000),  # 8 000.01 capped at 80 €
        (300000, 8000),
        (500000, 8000),  # resources cap 3 000 € -> 90 € -> amount cap 80 €
    ],
)
def test_effort_rate_with_all_four_bounds(income_cents: int, expected_cents: Fraction) -> None:
    formula = _effort(
        floor_cents=500,
        cap_cents=8000,
        resources_floor_cents=30000,
        resources_cap_cents=300000,
    )
    assert exact(formula, household(income_cents)) == expected_cents


def test_effort_rate_explains_the_resources_floor_then_the_rate() -> None:
    value, steps = traced(_effort(resources_floor_cents=30000), household(10000))
    assert value == 900
    assert [s.code for s in steps] == ["effort_rate.resources_raised", "effort_rate"]
    assert render_step(steps[1], "fr") == (
        "Votre revenu mensuel : 100,00 € ; taux d'effort de 3 % appliqué à 300,00 € : 9,00 €."
    )
    assert render_step(steps[0], "en") == (
        "The resources counted never go below the floor of €300.00."
    )


# --- linear -------------------------------------------------------------------------------

SAVOIE_LINE = {
    "kind": "linear",
    "base": "quotient_familial",
    "from": {"base": 50000, "amount_cents": 3000},
    "to": {"base": 110000, "amount_cents": 6000},
}


@pytest.mark.parametrize(
    ("income_cents", "expected_cents"),
    [
        (0, 3000),
        (120000, 3000),  # QF 400 €: flat below the first anchor
        (150000, 3000),  # QF 500 €: the first anchor
        (150003, Fraction(3000 * 60000 + 3000 * 1, 60000)),  # QF 500,01 €
        (200000, Fraction(11500, 3)),  # QF 666,67 €: 3 000 + 3 000 × 16 666,67 / 60 000
        (240000, 4500),  # QF 800 €: halfway
        (330000, 6000),  # QF 1 100 €: the second anchor
        (360000, 6000),  # flat above
    ],
)
def test_linear_between_two_anchors_flat_outside(
    income_cents: int, expected_cents: Fraction
) -> None:
    assert exact(SAVOIE_LINE, household(income_cents, FAMILY)) == expected_cents


def test_linear_can_run_on_the_number_of_persons() -> None:
    formula = {
        "kind": "linear",
        "base": "persons",
        "from": {"base": 1, "amount_cents": 1000},
        "to": {"base": 5, "amount_cents": 3000},
    }
    assert [exact(formula, household(0, (ADULT,) * n)) for n in (1, 3, 5, 7)] == [
        1000,
        2000,
        3000,
        3000,
    ]
    _, steps = traced(formula, household(0, (ADULT,) * 3))
    assert render_step(steps[0], "fr") == (
        "Le nombre de personnes du foyer (3) est entre 1 et 5 : la participation suit la "
        "droite de 10,00 € à 30,00 €, soit 20,00 €."
    )


def test_linear_explains_which_part_of_the_line_applied() -> None:
    _, below = traced(SAVOIE_LINE, household(120000, FAMILY))
    _, between = traced(SAVOIE_LINE, household(240000, FAMILY))
    assert render_step(below[0], "fr") == (
        "Votre quotient familial (400,00 €) ne dépasse pas 500,00 € : participation de 30,00 €."
    )
    assert render_step(between[0], "en") == (
        "Your family quotient (€800.00) is between €500.00 and €1100.00: the contribution "
        "follows the line from €30.00 to €60.00, that is €45.00."
    )


# --- household_amount ---------------------------------------------------------------------

GIRONDE_FLOOR = {
    "kind": "household_amount",
    "per_household_cents": 1000,
    "per_person_cents": 0,
    "per_extra_person_cents": 500,
}


@pytest.mark.parametrize(("persons", "expected_cents"), [(1, 1000), (3, 2000), (5, 3000)])
def test_household_amount_per_household_and_extra_person(persons: int, expected_cents: int) -> None:
    assert exact(GIRONDE_FLOOR, household(None, (ADULT,) * persons)) == expected_cents


def test_household_amount_per_person() -> None:
    formula = {"kind": "household_amount", "per_person_cents": 700}
    assert exact(formula, household(None, (ADULT,) * 3)) == 2100


def test_household_amount_needs_the_composition() -> None:
    with pytest.raises(NeedsData) as missing:
        exact(GIRONDE_FLOOR, household(None, ()))
    assert missing.value.field == "persons"


def test_household_amount_is_explained_in_french() -> None:
    _, steps = traced(GIRONDE_FLOOR, household(None, (ADULT,) * 3))
    assert render_step(steps[0], "fr") == (
        "10,00 € par foyer + 0,00 € × 3 personne(s) + 5,00 € × 2 personne(s) au-delà de la "
        "première : 20,00 €."
    )


def test_household_amount_through_assess_owes_the_floor() -> None:
    result = assess(rule_set(GIRONDE_FLOOR), household(None, (ADULT,) * 5), PERIOD)
    assert (result.status, result.contribution_cents) == (Status.ASSESSED, 3000)
