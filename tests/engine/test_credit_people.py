"""Credit kinds counting persons: per_person, base_plus_extra, age_weighted, per_consumption_unit.

Every expected figure is computed by hand in the comment next to it; ages are taken on the
rule set's age_reference_day (default: the 1st of the month).
"""

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

MARCH = Period(2026, 3)


def _rules(credit: dict[str, Any], **top: Any) -> Any:
    rounding = top.pop("rounding", {"unit_cents": 1, "mode": "half_up"})
    return parse_rule_set(
        {
            "format": "caisse.rules/1",
            "id": "test",
            "version": 1,
            "effective_from": "2026-01",
            "decision": "test",
            "contribution": {"formula": {"kind": "fixed", "amount_cents": 0}},
            "credit": {"rounding": rounding, "formula": credit},
            **top,
        }
    )


def _born(*years: int) -> tuple[Person, ...]:
    return tuple(Person(date(year, 6, 1)) for year in years)


def _assess(credit: dict[str, Any], persons: tuple[Person, ...], **top: Any) -> Assessment:
    period = top.pop("period", MARCH)
    return assess(_rules(credit, **top), HouseholdFacts("h1", persons), period)


def _credit(credit: dict[str, Any], persons: tuple[Person, ...], **top: Any) -> int | None:
    result = _assess(credit, persons, **top)
    assert result.status is Status.ASSESSED, result.problems
    return result.credit_cents


