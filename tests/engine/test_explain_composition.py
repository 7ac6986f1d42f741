"""Explanations show the household measures the rules read: consumption units and CAF parts.

Figures by hand: two adults and a child of 9 weigh 1 + 0,5 + 0,3 = 1,8 consumption units
(OECD-modified scale) and 2 + 0,5 = 2,5 quotient familial parts (CAF default).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from app.engine import HouseholdFacts, Period, Person, Status, assess, parse_rule_set
from app.engine.batch import assess_batch

MARCH = Period(2026, 3)
FAMILY = (Person(date(1980, 6, 1)), Person(date(1982, 6, 1)), Person(date(2016, 6, 1)))


def _rules(contribution: dict[str, Any], credit: dict[str, Any]) -> Any:
    return parse_rule_set(
        {
            "format": "caisse.rules/1",
            "id": "measures",
            "version": 1,
            "effective_from": "2026-01",
            "decision": "test",
            "contribution": {"formula": contribution},
            "credit": {"formula": credit},
        }
    )


QF = {"kind": "proportional", "base": "quotient_familial", "rate": "0.01"}
PER_CU = {"kind": "per_consumption_unit", "amount_cents": 10000}
FIXED = {"kind": "fixed", "amount_cents": 1000}


def test_both_measures_are_shown_when_the_rules_read_them() -> None:
    rules = _rules(QF, PER_CU)
    result = assess(rules, HouseholdFacts("h1", FAMILY, income_cents=250000), MARCH)
    assert result.status is Status.ASSESSED
    # 2 500,00 € / 2,5 parts = 1 000,00 € x 1 % = 10,00 €; 100,00 € x 1,8 = 180,00 €
    assert (result.contribution_cents, result.credit_cents) == (1000, 18000)
    explanation = result.explanation
    assert explanation is not None
    assert explanation.as_dict()["composition"] == {
        "consumption_units": "1.8",
        "family_parts": "2.5",
    }
    fr = explanation.render("fr").splitlines()
    assert fr[1:3] == [
        "Unités de consommation du foyer : 1,8.",
        "Parts de quotient familial (CAF) du foyer : 2,5.",
    ]
    en = explanation.render("en").splitlines()
    assert en[1:3] == [
        "Consumption units of the household: 1.8.",
        "Family quotient parts (CAF) of the household: 2.5.",
    ]


def test_no_measure_is_shown_when_the_rules_do_not_read_it() -> None:
    result = assess(_rules(FIXED, PER_CU), HouseholdFacts("h1", FAMILY), MARCH)
    assert result.explanation is not None
    assert result.explanation.as_dict()["composition"] == {"consumption_units": "1.8"}
    plain = assess(_rules(FIXED, FIXED), HouseholdFacts("h1", FAMILY), MARCH)
    assert plain.explanation is not None
    assert plain.explanation.as_dict()["composition"] == {}
    assert "unité" not in plain.explanation.render("fr")


def test_the_batch_path_shows_the_same_measures() -> None:
    rules = _rules(QF, PER_CU)
    households = [
        HouseholdFacts(f"h{i}", FAMILY[: 1 + i % 3], income_cents=250000) for i in range(6)
    ]
    batch = assess_batch(rules, households, MARCH, explain=True)
    for index, facts in enumerate(households):
        alone = assess(rules, facts, MARCH)
        assert batch.assessment(index).as_dict() == alone.as_dict()
