"""Credit kinds adjusting another formula: means_tested (taper) and prorated (by days)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from app.engine import (
    Assessment,
    HouseholdFacts,
    Period,
    Person,
    RuleSetInvalid,
    Status,
    assess,
    parse_rule_set,
)
from app.engine.explain import render_step

ADULT = Person(date(1980, 6, 1))
HUNDRED = {"kind": "fixed", "amount_cents": 10000}
TAPER = {
    "kind": "means_tested",
    "amount": {"kind": "fixed", "amount_cents": 20000},
    "base": "income",
    "threshold": 100000,
    "taper_rate": "0.5",
}


def _rules(credit: dict[str, Any], mode: str = "half_up") -> Any:
    return parse_rule_set(
        {
            "format": "caisse.rules/1",
            "id": "test",
            "version": 1,
            "effective_from": "2020-01",
            "decision": "test",
            "contribution": {"formula": {"kind": "fixed", "amount_cents": 0}},
            "credit": {"rounding": {"unit_cents": 1, "mode": mode}, "formula": credit},
        }
    )


def _assess(
    credit: dict[str, Any],
    period: Period = Period(2026, 3),
    mode: str = "half_up",
    persons: tuple[Person, ...] = (ADULT,),
    **facts: Any,
) -> Assessment:
    return assess(_rules(credit, mode), HouseholdFacts("h1", persons, **facts), period)


def _credit(credit: dict[str, Any], **kwargs: Any) -> int | None:
    result = _assess(credit, **kwargs)
    assert result.status is Status.ASSESSED, result.problems
    return result.credit_cents


@pytest.mark.parametrize(
    ("income_cents", "expected_cents"),
    [
        (90000, 20000),  # below the threshold: full 200 €
        (100000, 20000),  # at the threshold: no reduction
        (100100, 19950),  # 1 € above: − 0.50 €
        (120000, 10000),  # 200 − 0.5 × 200
        (140000, 0),  # 200 − 0.5 × 400 = 0
        (150000, 0),  # would be − 50 €: never below the floor of 0
    ],
)
def test_means_tested_tapers_above_the_threshold(income_cents: int, expected_cents: int) -> None:
    assert _credit(TAPER, income_cents=income_cents) == expected_cents


def test_means_tested_never_goes_below_its_floor() -> None:
    rule = {**TAPER, "floor_cents": 5000}
    assert _credit(rule, income_cents=120000) == 10000  # above the floor: unchanged
    assert _credit(rule, income_cents=150000) == 5000  # 200 − 250 -> floor 50 €


def test_means_tested_is_exact_on_a_per_cu_base() -> None:
    rule = {**TAPER, "base": "income_per_cu"}
    two_adults = (ADULT, ADULT)  # 1.5 CU
    # 150001 / 1.5 = 100000.666... ; 20000 − 0.5 × 0.666... = 19999.666... cents
    assert _credit(rule, persons=two_adults, income_cents=150001) == 20000
    assert _credit(rule, persons=two_adults, income_cents=150001, mode="down") == 19999


def test_means_tested_missing_income_is_needs_data() -> None:
    result = _assess(TAPER)
    assert result.status is Status.NEEDS_DATA
    assert [p.path for p in result.problems] == ["income_cents"]


def test_means_tested_explains_the_reduction() -> None:
    result = _assess(TAPER, income_cents=120000)
    assert result.explanation is not None
    taper = result.explanation.credit[1]
    assert taper.code == "credit.means_tested.taper"
    assert render_step(taper, "fr") == (
        "Base retenue (ressources mensuelles) : 1200,00 €, soit 200,00 € au-dessus du seuil "
        "de 1000,00 € ; le crédit baisse de 50 % de ce dépassement (100,00 €) : 100,00 €."
    )


def test_means_tested_refuses_a_count_base() -> None:
    with pytest.raises(RuleSetInvalid) as error:
        _rules({**TAPER, "base": "persons"})
    assert [p.path for p in error.value.problems] == ["credit.formula.base"]


@pytest.mark.parametrize(
    ("period", "facts", "expected_cents"),
    [
        # 28 days (Feb 2026), joining on the 15th: 14/28 of 100 € = 50 €
        (Period(2026, 2), {"active_from": date(2026, 2, 15)}, 5000),
        # 29 days (Feb 2028), joining on the 15th: 15/29 × 10000 = 5172.41 -> 5172
        (Period(2028, 2), {"active_from": date(2028, 2, 15)}, 5172),
        # 30 days (April), leaving on the 10th: 10/30 × 10000 = 3333.33 -> 3333
        (Period(2026, 4), {"active_until": date(2026, 4, 10)}, 3333),
        # 31 days (March), from the 10th to the 20th: 11/31 × 10000 = 3548.39 -> 3548
        (
            Period(2026, 3),
            {"active_from": date(2026, 3, 10), "active_until": date(2026, 3, 20)},
            3548,
        ),
        # 31 days, one day: 10000/31 = 322.58 -> 323
        (
            Period(2026, 3),
            {"active_from": date(2026, 3, 31), "active_until": date(2026, 3, 31)},
            323,
        ),
        # joined before the month, no end: whole month
        (Period(2026, 3), {"active_from": date(2025, 11, 3)}, 10000),
        # active exactly the whole month
        (
            Period(2026, 4),
            {"active_from": date(2026, 4, 1), "active_until": date(2026, 4, 30)},
            10000,
        ),
        # no dates at all: whole month
        (Period(2026, 4), {}, 10000),
    ],
)
def test_prorated_credit_follows_the_active_days_of_the_month(
    period: Period, facts: dict[str, Any], expected_cents: int
) -> None:
    assert _credit({"kind": "prorated", "of": HUNDRED}, period=period, **facts) == expected_cents


@pytest.mark.parametrize(
    ("facts", "code"),
    [
        ({"active_from": date(2026, 4, 1)}, "credit.prorated.not_yet"),
        ({"active_until": date(2026, 2, 28)}, "credit.prorated.ended"),
    ],
)
def test_household_not_active_in_the_month_gets_zero_with_a_step(
    facts: dict[str, Any], code: str
) -> None:
    result = _assess({"kind": "prorated", "of": HUNDRED}, **facts)
    assert (result.status, result.credit_cents) == (Status.ASSESSED, 0)
    assert result.explanation is not None
    assert result.explanation.credit[0].code == code


def test_inactive_household_needs_no_facts_for_the_inner_formula() -> None:
    # The taper needs the income, but a household gone before the month needs nothing.
    result = _assess({"kind": "prorated", "of": TAPER}, active_until=date(2026, 1, 31))
    assert (result.status, result.credit_cents) == (Status.ASSESSED, 0)


def test_prorated_step_reads_as_days_of_the_month() -> None:
    result = _assess({"kind": "prorated", "of": HUNDRED}, active_from=date(2026, 3, 10))
    assert result.explanation is not None
    assert render_step(result.explanation.credit[1], "en") == (
        "Member for 22 of the 31 days of this month (2026-03-10 to 2026-03-31): "
        "€100.00 × 22/31 = ≈ €70.96."
    )
    assert result.credit_cents == 7097  # 220000/31 = 7096.77 -> 7097


def test_prorated_requires_its_formula() -> None:
    with pytest.raises(RuleSetInvalid) as error:
        _rules({"kind": "prorated"})
    assert [p.path for p in error.value.problems] == ["credit.formula.of"]
