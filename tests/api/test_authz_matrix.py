"""Who may call what: every role × every endpoint, asserted from ONE table.

To add an endpoint, add a row to ``MATRIX`` (one expected status per role). The table is
checked three ways: each cell is the status the API answers; every operation of the
OpenAPI schema has at least one row (a new endpoint without a row fails); and the roles
an endpoint documents (``x-roles`` / "Role: ...") are exactly those the table lets in.

Conventions: 401 = no token; 403 = a staff endpoint refused to this role; 404 = a member's
or merchant's request for someone else's resource (rows whose path names OTHER_* ids).
Path parameters are filled from ``params`` (use OWN_HOUSEHOLD / OTHER_HOUSEHOLD etc.: the
member token is bound to OWN_HOUSEHOLD, the merchant token to OWN_MERCHANT).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.support import Tokens, valid_rules

ROLES = ("anonymous", "committee", "operator", "member", "merchant", "auditor")
REFUSALS = (401, 403)


@dataclass(frozen=True)
class Endpoint:
    """One call: method, OpenAPI path template, path parameters, body, optional data setup."""

    method: str
    template: str
    params: Mapping[str, str] = field(default_factory=dict)
    body: Callable[[], Any] | None = None
    setup: Callable[[FastAPI], None] | None = None

    @property
    def path(self) -> str:
        return self.template.format(**self.params)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class Row:
    endpoint: Endpoint
    expected: Mapping[str, int]


def row(
    endpoint: Endpoint,
    anonymous: int,
    committee: int,
    operator: int,
    member: int,
    merchant: int,
    auditor: int,
) -> Row:
    statuses = (anonymous, committee, operator, member, merchant, auditor)
    return Row(endpoint, dict(zip(ROLES, statuses, strict=True)))


# fmt: off
MATRIX: tuple[Row, ...] = (
    #   endpoint                                                        anon comm oper memb merc audi
    row(Endpoint("GET", "/v1/health"),                                  200, 200, 200, 200, 200, 200),
    row(Endpoint("GET", "/v1/auth/whoami"),                             401, 200, 200, 200, 200, 200),
    row(Endpoint("POST", "/v1/rules/validate", body=valid_rules),       401, 200, 403, 403, 403, 200),
    row(Endpoint("POST", "/v1/rules/check",
                 body=lambda: {"rules": valid_rules()}),                401, 200, 403, 403, 403, 200),
    row(Endpoint("POST", "/v1/rules/preview-sample",
                 body=lambda: {"proposed_rules": valid_rules(),
                               "households": [{"household_id": "hh_1"}]}),  401, 200, 403, 403, 403, 403),
)
# fmt: on

CELLS = [(r.endpoint, role, r.expected[role]) for r in MATRIX for role in ROLES]


@pytest.mark.parametrize(
    ("endpoint", "role", "status"), CELLS, ids=[f"{e} as {r}" for e, r, _ in CELLS]
)
def test_each_role_gets_the_status_of_the_table(
    api: FastAPI, client: TestClient, tokens: Tokens, endpoint: Endpoint, role: str, status: int
) -> None:
    if endpoint.setup is not None:
        endpoint.setup(api)
    response = client.request(
        endpoint.method,
        endpoint.path,
        headers=tokens.headers(role),
        json=endpoint.body() if endpoint.body is not None else None,
    )
    assert response.status_code == status, response.text
    if status >= 400:
        assert response.headers["content-type"] == "application/problem+json"


def _operations(app: FastAPI) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, item in app.openapi()["paths"].items()
        for method, operation in item.items()
    }


def test_every_endpoint_has_a_row(api: FastAPI) -> None:
    covered = {(r.endpoint.method, r.endpoint.template) for r in MATRIX}
    missing = sorted(set(_operations(api)) - covered)
    assert missing == [], f"add rows to MATRIX for: {missing}"
    assert covered <= set(_operations(api)), "a row names an endpoint that does not exist"


def test_documented_roles_are_exactly_the_roles_let_in(api: FastAPI) -> None:
    operations = _operations(api)
    for r in MATRIX:
        operation = operations[(r.endpoint.method, r.endpoint.template)]
        public = r.expected["anonymous"] not in REFUSALS
        let_in = [role for role in ROLES[1:] if r.expected[role] not in REFUSALS]
        documented = operation["x-roles"]
        if public:
            assert documented == [], r.endpoint
            assert operation["description"].startswith("Role: none (public)."), r.endpoint
        else:
            assert sorted(documented) == sorted(let_in), r.endpoint
            assert operation["description"].startswith("Role: "), r.endpoint
