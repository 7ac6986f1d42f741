"""The worked examples of docs/rules-contribution.md compute exactly what the page says."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.engine import HouseholdFacts, Person, Status, assess, parse_rule_set
from tests.engine.contribution_support import PERIOD

DOC = Path(__file__).resolve().parents[2] / "docs" / "rules-contribution.md"
_BLOCK = re.compile(r"```yaml\n(.*?)```", re.S)
_CHECK = re.compile(r"<!-- check: (\{.*?\}) -->")


def _examples() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(id, contribution section, check) for every check, under the YAML block before it."""
    text = DOC.read_text(encoding="utf-8")
    blocks = [(match.start(), yaml.safe_load(match.group(1))) for match in _BLOCK.finditer(text)]
    result = []
    for number, match in enumerate(_CHECK.finditer(text)):
        section = [block for start, block in blocks if start < match.start()][-1]
        result.append((f"check{number}", section["contribution"], json.loads(match.group(1))))
    return result


EXAMPLES = _examples()


def _born(age: int) -> Person:
    """A person who is ``age`` on 1 January 2027 (the examples' month)."""
    return Person(date(2026 - age, 6, 1))


def test_the_page_has_an_example_for_every_contribution_kind() -> None:
    kinds = {str(section["formula"]["kind"]) for _, section, _ in EXAMPLES}
    assert {
        "proportional",
        "effort_rate",
        "linear",
        "brackets",
        "marginal_rate_scale",
        "marginal_amount_scale",
        "linear_average_rate_scale",
        "household_amount",
        "free_choice",
    } <= kinds


@pytest.mark.parametrize(
    ("section", "check"), [e[1:] for e in EXAMPLES], ids=[e[0] for e in EXAMPLES]
)
def test_worked_example_gives_the_documented_result(
    section: dict[str, Any], check: dict[str, Any]
) -> None:
    rules = parse_rule_set(
        {
            "format": "caisse.rules/1",
            "id": "doc",
            "version": 1,
            "effective_from": "2027-01",
            "decision": "docs/rules-contribution.md",
            "contribution": section,
            "credit": {"formula": {"kind": "fixed", "amount_cents": 0}},
        }
    )
    facts = HouseholdFacts(
        household_id="doc",
        persons=tuple(_born(age) for age in check["ages"]),
        income_cents=check.get("income_cents"),
        chosen_contribution_cents=check.get("chosen_cents"),
    )
    result = assess(rules, facts, PERIOD)
    if "rejected" in check:
        assert result.status is Status.REJECTED
        assert result.problems[0].message == check["rejected"]
    else:
        assert (result.status, result.contribution_cents) == (
            Status.ASSESSED,
            check["contribution_cents"],
        )
