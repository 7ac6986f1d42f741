"""Property checks: each finding is produced exactly when the rule set has the property."""

from __future__ import annotations

import itertools
from datetime import date
from fractions import Fraction
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from app import rulesets
from app.engine import HouseholdFacts, Person, RuleSet, parse_rule_set
from app.engine.checks import Composition, Finding, Severity, check_rules

ONE_ADULT = (Composition("1 adult", (40,)),)


def _rules(
    contribution: dict[str, Any], credit: dict[str, Any] | None = None, **extra: Any
) -> RuleSet:
    return parse_rule_set(
        {
            "format": "caisse.rules/1",
            "id": "test",
            "version": 1,
            "effective_from": "2026-11",
            "decision": "test",
            "contribution": {"formula": contribution},
            "credit": {"formula": credit or {"kind": "fixed", "amount_cents": 10000}},
            **extra,
        }
    )


def _two_brackets(low_cents: int, high_cents: int, bound: int = 100000) -> RuleSet:
    return _rules(
        {
            "kind": "brackets",
            "base": "income",
            "brackets": [
                {
                    "from": 0,
                    "from_inclusive": True,
                    "to": bound,
                    "to_inclusive": False,
                    "amount_cents": low_cents,
                },
                {"from": bound, "from_inclusive": True, "amount_cents": high_cents},
            ],
        }
    )


def _codes(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(f.severity.value, f.code) for f in findings]


def test_decreasing_brackets_are_an_error_and_the_drop_a_documented_jump() -> None:
    findings = check_rules(_two_brackets(5000, 3000), compositions=ONE_ADULT)
    assert _codes(findings) == [("error", "contribution.decreasing"), ("info", "contribution.jump")]
    decreasing, jump = findings
    assert dict(decreasing.evidence) == {
        "composition": "1 adult",
        "income_before_cents": 99999,
        "income_after_cents": 100000,
        "contribution_before_cents": 5000,
        "contribution_after_cents": 3000,
        "decreases": 1,
    }
    assert dict(jump.evidence) == {
        "composition": "1 adult",
        "income_below_cents": 99999,
        "income_above_cents": 100000,
        "contribution_below_cents": 5000,
        "contribution_above_cents": 3000,
        "jump_cents": -2000,
        "threshold": "contribution.formula.brackets[0].to",
    }
    assert decreasing.message_fr == (
        "Composition « 1 adult » : avec 1000,00 € de ressources, la participation (30,00 €) "
        "est plus basse qu'avec 999,99 € (50,00 €) ; 1 baisse(s) en tout."
    )


def test_rising_bracket_jump_is_info_with_its_size_at_every_composition() -> None:
    findings = check_rules(_two_brackets(1000, 4000))
    assert [f.code for f in findings] == ["contribution.jump"] * 5
    assert all(f.severity is Severity.INFO for f in findings)
    assert {dict(f.evidence)["jump_cents"] for f in findings} == {3000}
    assert findings[0].message_en == (
        'Composition "1 adult": between €999.99 and €1000.00 of resources the contribution '
        "jumps by €30.00 (€10.00 -> €40.00), at the declared threshold "
        "contribution.formula.brackets[0].to."
    )


def test_bracket_bound_on_income_per_cu_is_probed_at_the_household_income() -> None:
    rules = _rules(
        {
            "kind": "brackets",
            "base": "income_per_cu",
            "brackets": [
                {
                    "from": 0,
                    "from_inclusive": True,
                    "to": 100000,
                    "to_inclusive": True,
                    "amount_cents": 1000,
                },
                {"from": 100000, "from_inclusive": False, "amount_cents": 2000},
            ],
        }
    )
    couple = (Composition("2 adults", (40, 38)),)  # 1.5 consumption units
    (finding,) = check_rules(rules, compositions=couple)
    evidence = dict(finding.evidence)
    assert (evidence["income_below_cents"], evidence["income_above_cents"]) == (150000, 150001)
    assert evidence["jump_cents"] == 1000


