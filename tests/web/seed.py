"""A small living fund for the page tests, made the way a fund is made: through the HTTP
API with one bearer token per role (the documented bootstrap), in the CURRENT month (a till
charges today). Then one web access per person, activated through the people service.

Hand-computed figures (2,5 % of income half-up; credit 100 € + 50 € per extra person; food
paid 100 % from credit, hygiene 50 %):

| household | income | persons | contribution | credit | consent code |
|---|---:|---:|---:|---:|---|
| hh_a | 2 000,00 € | 1 | 50,00 € | 100,00 € | 4821 |
| hh_b |   800,00 € | 3 | 20,00 € | 200,00 € | 7350 |
| hh_c | 1 234,56 € | 2 | 30,86 € | 150,00 € | 1906 |

Subsidy 400,00 € + contributions 100,86 € >= credits 450,00 €: no rationing.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import httpx
from fastapi import FastAPI

from app.db.session import unit_of_work
from app.services import people
from app.services import tokens as token_service
from app.services.tokens import Role

CODES = {"hh_a": "4821", "hh_b": "7350", "hh_c": "1906"}
HOUSEHOLDS = (
    ("hh_a", 200_000, ("1980-05-17",)),
    ("hh_b", 80_000, ("1979-02-01", "2012-09-30", "2015-06-11")),
    ("hh_c", 123_456, ("1990-11-02", "1991-01-23")),
)
MERCHANT = "m_epicerie"
SECRET = "secret-de-test"
# login -> (role, subject, display name)
PEOPLE: dict[str, tuple[Role, str | None, str]] = {
    "amina": (Role.MEMBER, "hh_a", "Amina Benali"),
    "bruno": (Role.MEMBER, "hh_b", "Bruno Lefebvre"),
    "epicerie": (Role.MERCHANT, MERCHANT, "Épicerie du Marais"),
    "claire": (Role.COMMITTEE, None, "Claire Martin"),
    "odile": (Role.OPERATOR, None, "Odile Dubois"),
    "aurele": (Role.AUDITOR, None, "Aurèle Petit"),
}
_keys = itertools.count(1)


def rules(period: str) -> dict[str, Any]:
    return {
        "format": "caisse.rules/1",
        "id": "caisse-test",
        "version": 1,
        "name": "Caisse des tests de pages",
        "effective_from": period,
        "decision": "Comité du 1er du mois, délibération 1",
        "contribution": {
            "rounding": {"unit_cents": 1, "mode": "half_up"},
            "formula": {"kind": "proportional", "base": "income", "rate": "0.025"},
        },
        "credit": {
            "rounding": {"unit_cents": 1, "mode": "half_up"},
            "formula": {
                "kind": "base_plus_extra",
                "base_cents": 10000,
                "per_extra_person_cents": 5000,
            },
        },
        "unspent_credit": {"policy": "expire", "after_months": 2},
    }


@dataclass
class Fund:
    """The seeded fund: its API client and tokens, its month, and people's cards."""

    url: str
    app: FastAPI
    period: str
    today: date
    tokens: dict[str, str] = field(default_factory=dict)
    cards: dict[str, str] = field(default_factory=dict)

    def call(self, role: str, method: str, path: str, body: Any = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"}
        if method == "POST" and path != "/rules/drafts":
            headers["Idempotency-Key"] = f"seed-key-{next(_keys):06d}"
        return httpx.request(method, f"{self.url}/v1{path}", headers=headers, json=body, timeout=30)

    def ok(self, role: str, method: str, path: str, body: Any = None) -> dict[str, Any]:
        response = self.call(role, method, path, body)
        # 202: a background job accepted (audit verifications and exports).
        assert response.status_code in (200, 202), (path, response.status_code, response.text)
        result: dict[str, Any] = response.json()
        return result

    def balance_cents(self, household_id: str) -> int:
        found = self.ok("operator", "GET", f"/members/{household_id}/balance")
        return int(found["credit_cents"])

    def verify(self) -> dict[str, Any]:
        """The auditor's verification of the books, as a background job, awaited."""
        import time

        job = self.ok("auditor", "POST", "/audit/verifications")
        for _ in range(300):
            state = self.ok("auditor", "GET", f"/audit/verifications/{job['job_id']}")
            if state["status"] in ("done", "failed"):
                return state
            time.sleep(0.1)
        raise AssertionError("the verification did not finish")


def seed_fund(url: str, app: FastAPI) -> Fund:
    today = datetime.now(UTC).date()
    period = f"{today.year:04d}-{today.month:02d}"
    fund = Fund(url, app, period, today)
    subjects = {
        "committee": {},
        "operator": {},
        "auditor": {},
        "merchant": {"merchant_id": MERCHANT},
    }
    with unit_of_work(app.state.db_engine) as session:
        for role, subject in subjects.items():
            fund.tokens[role] = token_service.create_token(session, role=role, **subject).secret
    fund.ok("committee", "POST", "/rules/drafts", rules(period))
    fund.ok(
        "committee",
        "POST",
        "/rules/versions/caisse-test/1/adopt",
        {"decision": "Comité du 1er du mois, délibération 1"},
    )
    for household, income, births in HOUSEHOLDS:
        fund.ok(
            "operator",
            "POST",
            "/households",
            {
                "household_id": household,
                "from_period": period,
                "identity": {"full_name": f"Membre {household}"},
                "facts": {"income_cents": income, "persons": [{"birth_on": b} for b in births]},
                "consent_code": CODES[household],
            },
        )
    first_day = f"{period}-01"
    fund.ok(
        "committee",
        "POST",
        f"/merchants/{MERCHANT}/approve",
        {"categories": {"food": "1", "hygiene": "0.5"}, "valid_from": first_day},
    )
    fund.ok(
        "operator",
        "POST",
        "/funds/fundings",
        {
            "funder_id": "ville",
            "kind": "subsidy",
            "amount_cents": 40_000,
            "reference": "SUB-1",
            "received_on": today.isoformat(),
        },
    )
    fund.ok("operator", "POST", f"/months/{period}/run")
    fund.ok(
        "operator",
        "POST",
        "/funds/payments",
        {
            "household_id": "hh_a",
            "amount_cents": 5_000,
            "method": "transfer",
            "reference": "PAY-1",
            "received_on": today.isoformat(),
        },
    )
    add_people(fund)
    return fund


def add_people(fund: Fund) -> None:
    now = datetime.now(UTC)
    with unit_of_work(fund.app.state.db_engine) as session:
        for login, (role, subject, name) in PEOPLE.items():
            new = people.create_access(session, role, subject, name, now)
            people.activate(session, new.activation_code, login, SECRET, now)
            if role is Role.MEMBER and subject is not None:
                fund.cards[subject] = people.card_of(session, subject) or ""
        fund.cards["hh_c"] = people.issue_card(session, "hh_c", now)
