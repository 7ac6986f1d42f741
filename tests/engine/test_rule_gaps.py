"""Rule-language decisions of issue 12, each held by a test.

- A 0 % category rate is refused: a rate is the share of a basket the credit pays, above 0
  and at most 1; a category the credit must not pay is left out of the approval (a charge
  in it is then refused as "not approved for this category"), so 0 would be a second way
  to say the same thing, and a charge at 0 would draw no credit at all.
- Engagement hours are asked only by the clauses that read them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from app.engine import HouseholdFacts, Period, Person, Status, assess, parse_rule_set
from app.engine.books import InvalidCommand
from tests.engine.test_books_refusals import ready
from tests.engine.test_books_support import approve

MARCH = Period(2026, 3)
ADULT = Person(date(1980, 6, 1))


@pytest.mark.parametrize("rate", ["0", "0.0", "0.000"])
def test_a_zero_category_rate_is_refused_with_its_reason(rate: str) -> None:
    d = ready()
    with pytest.raises(InvalidCommand) as caught:
        d.try_apply("approve_merchant", approve("m2", {"alcool": rate, "food": "1"}))
    ((path, message),) = [(p.path, p.message) for p in caught.value.problems]
    assert path == "categories.alcool"
    assert message == f"a rate must be above 0 and at most 1, got {rate}"


def _rules(engagement: dict[str, Any] | None) -> Any:
    document: dict[str, Any] = {
        "format": "caisse.rules/1",
        "id": "eng",
        "version": 1,
        "effective_from": "2026-01",
        "decision": "test",
        "contribution": {"formula": {"kind": "fixed", "amount_cents": 3000}},
        "credit": {"formula": {"kind": "fixed", "amount_cents": 10000}},
    }
    if engagement is not None:
        document["engagement"] = engagement
    return parse_rule_set(document)


NO_HOURS = HouseholdFacts("h1", (ADULT,))


def test_rules_without_engagement_ask_no_hours() -> None:
    result = assess(_rules(None), NO_HOURS, MARCH)
    assert result.status is Status.ASSESSED
    assert (result.contribution_cents, result.credit_cents) == (3000, 10000)


@pytest.mark.parametrize(
    "engagement",
    [
        {"contribution_offset": {"per_hour_cents": 500, "cap_cents": 2000}},
        {"credit_bonus": {"per_hour_cents": 300, "cap_cents": 1500}},
        {"credit_requires_minutes": 60},
    ],
)
def test_a_clause_that_reads_the_hours_asks_for_them(engagement: dict[str, Any]) -> None:
    result = assess(_rules(engagement), NO_HOURS, MARCH)
    assert result.status is Status.NEEDS_DATA
    assert [p.path for p in result.problems] == ["engagement_minutes"]


def test_hours_recorded_as_zero_are_not_missing() -> None:
    facts = HouseholdFacts("h1", (ADULT,), engagement_minutes=0)
    offset = {"contribution_offset": {"per_hour_cents": 500, "cap_cents": 2000}}
    result = assess(_rules(offset), facts, MARCH)
    assert (result.status, result.contribution_cents, result.credit_cents) == (
        Status.ASSESSED,
        3000,
        10000,
    )