def test_steep_line_is_an_undeclared_jump_warning() -> None:
    rules = _rules(
        {
            "kind": "linear",
            "base": "income",
            "from": {"base": 100000, "amount_cents": 1000},
            "to": {"base": 100001, "amount_cents": 50000},
        }
    )
    (finding,) = check_rules(rules, compositions=ONE_ADULT)
    assert (finding.severity, finding.code) == (Severity.WARNING, "contribution.jump")
    assert dict(finding.evidence)["jump_cents"] == 49000
    assert "threshold" not in dict(finding.evidence)
    assert finding.message_en.endswith("away from any declared threshold.")


def test_marginal_rate_above_100_percent_is_an_error() -> None:
    rules = _rules({"kind": "proportional", "base": "income", "rate": "1.2"})
    (finding,) = check_rules(rules, compositions=ONE_ADULT)
    assert (finding.severity, finding.code) == (Severity.ERROR, "contribution.marginal_rate")
    assert dict(finding.evidence) == {
        "composition": "1 adult",
        "income_from_cents": 0,
        "income_to_cents": 5000,
        "contribution_from_cents": 0,
        "contribution_to_cents": 6000,
        "marginal_rate_bp": 12000,
        "max_marginal_rate_bp": 10000,
        "intervals": 160,
    }


def test_marginal_rate_bound_is_configurable() -> None:
    rules = _rules({"kind": "proportional", "base": "income", "rate": "0.03"})
    assert check_rules(rules, compositions=ONE_ADULT, max_marginal_rate=Fraction(5, 100)) == []
    (finding,) = check_rules(rules, compositions=ONE_ADULT, max_marginal_rate=Fraction(2, 100))
    assert dict(finding.evidence)["marginal_rate_bp"] == 300
    assert dict(finding.evidence)["max_marginal_rate_bp"] == 200


def test_contribution_above_a_share_of_resources_is_an_error() -> None:
    rules = _rules({"kind": "proportional", "base": "income", "rate": "0.05"})
    assert check_rules(rules, compositions=ONE_ADULT, max_share_of_resources=Fraction(5, 100)) == []
    (finding,) = check_rules(rules, compositions=ONE_ADULT, max_share_of_resources=Fraction(4, 100))
    assert dict(finding.evidence) == {
        "composition": "1 adult",
        "income_from_cents": 5000,
        "income_to_cents": 800000,
        "contribution_cents": 250,
        "max_share_bp": 400,
        "probes": 160,
    }


def test_free_choice_is_probed_at_its_lowest_allowed_amount() -> None:
    ariege = parse_rule_set(rulesets.document("ariege"))
    assert (
        check_rules(ariege, compositions=ONE_ADULT, max_share_of_resources=Fraction(25, 1000)) == []
    )
    (finding,) = check_rules(
        ariege, compositions=ONE_ADULT, max_share_of_resources=Fraction(2, 100)
    )
    assert dict(finding.evidence)["contribution_cents"] == 125  # 2.5 % of 50 €


def test_calien_has_no_error_but_its_1_euro_floor_exceeds_any_share_near_zero_income() -> None:
    calien = parse_rule_set(rulesets.document("calien"))
    assert check_rules(calien, max_marginal_rate=Fraction(1, 10)) == []
    findings = check_rules(calien, compositions=ONE_ADULT, max_share_of_resources=Fraction(1, 10))
    (finding,) = findings
    # Probed at 0, 1 and 2 cents (both sides of the scale's threshold at 0) -> 1 € each time.
    assert dict(finding.evidence)["income_to_cents"] == 2
    assert dict(finding.evidence)["probes"] == 3


