"""Engagement: minimum minutes for the credit, contribution offset, credit bonus."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

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

PERIOD = Period(2027, 2)
ADULT = Person(date(1980, 6, 1))
OFFSET = {"contribution_offset": {"per_hour_cents": 500, "cap_cents": 2000}}
BONUS = {"credit_bonus": {"per_hour_cents": 300, "cap_cents": 1500}}
REQUIRES = {"credit_requires_minutes": 120}


def _rules(
    engagement: Any, contribution_cents: int = 3000, credit: dict[str, Any] | None = None
) -> Any:
    return parse_rule_set(
        {
            "format": "caisse.rules/1",
            "id": "calien-test",
            "version": 1,
            "effective_from": "2027-01",
            "decision": "test",
            "contribution": {"formula": {"kind": "fixed", "amount_cents": contribution_cents}},
            "credit": {"formula": credit or {"kind": "fixed", "amount_cents": 10000}},
            "engagement": engagement,
        }
    )


def _assess(
    engagement: Any, minutes: int | None, contribution_cents: int = 3000, **kwargs: Any
) -> Assessment:
    facts = HouseholdFacts("h1", (ADULT,), engagement_minutes=minutes, **kwargs)
    return assess(_rules(engagement, contribution_cents), facts, PERIOD)


def _amounts(
    engagement: Any, minutes: int | None, contribution_cents: int = 3000
) -> tuple[int | None, int | None]:
    result = _assess(engagement, minutes, contribution_cents)
    assert result.status is Status.ASSESSED, result.problems
    return result.contribution_cents, result.credit_cents


@pytest.mark.parametrize(
    ("minutes", "expected_contribution_cents"),
    [
        (0, 3000),  # nothing earned
        (60, 2500),  # one hour: 5 €
        (95, 2209),  # 500 × 95 / 60 = 791.67 -> 791 (down, to the cent)
        (1, 2992),  # 8.33 cents -> 8
        (240, 1000),  # 20 €: exactly the cap
        (300, 1000),  # 25 € earned, capped at 20 €
    ],
)
def test_contribution_offset_is_pro_rata_to_the_minute_rounded_down_and_capped(
    minutes: int, expected_contribution_cents: int
) -> None:
    assert _amounts(OFFSET, minutes) == (expected_contribution_cents, 10000)


def test_offset_never_brings_the_contribution_below_zero() -> None:
    assert _amounts(OFFSET, 240, contribution_cents=500) == (0, 10000)


@pytest.mark.parametrize(
    ("minutes", "expected_credit_cents"),
    [(0, 10000), (100, 10500), (299, 11495), (300, 11500), (600, 11500)],
    # 300 × 299 / 60 = 1495; 300 × 600 / 60 = 3000 capped at 1500
)
def test_credit_bonus_is_pro_rata_rounded_down_and_capped(
    minutes: int, expected_credit_cents: int
) -> None:
    assert _amounts(BONUS, minutes) == (3000, expected_credit_cents)


def test_credit_requires_minimum_minutes() -> None:
    assert _amounts(REQUIRES, 119) == (3000, 0)
    assert _amounts(REQUIRES, 120) == (3000, 10000)


def test_missing_the_minimum_gives_credit_zero_with_the_reason() -> None:
    result = _assess(REQUIRES, 90)
    assert result.explanation is not None
    last = result.explanation.credit[-1]
    assert last.code == "engagement.requirement.unmet"
    assert render_step(last, "fr") == (
        "Le crédit demande au moins 2 h de participation dans le mois ; vous en avez 1 h 30 : "
        "pas de crédit ce mois-ci (0,00 €)."
    )


def test_no_bonus_on_a_credit_withheld_for_lack_of_minutes() -> None:
    assert _amounts({**REQUIRES, **BONUS}, 119) == (3000, 0)
    assert _amounts({**REQUIRES, **BONUS}, 120) == (3000, 10600)  # + 300 × 2


def test_withheld_credit_means_no_funder_share_either() -> None:
    top_up = {"kind": "top_up_to_target", "target_cents": 9000, "funder_id": "caf"}
    rules = _rules(REQUIRES, 3000, credit=top_up)
    short = assess(rules, HouseholdFacts("h1", (ADULT,), engagement_minutes=60), PERIOD)
    assert (short.credit_cents, short.funder_share_cents) == (0, 0)
    enough = assess(rules, HouseholdFacts("h1", (ADULT,), engagement_minutes=120), PERIOD)
    assert (enough.credit_cents, enough.funder_share_cents) == (9000, 6000)


def test_every_clause_shows_in_the_explanation() -> None:
    result = _assess({**REQUIRES, **OFFSET, **BONUS}, 150)
    assert result.explanation is not None
    assert [s.code for s in result.explanation.contribution][-1] == "engagement.offset"
    assert [s.code for s in result.explanation.credit][-2:] == [
        "engagement.requirement.met",
        "engagement.bonus",
    ]
    assert render_step(result.explanation.contribution[-1], "en") == (
        "Engagement: 2 h 30 at €5.00 an hour are worth €12.50 (at most €20.00); €12.50 is "
        "taken off your contribution, which becomes €17.50."
    )


@pytest.mark.parametrize("engagement", [OFFSET, BONUS, REQUIRES])
def test_missing_minutes_is_needs_data_when_the_section_exists(engagement: Any) -> None:
    result = _assess(engagement, None)
    assert result.status is Status.NEEDS_DATA
    assert [p.path for p in result.problems] == ["engagement_minutes"]


def test_malformed_engagement_is_reported_with_paths() -> None:
    with pytest.raises(RuleSetInvalid) as error:
        _rules(
            {
                "credit_requires_minutes": 0,
                "contribution_offset": {"per_hour_cents": 500},
                "credit_bonus": {"per_hour_cents": "3", "cap_cents": 100},
                "hours": 3,
            }
        )
    assert sorted(p.path for p in error.value.problems) == [
        "engagement.contribution_offset.cap_cents",
        "engagement.credit_bonus.per_hour_cents",
        "engagement.credit_requires_minutes",
        "engagement.hours",
    ]


def test_empty_engagement_section_is_refused() -> None:
    with pytest.raises(RuleSetInvalid) as error:
        _rules({})
    assert [p.path for p in error.value.problems] == ["engagement"]


@given(
    contribution=st.integers(min_value=0, max_value=50_000),
    minutes=st.integers(min_value=0, max_value=10_000),
    per_hour=st.integers(min_value=0, max_value=5_000),
    cap=st.integers(min_value=0, max_value=20_000),
)
def test_offset_is_between_zero_and_the_contribution(
    contribution: int, minutes: int, per_hour: int, cap: int
) -> None:
    engagement = {"contribution_offset": {"per_hour_cents": per_hour, "cap_cents": cap}}
    owed, _ = _amounts(engagement, minutes, contribution)
    assert owed is not None
    assert 0 <= owed <= contribution
    assert contribution - owed == min(cap, per_hour * minutes // 60, contribution)


@given(minutes=st.integers(min_value=0, max_value=5_000))
def test_more_minutes_never_lower_the_credit_nor_raise_the_contribution(minutes: int) -> None:
    engagement = {**REQUIRES, **OFFSET, **BONUS}
    owed, credit = _amounts(engagement, minutes)
    owed_more, credit_more = _amounts(engagement, minutes + 1)
    assert owed is not None and owed_more is not None
    assert credit is not None and credit_more is not None
    assert owed_more <= owed and credit_more >= credit
