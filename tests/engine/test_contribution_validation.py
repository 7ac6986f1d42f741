"""Validation of contribution clauses: every problem at once, each with its path."""

from __future__ import annotations

from typing import Any

import pytest

from app.engine.rules import CONTRIBUTION_KINDS
from tests.engine.contribution_support import paths_of, problems_of, rule_set

F = "contribution.formula"


def _bracket(
    start: int, start_in: bool, end: int | None, end_in: bool | None, **value: Any
) -> dict[str, Any]:
    bracket: dict[str, Any] = {"from": start, "from_inclusive": start_in, **value}
    if end is not None:
        bracket["to"] = end
    if end_in is not None:
        bracket["to_inclusive"] = end_in
    return bracket


def test_every_contribution_kind_of_the_contract_is_registered() -> None:
    kinds = {
        "proportional",
        "effort_rate",
        "linear",
        "brackets",
        "marginal_rate_scale",
        "marginal_amount_scale",
        "linear_average_rate_scale",
        "household_amount",
        "free_choice",
    }
    assert kinds <= set(CONTRIBUTION_KINDS)


def test_bracket_chain_problems_are_all_reported_with_their_paths() -> None:
    formula = {
        "kind": "brackets",
        "base": "income",
        "brackets": [
            _bracket(10, False, 100, True, amount_cents=100),  # not from 0 inclusive
            _bracket(100, True, 200, False, amount_cents=200),  # 100 in both
            _bracket(250, True, 300, False, amount_cents=300),  # gap 200..250
            _bracket(290, True, 400, True, amount_cents=400),  # overlap
            _bracket(400, False, 500, False, amount_cents=500),  # 500 in neither
            _bracket(500, False, None, None, amount_cents=600, rate="0.1"),  # both values
            _bracket(700, True, 800, True, amount_cents=700),  # last must be unbounded
        ],
    }
    problems = problems_of(formula)
    assert [p.path for p in problems] == [
        f"{F}.brackets[5]",
        f"{F}.brackets[0].from",
        f"{F}.brackets[0].from_inclusive",
        f"{F}.brackets[5].to",
        f"{F}.brackets[6].to",
        f"{F}.brackets[1].from_inclusive",
        f"{F}.brackets[2].from",
        f"{F}.brackets[3].from",
        f"{F}.brackets[5].from_inclusive",
    ]
    messages = {p.path: p.message for p in problems}
    assert messages[f"{F}.brackets[2].from"] == (
        "gap: values between 2,00 € and 2,50 € fall in no bracket; start this bracket at 200"
    )
    assert messages[f"{F}.brackets[1].from_inclusive"].startswith(
        "1,00 € belongs to both brackets[0] and brackets[1]"
    )
    assert messages[f"{F}.brackets[5].from_inclusive"].startswith("5,00 € belongs to no bracket")
    assert messages[f"{F}.brackets[3].from"].startswith("overlap or wrong order")


def test_bracket_fields_are_required_and_typed() -> None:
    formula = {
        "kind": "brackets",
        "base": "income",
        "brackets": [
            {"from": 0, "to": 100, "amount_cents": 1},
            {"from": 100, "from_inclusive": "yes", "amount_cents": -5, "to_inclusive": True},
            {
                "from": 300,
                "from_inclusive": True,
                "to": 200,
                "to_inclusive": True,
                "amount_cents": 1,
            },
        ],
    }
    assert paths_of(formula) == [
        f"{F}.brackets[0].from_inclusive",
        f"{F}.brackets[0].to_inclusive",
        f"{F}.brackets[1].from_inclusive",
        f"{F}.brackets[1].to_inclusive",
        f"{F}.brackets[1].amount_cents",
        f"{F}.brackets[2].to",
    ]