def test_eligibility_filter_is_probed_with_the_households_attributes() -> None:
    savoie = parse_rule_set(rulesets.document("savoie"))
    family = HouseholdFacts(
        "h1",
        (Person(date(1980, 1, 1)), Person(date(2015, 1, 1)), Person(date(2018, 1, 1))),
        income_cents=200000,
        attributes={"scheme": "caf"},
    )
    findings = check_rules(savoie, households=[family])
    not_checked = [f for f in findings if f.code == "probe.not_assessed"]
    # The 5 bare shapes, and the 3 caf shapes with fewer than 2 children, are never eligible.
    assert len(not_checked) == 5 + 3
    projection = next(f for f in findings if f.code == "budget.projection")
    assert dict(projection.evidence)["credits_cents"] == 9000
    # QF 2 000 € / 3 parts = 666,67 € -> 30 € + 30 € × 166,67/600 = 38,33 € -> 38 € (whole euros).
    assert dict(projection.evidence)["contributions_cents"] == 3800
    assert dict(projection.evidence)["funder_shares_cents"] == 9000 - 3800


def test_budget_projection_counts_statuses_and_flags_a_short_budget() -> None:
    rules = _rules({"kind": "proportional", "base": "income", "rate": "0.1"})
    households = [
        HouseholdFacts("a", income_cents=100000),
        HouseholdFacts("b", income_cents=200000),
        HouseholdFacts("c"),
    ]
    findings = check_rules(rules, households=households, compositions=ONE_ADULT, budget_cents=15000)
    assert _codes(findings) == [
        ("warning", "budget.incomplete"),
        ("warning", "budget.short"),
        ("info", "budget.projection"),
    ]
    incomplete, short, projection = findings
    assert dict(projection.evidence) == {
        "households": 3,
        "status_assessed": 2,
        "status_needs_data": 1,
        "status_not_eligible": 0,
        "status_rejected": 0,
        "contributions_cents": 30000,
        "credits_cents": 20000,
        "funder_shares_cents": 0,
        "net_cost_cents": -10000,
    }
    assert dict(short.evidence) == {
        "budget_cents": 15000,
        "credits_cents": 20000,
        "short_cents": 5000,
    }
    assert dict(incomplete.evidence) == {"households": 3, "not_counted": 1}


def test_findings_are_deterministic_and_serialisable() -> None:
    rules = _two_brackets(5000, 3000)
    first = [f.as_dict() for f in check_rules(rules)]
    assert first == [f.as_dict() for f in check_rules(rules)]
    assert first[0]["message"] == {
        "fr": check_rules(rules)[0].message_fr,
        "en": check_rules(rules)[0].message_en,
    }


@given(
    amounts=st.lists(st.integers(0, 20000), min_size=2, max_size=4),
    bound_steps=st.lists(st.integers(1, 4000), min_size=3, max_size=3, unique=True),
)
def test_brackets_raise_a_decreasing_error_exactly_when_an_amount_drops(
    amounts: list[int], bound_steps: list[int]
) -> None:
    bounds = sorted(step * 100 for step in bound_steps)[: len(amounts) - 1]
    froms = [0, *bounds]
    brackets: list[dict[str, Any]] = []
    for index, amount in enumerate(amounts):
        bracket: dict[str, Any] = {
            "from": froms[index],
            "from_inclusive": True,
            "amount_cents": amount,
        }
        if index + 1 < len(amounts):
            bracket.update(to=froms[index + 1], to_inclusive=False)
        brackets.append(bracket)
    rules = _rules({"kind": "brackets", "base": "income", "brackets": brackets})
    findings = check_rules(rules, compositions=ONE_ADULT)
    drops = any(b < a for a, b in itertools.pairwise(amounts))
    assert any(f.code == "contribution.decreasing" for f in findings) == drops
    assert all(f.severity is Severity.INFO for f in findings) == (not drops)
    jumps = [dict(f.evidence)["jump_cents"] for f in findings if f.code == "contribution.jump"]
    assert jumps == [b - a for a, b in itertools.pairwise(amounts) if abs(b - a) > 2]
