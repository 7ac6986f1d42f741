"""Credit tables: the ``brackets`` construct of the contribution, used for the credit (a table
by household size, or by any resource base), with its explanation in French and English.

Every expected figure is computed by hand in the comment next to it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.engine import (
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
ADULT = Person(date(1980, 6, 1))

# A table by household size: 1 person 100 €, 2-3 persons 160 €, 4 or more 220 €.
BY_SIZE = {
    "kind": "brackets",
    "base": "persons",
    "brackets": [
        {"from": 0, "from_inclusive": True, "to": 1, "to_inclusive": True, "amount_cents": 10000},
        {"from": 1, "from_inclusive": False, "to": 3, "to_inclusive": True, "amount_cents": 16000},
        {"from": 3, "from_inclusive": False, "amount_cents": 22000},
    ],
}


def _rules(credit: dict[str, Any]) -> Any:
    return parse_rule_set(
        {
            "format": "caisse.rules/1",
            "id": "table",
            "version": 1,
            "effective_from": "2026-01",
            "decision": "test",
            "contribution": {"formula": {"kind": "fixed", "amount_cents": 0}},
            "credit": {"formula": credit},
        }
    )


def _facts(persons: int, income_cents: int | None = None) -> HouseholdFacts:
    return HouseholdFacts("h1", (ADULT,) * persons, income_cents=income_cents)


@pytest.mark.parametrize(
    ("persons", "expected_cents"),
    [(1, 10000), (2, 16000), (3, 16000), (4, 22000), (9, 22000)],
)
def test_credit_table_by_household_size(persons: int, expected_cents: int) -> None:
    result = assess(_rules(BY_SIZE), _facts(persons), MARCH)
    assert result.status is Status.ASSESSED
    assert result.credit_cents == expected_cents


def test_credit_table_explains_the_row_in_french_and_english() -> None:
    result = assess(_rules(BY_SIZE), _facts(3), MARCH)
    assert result.explanation is not None
    first = result.explanation.credit[0]
    assert first.clause == "credit.formula.brackets[1]"
    assert render_step(first, "fr") == (
        "Le nombre de personnes du foyer (3) est dans la tranche de 1 (exclue) à 3 (incluse) : "
        "crédit de 160,00 €."
    )
    assert render_step(first, "en") == (
        "The number of persons in the household (3) is in the bracket from 1 (excluded) "
        "to 3 (included): credit of €160.00."
    )


def test_credit_table_by_income_with_a_rate() -> None:
    # Up to 800 € a month: 20 % of the income; above: 50 € flat.
    table = {
        "kind": "brackets",
        "base": "income",
        "brackets": [
            {"from": 0, "from_inclusive": True, "to": 80000, "to_inclusive": True, "rate": "0.2"},
            {"from": 80000, "from_inclusive": False, "amount_cents": 5000},
        ],
    }
    rules = _rules(table)
    # 612,34 € x 20 % = 122,468 € -> 122,47 € (cent, half up: the default rounding)
    result = assess(rules, _facts(1, 61234), MARCH)
    assert result.credit_cents == 12247
    assert result.explanation is not None
    assert render_step(result.explanation.credit[0], "fr") == (
        "Votre revenu mensuel (612,34 €) est dans la tranche de 0,00 € (incluse) à 800,00 € "
        "(incluse) : crédit de 20 % de ce montant, soit ≈ 122,46 €."
    )
    assert assess(rules, _facts(1, 80001), MARCH).credit_cents == 5000
    # The income is read, so a household without it needs data (never a silent zero).
    assert assess(rules, _facts(1), MARCH).status is Status.NEEDS_DATA


def test_credit_table_is_validated_like_the_contribution_one() -> None:
    gap = {
        "kind": "brackets",
        "base": "persons",
        "brackets": [
            {"from": 0, "from_inclusive": True, "to": 2, "to_inclusive": False, "amount_cents": 1},
            {"from": 3, "from_inclusive": True, "amount_cents": 2},
        ],
    }
    with pytest.raises(RuleSetInvalid) as caught:
        _rules(gap)
    paths = [p.path for p in caught.value.problems]
    assert "credit.formula.brackets[1].from" in paths


@st.composite
def size_tables(draw: st.DrawFn) -> tuple[list[int], dict[str, Any]]:
    """A table by household size with random bounds and amounts."""
    bounds = sorted(draw(st.sets(st.integers(min_value=1, max_value=7), max_size=4)))
    amounts = [draw(st.integers(min_value=0, max_value=50_000)) for _ in range(len(bounds) + 1)]
    starts = [0, *bounds]
    rows: list[dict[str, Any]] = []
    for index, start in enumerate(starts):
        row: dict[str, Any] = {
            "from": start,
            "from_inclusive": index == 0,
            "amount_cents": amounts[index],
        }
        if index + 1 < len(starts):
            row.update(to=starts[index + 1], to_inclusive=True)
        rows.append(row)
    return starts, {"kind": "brackets", "base": "persons", "brackets": rows}


@given(size_tables(), st.integers(min_value=1, max_value=10))
def test_a_household_gets_exactly_its_row_of_the_table(
    table: tuple[list[int], dict[str, Any]], persons: int
) -> None:
    starts, credit = table
    # Row i covers (starts[i], starts[i+1]], the first row [0, starts[1]].
    row = max(i for i, start in enumerate(starts) if i == 0 or persons > start)
    expected = credit["brackets"][row]["amount_cents"]
    result = assess(_rules(credit), _facts(persons), MARCH)
    assert result.credit_cents == expected
    assert result.explanation is not None
    assert result.explanation.credit[0].clause == f"credit.formula.brackets[{row}]"