def test_problems_in_several_clauses_are_reported_together() -> None:
    formula = {
        "kind": "max",
        "of": [
            {"kind": "proportional", "base": "revenu", "rate": 0.1},
            {
                "kind": "brackets",
                "base": "persons",
                "brackets": [_bracket(0, True, None, None, rate="0.1")],
            },
            {
                "kind": "marginal_rate_scale",
                "base": "income",
                "thresholds": [{"from": 5, "rate": "0.1"}, {"from": 5, "rate": "-0.1"}],
            },
            {
                "kind": "effort_rate",
                "base": "income",
                "rate": "0.03",
                "floor_cents": 900,
                "cap_cents": 100,
            },
            {
                "kind": "linear",
                "base": "income",
                "from": {"base": 100, "amount_cents": 1},
                "to": {"base": 100, "amount_cents": 2},
            },
            {"kind": "household_amount"},
            {
                "kind": "marginal_amount_scale",
                "base": "persons",
                "thresholds": [{"from": 0, "amount": 5}],
            },
            {
                "kind": "linear_average_rate_scale",
                "base": "persons",
                "thresholds": [{"from": 0, "rate": "0.1"}],
            },
        ],
    }
    problems = problems_of(formula)
    assert [p.path for p in problems] == [
        f"{F}.of[0].base",
        f"{F}.of[0].rate",
        f"{F}.of[1].brackets[0].rate",
        f"{F}.of[2].thresholds[0].from",
        f"{F}.of[2].thresholds[1].rate",
        f"{F}.of[2].thresholds[1].from",
        f"{F}.of[3].floor_cents",
        f"{F}.of[4].to.base",
        f"{F}.of[5]",
        f"{F}.of[6].thresholds[0].amount",
        f"{F}.of[6].thresholds[0].amount_cents",
        f"{F}.of[7].base",
    ]
    assert problems[0].message == (
        "unknown resource base 'revenu'; expected one of income, quotient_familial, "
        "income_per_cu, income_per_person, persons"
    )
    assert problems[-1].message.startswith("a rate cannot apply to 'persons'")


@pytest.mark.parametrize(
    ("formula", "path", "start"),
    [
        (
            {"kind": "free_choice", "min_cents": 500, "max_cents": 100},
            "min_cents",
            "the minimum (5,00 €) is above",
        ),
        (
            {"kind": "free_choice", "step_cents": 100, "levels_cents": [100]},
            "",
            "give either step_cents",
        ),
        ({"kind": "free_choice", "step_cents": 0}, "step_cents", "expected at least 1"),
        (
            {"kind": "free_choice", "levels_cents": [300, 200]},
            "levels_cents",
            "levels must be listed",
        ),
        (
            {"kind": "free_choice", "min_cents": 500, "max_cents": 600, "levels_cents": [100]},
            "levels_cents",
            "no level is within",
        ),
        (
            {"kind": "free_choice", "min_cents": 2000, "step_cents": 500, "suggested_cents": 2200},
            "suggested_cents",
            "the suggested amount is not acceptable",
        ),
        (
            {"kind": "free_choice", "min_cents": 100, "min": {"kind": "fixed", "amount_cents": 1}},
            "min",
            "give either min_cents or min",
        ),
        ({"kind": "free_choice", "max": {"kind": "nope"}}, "max.kind", "expected one of"),
        (
            {
                "kind": "effort_rate",
                "base": "income",
                "rate": "0.1",
                "resources_floor_cents": 9,
                "resources_cap_cents": 1,
            },
            "resources_floor_cents",
            "resources_floor_cents (9) is above",
        ),
        ({"kind": "proportional", "rate": "0.1"}, "base", "this field is required"),
        (
            {"kind": "proportional", "base": "income", "rate": "0.1", "floor_cents": 1},
            "floor_cents",
            "unknown field",
        ),
    ],
)
def test_single_clause_problems_name_the_field(
    formula: dict[str, Any], path: str, start: str
) -> None:
    (problem,) = problems_of(formula)
    assert problem.path == (f"{F}.{path}" if path else F)
    assert problem.message.startswith(start), problem.message


def test_valid_documents_of_the_contract_parse() -> None:
    rule_set(
        {
            "kind": "brackets",
            "base": "income_per_cu",
            "brackets": [
                _bracket(0, True, 50000, False, amount_cents=500),
                _bracket(50000, True, 100000, True, rate="0.02"),
                _bracket(100000, False, None, None, amount_cents=4000),
            ],
        }
    )
    rule_set(
        {
            "kind": "effort_rate",
            "base": "income",
            "rate": "0.03",
            "floor_cents": 500,
            "cap_cents": 8000,
            "resources_floor_cents": 30000,
            "resources_cap_cents": 300000,
        }
    )
