"""A small living fund for API tests, set up through the services (the API is what is tested).

``seed(app)``: rules adopted from 2026-01 (2,5 % of income; 100 € + 50 € per extra person;
unspent credit expires after 2 months), households OWN (2 000 €, 1 person) and OTHER
(800 €, 3 persons), merchants OWN and OTHER (food at 100 %, hygiene at 50 %), a 1 000 €
subsidy, the month 2026-11 run, and one 20 € food sale of OWN at each merchant.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response

from app.db.session import unit_of_work
from app.services import month_desk
from app.services.households import Facts, Identity, enrol_household
from app.services.merchants import approve_merchant, purchase
from app.services.money import record_funding
from app.services.months import run_month
from app.services.rules.rulesets import adopt_rule_set, draft_rule_set
from tests.api.support import OTHER_HOUSEHOLD, OTHER_MERCHANT, OWN_HOUSEHOLD, OWN_MERCHANT, Tokens

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
PERIOD = "2026-11"
SALE_DAY = "2026-11-15"
CODE = "4821"
OWN_SALE = "sale_own"
OTHER_SALE = "sale_other"
_keys = itertools.count(1)

FUND_RULES: dict[str, Any] = {
    "format": "caisse.rules/1",
    "id": "testfund",
    "version": 1,
    "name": "Caisse de test",
    "effective_from": "2026-01",
    "decision": "Comité du 2025-12-01, délibération 7",
    "contribution": {"formula": {"kind": "proportional", "base": "income", "rate": "0.025"}},
    "credit": {
        "formula": {"kind": "base_plus_extra", "base_cents": 10000, "per_extra_person_cents": 5000}
    },
    "unspent_credit": {"policy": "expire", "after_months": 2},
}


def rules(version: int = 1, **changes: Any) -> dict[str, Any]:
    """The fund's rules, at another version and with top-level changes."""
    document = {**FUND_RULES, "version": version, **changes}
    return {key: value for key, value in document.items() if value is not None}


def w() -> dict[str, Any]:
    return {"actor": "operator:tok_seed", "idempotency_key": f"seed{next(_keys)}", "now": NOW}


def seed(
    app: FastAPI, *, run: bool = True, sales: bool = True, funding_cents: int = 100_000
) -> None:
    db = app.state.db_engine
    draft_rule_set(db, FUND_RULES)
    adopt_rule_set(db, "testfund", 1, **w())
    for household_id, income, persons in (
        (OWN_HOUSEHOLD, 200_000, 1),
        (OTHER_HOUSEHOLD, 80_000, 3),
    ):
        facts = Facts(income_cents=income, persons=(date(1980, 5, 17),) * persons)
        identity = Identity(full_name=f"Member {household_id}", email=f"{household_id}@example.org")
        enrol_household(db, household_id, "2026-01", identity, facts, CODE, **w())
    for merchant_id in (OWN_MERCHANT, OTHER_MERCHANT):
        approve_merchant(db, merchant_id, {"food": "1", "hygiene": "0.5"}, date(2026, 1, 1), **w())
    if funding_cents:
        record_funding(db, "city", "subsidy", funding_cents, "SUB-1", date(2026, 11, 2), **w())
    if run:
        run_month(db, PERIOD, **w())
    if run and sales:
        for sale, merchant_id in ((OWN_SALE, OWN_MERCHANT), (OTHER_SALE, OTHER_MERCHANT)):
            purchase(
                db, sale, OWN_HOUSEHOLD, merchant_id, "food", 2000, date(2026, 11, 15), CODE, **w()
            )


def draft(app: FastAPI, document: dict[str, Any]) -> None:
    with unit_of_work(app.state.db_engine) as session:
        draft_rule_set(session, document)


def call(
    client: TestClient,
    tokens: Tokens,
    who: str,
    method: str,
    path: str,
    body: Any = None,
    key: str | None = None,
    **params: Any,
) -> Response:
    """One request as ``who``; ``key`` sends an Idempotency-Key."""
    headers = tokens.headers(who)
    if key is not None:
        headers["Idempotency-Key"] = key
    response: Response = client.request(
        method, path, headers=headers, json=body, params=params or None
    )
    return response


def fresh_key() -> str:
    return f"test-key-{next(_keys):06d}"


def close(app: FastAPI, period: str = PERIOD) -> None:
    """Close through the month desk, the one path the API, pages and CLI take (run first)."""
    with unit_of_work(app.state.db_engine) as session:
        month_desk.close(session, period, **w())


def seal(app: FastAPI, period: str = PERIOD) -> None:
    with unit_of_work(app.state.db_engine) as session:
        month_desk.seal_month(session, period, **w())


ROLES = ("committee", "operator", "member", "merchant", "auditor")


def assert_only(
    client: TestClient, tokens: Tokens, method: str, path: str, allowed: tuple[str, ...]
) -> None:
    """No token is 401; every role not in ``allowed`` is 403 (decided before any data)."""
    refused = ["anonymous", *(role for role in ROLES if role not in allowed)]
    for who in refused:
        response = call(client, tokens, who, method, path, key="roles-key-0001")
        expected = 401 if who == "anonymous" else 403
        assert response.status_code == expected, (who, response.text)
