"""Explanations never change by accident: their JSON and their French and English text are
byte-identical to a stored golden file, on every path that builds them.

The golden file ``tests/engine/golden/explanations.json.gz`` holds, for every case, the rule
document, the month, the households' facts and, per household, the ``Assessment.as_dict()``
JSON (explanation included, keys in their output order) and ``render("fr")`` /
``render("en")``. Cases: every bundled rule set (``app/rulesets``), the benchmark rule set
(``bench/common.py``), and each worked example of ``docs/rules-contribution.md`` /
``docs/rules-credit.md`` grafted onto the benchmark rule set, so every clause kind speaks.
The documents are stored in the file, so a later edit of a rule set or of the docs does not
move the goal posts. Three paths must give the stored bytes: ``assess``,
``assess_batch(..., explain=True)`` and ``assess_fund`` (rationed to 90 % of the credits).

Regenerate ONLY for an intended change of wording, and review the diff:
``.venv/bin/python -m tests.engine.test_explain_golden --write``.
"""

from __future__ import annotations

import copy
import gzip
import json
import re
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.engine import Assessment, HouseholdFacts, Period, Person, assess, parse_rule_set
from app.engine.batch import assess_batch
from app.engine.explain import Params, Step, render_step, sorted_params, step
from app.engine.fund import assess_fund

GOLDEN = Path(__file__).resolve().parent / "golden" / "explanations.json.gz"
ROOT = Path(__file__).resolve().parents[2]
PERIODS = ("2026-11", "2025-02", "2024-02")


def _facts(item: dict[str, Any]) -> HouseholdFacts:
    def day(text: str | None) -> date | None:
        return None if text is None else date.fromisoformat(text)

    return HouseholdFacts(
        household_id=item["id"],
        persons=tuple(Person(day(born)) for born in item["births"]),
        income_cents=item["income_cents"],
        chosen_contribution_cents=item["chosen_cents"],
        engagement_minutes=item["minutes"],
        attributes=item["attributes"],
        active_from=day(item["active_from"]),
        active_until=day(item["active_until"]),
    )


def _outputs(outcome: Assessment) -> dict[str, Any]:
    explanation = outcome.explanation
    return {
        "json": json.dumps(outcome.as_dict(), ensure_ascii=False),
        "fr": explanation.render("fr") if explanation is not None else None,
        "en": explanation.render("en") if explanation is not None else None,
    }


def _budget(outcomes: list[Assessment]) -> int:
    return sum(o.credit_cents or 0 for o in outcomes) * 9 // 10


def _compute(case: dict[str, Any]) -> dict[str, Any]:
    rules = parse_rule_set(case["document"])
    period = Period.parse(case["period"])
    facts = [_facts(item) for item in case["households"]]
    single = [assess(rules, item, period, explain=True) for item in facts]
    batch = assess_batch(rules, facts, period, explain=True).assessments()
    fund = assess_fund(rules, facts, period, budget_cents=_budget(single), explain=True)
    return {
        "assess": [_outputs(o) for o in single],
        "batch": [_outputs(o) for o in batch],
        "fund": [_outputs(o) for o in fund.assessments],
    }


def _load() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads(gzip.decompress(GOLDEN.read_bytes()).decode("utf-8"))
    return cases


CASES = _load() if GOLDEN.exists() else []


def test_the_golden_file_covers_every_bundled_rule_set_and_the_benchmark() -> None:
    names = {case["name"] for case in CASES}
    assert {"bench", "bundled:calien", "bundled:savoie", "bundled:ariege"} <= names
    assert sum(len(case["households"]) for case in CASES) >= 300


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_explanations_are_byte_identical_to_the_golden_file(case: dict[str, Any]) -> None:
    got = _compute(case)
    expected = case["expected"]
    for path in ("assess", "batch"):
        for index, (mine, stored) in enumerate(zip(got[path], expected, strict=True)):
            assert mine == stored, f"{path}: household {index}"
    # assess_fund orders households by id and rations: its own stored outputs.
    for index, (mine, stored) in enumerate(zip(got["fund"], case["fund"], strict=True)):
        assert mine == stored, f"fund: household {index}"


