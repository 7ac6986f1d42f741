"""Explanations by path (``app.engine.batch.paths``) say what the nodes say, household by household.

- Every household's explanation built by path equals, serialises and renders as the one the
  nodes' own traced evaluation gives it alone (``assess_household``), read in order or one
  at a time, for scales on every income base, clamps on either side and every composition.
- The bench rule set is explained by path (no household traced one by one).
- A path explanation copies, pickles and takes ``dataclasses.replace`` as an ``Explanation``.
- A template that is not the nodes' trace of its first household is never used: its
  households are traced one by one, and say what the nodes say.
"""

from __future__ import annotations

import copy
import pickle
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.engine import HouseholdFacts, Period, Person, parse_rule_set
from app.engine.batch import HouseholdColumns, assess_batch, assess_columns, compile_batch
from app.engine.batch.household import assess_household
from app.engine.batch.paths import PathExplanation
from app.engine.explain import Explanation, step
from app.engine.ruleset import RuleSet
from tests.engine.test_batch import (
    BANDED_CREDIT,
    BENCH_CONTRIBUTION,
    BIRTHS,
    MONTH,
    PERIODS,
    ROUNDINGS,
    document,
)


def scale(base: str) -> dict[str, Any]:
    return {
        "kind": "linear_average_rate_scale",
        "base": base,
        "thresholds": [
            {"from": 0, "rate": "0.01"},
            {"from": 100000, "rate": "0.03"},
            {"from": 250000, "rate": "0.05"},
        ],
    }


BASES = ("income", "income_per_cu", "income_per_person", "quotient_familial")
PATH_CONTRIBUTIONS: list[dict[str, Any]] = [
    *(scale(base) for base in BASES),
    *({**BENCH_CONTRIBUTION, "of": scale(base)} for base in BASES),
    {"kind": "clamp", "floor_cents": 2500, "cap_cents": 2500, "of": scale("income")},
    {"kind": "clamp", "floor_cents": 0, "cap_cents": 90000, "of": scale("income_per_cu")},
]
COMPOSITION_CREDITS: list[dict[str, Any]] = [
    BANDED_CREDIT,
    {"kind": "per_person", "amount_cents": 10000, "max_persons": 3},
    {"kind": "per_consumption_unit", "amount_cents": 10001},
]
# Incomes on and around the scale's thresholds and the clamp's bounds, and anywhere.
INCOMES = st.one_of(
    st.none(),
    st.integers(0, 3_000_000),
    st.sampled_from([0, 1, 99_999, 100_000, 100_001, 249_999, 250_000, 250_001, 10_000, 300_000]),
)


@st.composite
def path_rules(draw: st.DrawFn) -> RuleSet:
    doc = document(
        draw(st.sampled_from(PATH_CONTRIBUTIONS)), draw(st.sampled_from(COMPOSITION_CREDITS))
    )
    doc["contribution"]["rounding"] = draw(st.sampled_from(ROUNDINGS))
    doc["credit"]["rounding"] = draw(st.sampled_from(ROUNDINGS))
    return parse_rule_set(doc)


@st.composite
def households(draw: st.DrawFn) -> list[HouseholdFacts]:
    count = draw(st.integers(1, 40))
    return [
        HouseholdFacts(
            household_id=f"h{index:03d}",
            persons=tuple(Person(birth) for birth in draw(st.lists(BIRTHS, max_size=6))),
            income_cents=draw(INCOMES),
        )
        for index in range(count)
    ]


def _nodes(rules: RuleSet, facts: list[HouseholdFacts], period: Period) -> list[Any]:
    return [assess_household(rules, item, period, explain=True).explanation for item in facts]


@given(path_rules(), households(), PERIODS)
def test_each_explanation_by_path_is_what_the_nodes_say(
    rules: RuleSet, facts: list[HouseholdFacts], period: Period
) -> None:
    plan = compile_batch(rules, period)
    assert plan is not None and plan.paths is not None
    batch = assess_batch(rules, facts, period, explain=True)
    in_order = [
        outcome.explanation if index in batch.fallback else found
        for index, (found, outcome) in enumerate(
            zip(batch.explanations, batch.assessments(), strict=True)
        )
    ]
    one_by_one = [batch.assessment(index).explanation for index in range(len(facts))]
    nodes = _nodes(rules, facts, period)
    for mine, alone, theirs in zip(in_order, one_by_one, nodes, strict=True):
        assert mine == alone == theirs
        if theirs is None:
            continue
        assert mine is not None and alone is not None
        assert mine.as_dict() == alone.as_dict() == theirs.as_dict()
        for lang in ("fr", "en"):
            assert mine.render(lang) == alone.render(lang) == theirs.render(lang)


def _bench_facts() -> list[HouseholdFacts]:
    births = [date(1970, 5, 1), date(1975, 1, 1), date(2012, 11, 2), date(2019, 3, 1)]
    return [
        HouseholdFacts(f"b{index}", tuple(Person(day) for day in births[: 1 + index % 4]), income)
        for index, income in enumerate(range(0, 1_200_000, 7_919))
    ]


def test_the_bench_rule_set_is_explained_by_path() -> None:
    rules = parse_rule_set(document(BENCH_CONTRIBUTION, BANDED_CREDIT))
    facts = _bench_facts()
    batch = assess_columns(rules, HouseholdColumns.from_facts(facts), MONTH, explain=True)
    built = list(batch.explanations)
    assert all(isinstance(item, PathExplanation) for item in built)
    assert built == _nodes(rules, facts, MONTH)


def test_a_path_explanation_copies_pickles_and_is_replaced_as_an_explanation() -> None:
    rules = parse_rule_set(document(BENCH_CONTRIBUTION, BANDED_CREDIT))
    facts = _bench_facts()[:40]
    theirs = _nodes(rules, facts, MONTH)
    for index, mine in enumerate(assess_batch(rules, facts, MONTH, explain=True).explanations):
        assert isinstance(mine, PathExplanation)
        expected = theirs[index]
        assert isinstance(expected, Explanation)
        assert pickle.loads(pickle.dumps(mine)) == expected
        assert copy.deepcopy(mine) == expected == mine
        assert hash(mine) == hash(expected)
        added = step("rationing", "fund.rationing.proportional")
        assert replace(mine, credit=(*mine.credit, added)) == replace(
            expected, credit=(*expected.credit, added)
        )


def test_a_template_that_is_not_the_nodes_trace_is_never_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rules = parse_rule_set(document(BENCH_CONTRIBUTION, BANDED_CREDIT))
    facts = _bench_facts()
    plan = compile_batch(rules, MONTH)
    assert plan is not None and plan.paths is not None
    section = plan.paths.sections[0]
    assert section is not None
    honest = section.tracer

    def off_by_one(incomes: Any, ks: Any) -> Any:  # every base one cent more than the nodes'
        return honest([income + 1 for income in incomes], ks)

    monkeypatch.setattr(section, "tracer", off_by_one)
    columns = HouseholdColumns.from_facts(facts)
    ks = plan.compositions.indices(columns)
    explained = plan.run_columns(columns, explain=True).explanations
    built = plan.paths.explanations(
        columns, ks, explained.contributions, explained.credits, 0, len(facts)
    )
    assert not any(isinstance(item, PathExplanation) for item in built)
    assert built == _nodes(rules, facts, MONTH)
