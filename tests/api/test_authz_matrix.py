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

import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.api.routers.audit import utc_now
from app.db.session import unit_of_work
from app.db.tables_jobs import AuditJob
from app.services.auditor import jobs as audit_jobs
from app.services.money import record_funding
from app.services.receipts import donors, issue, settings
from tests.api.fund_support import (
    CODE,
    FUND_RULES,
    OTHER_SALE,
    OWN_SALE,
    PERIOD,
    SALE_DAY,
    close,
    draft,
    rules,
    seal,
    seed,
    w,
)
from tests.api.support import (
    OTHER_HOUSEHOLD,
    OTHER_MERCHANT,
    OWN_HOUSEHOLD,
    OWN_MERCHANT,
    Tokens,
    valid_rules,
)
from tests.api.test_receipts import SETTINGS as RECEIPT_SETTINGS

ROLES = ("anonymous", "committee", "operator", "member", "merchant", "auditor", "researcher")
REFUSALS = (401, 403)


@dataclass(frozen=True)
class Endpoint:
    """One call: method, OpenAPI path template, path parameters, body, optional data setup."""

    method: str
    template: str
    params: Mapping[str, str] = field(default_factory=dict)
    body: Callable[[], Any] | None = None
    setup: Callable[[FastAPI], None] | None = None
    query: Mapping[str, str] = field(default_factory=dict)
    idempotent: bool = False  # sends an Idempotency-Key header

    @property
    def headers(self) -> dict[str, str]:
        return {"Idempotency-Key": "matrix-key-0001"} if self.idempotent else {}

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
    researcher: int = 403,
) -> Row:
    """One row; the researcher (aggregates only) is refused unless the row says otherwise."""
    statuses = (anonymous, committee, operator, member, merchant, auditor, researcher)
    return Row(endpoint, dict(zip(ROLES, statuses, strict=True)))


# Data for the ledger endpoints (tests/api/fund_support.py).
V2 = {"rule_set_id": "testfund", "version": "2"}
OWN_HH, OTHER_HH = {"household_id": OWN_HOUSEHOLD}, {"household_id": OTHER_HOUSEHOLD}
OWN_M, OTHER_M = {"merchant_id": OWN_MERCHANT}, {"merchant_id": OTHER_MERCHANT}
MONTH = {"period": PERIOD}
DECISION = FUND_RULES["decision"]


def seed_draft(app: FastAPI) -> None:
    seed(app)
    draft(app, rules(2))


def seed_unrun(app: FastAPI) -> None:
    seed(app, run=False)


def seed_closed(app: FastAPI) -> None:
    seed(app)
    close(app)


def seed_sealed(app: FastAPI) -> None:
    seed_closed(app)
    seal(app)


def seed_receipt(app: FastAPI) -> None:
    """A receipt of 2026 (number 1) whose donor is OWN_HOUSEHOLD's member."""
    seed(app)
    db = app.state.db_engine
    settings.save(db, RECEIPT_SETTINGS)
    donors.set_donor(db, "don_own", "J. M.", "3 rue des Fleurs", "cheque", OWN_HOUSEHOLD)
    record_funding(db, "don_own", "donation", 5_000, "CHQ-1", date(2026, 11, 3), **w())
    issue.issue_year(
        db, 2026, date(2027, 1, 15), **{k: v for k, v in w().items() if k != "idempotency_key"}
    )


RECEIPT = {"receipt_id": "2026-000001"}


def enrolment() -> dict[str, Any]:
    return {
        "household_id": "hh_new",
        "from_period": PERIOD,
        "identity": {"full_name": "A. B."},
        "facts": {"income_cents": 100000},
        "consent_code": CODE,
    }


def charge() -> dict[str, Any]:
    return {
        "purchase_id": "sale_new",
        "household_id": OWN_HOUSEHOLD,
        "category": "food",
        "amount_cents": 500,
        "on": SALE_DAY,
        "consent_code": CODE,
    }


def refund(purchase_id: str) -> dict[str, Any]:
    return {"refund_id": "r1", "purchase_id": purchase_id, "amount_cents": 100, "on": SALE_DAY}


def settlement() -> dict[str, Any]:
    return {
        "batch_id": "b1",
        "reference": "VIR-1",
        "on": SALE_DAY,
        "merchants": [{"merchant_id": OWN_MERCHANT, "amount_cents": 2000}],
    }


def payment() -> dict[str, Any]:
    return {
        "household_id": OWN_HOUSEHOLD,
        "amount_cents": 5000,
        "method": "transfer",
        "reference": "VIR-2",
        "received_on": SALE_DAY,
    }


