"""Hypothesis invariants: monotone scales are monotone, no amount is negative, same in -> same out."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from app.engine import Status, assess
from app.engine.explain import catalogue, render_step
from tests.engine.contribution_support import ADULT, CHILD, PERIOD, TEEN, exact, household, rule_set

incomes = st.integers(min_value=0, max_value=2_000_000)
sizes = st.integers(min_value=1, max_value=4)
BASES = ["income", "quotient_familial", "income_per_cu", "income_per_person"]
FAMILIES = [(ADULT,), (ADULT, ADULT), (ADULT, TEEN, CHILD), (ADULT, ADULT, TEEN, CHILD)]


def _rate(units: int) -> str:
    """A decimal string from ten-thousandths (never a float)."""
    return f"{units // 10000}.{units % 10000:04d}"


rates = st.integers(min_value=0, max_value=10000).map(_rate)


@st.composite
def starts(draw: st.DrawFn, count: int) -> list[int]:
    widths = draw(st.lists(st.integers(1, 300_000), min_size=count - 1, max_size=count - 1))
    result = [0]
    for width in widths:
        result.append(result[-1] + width)
    return result


@st.composite
def monotone_brackets(draw: st.DrawFn) -> dict[str, Any]:
    count = draw(st.integers(1, 6))
    bounds = draw(starts(count))
    steps = draw(st.lists(st.integers(0, 5000), min_size=count, max_size=count))
    owners = draw(st.lists(st.booleans(), min_size=count, max_size=count))  # True: upper owns
    items: list[dict[str, Any]] = []
    amount = 0
    for i in range(count):
        amount += steps[i]
        item: dict[str, Any] = {
            "from": bounds[i],
            "from_inclusive": True if i == 0 else owners[i],
            "amount_cents": amount,
        }
        if i < count - 1:
            item["to"] = bounds[i + 1]
            item["to_inclusive"] = not owners[i + 1]
        items.append(item)
    return {"kind": "brackets", "base": draw(st.sampled_from(BASES)), "brackets": items}


@st.composite
def marginal_rates(draw: st.DrawFn) -> dict[str, Any]:
    count = draw(st.integers(1, 5))
    bounds = draw(starts(count))
    values = draw(st.lists(rates, min_size=count, max_size=count))
    thresholds = [{"from": b, "rate": r} for b, r in zip(bounds, values, strict=True)]
    return {
        "kind": "marginal_rate_scale",
        "base": draw(st.sampled_from(BASES)),
        "thresholds": thresholds,
    }


@st.composite
def average_rates(draw: st.DrawFn, increasing: bool) -> dict[str, Any]:
    count = draw(st.integers(1, 5))
    bounds = draw(starts(count))
    units = draw(st.lists(st.integers(0, 10000), min_size=count, max_size=count))
    if increasing:
        units.sort()
    thresholds = [{"from": b, "rate": _rate(u)} for b, u in zip(bounds, units, strict=True)]
    return {
        "kind": "linear_average_rate_scale",
        "base": draw(st.sampled_from(BASES)),
        "thresholds": thresholds,
    }


@st.composite
def lines(draw: st.DrawFn, increasing: bool) -> dict[str, Any]:
    low = draw(st.integers(0, 500_000))
    high = low + draw(st.integers(1, 500_000))
    amounts = draw(st.lists(st.integers(0, 20000), min_size=2, max_size=2))
    if increasing:
        amounts.sort()
    return {
        "kind": "linear",
        "base": draw(st.sampled_from(BASES)),
        "from": {"base": low, "amount_cents": amounts[0]},
        "to": {"base": high, "amount_cents": amounts[1]},
    }


@st.composite
def effort_rates(draw: st.DrawFn) -> dict[str, Any]:
    formula: dict[str, Any] = {
        "kind": "effort_rate",
        "base": draw(st.sampled_from(BASES)),
        "rate": draw(rates),
    }
    for low, high in (
        ("floor_cents", "cap_cents"),
        ("resources_floor_cents", "resources_cap_cents"),
    ):
        pair = sorted(draw(st.lists(st.integers(0, 400_000), min_size=2, max_size=2)))
        if draw(st.booleans()):
            formula[low] = pair[0]
        if draw(st.booleans()):
            formula[high] = pair[1]
    return formula


monotone_formulas = st.one_of(
    monotone_brackets(),
    marginal_rates(),
    lines(increasing=True),
    average_rates(increasing=True),
    effort_rates(),
)
any_formula = st.one_of(
    monotone_formulas,
    lines(increasing=False),
    average_rates(increasing=False),
    st.builds(
        lambda bounds, amounts: {
            "kind": "marginal_amount_scale",
            "base": "persons",
            "thresholds": [
                {"from": b, "amount_cents": a} for b, a in zip(bounds, amounts, strict=False)
            ],
        },
        starts(3),
        st.lists(st.integers(0, 5000), min_size=3, max_size=3),
    ),
)


@given(monotone_formulas, st.sampled_from(FAMILIES), incomes, incomes)
def test_monotone_scales_give_contributions_non_decreasing_in_income(
    formula: dict[str, Any], family: tuple[Any, ...], first: int, second: int
) -> None:
    low, high = sorted((first, second))
    assert exact(formula, household(low, family)) <= exact(formula, household(high, family))


@given(any_formula, st.sampled_from(FAMILIES), incomes)
def test_no_contribution_is_ever_negative(
    formula: dict[str, Any], family: tuple[Any, ...], income_cents: int
) -> None:
    assert exact(formula, household(income_cents, family)) >= 0
    result = assess(rule_set(formula), household(income_cents, family), PERIOD)
    assert result.contribution_cents is not None and result.contribution_cents >= 0


@given(any_formula, st.sampled_from(FAMILIES), incomes)
def test_same_inputs_give_identical_output_and_explanation(
    formula: dict[str, Any], family: tuple[Any, ...], income_cents: int
) -> None:
    facts = household(income_cents, family)
    first = assess(rule_set(formula), facts, PERIOD)
    second = assess(rule_set(formula), facts, PERIOD)
    assert first.as_dict() == second.as_dict()
    assert first.explanation is not None and second.explanation is not None
    assert first.explanation.as_dict() == second.explanation.as_dict()
    assert first.explanation.render("fr") == second.explanation.render("fr")
    quiet = assess(rule_set(formula), facts, PERIOD, explain=False)
    assert quiet.contribution_cents == first.contribution_cents


@given(any_formula, st.sampled_from(FAMILIES), incomes)
def test_every_step_has_a_french_and_english_sentence(
    formula: dict[str, Any], family: tuple[Any, ...], income_cents: int
) -> None:
    result = assess(rule_set(formula), household(income_cents, family), PERIOD)
    assert result.explanation is not None
    for item in result.explanation.contribution:
        assert item.code in catalogue()
        for lang in ("fr", "en"):
            text = render_step(item, lang)
            assert "{" not in text and "_cents" not in text


@given(
    st.integers(0, 20000),
    st.integers(0, 20000),
    st.one_of(st.none(), st.integers(1, 1000)),
    st.integers(0, 30000),
)
def test_a_free_choice_is_kept_exactly_or_rejected_never_corrected(
    low: int, width: int, step_cents: int | None, chosen_cents: int
) -> None:
    formula: dict[str, Any] = {"kind": "free_choice", "min_cents": low, "max_cents": low + width}
    if step_cents is not None:
        formula["step_cents"] = step_cents
    result = assess(rule_set(formula), household(None, chosen_cents=chosen_cents), PERIOD)
    allowed = low <= chosen_cents <= low + width and (
        step_cents is None or (chosen_cents - low) % step_cents == 0
    )
    if allowed:
        assert (result.status, result.contribution_cents) == (Status.ASSESSED, chosen_cents)
    else:
        assert result.status is Status.REJECTED and result.contribution_cents is None
        assert result.problems[0].path == "chosen_contribution_cents"
