"""Impact preview: totals, per-household changes, buckets and deciles, exact in cents."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.engine import HouseholdFacts, Period, Person, RuleSet, parse_rule_set
from app.engine.preview import preview
from app.engine.preview.parts import BUCKETS, Change, bucket_of

PERIOD = Period(2026, 11)
ADULT = Person(date(1980, 5, 17))


def _rules(rate: str, credit: dict[str, Any], **extra: Any) -> RuleSet:
    return parse_rule_set(
        {
            "format": "caisse.rules/1",
            "id": f"r{rate}",
            "version": 1,
            "effective_from": "2026-11",
            "decision": "test",
            "contribution": {"formula": {"kind": "proportional", "base": "income", "rate": rate}},
            "credit": {"formula": credit},
            **extra,
        }
    )


CURRENT = _rules("0.02", {"kind": "fixed", "amount_cents": 10000})
PROPOSED = _rules("0.03", {"kind": "per_person", "amount_cents": 6000})

# (id, persons, income): net position = credit − contribution, before -> after.
HOUSEHOLDS = [
    HouseholdFacts(hid, (ADULT,) * persons, income_cents=income)
    for hid, persons, income in [
        ("a", 1, 100000),  # 8000 -> 3000: -50 €
        ("b", 2, 100000),  # 8000 -> 9000: +10 €
        ("c", 3, 200000),  # 6000 -> 12000: +60 €
        ("d", 1, 10000),  # 9800 -> 5700: -41 €
        ("e", 1, None),  # needs data on both sides
        ("f", 2, 50000),  # 9000 -> 10500: +15 €
        ("h", 2, 200000),  # 6000 -> 6000: unchanged
        ("i", 2, 230000),  # 5400 -> 5100: -3 €
        ("j", 2, 180000),  # 6400 -> 6600: +2 €
        ("k", 2, 300000),  # 4000 -> 3000: -10 €
    ]
]


def test_totals_of_both_sides_and_net_cost() -> None:
    result = preview(CURRENT, PROPOSED, HOUSEHOLDS, PERIOD)
    assert result.current is not None
    current, proposed = result.current.as_dict(), result.proposed.as_dict()
    assert {k: current[k] for k in ("contributions_cents", "credits_cents", "net_cost_cents")} == {
        "contributions_cents": 27400,
        "credits_cents": 90000,
        "net_cost_cents": 62600,
    }
    assert {k: proposed[k] for k in ("contributions_cents", "credits_cents", "net_cost_cents")} == {
        "contributions_cents": 41100,
        "credits_cents": 102000,
        "net_cost_cents": 60900,
    }
    assert proposed["by_status"] == {
        "assessed": 9,
        "needs_data": 1,
        "not_eligible": 0,
        "rejected": 0,
    }
    assert proposed["rationing_needed_cents"] is None


def test_winners_and_losers_fall_in_their_buckets() -> None:
    result = preview(CURRENT, PROPOSED, HOUSEHOLDS, PERIOD)
    assert dict(result.buckets) == {
        "loses_over_20": 2,
        "loses_5_to_20": 1,
        "loses_under_5": 1,
        "unchanged": 1,
        "gains_under_5": 1,
        "gains_5_to_20": 2,
        "gains_over_20": 1,
        "not_comparable": 1,
    }
    by_id = {c.household_id: c.as_dict() for c in result.changes}
    assert by_id["a"] == {
        "household_id": "a",
        "status_before": "assessed",
        "status_after": "assessed",
        "status_changed": False,
        "contribution_before_cents": 2000,
        "contribution_after_cents": 3000,
        "contribution_delta_cents": 1000,
        "credit_before_cents": 10000,
        "credit_after_cents": 6000,
        "credit_delta_cents": -4000,
        "net_before_cents": 8000,
        "net_after_cents": 3000,
        "net_delta_cents": -5000,
        "bucket": "loses_over_20",
    }
    assert by_id["e"]["bucket"] == "not_comparable"
    assert by_id["e"]["net_delta_cents"] is None
    assert [c.household_id for c in result.changes] == list("abcdefhijk")


@pytest.mark.parametrize(
    ("credit_after_cents", "bucket"),
    [
        (7999, "loses_over_20"),
        (8000, "loses_5_to_20"),
        (9500, "loses_5_to_20"),
        (9501, "loses_under_5"),
        (9999, "loses_under_5"),
        (10000, "unchanged"),
        (10001, "gains_under_5"),
        (10499, "gains_under_5"),
        (10500, "gains_5_to_20"),
        (12000, "gains_5_to_20"),
        (12001, "gains_over_20"),
    ],
)
def test_bucket_bounds_are_exact_at_5_and_20_euros(credit_after_cents: int, bucket: str) -> None:
    before = _rules("0", {"kind": "fixed", "amount_cents": 10000})
    after = _rules("0", {"kind": "fixed", "amount_cents": credit_after_cents})
    result = preview(before, after, [HouseholdFacts("x", (ADULT,), income_cents=100000)], PERIOD)
    assert result.changes[0].as_dict()["bucket"] == bucket


@given(st.integers(-5000, 5000))
def test_every_net_change_falls_in_exactly_one_bucket(delta_cents: int) -> None:
    change = Change("x", "assessed", "assessed", 0, 0, 10000, 10000 + delta_cents)
    name = bucket_of(change)
    matching = [
        n
        for n, low, high in BUCKETS
        if (low is None or delta_cents >= low) and (high is None or delta_cents <= high)
    ]
    assert matching == [name]
    expected = (
        "loses_over_20"
        if delta_cents < -2000
        else "loses_5_to_20"
        if delta_cents <= -500
        else "loses_under_5"
        if delta_cents < 0
        else "unchanged"
        if delta_cents == 0
        else "gains_under_5"
        if delta_cents < 500
        else "gains_5_to_20"
        if delta_cents <= 2000
        else "gains_over_20"
    )
    assert name == expected


def test_deciles_of_income_per_consumption_unit_and_a_needs_data_group() -> None:
    result = preview(CURRENT, PROPOSED, HOUSEHOLDS, PERIOD)
    rows = [row.as_dict() for row in result.deciles]
    # 9 known incomes: d < f < b < a = c < j < h < i < k, one per decile 1..9.
    assert [row["group"] for row in rows] == [
        "1",
        "2",
        "3",
        "4",
        "5",
        "6",
        "7",
        "8",
        "9",
        "needs_data",
    ]
    assert rows[3] == {
        "group": "4",
        "households": 1,
        "income_per_cu_min_cents": 100000,
        "income_per_cu_max_cents": 100000,
        "contributions_before_cents": 2000,
        "contributions_after_cents": 3000,
        "credits_before_cents": 10000,
        "credits_after_cents": 6000,
        "comparable": 1,
        "net_change_cents": -5000,
    }
    assert rows[2]["income_per_cu_min_cents"] == 66666  # b: 1 000 € / 1.5 CU, floored
    assert rows[-1] == {
        "group": "needs_data",
        "households": 1,
        "income_per_cu_min_cents": None,
        "income_per_cu_max_cents": None,
        "contributions_before_cents": 0,
        "contributions_after_cents": 0,
        "credits_before_cents": 0,
        "credits_after_cents": 0,
        "comparable": 0,
        "net_change_cents": 0,
    }


def test_twenty_households_fill_ten_deciles_of_two() -> None:
    households = [HouseholdFacts(f"h{i:02d}", (ADULT,), income_cents=1000 * i) for i in range(20)]
    result = preview(CURRENT, PROPOSED, households, PERIOD)
    rows = [row.as_dict() for row in result.deciles]
    assert [(r["group"], r["households"]) for r in rows] == [(str(d), 2) for d in range(1, 11)]
    assert (rows[0]["income_per_cu_min_cents"], rows[0]["income_per_cu_max_cents"]) == (0, 1000)
    assert rows[9]["contributions_after_cents"] == 3 * (180 + 190)
    # Credits 2 × (60 € − 100 €); contributions 2 % -> 3 % of 180 € and 190 €: 7,40 € -> 11,10 €.
    assert rows[9]["net_change_cents"] == 2 * (6000 - 10000) - (1110 - 740)


def test_budget_gives_rationing_needed_and_rationed_credits() -> None:
    result = preview(CURRENT, PROPOSED, HOUSEHOLDS, PERIOD, budget_cents=95000)
    assert result.current is not None
    assert result.current.rationing_needed_cents == 0
    assert result.current.credits_cents == 90000
    assert result.proposed.rationing_needed_cents == 7000
    assert result.proposed.entitlements_cents == 102000
    assert result.proposed.credits_cents == 95000


def test_status_change_to_not_eligible_is_shown_never_as_zero() -> None:
    small = _rules(
        "0.03", {"kind": "per_person", "amount_cents": 6000}, eligibility={"persons_at_most": 2}
    )
    result = preview(CURRENT, small, HOUSEHOLDS, PERIOD)
    change = next(c for c in result.changes if c.household_id == "c").as_dict()
    assert (change["status_before"], change["status_after"], change["status_changed"]) == (
        "assessed",
        "not_eligible",
        True,
    )
    assert (change["credit_after_cents"], change["credit_delta_cents"], change["bucket"]) == (
        None,
        None,
        "not_comparable",
    )
    assert result.buckets["not_comparable"] == 2


def test_without_current_rules_everyone_starts_from_nothing() -> None:
    result = preview(None, PROPOSED, HOUSEHOLDS[:2], PERIOD)
    assert result.current is None
    first = result.changes[0].as_dict()
    assert (first["status_before"], first["net_before_cents"], first["net_delta_cents"]) == (
        "none",
        0,
        3000,
    )
    assert result.as_dict()["current"] is None


@given(st.permutations(HOUSEHOLDS))
def test_preview_never_depends_on_household_order(households: list[HouseholdFacts]) -> None:
    assert (
        preview(CURRENT, PROPOSED, households, PERIOD, budget_cents=95000).as_dict()
        == preview(CURRENT, PROPOSED, HOUSEHOLDS, PERIOD, budget_cents=95000).as_dict()
    )


@given(
    st.lists(
        st.tuples(st.integers(1, 5), st.one_of(st.none(), st.integers(0, 600000))),
        min_size=1,
        max_size=25,
    )
)
def test_household_changes_add_up_to_the_change_of_totals(
    shapes: list[tuple[int, int | None]],
) -> None:
    households = [
        HouseholdFacts(f"h{i:02d}", (ADULT,) * persons, income_cents=income)
        for i, (persons, income) in enumerate(shapes)
    ]
    result = preview(CURRENT, PROPOSED, households, PERIOD)
    assert result.current is not None
    before, after = result.current, result.proposed
    deltas = [c.net_delta_cents for c in result.changes if c.net_delta_cents is not None]
    # Statuses are the same on both sides here (only income is ever missing).
    assert sum(deltas) == (after.credits_cents - after.contributions_cents) - (
        before.credits_cents - before.contributions_cents
    )
    assert sum(result.buckets.values()) == len(households)
    assert sum(row.households for row in result.deciles) == len(households)
    assert sum(row.net_change_cents for row in result.deciles) == sum(deltas)
    assert (
        after.net_cost_cents
        == after.credits_cents - after.contributions_cents - after.funder_shares_cents
    )
