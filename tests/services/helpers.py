"""Shared setup for service tests: a clock, a rule set, a small fund."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.engine import Engine

from app.services.households import Facts, Identity, enrol_household
from app.services.merchants import approve_merchant
from app.services.money import record_funding
from app.services.months import run_month
from app.services.rules.rulesets import adopt_rule_set, draft_rule_set

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
ACTOR = "operator:tok_test"
PERIOD = "2026-11"
CODE = "4821"
_keys = itertools.count(1)

RULES: dict[str, Any] = {
    "format": "caisse.rules/1",
    "id": "testfund",
    "version": 1,
    "effective_from": "2026-01",
    "decision": "Comité du 2025-12-01, délibération 7",
    "contribution": {"formula": {"kind": "proportional", "base": "income", "rate": "0.025"}},
    "credit": {
        "formula": {"kind": "base_plus_extra", "base_cents": 10000, "per_extra_person_cents": 5000}
    },
    "unspent_credit": {"policy": "expire", "after_months": 2},
}


def key() -> str:
    return f"k{next(_keys)}"


def w(**extra: Any) -> dict[str, Any]:
    """The write arguments every command takes (a fresh idempotency key)."""
    return {"actor": ACTOR, "idempotency_key": key(), "now": NOW} | extra


def adopt(db: Engine, document: dict[str, Any] | None = None) -> dict[str, Any]:
    doc = document or RULES
    draft_rule_set(db, doc)
    return adopt_rule_set(db, doc["id"], doc["version"], **w())


def enrol(
    db: Engine,
    household_id: str,
    income_cents: int | None,
    persons: int = 1,
    from_period: str = "2026-01",
) -> dict[str, Any]:
    facts = Facts(income_cents=income_cents, persons=(date(1980, 5, 17),) * persons)
    identity = Identity(full_name=f"Member {household_id}", email=f"{household_id}@example.org")
    return enrol_household(db, household_id, from_period, identity, facts, CODE, **w())


def small_fund(db: Engine, subsidy_cents: int = 100_000) -> None:
    """Two households (5000/10000 and 2000/20000 cents), a merchant, a subsidy, a run."""
    adopt(db)
    enrol(db, "hh_a", 200_000, 1)
    enrol(db, "hh_b", 80_000, 3)
    approve_merchant(db, "shop", {"food": "1", "hygiene": "0.5"}, date(2026, 1, 1), **w())
    if subsidy_cents:
        record_funding(db, "city", "subsidy", subsidy_cents, "SUB-1", date(2026, 11, 2), **w())
    run_month(db, PERIOD, **w())