def test_a_deferred_step_is_the_same_value_as_the_step_built_at_once() -> None:
    eager = step("contribution.x", "golden.unregistered", exact="1/3", result_cents=0)
    calls: list[int] = []

    def build(num: int, den: int) -> Params:
        calls.append(1)
        return sorted_params(result_cents=num // den, exact=f"{num}/{den}")

    deferred = Step.deferred("contribution.x", "golden.unregistered", build, 1, 3)
    assert calls == []  # nothing is built until the step is read
    assert deferred == eager and hash(deferred) == hash(eager)
    assert deferred.params == (("exact", "1/3"), ("result_cents", 0))
    assert deferred.as_dict() == eager.as_dict()
    assert render_step(deferred, "fr") == "golden.unregistered: exact = 1/3, result_cents = 0,00 €"
    assert calls == [1]  # built once, then kept
    with pytest.raises(AttributeError):
        deferred.params = ()  # type: ignore[misc]


# --- generating the golden file (run by hand, never by the tests) ---------------------------


def _doc_sections() -> list[tuple[str, str, Any]]:
    """(name, section key, section) for each YAML block of the rule kind pages."""
    import yaml

    found = []
    for page in ("rules-contribution", "rules-credit"):
        text = (ROOT / "docs" / f"{page}.md").read_text(encoding="utf-8")
        blocks = re.findall(r"```yaml\n(.*?)```", text, re.S)
        for number, block in enumerate(blocks):
            parsed = yaml.safe_load(block)
            for key, section in parsed.items():
                found.append((f"doc:{page}[{number}]", key, section))
    return found


def _documents() -> list[tuple[str, dict[str, Any]]]:
    from app import rulesets
    from bench.common import RULES

    documents = [(f"bundled:{name}", rulesets.document(name)) for name in rulesets.names()]
    documents.append(("bench", copy.deepcopy(RULES)))
    sections = _doc_sections() + [
        (f"extra[{number}]", key, {"formula": formula, "rounding": rounding})
        for number, (key, formula, rounding) in enumerate(EXTRA)
    ]
    for name, key, section in sections:
        doc = copy.deepcopy(RULES)
        doc["id"] = "golden"
        doc[key] = section
        documents.append((name, doc))
    return documents


_SCALE = {
    "kind": "linear_average_rate_scale",
    "base": "income_per_cu",
    "thresholds": [{"from": 0, "rate": "0.01"}, {"from": 150000, "rate": "0.05"}],
}
# Kinds and bases the pages do not combine: min, sum, per-person and family-quotient bases,
# a scale on the persons count, roundings other than the cent.
EXTRA: list[tuple[str, Any, Any]] = [
    (
        "contribution",
        {"kind": "proportional", "base": "income_per_person", "rate": "0.025"},
        {"unit_cents": 10, "mode": "half_even"},
    ),
    (
        "contribution",
        {"kind": "proportional", "base": "quotient_familial", "rate": "0.07"},
        {"unit_cents": 100, "mode": "down"},
    ),
    (
        "contribution",
        {"kind": "min", "of": [_SCALE, {"kind": "fixed", "amount_cents": 4000}]},
        {"unit_cents": 1, "mode": "up"},
    ),
    (
        "contribution",
        {"kind": "sum", "of": [{"kind": "fixed", "amount_cents": 333}, _SCALE]},
        {"unit_cents": 1, "mode": "half_up"},
    ),
    (
        "contribution",
        {
            "kind": "marginal_amount_scale",
            "base": "persons",
            "thresholds": [{"from": 0, "amount_cents": 500}, {"from": 3, "amount_cents": 250}],
        },
        {"unit_cents": 1, "mode": "half_up"},
    ),
    (
        "credit",
        {
            "kind": "age_weighted",
            "bands": [
                {"min_age": 0, "amount_cents": 4500},
                {"min_age": 14, "amount_cents": 7500},
                {"min_age": 65, "amount_cents": 6000},
            ],
            "max_persons": 3,
        },
        {"unit_cents": 1, "mode": "half_up"},
    ),
]


def _households(size: int, seed: int, period: Period, plain: bool) -> list[dict[str, Any]]:
    """Generated households; unless ``plain``, with choices, hours, labels, dates and gaps."""
    from bench.common import generate

    data = generate(size, seed)
    births = data.births_by_household()
    first = period.day(1)
    result = []
    for i in range(size):
        born: list[str | None] = [date.fromordinal(o).isoformat() for o in births[i]]
        income: int | None = data.incomes_cents[i]
        item: dict[str, Any] = {
            "id": f"g{seed}-{i:04d}",
            "births": born,
            "income_cents": income,
            "chosen_cents": None,
            "minutes": None,
            "attributes": {},
            "active_from": None,
            "active_until": None,
        }
        if i % 17 == 7:
            item["income_cents"] = None
        if i % 19 == 4:
            born[-1] = None
        if i % 29 == 9:
            item["births"] = []
        if not plain:
            item["chosen_cents"] = (None, 100, 2500, 4999, 20000)[i % 5]
            item["minutes"] = (None, 0, 90, 600)[i % 4]
            item["attributes"] = ({}, {"scheme": "caf"}, {"scheme": "msa"}, {"scheme": "x"})[i % 4]
            if i % 7 == 3:
                item["active_from"] = (first + timedelta(days=9)).isoformat()
            if i % 11 == 5:
                item["active_until"] = (first + timedelta(days=20)).isoformat()
        result.append(item)
    return result


def write_golden() -> None:
    cases = []
    for number, (name, document) in enumerate(_documents()):
        try:
            parse_rule_set(document)
        except Exception as error:  # a docs block that is not a whole clause: skip it
            print(f"skip {name}: {error}", file=sys.stderr)
            continue
        bench = name == "bench"
        period_text = "2026-11" if bench else PERIODS[number % len(PERIODS)]
        size = 200 if bench else 16
        households = _households(size, 1000 + number, Period.parse(period_text), plain=bench)
        case = {"name": name, "period": period_text, "document": document}
        case["households"] = households
        got = _compute(case)
        if got["batch"] != got["assess"]:
            raise SystemExit(f"{name}: batch and assess disagree")
        case["expected"] = got["assess"]
        case["fund"] = got["fund"]
        cases.append(case)
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(cases, ensure_ascii=False, indent=1)
    # mtime=0: the same content gives the same compressed bytes.
    GOLDEN.write_bytes(gzip.compress((text + "\n").encode("utf-8"), mtime=0))
    print(f"{len(cases)} cases, {sum(len(c['households']) for c in cases)} households")


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        write_golden()
    else:
        raise SystemExit("usage: python -m tests.engine.test_explain_golden --write")
