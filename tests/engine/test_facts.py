"""``HouseholdFacts``: the one constructor checks what it is given, names every problem, and
stays a frozen dataclass (``dataclasses.replace`` goes through the same checks)."""

from __future__ import annotations

import dataclasses
import enum
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.engine.facts import NO_ATTRIBUTES, HouseholdFacts, Person
from app.engine.problems import InvalidInput, Problem

ADULT = Person(date(1980, 5, 17))


def test_defaults_are_unknown_facts_and_no_labels() -> None:
    facts = HouseholdFacts("h1")
    assert facts.persons == ()
    assert facts.income_cents is None
    assert facts.chosen_contribution_cents is None
    assert facts.engagement_minutes is None
    assert facts.active_from is None and facts.active_until is None
    assert facts.priority_tier is None and facts.arrears_months is None
    assert facts.attributes == {}
    assert facts.attributes is NO_ATTRIBUTES  # shared, and read-only:
    with pytest.raises(TypeError):
        facts.attributes["scheme"] = "caf"  # type: ignore[index]


def test_positional_and_keyword_arguments_build_equal_facts() -> None:
    by_position = HouseholdFacts("h1", (ADULT,), 123_456, 500, 90, {"scheme": "caf"},
                                 date(2026, 1, 1), date(2026, 12, 31), 2, 1)  # fmt: skip
    by_name = HouseholdFacts(
        household_id="h1", persons=(ADULT,), income_cents=123_456,
        chosen_contribution_cents=500, engagement_minutes=90, attributes={"scheme": "caf"},
        active_from=date(2026, 1, 1), active_until=date(2026, 12, 31), priority_tier=2,
        arrears_months=1,
    )  # fmt: skip
    assert by_position == by_name
    assert hash(by_position.persons) == hash(by_name.persons)
    assert HouseholdFacts("h1", attributes={}) == HouseholdFacts("h1")


def test_frozen() -> None:
    facts = HouseholdFacts("h1", income_cents=100)
    with pytest.raises(dataclasses.FrozenInstanceError):
        facts.income_cents = 200  # type: ignore[misc]


def test_every_problem_is_named_at_once() -> None:
    with pytest.raises(InvalidInput) as raised:
        HouseholdFacts("", income_cents=-1, chosen_contribution_cents=True,
                       engagement_minutes=1.5, arrears_months=-2,  # type: ignore[arg-type]
                       active_from=date(2026, 3, 2), active_until=date(2026, 3, 1))  # fmt: skip
    assert raised.value.problems == (
        Problem("household_id", "expected a non-empty identifier"),
        Problem("income_cents", "expected zero or more, got -1"),
        Problem("chosen_contribution_cents", "expected a whole number, got True"),
        Problem("engagement_minutes", "expected a whole number, got 1.5"),
        Problem("arrears_months", "expected zero or more, got -2"),
        Problem("active_until", "membership ends (2026-03-01) before it starts (2026-03-02)"),
    )


def test_one_problem_alone() -> None:
    with pytest.raises(InvalidInput) as raised:
        HouseholdFacts("h1", (ADULT,), "1200")  # type: ignore[arg-type]
    assert raised.value.problems == (
        Problem("income_cents", "expected a whole number, got '1200'"),
    )
    with pytest.raises(InvalidInput) as raised:
        HouseholdFacts(7)  # type: ignore[arg-type]
    assert raised.value.problems == (Problem("household_id", "expected a non-empty identifier"),)


class Cents(enum.IntEnum):
    TEN = 10


def test_an_int_subclass_other_than_bool_is_a_whole_number() -> None:
    facts = HouseholdFacts("h1", income_cents=Cents.TEN, arrears_months=0)
    assert facts.income_cents == 10


def test_replace_goes_through_the_checks() -> None:
    facts = HouseholdFacts("h1", (ADULT,), 100)
    assert dataclasses.replace(facts, arrears_months=3).arrears_months == 3
    with pytest.raises(InvalidInput):
        dataclasses.replace(facts, income_cents=-5)


counts = st.one_of(st.none(), st.integers(min_value=-3, max_value=3), st.booleans(),
                   st.just(1.0), st.just("2"))  # fmt: skip
days = st.one_of(st.none(), st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 1, 5)))


@given(counts, counts, counts, counts, days, days)
def test_refused_exactly_when_a_count_is_not_a_whole_number_or_dates_are_reversed(
    income: object, chosen: object, minutes: object, arrears: object,
    start: date | None, until: date | None,
) -> None:  # fmt: skip
    def bad(value: object) -> bool:
        return value is not None and (type(value) is not int or value < 0)

    expected = any(bad(value) for value in (income, chosen, minutes, arrears)) or (
        start is not None and until is not None and until < start
    )
    try:
        facts = HouseholdFacts("h1", (), income, chosen, minutes,  # type: ignore[arg-type]
                               active_from=start, active_until=until,
                               arrears_months=arrears)  # type: ignore[arg-type]  # fmt: skip
    except InvalidInput as refused:
        assert expected, refused
    else:
        assert not expected
        assert (facts.income_cents, facts.chosen_contribution_cents) == (income, chosen)
        assert (facts.engagement_minutes, facts.arrears_months) == (minutes, arrears)


def test_a_person_keeps_the_day_number_of_its_birth_date() -> None:
    # The engine reads persons as columns of day numbers (app.engine.batch.columns).
    assert ADULT.birth_day == date(1980, 5, 17).toordinal() == 722_952
    assert Person(None).birth_day is None
    # A derived value: it takes no part in equality, hashing or the text of the person.
    assert Person(date(1980, 5, 17)) == ADULT and hash(Person(date(1980, 5, 17))) == hash(ADULT)
    assert repr(ADULT) == "Person(birth_on=datetime.date(1980, 5, 17))"
    assert dataclasses.replace(ADULT, birth_on=None).birth_day is None
