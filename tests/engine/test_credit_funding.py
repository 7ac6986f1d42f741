"""Credit kinds that depend on who pays: third-party top-up (Savoie) and mean of contributions."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

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
from app.engine.resources import Context
from app.engine.rules.credit_funding import FundLevelOnly, MeanOfContributions

PERIOD = Period(2025, 11)
ADULT = Person(date(1980, 5, 17))
CHILD = Person(date(2016, 9, 30))
TOP_UP = {"kind": "top_up_to_target", "target_cents": 9000, "funder_id": "caf-savoie"}
SAVOIE_ELIGIBILITY = {
    "any_of": [
        {
            "all_of": [
                {"attribute": "scheme", "equals": "caf"},
                {"children_at_least": 2, "child_age_below": 18},
            ]
        },
        {
            "all_of": [
                {"attribute": "scheme", "equals": "msa"},
                {"children_at_least": 1, "child_age_below": 18},
            ]
        },
    ]
}


def _doc(credit: dict[str, Any], contribution_cents: int = 3000, **top: Any) -> dict[str, Any]:
    return {
        "format": "caisse.rules/1",
        "id": "savoie-test",
        "version": 1,
        "effective_from": "2025-01",
        "decision": "test",
        "contribution": {"formula": {"kind": "fixed", "amount_cents": contribution_cents}},
        "credit": {"formula": credit},
        **top,
    }


def _savoie(member_cents: int) -> Any:
    return parse_rule_set(_doc(TOP_UP, member_cents, eligibility=SAVOIE_ELIGIBILITY))


def _family(scheme: str, *persons: Person) -> HouseholdFacts:
    return HouseholdFacts("h1", persons, attributes={"scheme": scheme})


@pytest.mark.parametrize(
    ("member_cents", "funder_cents"),
    [(3000, 6000), (4500, 4500), (6000, 3000), (9000, 0), (12000, 0)],
)
def test_funder_tops_up_the_member_share_to_the_90_euro_target(
    member_cents: int, funder_cents: int
) -> None:
    result = assess(_savoie(member_cents), _family("caf", ADULT, CHILD, CHILD), PERIOD)
    assert result.status is Status.ASSESSED
    assert (result.contribution_cents, result.credit_cents) == (member_cents, 9000)
    assert (result.funder_share_cents, result.funder_id) == (funder_cents, "caf-savoie")


def test_msa_family_with_one_child_is_topped_up() -> None:
    result = assess(_savoie(6000), _family("msa", ADULT, CHILD), PERIOD)
    assert (result.status, result.credit_cents, result.funder_share_cents) == (
        Status.ASSESSED,
        9000,
        3000,
    )


def test_caf_family_with_one_child_is_explicitly_not_eligible() -> None:
    result = assess(_savoie(3000), _family("caf", ADULT, CHILD), PERIOD)
    assert result.status is Status.NOT_ELIGIBLE
    assert (result.credit_cents, result.funder_share_cents, result.funder_id) == (None, 0, None)
    assert [p.path for p in result.problems] == [
        "eligibility.any_of[0].all_of[1].children_at_least",
        "eligibility.any_of[1].all_of[0].equals",
    ]
    assert result.problems[0].message == (
        "the household has 1 child(ren) under 18; at least 2 required"
    )


def test_top_up_explains_both_shares() -> None:
    result = assess(_savoie(3000), _family("caf", ADULT, CHILD, CHILD), PERIOD)
    assert result.explanation is not None
    top_up = next(s for s in result.explanation.credit if s.code == "credit.top_up")
    assert render_step(top_up, "fr") == (
        "Crédit fixé à 90,00 € : votre participation est de 30,00 €, le financeur "
        "« caf-savoie » complète de 60,00 €."
    )


def test_top_up_must_be_the_whole_credit_formula() -> None:
    with pytest.raises(RuleSetInvalid) as error:
        parse_rule_set(_doc({"kind": "clamp", "of": TOP_UP, "cap_cents": 8000}))
    assert [p.path for p in error.value.problems] == ["credit.formula.of.kind"]


def test_top_up_requires_target_and_funder() -> None:
    with pytest.raises(RuleSetInvalid) as error:
        parse_rule_set(_doc({"kind": "top_up_to_target"}))
    assert sorted(p.path for p in error.value.problems) == [
        "credit.formula.funder_id",
        "credit.formula.target_cents",
    ]


def test_mean_of_contributions_leaves_the_credit_pending_for_the_fund() -> None:
    rules = parse_rule_set(_doc({"kind": "mean_of_contributions"}, 5000))
    result = assess(rules, HouseholdFacts("h1", (ADULT,)), PERIOD)
    assert result.status is Status.ASSESSED
    assert (result.contribution_cents, result.credit_cents, result.credit_pending_fund) == (
        5000,
        None,
        True,
    )
    assert getattr(rules.credit.node, "fund_level", False) is True


def test_mean_of_contributions_refuses_to_be_evaluated_per_household() -> None:
    ctx = Context(HouseholdFacts("h1", (ADULT,)), PERIOD, parse_rule_set(_doc(TOP_UP)).definitions)
    with pytest.raises(FundLevelOnly, match="whole fund"):
        MeanOfContributions("credit.formula").evaluate(ctx, None)


def test_mean_of_contributions_cannot_be_nested_or_configured() -> None:
    with pytest.raises(RuleSetInvalid) as error:
        parse_rule_set(_doc({"kind": "max", "of": [{"kind": "mean_of_contributions"}]}))
    assert [p.path for p in error.value.problems] == ["credit.formula.of[0].kind"]
    with pytest.raises(RuleSetInvalid) as error:
        parse_rule_set(_doc({"kind": "mean_of_contributions", "amount_cents": 5}))
    assert [p.path for p in error.value.problems] == ["credit.formula.amount_cents"]
