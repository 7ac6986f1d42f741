"""Unspent-credit and rationing policies: parsed from the rule document, every problem named."""

from __future__ import annotations

from typing import Any

import pytest

from app.engine.problems import Problem
from app.engine.rules.policies import (
    RationingPolicy,
    UnspentCreditPolicy,
    parse_rationing,
    parse_unspent_credit,
)
from app.engine.rules.reader import Reader


def _unspent(value: Any) -> tuple[UnspentCreditPolicy, list[Problem]]:
    reader = Reader()
    return parse_unspent_credit(reader, value, "unspent_credit"), reader.problems


def _rationing(value: Any) -> tuple[RationingPolicy, list[Problem]]:
    reader = Reader()
    return parse_rationing(reader, value, "rationing"), reader.problems


def test_absent_unspent_credit_section_means_no_expiry() -> None:
    assert _unspent(None) == (UnspentCreditPolicy("none"), [])


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"policy": "none"}, UnspentCreditPolicy("none")),
        ({"policy": "expire", "after_months": 3}, UnspentCreditPolicy("expire", after_months=3)),
        ({"policy": "expire", "after_months": 1}, UnspentCreditPolicy("expire", after_months=1)),
        (
            {"policy": "carry_over_cap", "cap_cents": 5000},
            UnspentCreditPolicy("carry_over_cap", cap_cents=5000),
        ),
        (
            {"policy": "carry_over_cap", "cap_cents": 0},
            UnspentCreditPolicy("carry_over_cap", cap_cents=0),
        ),
    ],
)
def test_each_unspent_credit_policy_is_read_as_written(
    document: dict[str, Any], expected: UnspentCreditPolicy
) -> None:
    assert _unspent(document) == (expected, [])


@pytest.mark.parametrize(
    ("document", "path", "words"),
    [
        ({"policy": "expire"}, "unspent_credit.after_months", "required"),
        ({"policy": "expire", "after_months": 0}, "unspent_credit.after_months", "at least 1"),
        ({"policy": "expire", "after_months": "3"}, "unspent_credit.after_months", "whole number"),
        ({"policy": "carry_over_cap"}, "unspent_credit.cap_cents", "required"),
        ({"policy": "carry_over_cap", "cap_cents": -1}, "unspent_credit.cap_cents", "at least 0"),
        ({"policy": "carry_over_cap", "cap_cents": 50.0}, "unspent_credit.cap_cents", "whole"),
        ({"policy": "forever"}, "unspent_credit.policy", "none, expire, carry_over_cap"),
        ({}, "unspent_credit.policy", "required"),
        ({"policy": "none", "after_months": 3}, "unspent_credit.after_months", "unknown field"),
        (
            {"policy": "expire", "after_months": 2, "cap_cents": 10},
            "unspent_credit.cap_cents",
            "unknown field",
        ),
        ("expire", "unspent_credit", "object"),
    ],
)
def test_bad_unspent_credit_policy_is_reported_at_its_path(
    document: Any, path: str, words: str
) -> None:
    _, problems = _unspent(document)
    assert [p.path for p in problems] == [path]
    assert words in problems[0].message


def test_absent_rationing_section_means_proportional() -> None:
    assert _rationing(None) == (RationingPolicy("proportional"), [])


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"method": "proportional"}, RationingPolicy("proportional")),
        ({"method": "uniform_cut", "floor_cents": 3000}, RationingPolicy("uniform_cut", 3000)),
        ({"method": "uniform_cut", "floor_cents": 0}, RationingPolicy("uniform_cut", 0)),
        ({"method": "priority_tiers"}, RationingPolicy("priority_tiers")),
        ({"method": "max_min"}, RationingPolicy("max_min")),
    ],
)
def test_each_rationing_method_is_read_as_written(
    document: dict[str, Any], expected: RationingPolicy
) -> None:
    assert _rationing(document) == (expected, [])


@pytest.mark.parametrize(
    ("document", "path", "words"),
    [
        ({"method": "uniform_cut"}, "rationing.floor_cents", "required"),
        ({"method": "uniform_cut", "floor_cents": -5}, "rationing.floor_cents", "at least 0"),
        ({"method": "max_min", "floor_cents": 100}, "rationing.floor_cents", "only applies"),
        ({"method": "lottery"}, "rationing.method", "proportional, uniform_cut"),
        ({"method": "max_min", "cap": 3}, "rationing.cap", "unknown field"),
        ({}, "rationing.method", "required"),
        ([], "rationing", "object"),
    ],
)
def test_bad_rationing_policy_is_reported_at_its_path(document: Any, path: str, words: str) -> None:
    _, problems = _rationing(document)
    assert [p.path for p in problems] == [path]
    assert words in problems[0].message


def test_every_problem_of_both_sections_is_reported_at_once() -> None:
    reader = Reader()
    parse_unspent_credit(reader, {"policy": "expire", "after_months": 0, "x": 1}, "unspent_credit")
    parse_rationing(reader, {"method": "uniform_cut", "floor_cents": "30"}, "rationing")
    assert sorted(p.path for p in reader.problems) == [
        "rationing.floor_cents",
        "unspent_credit.after_months",
        "unspent_credit.x",
    ]


@pytest.mark.parametrize(
    "build",
    [
        lambda: UnspentCreditPolicy("expire"),
        lambda: UnspentCreditPolicy("expire", after_months=0),
        lambda: UnspentCreditPolicy("none", cap_cents=10),
        lambda: UnspentCreditPolicy("sometimes"),
        lambda: RationingPolicy("uniform_cut"),
        lambda: RationingPolicy("max_min", floor_cents=10),
        lambda: RationingPolicy("lottery"),
    ],
)
def test_policies_cannot_be_built_inconsistent(build: Any) -> None:
    with pytest.raises(ValueError):
        build()
