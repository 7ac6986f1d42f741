"""The bundled rule sets: listed, readable as package data, valid, and distinct."""

from __future__ import annotations

import pytest

from app import rulesets
from app.engine import parse_rule_set

FUNDS = ["ariege", "calien", "flers", "gironde", "grenoble", "montpellier", "nantes", "savoie"]


def test_every_fund_of_the_scenarios_is_bundled() -> None:
    assert rulesets.names() == FUNDS


@pytest.mark.parametrize("name", FUNDS)
def test_bundled_rule_set_is_valid_and_named_after_its_file(name: str) -> None:
    rules = parse_rule_set(rulesets.document(name))
    assert (rules.rule_set_id, rules.version) == (name, 1)


def test_bundled_rule_sets_have_distinct_hashes() -> None:
    hashes = {parse_rule_set(rulesets.document(name)).content_hash for name in FUNDS}
    assert len(hashes) == len(FUNDS)


def test_unknown_rule_set_is_refused_naming_the_bundled_ones() -> None:
    with pytest.raises(KeyError, match="ariege, calien"):
        rulesets.text("paris")
