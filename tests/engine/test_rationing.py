"""Rationing: hand-computed cases per method, and the invariants every method must keep."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from app.engine.problems import InvalidInput
from app.engine.rationing import ration, ration_detailed, ration_in_order
from app.engine.rules.policies import RationingPolicy

PROPORTIONAL = RationingPolicy("proportional")
MAX_MIN = RationingPolicy("max_min")
TIERS = RationingPolicy("priority_tiers")


def uniform(floor_cents: int) -> RationingPolicy:
    return RationingPolicy("uniform_cut", floor_cents)


ABC = {"a": 100, "b": 200, "c": 300}


# --- hand-computed cases ---------------------------------------------------------------


@pytest.mark.parametrize(
    "policy", [PROPORTIONAL, MAX_MIN, uniform(3000), TIERS], ids=lambda p: p.method
)
def test_budget_covering_the_total_serves_everyone_in_full(policy: RationingPolicy) -> None:
    tiers = {"a": 2, "b": 0, "c": 1}
    assert ration(ABC, 600, policy, tiers) == ABC
    assert ration(ABC, 10_000, policy, tiers) == ABC
    assert ration_detailed(ABC, 600, policy, tiers).rationed is False


def test_proportional_halves_every_entitlement_when_budget_is_half() -> None:
    assert ration(ABC, 300, PROPORTIONAL) == {"a": 50, "b": 100, "c": 150}


def test_proportional_left_over_cents_go_to_largest_remainders() -> None:
    # 100 × 1/3 each = 33 + 1/3: one cent left, equal remainders -> lowest id "a".
    assert ration({"c": 50, "a": 50, "b": 50}, 100, PROPORTIONAL) == {"a": 34, "b": 33, "c": 33}
    # 7 cents on 1/2/4: exact 1, 2, 4 -> no remainder at all.
    assert ration({"x": 1, "y": 2, "z": 4}, 7, PROPORTIONAL) == {"x": 1, "y": 2, "z": 4}
    # 5 cents on 1/2/4: exact 5/7, 10/7, 20/7 -> floors 0, 1, 2; remainders 5/7, 3/7, 6/7
    # -> the two cents go to x (5/7) and z (6/7).
    assert ration({"x": 1, "y": 2, "z": 4}, 5, PROPORTIONAL) == {"x": 1, "y": 1, "z": 3}


def test_max_min_serves_small_entitlements_and_caps_the_rest_equally() -> None:
    assert ration({"a": 50, "b": 200, "c": 300}, 300, MAX_MIN) == {"a": 50, "b": 125, "c": 125}
    assert ration_detailed({"a": 50, "b": 200, "c": 300}, 300, MAX_MIN).level == 125


def test_max_min_splits_a_fractional_cap_by_household_id() -> None:
    # 100 over three households of 100: cap 100/3; the one cent left goes to "a".
    result = ration_detailed({"b": 100, "a": 100, "c": 100}, 100, MAX_MIN)
    assert dict(result.granted) == {"a": 34, "b": 33, "c": 33}
    assert result.level == Fraction(100, 3)


def test_max_min_with_several_households_served_in_full() -> None:
    # cap c: 10 + 20 + 2c = 130 -> c = 50.
    assert ration({"a": 10, "b": 20, "c": 80, "d": 90}, 130, MAX_MIN) == {
        "a": 10,
        "b": 20,
        "c": 50,
        "d": 50,
    }


def test_uniform_cut_takes_the_same_amount_from_everyone_above_the_floor() -> None:
    # Deficit 300: a can lose only 70 (floor 30), b and c lose 115 each.
    result = ration_detailed(ABC, 300, uniform(30))
    assert dict(result.granted) == {"a": 30, "b": 85, "c": 185}
    assert result.level == 115


def test_uniform_cut_with_no_household_at_its_floor_is_an_equal_loss() -> None:
    assert ration(ABC, 450, uniform(0)) == {"a": 50, "b": 150, "c": 250}


def test_uniform_cut_keeps_a_small_entitlement_below_the_floor_whole() -> None:
    # a's entitlement (20) is below the floor (50): it keeps 20; b and c lose 150 each.
    assert ration({"a": 20, "b": 200, "c": 300}, 220, uniform(50)) == {"a": 20, "b": 50, "c": 150}


def test_uniform_cut_rations_the_floors_when_the_budget_cannot_cover_them() -> None:
    result = ration_detailed(ABC, 50, uniform(30))
    # Floors 30/30/30 cut to 50 in proportion: 16 2/3 each; the cents go a, b.
    assert dict(result.granted) == {"a": 17, "b": 17, "c": 16}
    assert result.floors_covered is False
    assert ration(ABC, 90, uniform(30)) == {"a": 30, "b": 30, "c": 30}


def test_priority_tiers_serve_tier_zero_first_then_prorate_the_next() -> None:
    tiers = {"a": 1, "b": 0, "c": 1}
    result = ration_detailed(ABC, 300, TIERS, tiers)
    # b (tier 0) gets 200; 100 left for tier 1 (a 100, c 300): a 25, c 75.
    assert dict(result.granted) == {"a": 25, "b": 200, "c": 75}
    assert result.partial_tier == 1
    assert result.level == Fraction(1, 4)


def test_priority_tiers_leave_nothing_to_tiers_after_the_partial_one() -> None:
    tiers = {"a": 0, "b": 1, "c": 2}
    assert ration(ABC, 200, TIERS, tiers) == {"a": 100, "b": 100, "c": 0}
    assert ration(ABC, 300, TIERS, tiers) == {"a": 100, "b": 200, "c": 0}


def test_priority_tiers_without_a_tier_need_data_for_that_household() -> None:
    with pytest.raises(InvalidInput) as error:
        ration(ABC, 300, TIERS, {"a": 0, "b": 1})
    assert [p.path for p in error.value.problems] == ["tiers.c"]


@pytest.mark.parametrize(
    ("entitlements", "budget", "path"),
    [
        ({"a": -1}, 0, "entitlements.a"),
        ({"a": 10}, -1, "budget_cents"),
        ({"a": True}, 0, "entitlements.a"),
    ],
)
def test_negative_or_non_integer_amounts_are_refused(
    entitlements: dict[str, int], budget: int, path: str
) -> None:
    with pytest.raises(InvalidInput) as error:
        ration(entitlements, budget, PROPORTIONAL)
    assert [p.path for p in error.value.problems] == [path]


def test_zero_budget_gives_nothing_to_anyone() -> None:
    for policy in (PROPORTIONAL, MAX_MIN, uniform(30)):
        assert ration(ABC, 0, policy) == {"a": 0, "b": 0, "c": 0}


# --- invariants --------------------------------------------------------------------------

POLICIES = st.sampled_from(
    [PROPORTIONAL, MAX_MIN, TIERS, uniform(0), uniform(1500), uniform(10_000)]
)
ENTITLEMENTS = st.dictionaries(
    st.text("abcdefghij", min_size=1, max_size=4), st.integers(0, 50_000), min_size=1, max_size=30
)


@st.composite
def cases(draw: st.DrawFn) -> tuple[dict[str, int], int, RationingPolicy, dict[str, int]]:
    entitlements = draw(ENTITLEMENTS)
    total = sum(entitlements.values())
    budget = draw(st.integers(0, total + 100))
    tiers = {key: draw(st.integers(0, 3)) for key in entitlements}
    return entitlements, budget, draw(POLICIES), tiers


@given(cases())
def test_rationed_credits_sum_to_exactly_the_budget_or_the_total(
    case: tuple[dict[str, int], int, RationingPolicy, dict[str, int]],
) -> None:
    entitlements, budget, policy, tiers = case
    granted = ration(entitlements, budget, policy, tiers)
    assert sum(granted.values()) == min(budget, sum(entitlements.values()))


@given(cases())
def test_no_household_gets_more_than_its_entitlement_or_less_than_zero(
    case: tuple[dict[str, int], int, RationingPolicy, dict[str, int]],
) -> None:
    entitlements, budget, policy, tiers = case
    granted = ration(entitlements, budget, policy, tiers)
    assert granted.keys() == entitlements.keys()
    assert all(0 <= granted[key] <= entitlements[key] for key in entitlements)


@given(cases(), st.randoms(use_true_random=False))
def test_input_order_never_changes_any_result(
    case: tuple[dict[str, int], int, RationingPolicy, dict[str, int]], rng: object
) -> None:
    entitlements, budget, policy, tiers = case
    items = list(entitlements.items())
    rng.shuffle(items)  # type: ignore[attr-defined]
    shuffled_tiers = dict(reversed(list(tiers.items())))
    first = ration(entitlements, budget, policy, tiers)
    second = ration(dict(items), budget, policy, shuffled_tiers)
    assert first == second
    assert list(second) == sorted(entitlements)


@given(cases())
def test_uniform_cut_never_goes_below_the_floor_when_the_floors_are_covered(
    case: tuple[dict[str, int], int, RationingPolicy, dict[str, int]],
) -> None:
    entitlements, budget, _, _ = case
    policy = uniform(1500)
    floors = {key: min(1500, value) for key, value in entitlements.items()}
    granted = ration(entitlements, budget, policy)
    if budget >= sum(floors.values()):
        assert all(granted[key] >= floors[key] for key in entitlements)


@given(cases())
def test_uniform_cut_losses_differ_by_at_most_a_cent_among_households_above_their_floor(
    case: tuple[dict[str, int], int, RationingPolicy, dict[str, int]],
) -> None:
    entitlements, budget, _, _ = case
    granted = ration(entitlements, budget, uniform(1500))
    floors = {key: min(1500, value) for key, value in entitlements.items()}
    if budget < sum(floors.values()):
        return
    above = [entitlements[k] - granted[k] for k in entitlements if granted[k] > floors[k]]
    if above:
        assert max(above) - min(above) <= 1


@example(({"a": 1, "aa": 1}, 1, MAX_MIN, {}))
@given(cases())
def test_max_min_never_gives_a_smaller_entitlement_less_than_a_larger_one_minus_a_cent(
    case: tuple[dict[str, int], int, RationingPolicy, dict[str, int]],
) -> None:
    entitlements, budget, _, _ = case
    granted = ration(entitlements, budget, MAX_MIN)
    cut = [granted[k] for k in entitlements if granted[k] < entitlements[k]]
    served = [granted[k] for k in entitlements if granted[k] == entitlements[k]]
    if cut:
        # Every capped household sits at the common cap (within a cent). A household served
        # in full had an entitlement at most a cent above that cap: the leftover cent of the
        # largest-remainder split can complete it (1 cent for {a: 1, aa: 1} -> a gets it).
        assert max(cut) - min(cut) <= 1
        assert all(value <= max(cut) + 1 for value in served)


@pytest.mark.parametrize("policy", [PROPORTIONAL, MAX_MIN], ids=lambda p: p.method)
@given(entitlements=ENTITLEMENTS, data=st.data())
def test_a_larger_budget_never_lowers_anyone_s_credit(
    policy: RationingPolicy, entitlements: dict[str, int], data: st.DataObject
) -> None:
    total = sum(entitlements.values())
    low = data.draw(st.integers(0, total))
    high = data.draw(st.integers(low, total + 10))
    smaller = ration(entitlements, low, policy)
    larger = ration(entitlements, high, policy)
    # Largest-remainder cents can move between households by one cent; exact shares cannot.
    assert all(larger[key] >= smaller[key] - 1 for key in entitlements)
    assert sum(larger.values()) >= sum(smaller.values())


@given(cases())
def test_same_inputs_give_identical_results(
    case: tuple[dict[str, int], int, RationingPolicy, dict[str, int]],
) -> None:
    entitlements, budget, policy, tiers = case
    assert ration_detailed(entitlements, budget, policy, tiers) == ration_detailed(
        dict(entitlements), budget, policy, dict(tiers)
    )


@given(cases())
def test_rationing_ids_in_order_is_rationing_the_mapping(
    case: tuple[dict[str, int], int, RationingPolicy, dict[str, int]],
) -> None:
    # A fund's month hands its entitlements as ids in ascending order and amounts: the same
    # result, every figure, as the mapping (which is sorted, then rationed so).
    entitlements, budget, policy, tiers = case
    ids = sorted(entitlements)
    amounts = [entitlements[key] for key in ids]
    assert ration_in_order(ids, amounts, budget, policy, tiers) == ration_detailed(
        entitlements, budget, policy, tiers
    )


def test_rationing_ids_in_order_refuses_ids_out_of_order_or_repeated() -> None:
    with pytest.raises(ValueError, match="ascending"):
        ration_in_order(["b", "a"], [100, 100], 100, PROPORTIONAL)
    with pytest.raises(ValueError, match="ascending"):
        ration_in_order(["a", "a"], [100, 100], 100, PROPORTIONAL)
    with pytest.raises(ValueError, match="length"):
        ration_in_order(["a", "b"], [100], 100, PROPORTIONAL)
    # In order: 150 of 300 cents, half of each entitlement.
    assert ration_in_order(["a", "b"], [100, 200], 150, PROPORTIONAL).granted == {"a": 50, "b": 100}
