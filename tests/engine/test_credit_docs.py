"""Every worked example of docs/rules-credit.md, run through the engine with its figures."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.engine import HouseholdFacts, Period, Person, Status, assess, parse_rule_set
from app.engine.fund import assess_fund

DOC = Path(__file__).resolve().parents[2] / "docs" / "rules-credit.md"
MARCH = Period(2026, 3)
ADULT, ADULT2 = Person(date(1980, 6, 1)), Person(date(1982, 6, 1))  # 45, 43
TEEN, CHILD = Person(date(2010, 6, 1)), Person(date(2016, 6, 1))  # 15, 9
GRANDMOTHER = Person(date(1955, 6, 1))  # 70
NAMES = (
    "per_person",
    "base_plus_extra",
    "extra_person_bands",
    "age_weighted",
    "per_consumption_unit",
    "brackets",
    "means_tested",
    "prorated",
    "top_up_to_target",
    "mean_of_contributions",
    "clamp",
    "eligibility",
    "engagement",
)


def _examples() -> dict[str, dict[str, Any]]:
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == len(NAMES)
    return {name: yaml.safe_load(block) for name, block in zip(NAMES, blocks, strict=True)}


EXAMPLES = _examples()


def _rules(name: str, contribution_cents: int = 0, **extra: Any) -> Any:
    sections = {"credit": {"formula": {"kind": "fixed", "amount_cents": 10000}}, **extra}
    sections.update(EXAMPLES[name])
    return parse_rule_set(
        {
            "format": "caisse.rules/1",
            "id": "docs",
            "version": 1,
            "effective_from": "2026-01",
            "decision": "docs/rules-credit.md",
            "contribution": {"formula": {"kind": "fixed", "amount_cents": contribution_cents}},
            **sections,
        }
    )


def _credit(name: str, persons: tuple[Person, ...], period: Period = MARCH, **facts: Any) -> Any:
    result = assess(_rules(name), HouseholdFacts("h1", persons, **facts), period)
    assert result.status is Status.ASSESSED, result.problems
    return result.credit_cents


@pytest.mark.parametrize(
    ("name", "persons", "facts", "expected_cents"),
    [
        ("per_person", (ADULT,) * 6, {}, 40000),
        ("base_plus_extra", (ADULT,) * 6, {}, 25000),
        ("extra_person_bands", (ADULT, ADULT2, TEEN, CHILD), {}, 34500),
        ("age_weighted", (GRANDMOTHER, ADULT, CHILD), {}, 18000),
        ("per_consumption_unit", (ADULT, ADULT2, CHILD), {}, 18000),
        ("brackets", (ADULT,), {}, 10000),
        ("brackets", (ADULT, ADULT2, CHILD), {}, 16000),
        ("brackets", (ADULT, ADULT2, TEEN, CHILD, GRANDMOTHER), {}, 22000),
        ("means_tested", (ADULT, ADULT2), {"income_cents": 180000}, 10000),
        ("means_tested", (ADULT, ADULT2), {"income_cents": 240000}, 2000),
        ("prorated", (ADULT,), {"active_from": date(2026, 3, 10)}, 7097),
        ("prorated", (ADULT,), {"active_until": date(2026, 2, 28)}, 0),
        ("clamp", (ADULT,), {}, 10000),
        ("clamp", (ADULT, ADULT2, CHILD, CHILD, CHILD, CHILD), {}, 27000),
        ("clamp", (ADULT, ADULT, ADULT, ADULT2, CHILD, CHILD, CHILD), {}, 30000),
    ],
)
def test_documented_credit_example(
    name: str, persons: tuple[Person, ...], facts: dict[str, Any], expected_cents: int
) -> None:
    assert _credit(name, persons, **facts) == expected_cents


@pytest.mark.parametrize(
    ("period", "facts", "expected_cents"),
    [
        (Period(2026, 4), {"active_until": date(2026, 4, 10)}, 3333),
        (Period(2026, 2), {"active_from": date(2026, 2, 15)}, 5000),
    ],
)
def test_documented_proration_figures(
    period: Period, facts: dict[str, Any], expected_cents: int
) -> None:
    assert _credit("prorated", (ADULT,), period, **facts) == expected_cents


@pytest.mark.parametrize(("member_cents", "funder_cents"), [(3000, 6000), (6000, 3000), (9000, 0)])
def test_documented_top_up(member_cents: int, funder_cents: int) -> None:
    result = assess(_rules("top_up_to_target", member_cents), HouseholdFacts("h1", (ADULT,)), MARCH)
    assert (result.credit_cents, result.funder_share_cents) == (9000, funder_cents)


def test_documented_mean_of_contributions() -> None:
    # contribution = 100 % of the declared income, so the three households pay 10, 20, 40 €
    households = [
        HouseholdFacts(f"h{i}", (ADULT,), income_cents=cents)
        for i, cents in ((3, 4000), (1, 1000), (2, 2000))
    ]
    rules = parse_rule_set(
        {
            "format": "caisse.rules/1",
            "id": "docs",
            "version": 1,
            "effective_from": "2026-01",
            "decision": "docs",
            "contribution": {"formula": {"kind": "proportional", "base": "income", "rate": "1"}},
            **EXAMPLES["mean_of_contributions"],
        }
    )
    month = assess_fund(rules, households, MARCH)
    by_id = {a.household_id: (a.contribution_cents, a.credit_cents) for a in month.assessments}
    assert by_id == {"h1": (1000, 2334), "h2": (2000, 2333), "h3": (4000, 2333)}


def test_documented_eligibility() -> None:
    rules = _rules("eligibility")
    eligible = HouseholdFacts("h1", (ADULT, ADULT2, TEEN, CHILD), attributes={"scheme": "caf"})
    assert assess(rules, eligible, MARCH).status is Status.ASSESSED
    one_child = HouseholdFacts("h2", (ADULT, ADULT2, CHILD), attributes={"scheme": "caf"})
    result = assess(rules, one_child, MARCH)
    assert result.status is Status.NOT_ELIGIBLE
    assert [p.path for p in result.problems] == [
        "eligibility.any_of[0].all_of[1].children_at_least",
        "eligibility.any_of[1].all_of[0].equals",
    ]
    unknown = assess(rules, HouseholdFacts("h3", (ADULT, CHILD)), MARCH)
    assert [p.path for p in unknown.problems] == ["attributes.scheme"]


@pytest.mark.parametrize(
    ("minutes", "contribution_cents", "credit_cents"),
    [(150, 1750, 10750), (90, 2250, 0), (95, 2209, 0)],
)
def test_documented_engagement(minutes: int, contribution_cents: int, credit_cents: int) -> None:
    result = assess(
        _rules("engagement", 3000),
        HouseholdFacts("h1", (ADULT,), engagement_minutes=minutes),
        MARCH,
    )
    assert (result.contribution_cents, result.credit_cents) == (contribution_cents, credit_cents)
