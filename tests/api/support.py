"""Helpers for API tests: tokens per role, problem-document assertions, a valid rule document."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI

from app.db.session import unit_of_work
from app.services import tokens as token_service
from app.services.tokens import Role

# The API speaks French by default; tests that read its English texts ask for them.
ENGLISH = {"Accept-Language": "en"}

OWN_HOUSEHOLD = "hh_own"
OTHER_HOUSEHOLD = "hh_other"
OWN_MERCHANT = "m_own"
OTHER_MERCHANT = "m_other"

VALID_RULES: dict[str, Any] = {
    "format": "caisse.rules/1",
    "id": "test-fund",
    "version": 2,
    "name": "Caisse de test",
    "effective_from": "2027-01",
    "decision": "Comité du 2026-12-10, délibération 14",
    "contribution": {
        "rounding": {"unit_cents": 1, "mode": "half_up"},
        "formula": {"kind": "proportional", "base": "income", "rate": "0.025"},
    },
    "credit": {
        "rounding": {"unit_cents": 1, "mode": "half_up"},
        "formula": {"kind": "fixed", "amount_cents": 15000},
    },
}


def valid_rules() -> dict[str, Any]:
    return copy.deepcopy(VALID_RULES)


def issue(app: FastAPI, role: Role, **subject: str) -> str:
    """Create a token on the app's database and return its secret."""
    with unit_of_work(app.state.db_engine) as session:
        return token_service.create_token(session, role=role, **subject).secret


@dataclass
class Tokens:
    """One secret per role name; ``"anonymous"`` sends no token."""

    app: FastAPI
    secrets: dict[str, str] = field(default_factory=dict)

    @classmethod
    def standard(cls, app: FastAPI) -> Tokens:
        found = cls(app)
        for role in (Role.COMMITTEE, Role.OPERATOR, Role.AUDITOR, Role.RESEARCHER):
            found.secrets[role.value] = issue(app, role)
        found.secrets["member"] = issue(app, Role.MEMBER, household_id=OWN_HOUSEHOLD)
        found.secrets["merchant"] = issue(app, Role.MERCHANT, merchant_id=OWN_MERCHANT)
        return found

    def headers(self, who: str) -> dict[str, str]:
        if who == "anonymous":
            return {}
        return {"Authorization": f"Bearer {self.secrets[who]}"}


def assert_problem(response: Any, status: int, type_suffix: str) -> dict[str, Any]:
    """The response is an RFC 9457 problem of this status and type; return its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"] == f"urn:caisse:problem:{type_suffix}"
    assert body["status"] == status
    assert set(body) >= {"type", "title", "status", "detail", "instance", "errors"}
    assert body["instance"] == response.request.url.path
    return body


def error_paths(body: dict[str, Any]) -> list[str]:
    return [problem["path"] for problem in body["errors"]]
