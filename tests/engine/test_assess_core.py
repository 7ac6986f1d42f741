"""Core assess behaviour owned by the integrator: clamp precedence, free-choice rounding guard."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from app.engine import HouseholdFacts, Period, Person, RuleSetInvalid, assess, parse_rule_set


def _rules(contribution: dict[str, Any], rounding: dict[str, Any] | None = None) -> dict[str, Any]:
    section: dict[str, Any] = {"formula": contribution}
    if rounding is not None:
        section["rounding"] = rounding
    return {
        "format": "caisse.rules/1",
        "id": "core",
        "version": 1,
        "effective_from": "2026-01",
        "decision": "test",
        "contribution": section,
        "credit": {"formula": {"kind": "fixed", "amount_cents": 10000}},
    }


def _household(income_cents: int, chosen: int | None = None) -> HouseholdFacts:
    return HouseholdFacts(
        "hh_1",
        (Person(date(1980, 5, 1)),),
        income_cents=income_cents,
        chosen_contribution_cents=chosen,
    )


def test_cap_wins_over_a_computed_floor_above_it() -> None:
    # Floor = 10 % of income = 200,00 € for 2 000 €; cap 150,00 €: the cap is kept.
    rules = parse_rule_set(
        _rules(
            {
                "kind": "clamp",
                "of": {"kind": "fixed", "amount_cents": 100},
                "floor": {"kind": "proportional", "base": "income", "rate": "0.1"},
                "cap_cents": 15000,
            }
        )
    )
    outcome = assess(rules, _household(200000), Period(2026, 3))
    assert outcome.contribution_cents == 15000
    assert outcome.explanation is not None
    codes = [s.code for s in outcome.explanation.contribution]
    assert "clamp.raised" in codes and "clamp.lowered" in codes


def test_free_choice_cannot_be_rounded_to_a_coarser_unit() -> None:
    doc = _rules(
        {"kind": "free_choice", "min_cents": 100, "max_cents": 15000},
        {"unit_cents": 100, "mode": "half_up"},
    )
    with pytest.raises(RuleSetInvalid) as raised:
        parse_rule_set(doc)
    assert [p.path for p in raised.value.problems] == ["contribution.rounding.unit_cents"]


def test_needs_data_still_shows_the_choice_offered() -> None:
    rules = parse_rule_set(_rules({"kind": "free_choice", "min_cents": 100, "max_cents": 15000}))
    outcome = assess(rules, _household(100000), Period(2026, 3))
    assert outcome.status.value == "needs_data"
    assert outcome.choice is not None
    assert (outcome.choice.min_cents, outcome.choice.max_cents) == (100, 15000)
    assert outcome.contribution_cents is None and outcome.credit_cents is None


def test_engagement_credit_clauses_are_refused_on_a_fund_level_credit() -> None:
    doc = _rules({"kind": "fixed", "amount_cents": 1000})
    doc["credit"] = {"formula": {"kind": "mean_of_contributions"}}
    doc["engagement"] = {"credit_bonus": {"per_hour_cents": 300, "cap_cents": 1500}}
    with pytest.raises(RuleSetInvalid) as raised:
        parse_rule_set(doc)
    assert [p.path for p in raised.value.problems] == ["engagement"]
    doc["engagement"] = {"contribution_offset": {"per_hour_cents": 300, "cap_cents": 1500}}
    assert parse_rule_set(doc).engagement is not None