def funding() -> dict[str, Any]:
    return {
        "funder_id": "city",
        "kind": "donation",
        "amount_cents": 5000,
        "reference": "D-1",
        "received_on": SALE_DAY,
    }


VERIFY_JOB = {"job_id": "job_0000000000000001"}
EXPORT_JOB = {"job_id": "job_0000000000000002"}


def audit_jobs_seeded(app: FastAPI) -> None:
    """A fund, a finished verification and a finished export (its zip in a fresh export
    directory, where the rows' POSTs write theirs too)."""
    seed(app)
    export_dir = Path(tempfile.mkdtemp(prefix="caisse-matrix-exports-"))
    app.state.audit_jobs = audit_jobs.AuditJobs(app.state.db_engine, export_dir, utc_now)
    at = audit_jobs.job_time(utc_now())
    with unit_of_work(app.state.db_engine) as session:
        for job, kind in ((VERIFY_JOB, "verify"), (EXPORT_JOB, "export")):
            session.add(
                AuditJob(
                    job_id=job["job_id"],
                    kind=kind,
                    status="done",
                    requested_by="auditor:tok_x",
                    requested_at=at,
                    started_at=at,
                    finished_at=at,
                )
            )
    (export_dir / f"{EXPORT_JOB['job_id']}.zip").write_bytes(b"PK\x05\x06" + bytes(18))


# fmt: off
def member_rows(params: Mapping[str, str], member: int) -> tuple[Row, ...]:
    """balance, history, dues, statement, export of one household (member: 200 own, 404 other)."""
    read = "/v1/members/{household_id}"
    month = {**params, "period": PERIOD}
    return (
        row(Endpoint("GET", read + "/balance", params, setup=seed),    401, 403, 200, member, 403, 200),
        row(Endpoint("GET", read + "/history", params, setup=seed),    401, 403, 200, member, 403, 200),
        row(Endpoint("GET", read + "/dues", params, setup=seed),       401, 403, 200, member, 403, 200),
        row(Endpoint("GET", read + "/statements/{period}", month, setup=seed),
                                                                        401, 403, 200, member, 403, 200),
        row(Endpoint("GET", read + "/export", params, setup=seed),     401, 403, 200, member, 403, 403),
    )


def merchant_rows(params: Mapping[str, str], merchant: int) -> tuple[Row, ...]:
    """sales and settlements of one merchant (merchant: 200 own, 404 other)."""
    read = "/v1/merchants/{merchant_id}"
    return (
        row(Endpoint("GET", read + "/sales", params, setup=seed),      401, 403, 200, 403, merchant, 200),
        row(Endpoint("GET", read + "/settlements", params, setup=seed), 401, 403, 200, 403, merchant, 200),
    )
# fmt: on


