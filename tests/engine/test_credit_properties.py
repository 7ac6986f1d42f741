"""Invariants of the credit kinds, eligibility and engagement, checked with Hypothesis."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from app.engine import HouseholdFacts, Period, Person, Status, assess, parse_rule_set
from app.engine.explain import render_step

PERIOD = Period(2026, 3)
REFERENCE = date(2026, 3, 1)

ages = st.integers(min_value=0, max_value=100)
cents = st.integers(min_value=0, max_value=50_000)
caps = st.one_of(st.none(), st.integers(min_value=1, max_value=8))


def _rules(credit: dict[str, Any], **top: Any) -> Any:
    return parse_rule_set(
        {
            "format": "caisse.rules/1",
            "id": "prop",
            "version": 1,
            "effective_from": "2026-01",
            "decision": "test",
            "contribution": {"formula": {"kind": "fixed", "amount_cents": 2500}},
            "credit": {"formula": credit},
            **top,
        }
    )


def _person(age: int) -> Person:
    # born on 1 January: the age on 1 March is exactly ``age``
    return Person(date(REFERENCE.year - age, 1, 1))


def _facts(person_ages: list[int], **facts: Any) -> HouseholdFacts:
    return HouseholdFacts("h1", tuple(_person(a) for a in person_ages), **facts)


def _credit(rules: Any, person_ages: list[int], **facts: Any) -> int:
    result = assess(rules, _facts(person_ages, **facts), PERIOD, explain=False)
    assert result.status is Status.ASSESSED and result.credit_cents is not None
    return result.credit_cents


@st.composite
def bands(draw: st.DrawFn) -> list[dict[str, int]]:
    starts = draw(st.sets(st.integers(min_value=1, max_value=90), max_size=3))
    return [{"min_age": m, "amount_cents": draw(cents)} for m in sorted({0, *starts})]


@st.composite
def credit_formulas(draw: st.DrawFn) -> dict[str, Any]:
    cap = draw(caps)
    capped = {"max_persons": cap} if cap is not None else {}
    simple = draw(
        st.sampled_from(
            [
                {"kind": "per_person", "amount_cents": draw(cents), **capped},
                {
                    "kind": "base_plus_extra",
                    "base_cents": draw(cents),
                    "per_extra_person_cents": draw(cents),
                    **capped,
                },
                {
                    "kind": "base_plus_extra",
                    "base_cents": draw(cents),
                    "extra_person_bands": draw(bands()),
                    **capped,
                },
                {"kind": "age_weighted", "bands": draw(bands()), **capped},
                {"kind": "per_consumption_unit", "amount_cents": draw(cents)},
                {
                    "kind": "brackets",
                    "base": "persons",
                    "brackets": [
                        {"from": 0, "from_inclusive": True, "to": 2, "to_inclusive": True}
                        | {"amount_cents": draw(cents)},
                        {"from": 2, "from_inclusive": False, "amount_cents": draw(cents)},
                    ],
                },
            ]
        )
    )
    taper = {
        "kind": "means_tested",
        "amount": simple,
        "base": draw(st.sampled_from(["income", "income_per_cu", "quotient_familial"])),
        "threshold": draw(st.integers(min_value=0, max_value=300_000)),
        "taper_rate": draw(st.sampled_from(["0", "0.1", "0.333", "1", "2.5"])),
    }
    top_up = {"kind": "top_up_to_target", "target_cents": draw(cents), "funder_id": "f"}
    return draw(st.sampled_from([simple, taper, {"kind": "prorated", "of": simple}, top_up]))


households = st.lists(ages, min_size=1, max_size=8)
incomes = st.integers(min_value=0, max_value=1_000_000)
day_offsets = st.one_of(st.none(), st.integers(min_value=-40, max_value=70))


def _day(offset: int | None) -> date | None:
    return None if offset is None else REFERENCE + timedelta(days=offset)


@given(credit_formulas(), households, incomes, day_offsets, day_offsets, st.integers(0, 10_000))
def test_no_amount_is_ever_negative(
    credit: dict[str, Any],
    person_ages: list[int],
    income: int,
    start: int | None,
    length: int | None,
    minutes: int,
) -> None:
    engagement = {
        "credit_requires_minutes": 30,
        "contribution_offset": {"per_hour_cents": 700, "cap_cents": 4000},
        "credit_bonus": {"per_hour_cents": 300, "cap_cents": 1500},
    }
    rules = _rules(credit, engagement=engagement)
    active_from = _day(start)
    active_until = _day(None if length is None else (start or 0) + abs(length))
    facts = _facts(
        person_ages,
        income_cents=income,
        engagement_minutes=minutes,
        active_from=active_from,
        active_until=active_until,
    )
    result = assess(rules, facts, PERIOD)
    assert result.status is Status.ASSESSED
    assert result.contribution_cents is not None and result.contribution_cents >= 0
    assert result.credit_cents is not None and result.credit_cents >= 0
    assert 0 <= result.funder_share_cents <= result.credit_cents


@given(cents, cents, caps, households, ages)
def test_flat_base_plus_extra_never_decreases_with_one_more_person(
    base: int, extra: int, cap: int | None, person_ages: list[int], newcomer: int
) -> None:
    credit: dict[str, Any] = {"kind": "base_plus_extra", "base_cents": base}
    credit["per_extra_person_cents"] = extra
    if cap is not None:
        credit["max_persons"] = cap
    rules = _rules(credit)
    assert _credit(rules, [*person_ages, newcomer]) >= _credit(rules, person_ages)


@given(cents, bands(), households, ages)
def test_banded_base_plus_extra_never_decreases_with_one_more_person(
    base: int, extra_bands: list[dict[str, int]], person_ages: list[int], newcomer: int
) -> None:
    rules = _rules(
        {"kind": "base_plus_extra", "base_cents": base, "extra_person_bands": extra_bands}
    )
    assert _credit(rules, [*person_ages, newcomer]) >= _credit(rules, person_ages)


@given(cents, cents, caps, st.integers(min_value=1, max_value=12))
def test_base_plus_extra_is_non_decreasing_in_persons(
    base: int, extra: int, cap: int | None, persons: int
) -> None:
    credit: dict[str, Any] = {"kind": "base_plus_extra", "base_cents": base}
    credit["per_extra_person_cents"] = extra
    if cap is not None:
        credit["max_persons"] = cap
    rules = _rules(credit)
    assert _credit(rules, [40] * (persons + 1)) >= _credit(rules, [40] * persons)


@given(cents, st.integers(0, 200_000), st.sampled_from(["0.05", "0.5", "1"]), incomes, incomes)
def test_means_tested_credit_never_rises_with_income(
    amount: int, threshold: int, rate: str, low: int, high: int
) -> None:
    low, high = min(low, high), max(low, high)
    rules = _rules(
        {
            "kind": "means_tested",
            "amount": {"kind": "fixed", "amount_cents": amount},
            "base": "income",
            "threshold": threshold,
            "taper_rate": rate,
        }
    )
    assert _credit(rules, [40], income_cents=high) <= _credit(rules, [40], income_cents=low)


@given(cents, st.integers(1, 31), st.integers(0, 30))
def test_prorated_credit_grows_with_active_days_up_to_the_whole_month(
    amount: int, first: int, length: int
) -> None:
    rules = _rules({"kind": "prorated", "of": {"kind": "fixed", "amount_cents": amount}})
    start = date(2026, 3, first)
    shorter = _credit(rules, [40], active_from=start, active_until=start + timedelta(days=length))
    longer = _credit(
        rules, [40], active_from=start, active_until=start + timedelta(days=length + 1)
    )
    assert shorter <= longer <= amount


@given(credit_formulas(), households, incomes, st.integers(0, 600))
def test_same_inputs_give_identical_output_and_explanation(
    credit: dict[str, Any], person_ages: list[int], income: int, minutes: int
) -> None:
    top = {
        "eligibility": {"any_of": [{"persons_at_least": 2}, {"base": "income", "at_most": 150000}]},
        "engagement": {"contribution_offset": {"per_hour_cents": 500, "cap_cents": 2000}},
    }
    facts = _facts(person_ages, income_cents=income, engagement_minutes=minutes)
    first = assess(_rules(credit, **top), facts, PERIOD)
    again = assess(_rules(credit, **top), facts, PERIOD)
    assert first == again
    assert first.as_dict() == again.as_dict()
    if first.explanation is not None:
        assert again.explanation is not None
        assert first.explanation.as_dict() == again.explanation.as_dict()
        assert first.explanation.render("fr") == again.explanation.render("fr")
    quiet = assess(_rules(credit, **top), facts, PERIOD, explain=False)
    assert (quiet.status, quiet.contribution_cents, quiet.credit_cents) == (
        first.status,
        first.contribution_cents,
        first.credit_cents,
    )


ELIGIBILITY_VARIANTS = [
    {"any_of": [{"persons_at_least": 3}, {"base": "income", "at_most": 150000}]},
    {"all_of": [{"children_at_least": 1, "child_age_below": 18}, {"persons_at_most": 5}]},
    {"not": {"attribute": "scheme", "in": ["msa", "autre"]}},
    {"base": "income_per_cu", "at_least": 10000, "at_most": 200000},
]


@given(
    credit_formulas(),
    st.sampled_from(ELIGIBILITY_VARIANTS),
    households,
    incomes,
    st.integers(0, 600),
    st.sampled_from(["caf", "msa"]),
    day_offsets,
)
def test_every_explanation_step_renders_in_french_and_english(
    credit: dict[str, Any],
    eligibility: dict[str, Any],
    person_ages: list[int],
    income: int,
    minutes: int,
    scheme: str,
    start: int | None,
) -> None:
    engagement = {
        "credit_requires_minutes": 60,
        "contribution_offset": {"per_hour_cents": 500, "cap_cents": 2000},
        "credit_bonus": {"per_hour_cents": 300, "cap_cents": 1500},
    }
    rules = _rules(credit, eligibility=eligibility, engagement=engagement)
    facts = _facts(
        person_ages,
        income_cents=income,
        engagement_minutes=minutes,
        attributes={"scheme": scheme},
        active_from=_day(start),
    )
    result = assess(rules, facts, PERIOD)
    assert result.explanation is not None
    steps = (*result.explanation.contribution, *result.explanation.credit)
    for item in steps:
        for lang in ("fr", "en"):
            text = render_step(item, lang)
            # a missing template falls back to "code: params"; a wrong placeholder raises
            assert not text.startswith(f"{item.code}:"), text
            assert "{" not in text and "}" not in text, text