def _problems(credit: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(RuleSetInvalid) as error:
        _rules(credit)
    return {p.path: p.message for p in error.value.problems}


GIRONDE = {"kind": "base_plus_extra", "base_cents": 15000, "per_extra_person_cents": 7500}
NANTES = {"kind": "base_plus_extra", "base_cents": 10000, "per_extra_person_cents": 5000}
GRENOBLE = {**NANTES, "max_persons": 4}
BANDED = {
    "kind": "base_plus_extra",
    "base_cents": 15000,
    "extra_person_bands": [
        {"min_age": 14, "amount_cents": 7500},
        {"min_age": 0, "amount_cents": 4500},
    ],
}
AGES = {
    "kind": "age_weighted",
    "bands": [
        {"min_age": 0, "amount_cents": 4500},
        {"min_age": 14, "amount_cents": 7500},
        {"min_age": 65, "amount_cents": 6000},
    ],
}


@pytest.mark.parametrize(
    ("persons", "expected_cents"),
    [(1, 15000), (2, 22500), (3, 30000), (5, 45000)],  # 150 + 75 × (persons − 1)
)
def test_gironde_credit_is_150_plus_75_per_extra_person(persons: int, expected_cents: int) -> None:
    assert _credit(GIRONDE, _born(*[1980] * persons)) == expected_cents


@pytest.mark.parametrize(("persons", "expected_cents"), [(1, 10000), (4, 25000), (6, 35000)])
def test_nantes_credit_is_100_plus_50_per_extra_person_uncapped(
    persons: int, expected_cents: int
) -> None:
    assert _credit(NANTES, _born(*[1980] * persons)) == expected_cents


@pytest.mark.parametrize(("persons", "expected_cents"), [(3, 20000), (4, 25000), (6, 25000)])
def test_grenoble_credit_counts_at_most_4_persons(persons: int, expected_cents: int) -> None:
    assert _credit(GRENOBLE, _born(*[1980] * persons)) == expected_cents


def test_per_person_multiplies_the_amount_by_the_persons() -> None:
    rule = {"kind": "per_person", "amount_cents": 10000}
    assert _credit(rule, _born(1980, 1982, 2010)) == 30000


def test_per_person_cap_counts_at_most_max_persons() -> None:
    rule = {"kind": "per_person", "amount_cents": 10000, "max_persons": 4}
    assert _credit(rule, _born(1980, 1982, 2010, 2012, 2014, 2016)) == 40000
    assert _credit(rule, _born(1980, 1982)) == 20000


def test_extra_person_bands_pay_each_other_person_by_age() -> None:
    # ages on 2026-03-01: 45, 43, 15, 9 -> 150 (first) + 75 + 75 + 45 = 345 €
    assert _credit(BANDED, _born(1980, 1982, 2010, 2016)) == 34500


def test_first_person_is_the_oldest_even_when_listed_last() -> None:
    # a child listed first does not take the base: 150 (the adult) + 45 (the child of 9)
    assert _credit(BANDED, _born(2016, 1980)) == 19500


def test_banded_cap_counts_the_oldest_persons_first() -> None:
    # ages 45, 43, 15, 9, 5 capped at 3 -> 45 (base), 43, 15 -> 150 + 75 + 75
    assert _credit({**BANDED, "max_persons": 3}, _born(1980, 1982, 2010, 2016, 2020)) == 30000


def test_capped_bands_keep_the_oldest_even_when_a_younger_one_weighs_more() -> None:
    # Documented consequence of "oldest counted first": with a cap, a further (older) person
    # can push a better-paid younger one out. Bands 0+: 90 €, 14+: 10 €; cap 2.
    rule = {
        "kind": "base_plus_extra",
        "base_cents": 15000,
        "max_persons": 2,
        "extra_person_bands": [
            {"min_age": 0, "amount_cents": 9000},
            {"min_age": 14, "amount_cents": 1000},
        ],
    }
    assert _credit(rule, _born(1980, 2020)) == 24000  # 150 + 90 (the child)
    assert _credit(rule, _born(1980, 1985, 2020)) == 16000  # 150 + 10 (the second adult)


@pytest.mark.parametrize(
    ("age_reference_day", "expected_cents"),
    [
        (1, 19500),  # 13 on 1 March -> 150 + 45
        (14, 19500),  # still 13 the day before the birthday
        (15, 22500),  # 14 on the birthday -> 150 + 75
        ("last", 22500),  # 14 on 31 March
    ],
)
def test_ages_are_taken_on_the_rule_sets_reference_day(
    age_reference_day: int | str, expected_cents: int
) -> None:
    persons = (Person(date(1980, 1, 1)), Person(date(2012, 3, 15)))  # turns 14 on 15 March
    assert _credit(BANDED, persons, age_reference_day=age_reference_day) == expected_cents


def test_age_weighted_sums_each_persons_band() -> None:
    # ages 70, 45, 15, 13, 2 -> 60 + 75 + 75 + 45 + 45 = 300 €
    assert _credit(AGES, _born(1955, 1980, 2010, 2012, 2023)) == 30000


@pytest.mark.parametrize(
    ("birth_on", "expected_cents"),
    [
        (date(2012, 3, 2), 4500),  # 13 on 2026-03-01 (14 tomorrow)
        (date(2012, 3, 1), 7500),  # 14 on 2026-03-01, its birthday
        (date(1961, 3, 2), 7500),  # 64
        (date(1961, 3, 1), 6000),  # 65
    ],
)
def test_age_weighted_band_starts_at_its_min_age(birth_on: date, expected_cents: int) -> None:
    assert _credit(AGES, (Person(birth_on),)) == expected_cents


def test_age_weighted_cap_counts_the_oldest_first() -> None:
    # ages 70, 45, 15, 13, 2 capped at 3 -> 60 + 75 + 75
    rule = {**AGES, "max_persons": 3}
    assert _credit(rule, _born(1955, 1980, 2010, 2012, 2023)) == 21000


def test_per_consumption_unit_is_exact_then_rounded_once() -> None:
    rule = {"kind": "per_consumption_unit", "amount_cents": 10000}
    # 1 + 0.5 (aged 43) + 0.3 (aged 9) = 1.8 CU -> 180 €
    assert _credit(rule, _born(1980, 1982, 2016)) == 18000
    odd = {"kind": "per_consumption_unit", "amount_cents": 3333}
    # 3333 × 1.3 = 4332.9 cents -> half up 4333, down 4332
    assert _credit(odd, _born(1980, 2016)) == 4333
    assert _credit(odd, _born(1980, 2016), rounding={"unit_cents": 1, "mode": "down"}) == 4332


def test_caps_and_floors_compose_through_clamp() -> None:
    rule = {"kind": "clamp", "of": NANTES, "floor_cents": 12000, "cap_cents": 30000}
    assert _credit(rule, _born(1980)) == 12000  # 100 raised to the 120 floor
    assert _credit(rule, _born(*[1980] * 3)) == 20000  # within
    assert _credit(rule, _born(*[1980] * 6)) == 30000  # 350 lowered to the 300 cap


def test_missing_birth_date_is_needs_data_for_age_rules() -> None:
    result = _assess(BANDED, (Person(date(1980, 1, 1)), Person(None)))
    assert result.status is Status.NEEDS_DATA
    assert [p.path for p in result.problems] == ["persons[1].birth_on"]


def test_flat_extra_amount_needs_no_birth_dates() -> None:
    assert _credit(GIRONDE, (Person(None), Person(None))) == 22500


def test_unknown_composition_is_needs_data_never_zero() -> None:
    result = _assess(GIRONDE, ())
    assert (result.status, result.credit_cents) == (Status.NEEDS_DATA, None)
    assert [p.path for p in result.problems] == ["persons"]


def test_banded_explanation_names_each_band_in_french_and_english() -> None:
    result = _assess({**BANDED, "max_persons": 3}, _born(1980, 1982, 2010, 2016, 2020))
    assert result.explanation is not None
    steps = result.explanation.credit
    assert [s.code for s in steps] == [
        "credit.persons_capped",
        "credit.first_person",
        "credit.band.open",
        "credit.total",
        "rounding",
    ]
    assert render_step(steps[0], "fr") == (
        "Le foyer compte 5 personnes ; au plus 3 sont comptées, les plus âgées d'abord."
    )
    assert render_step(steps[2], "fr") == (
        "2 personne(s) de 14 ans ou plus, à 75,00 € chacune : 150,00 €."
    )
    assert render_step(steps[3], "en") == "Total credit: €300.00."


def test_age_band_range_step_names_the_ages() -> None:
    result = _assess(AGES, _born(1980, 2016))
    assert result.explanation is not None
    texts = [render_step(s, "en") for s in result.explanation.credit]
    assert "1 person(s) aged 14 to 64, at €75.00 each: €75.00." in texts
    assert "1 person(s) aged 0 to 13, at €45.00 each: €45.00." in texts


def test_flat_explanation_gives_the_whole_computation() -> None:
    result = _assess(GIRONDE, _born(1980, 1982, 2010))
    assert result.explanation is not None
    assert render_step(result.explanation.credit[0], "fr") == (
        "150,00 € pour la première personne, plus 75,00 € pour chacune des 2 autre(s) "
        "personne(s) : 300,00 €."
    )


def test_both_extra_forms_at_once_is_refused() -> None:
    rule = {**GIRONDE, "extra_person_bands": BANDED["extra_person_bands"]}
    assert "exactly one" in _problems(rule)["credit.formula.per_extra_person_cents"]


def test_bands_without_age_zero_are_refused() -> None:
    rule = {"kind": "age_weighted", "bands": [{"min_age": 14, "amount_cents": 7500}]}
    assert "min_age 0" in _problems(rule)["credit.formula.bands"]


def test_every_band_problem_is_reported_with_its_path() -> None:
    rule = {
        "kind": "age_weighted",
        "max_persons": 0,
        "bands": [
            {"min_age": 0, "amount_cents": 4500},
            {"min_age": 0, "amount_cents": 100},
            {"min_age": 14, "amount_cents": 75.0},
            {"min_age": 20, "amount_cents": 100, "weight": "1"},
        ],
    }
    problems = _problems(rule)
    assert set(problems) == {
        "credit.formula.max_persons",
        "credit.formula.bands[1].min_age",
        "credit.formula.bands[2].amount_cents",
        "credit.formula.bands[3].weight",
    }


def test_per_person_requires_an_amount() -> None:
    assert _problems({"kind": "per_person"}) == {
        "credit.formula.amount_cents": "this field is required"
    }