# fmt: off
MATRIX: tuple[Row, ...] = (
    #   endpoint                                                        anon comm oper memb merc audi
    row(Endpoint("GET", "/v1/health"),                                  200, 200, 200, 200, 200, 200,
        researcher=200),
    row(Endpoint("GET", "/v1/auth/whoami"),                             401, 200, 200, 200, 200, 200,
        researcher=200),
    row(Endpoint("POST", "/v1/rules/validate", body=valid_rules),       401, 200, 403, 403, 403, 200),
    row(Endpoint("POST", "/v1/rules/check",
                 body=lambda: {"rules": valid_rules()}),                401, 200, 403, 403, 403, 200),
    row(Endpoint("POST", "/v1/rules/preview-sample",
                 body=lambda: {"proposed_rules": valid_rules(),
                               "households": [{"household_id": "hh_1"}]}),  401, 200, 403, 403, 403, 403),
    # --- stored rule sets -------------------------------------------------------------------
    row(Endpoint("POST", "/v1/rules/drafts", body=lambda: rules(2)),   401, 200, 403, 403, 403, 403),
    row(Endpoint("GET", "/v1/rules/versions", setup=seed),              401, 200, 200, 403, 403, 200),
    row(Endpoint("POST", "/v1/rules/versions/{rule_set_id}/{version}/adopt", V2, idempotent=True,
                 setup=seed_draft, body=lambda: {"decision": DECISION}),
                                                                        401, 200, 403, 403, 403, 403),
    row(Endpoint("GET", "/v1/rules/in-force", setup=seed, query={"period": PERIOD}),
                                                                        401, 200, 200, 200, 403, 200),
    row(Endpoint("GET", "/v1/rules/versions/{rule_set_id}/{version}/impact", V2,
                 setup=seed_draft),                                     401, 200, 403, 403, 403, 403),
    row(Endpoint("GET", "/v1/rules/versions/{rule_set_id}/{version}/impact.svg", V2,
                 setup=seed_draft),                                     401, 200, 403, 403, 403, 403),
    # --- households -------------------------------------------------------------------------
    row(Endpoint("POST", "/v1/households", idempotent=True, body=enrolment),
                                                                        401, 403, 200, 403, 403, 403),
    row(Endpoint("POST", "/v1/households/{household_id}/facts", OWN_HH, idempotent=True,
                 setup=seed, body=lambda: {"from_period": "2026-12", "facts": {}}),
                                                                        401, 403, 200, 403, 403, 403),
    row(Endpoint("POST", "/v1/households/{household_id}/erase", OWN_HH, idempotent=True,
                 setup=seed),                                           401, 403, 200, 403, 403, 403),
    row(Endpoint("POST", "/v1/households/{household_id}/consent-code", OWN_HH, setup=seed,
                 body=lambda: {"consent_code": "5093"}),                401, 403, 204, 403, 403, 403),
    row(Endpoint("GET", "/v1/households", setup=seed),                  401, 403, 200, 403, 403, 403),
    row(Endpoint("GET", "/v1/me", setup=seed, query={"period": PERIOD}),
                                                                        401, 403, 403, 200, 403, 403),
    # --- months -----------------------------------------------------------------------------
    row(Endpoint("GET", "/v1/months/{period}/preview", MONTH, setup=seed_unrun),
                                                                        401, 403, 200, 403, 403, 403),
    row(Endpoint("POST", "/v1/months/{period}/run", MONTH, idempotent=True, setup=seed_unrun),
                                                                        401, 403, 200, 403, 403, 403),
    row(Endpoint("GET", "/v1/months/{period}", MONTH, setup=seed),      401, 403, 200, 403, 403, 200),
    row(Endpoint("POST", "/v1/months/{period}/close", MONTH, idempotent=True, setup=seed),
                                                                        401, 403, 200, 403, 403, 403),
    row(Endpoint("POST", "/v1/months/{period}/expire", MONTH, idempotent=True, setup=seed),
                                                                        401, 403, 200, 403, 403, 403),
    row(Endpoint("POST", "/v1/months/expire", body=lambda: {"as_of": "2026-12-01"},
                 idempotent=True, setup=seed),                          401, 403, 200, 403, 403, 403),
    row(Endpoint("POST", "/v1/months/{period}/seal", MONTH, idempotent=True, setup=seed_closed),
                                                                        401, 403, 200, 403, 403, 403),
    row(Endpoint("GET", "/v1/months/{period}/checkpoint", MONTH, setup=seed_sealed),
                                                                        401, 403, 200, 403, 403, 200),
    # --- members: own household, and another's (404 for the member) --------------------------
    *member_rows(OWN_HH, member=200),
    *member_rows(OTHER_HH, member=404),
    row(Endpoint("GET", "/v1/members/{household_id}/statements/{period}/proof",
                 {**OWN_HH, "period": PERIOD}, setup=seed_sealed),      401, 403, 200, 200, 403, 200),
    row(Endpoint("GET", "/v1/members/{household_id}/statements/{period}/proof",
                 {**OTHER_HH, "period": PERIOD}, setup=seed_sealed),    401, 403, 200, 404, 403, 200),
    # --- merchants --------------------------------------------------------------------------
    row(Endpoint("POST", "/v1/merchants/{merchant_id}/approve", {"merchant_id": "m_new"},
                 idempotent=True, body=lambda: {"categories": {"food": "1"},
                                                "valid_from": "2026-01-01"}),
                                                                        401, 200, 403, 403, 403, 403),
    row(Endpoint("POST", "/v1/merchants/{merchant_id}/suspend", OWN_M, idempotent=True,
                 setup=seed, body=lambda: {"reason": "contrôle", "from_on": "2026-11-20"}),
                                                                        401, 200, 403, 403, 403, 403),
    row(Endpoint("POST", "/v1/merchant/charges", idempotent=True, setup=seed, body=charge),
                                                                        401, 403, 403, 403, 200, 403),
    row(Endpoint("POST", "/v1/merchant/refunds", idempotent=True, setup=seed,
                 body=lambda: refund(OWN_SALE)),                        401, 403, 403, 403, 200, 403),
    row(Endpoint("POST", "/v1/merchant/refunds", idempotent=True, setup=seed,
                 body=lambda: refund(OTHER_SALE)),                      401, 403, 403, 403, 404, 403),
    *merchant_rows(OWN_M, merchant=200),
    *merchant_rows(OTHER_M, merchant=404),
    row(Endpoint("POST", "/v1/settlements", idempotent=True, setup=seed, body=settlement),
                                                                        401, 403, 200, 403, 403, 403),
    # --- funds ------------------------------------------------------------------------------
    row(Endpoint("POST", "/v1/funds/payments", idempotent=True, setup=seed, body=payment),
                                                                        401, 403, 200, 403, 403, 403),
    row(Endpoint("POST", "/v1/funds/fundings", idempotent=True, body=funding),
                                                                        401, 403, 200, 403, 403, 403),
    row(Endpoint("GET", "/v1/funds/position"),                          401, 200, 200, 403, 403, 200),
    # --- audit ------------------------------------------------------------------------------
    row(Endpoint("GET", "/v1/audit/journal", setup=seed),               401, 403, 403, 403, 403, 200),
    row(Endpoint("GET", "/v1/audit/verify", setup=seed),                401, 403, 403, 403, 403, 200),
    row(Endpoint("GET", "/v1/audit/checkpoints", setup=seed_sealed),    401, 403, 403, 403, 403, 200),
    row(Endpoint("GET", "/v1/audit/checkpoints.jsonl", setup=seed_sealed),
                                                                        401, 403, 403, 403, 403, 200),
    row(Endpoint("GET", "/v1/audit/export", setup=seed),                401, 403, 403, 403, 403, 200),
    row(Endpoint("POST", "/v1/audit/verifications", setup=audit_jobs_seeded),
                                                                        401, 403, 403, 403, 403, 202),
    row(Endpoint("GET", "/v1/audit/verifications", setup=audit_jobs_seeded),
                                                                        401, 403, 403, 403, 403, 200),
    row(Endpoint("GET", "/v1/audit/verifications/{job_id}", VERIFY_JOB, setup=audit_jobs_seeded),
                                                                        401, 403, 403, 403, 403, 200),
    row(Endpoint("POST", "/v1/audit/exports", setup=audit_jobs_seeded),
                                                                        401, 403, 403, 403, 403, 202),
    row(Endpoint("GET", "/v1/audit/exports", setup=audit_jobs_seeded),
                                                                        401, 403, 403, 403, 403, 200),
    row(Endpoint("GET", "/v1/audit/exports/{job_id}", EXPORT_JOB, setup=audit_jobs_seeded),
                                                                        401, 403, 403, 403, 403, 200),
    row(Endpoint("GET", "/v1/audit/exports/{job_id}/download", EXPORT_JOB,
                 setup=audit_jobs_seeded),                              401, 403, 403, 403, 403, 200),
    # --- research: aggregates only ---------------------------------------------------------
    # A researcher may project (not 403), but the seeded fund's two households are under the
    # small-cell threshold: 409, nothing published (app.services.projection).
    row(Endpoint("POST", "/v1/research/projection", setup=seed,
                 body=lambda: {"assumptions": {"months": 2}}),          401, 200, 403, 403, 403, 200,
        researcher=409),
    row(Endpoint("GET", "/v1/research/indicators", setup=seed, query={"from": PERIOD}),
                                                                        401, 200, 403, 403, 403, 200,
        researcher=200),
    row(Endpoint("GET", "/v1/research/indicators.zip", setup=seed, query={"from": PERIOD}),
                                                                        401, 200, 403, 403, 403, 200,
        researcher=200),
    row(Endpoint("PUT", "/v1/merchants/{merchant_id}/kind", OWN_M, setup=seed,
                 body=lambda: {"kind": "producer"}),                    401, 200, 403, 403, 403, 403),
    # --- tax receipts ----------------------------------------------------------------------
    row(Endpoint("PUT", "/v1/receipts/settings", body=lambda: RECEIPT_SETTINGS),
                                                                        401, 403, 200, 403, 403, 403),
    row(Endpoint("PUT", "/v1/receipts/donors/{donor_id}", {"donor_id": "don_x"},
                 body=lambda: {"name": "J. M.", "address": "3 rue", "mode": "cheque"}),
                                                                        401, 403, 200, 403, 403, 403),
    row(Endpoint("POST", "/v1/receipts/issue", idempotent=True, setup=seed_receipt,
                 body=lambda: {"year": 2026, "issued_on": "2027-01-15"}),
                                                                        401, 403, 200, 403, 403, 403),
    row(Endpoint("GET", "/v1/receipts", setup=seed_receipt, query={"year": "2026"}),
                                                                        401, 403, 200, 403, 403, 200),
    row(Endpoint("GET", "/v1/receipts/{receipt_id}/pdf", RECEIPT, setup=seed_receipt),
                                                                        401, 403, 200, 200, 403, 403),
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
        headers=tokens.headers(role) | endpoint.headers,
        params=dict(endpoint.query) or None,
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
