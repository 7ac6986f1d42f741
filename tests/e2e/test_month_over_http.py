"""A whole month of a fund played through HTTP only, then verified by replay.

The only thing done outside HTTP is the documented bootstrap: tokens created with the token
service (what `caisse token create` does). Everything else is a request with the role that
may make it: the committee drafts and adopts the rules and approves the merchant; the
operator enrols households, records a subsidy and payments, runs, closes and seals the
month and settles the merchant; the merchant charges members with their consent codes (one
refused for lack of credit, one for a wrong code, one retried); members read their balance
and statement; the auditor verifies the books.

Hand-computed figures (rules below: 2,5 % of income, half-up to the cent; credit 100 € +
50 € per extra person; food paid 100 % from credit, hygiene 50 %, rounded down):

| household | income | persons | contribution | credit |
|---|---:|---:|---:|---:|
| hh_a | 2 000,00 € | 1 | 50,00 € | 100,00 € |
| hh_b |   800,00 € | 3 | 20,00 € | 200,00 € |
| hh_c | 1 234,56 € | 2 | 30,86 € (30,864 half-up) | 150,00 € |

Budget: subsidy 400,00 € + contributions 100,86 € = 500,86 € >= credits 450,00 €: no
rationing. Sales: hh_a food 42,50 € (credit 42,50), hh_b hygiene 30,01 € (credit 15,00,
member pays 15,01), hh_a food 60,00 € refused (57,50 € left), hh_a food 57,50 € (credit 0
left); refund 5,00 € to hh_b. The merchant is owed 42,50 + 15,00 + 57,50 − 5,00 = 110,00 €.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from app.api.app import create_app
from app.api.routers import merchants as merchants_router
from app.db.session import unit_of_work
from app.db.settings import Settings
from app.services import tokens as token_service

PERIOD = "2027-01"
CODES = {"hh_a": "4821", "hh_b": "7350", "hh_c": "1906"}
MERCHANT = "m_e2e"
RULES: dict[str, Any] = {
    "format": "caisse.rules/1",
    "id": "e2e-fund",
    "version": 1,
    "name": "Caisse de bout en bout",
    "effective_from": PERIOD,
    "decision": "Comité du 2026-12-10, délibération 3",
    "contribution": {
        "rounding": {"unit_cents": 1, "mode": "half_up"},
        "formula": {"kind": "proportional", "base": "income", "rate": "0.025"},
    },
    "credit": {
        "rounding": {"unit_cents": 1, "mode": "half_up"},
        "formula": {"kind": "base_plus_extra", "base_cents": 10000, "per_extra_person_cents": 5000},
    },
    "unspent_credit": {"policy": "expire", "after_months": 2},
}
HOUSEHOLDS = (
    ("hh_a", 200_000, ("1980-05-17",)),
    ("hh_b", 80_000, ("1979-02-01", "2012-09-30", "2015-06-11")),
    ("hh_c", 123_456, ("1990-11-02", "1991-01-23")),
)
_keys = itertools.count(1)


class Fund:
    """The HTTP client and one bearer token per actor of the month."""

    def __init__(self, client: TestClient, secrets: dict[str, str]) -> None:
        self.client = client
        self.secrets = secrets

    def call(
        self, who: str, method: str, path: str, body: Any = None, key: str | None = None
    ) -> Response:
        headers = {"Authorization": f"Bearer {self.secrets[who]}"}
        if method == "POST" and path != "/v1/rules/drafts":
            headers["Idempotency-Key"] = key or f"e2e-key-{next(_keys):06d}"
        return self.client.request(method, f"/v1{path}", headers=headers, json=body)

    def ok(
        self, who: str, method: str, path: str, body: Any = None, key: str | None = None
    ) -> dict[str, Any]:
        response = self.call(who, method, path, body, key)
        assert response.status_code == 200, (path, response.status_code, response.text)
        result: dict[str, Any] = response.json()
        return result


@pytest.fixture()
def fund(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Fund]:
    # The month is played on its own days: the tills' "today" is the month's last day (a sale
    # is never dated after the day it is recorded).
    monkeypatch.setattr(merchants_router, "today", lambda: date(2027, 1, 31))
    app = create_app(Settings(database_url=db_url))
    subjects: dict[str, dict[str, str]] = {
        "committee": {},
        "operator": {},
        "auditor": {},
        "merchant": {"merchant_id": MERCHANT},
        "member_a": {"household_id": "hh_a"},
        "member_b": {"household_id": "hh_b"},
    }
    secrets: dict[str, str] = {}
    # The documented bootstrap: tokens come from the token service (`caisse token create`).
    with unit_of_work(app.state.db_engine) as session:
        for who, subject in subjects.items():
            role = who.split("_")[0]
            secrets[who] = token_service.create_token(session, role=role, **subject).secret
    try:
        with TestClient(app) as client:
            yield Fund(client, secrets)
    finally:
        app.state.db_engine.dispose()


def charge(
    purchase_id: str, household: str, category: str, amount_cents: int, code: str | None = None
) -> dict[str, Any]:
    return {
        "purchase_id": purchase_id,
        "household_id": household,
        "category": category,
        "amount_cents": amount_cents,
        "on": "2027-01-15",
        "consent_code": code or CODES[household],
    }


def test_a_month_played_over_http_books_exact_cents_and_verifies(fund: Fund) -> None:
    set_up_the_fund(fund)
    run_the_month(fund)
    shop(fund)
    settle_close_and_seal(fund)
    members_read_their_books(fund)
    the_auditor_verifies(fund)
    status = fund.ok("auditor", "GET", f"/months/{PERIOD}")
    assert (status["status"], status["households_credited"]) == ("sealed", 3)
    assert status["checkpoint"]["journal_size"] == 15


def set_up_the_fund(fund: Fund) -> None:
    drafted = fund.ok("committee", "POST", "/rules/drafts", RULES)
    assert (drafted["rule_set_id"], drafted["version"], drafted["status"]) == (
        "e2e-fund",
        1,
        "draft",
    )
    adopted = fund.ok(
        "committee", "POST", "/rules/versions/e2e-fund/1/adopt", {"decision": RULES["decision"]}
    )
    assert adopted["seq"] == 1
    for household, income, births in HOUSEHOLDS:
        enrolled = fund.ok(
            "operator",
            "POST",
            "/households",
            {
                "household_id": household,
                "from_period": PERIOD,
                "identity": {"full_name": f"Membre {household}"},
                "facts": {"income_cents": income, "persons": [{"birth_on": b} for b in births]},
                "consent_code": CODES[household],
            },
        )
        assert enrolled["household_id"] == household
    approved = fund.ok(
        "committee",
        "POST",
        f"/merchants/{MERCHANT}/approve",
        {
            "categories": {"food": "1", "hygiene": "0.5"},
            "valid_from": "2027-01-01",
        },
    )
    assert approved["merchant_id"] == MERCHANT
    # An operator may not approve merchants: that is the committee's decision.
    refused = fund.call(
        "operator",
        "POST",
        f"/merchants/{MERCHANT}/approve",
        {"categories": {"food": "1"}, "valid_from": "2027-01-01"},
    )
    assert refused.status_code == 403
    subsidy = fund.ok(
        "operator",
        "POST",
        "/funds/fundings",
        {
            "funder_id": "ville",
            "kind": "subsidy",
            "amount_cents": 40_000,
            "reference": "SUB-2027-01",
            "received_on": "2027-01-02",
        },
    )
    assert subsidy["amount_cents"] == 40_000


def run_the_month(fund: Fund) -> None:
    preview = fund.ok("operator", "GET", f"/months/{PERIOD}/preview")
    assert (preview["contribution_cents"], preview["credit_cents"]) == (10_086, 45_000)
    assert preview["budget_cents"] == 40_000 + 10_086
    run = fund.ok("operator", "POST", f"/months/{PERIOD}/run", key="e2e-run-2027-01")
    assert (run["credited"], run["contribution_cents"], run["credit_cents"]) == (3, 10_086, 45_000)
    assert run["rationed"] is False
    again = fund.ok("operator", "POST", f"/months/{PERIOD}/run", key="e2e-run-2027-01")
    assert again["credit_cents"] == 45_000 and again["seqs"] == run["seqs"]
    for household, cents, method in (("hh_a", 5_000, "transfer"), ("hh_b", 2_000, "cash")):
        paid = fund.ok(
            "operator",
            "POST",
            "/funds/payments",
            {
                "household_id": household,
                "amount_cents": cents,
                "method": method,
                "reference": f"PAY-{household}",
                "received_on": "2027-01-05",
            },
        )
        assert (paid["amount_cents"], paid["due_cents"]) == (cents, 0)


def shop(fund: Fund) -> None:
    # A sale is never dated after the day it is recorded (2027-01-31 here): 422 naming `on`.
    ahead = charge("s0", "hh_a", "food", 100) | {"on": "2027-02-02"}
    refused = fund.call("merchant", "POST", "/merchant/charges", ahead)
    assert refused.status_code == 422, refused.text
    assert [(e["path"], e["message"]) for e in refused.json()["errors"]] == [
        (
            "on",
            "2027-02-02 est postérieur à aujourd'hui (2027-01-31) : une vente est datée au"
            " plus tard du jour où elle est enregistrée",
        )
    ]
    first = fund.ok(
        "merchant",
        "POST",
        "/merchant/charges",
        charge("s1", "hh_a", "food", 4_250),
        key="e2e-charge-s1",
    )
    assert (first["credit_cents"], first["member_pays_cents"]) == (4_250, 0)
    retried = fund.ok(
        "merchant",
        "POST",
        "/merchant/charges",
        charge("s1", "hh_a", "food", 4_250),
        key="e2e-charge-s1",
    )
    assert retried == first  # a retry returns the original charge, charged once
    reused = fund.call(
        "merchant",
        "POST",
        "/merchant/charges",
        charge("s1", "hh_a", "food", 4_300),
        key="e2e-charge-s1",
    )
    assert reused.status_code == 409
    assert reused.json()["type"] == "urn:caisse:problem:idempotency-key-reused"
    half = fund.ok("merchant", "POST", "/merchant/charges", charge("s2", "hh_b", "hygiene", 3_001))
    assert (half["credit_cents"], half["member_pays_cents"]) == (1_500, 1_501)
    wrong = fund.call(
        "merchant", "POST", "/merchant/charges", charge("s3", "hh_a", "food", 100, code="0000")
    )
    assert wrong.status_code == 403
    unsplit = {**charge("s4", "hh_a", "food", 6_000), "split": False}
    short = fund.call("merchant", "POST", "/merchant/charges", unsplit)
    assert short.status_code == 409, short.text
    problem = short.json()
    assert problem["type"] == "urn:caisse:problem:insufficient-credit"
    assert (problem["available_cents"], problem["requested_cents"]) == (5_750, 6_000)
    rest = fund.ok("merchant", "POST", "/merchant/charges", charge("s5", "hh_a", "food", 5_750))
    assert rest["credit_cents"] == 5_750
    refund = fund.ok(
        "merchant",
        "POST",
        "/merchant/refunds",
        {
            "refund_id": "r1",
            "purchase_id": "s2",
            "amount_cents": 500,
            "on": "2027-01-20",
        },
    )
    assert (refund["amount_cents"], refund["refundable_cents"]) == (500, 1_000)
    sales = fund.ok("merchant", "GET", f"/merchants/{MERCHANT}/sales")
    assert sales["payable_cents"] == 4_250 + 1_500 + 5_750 - 500 == 11_000
    assert sorted(p["purchase_id"] for p in sales["purchases"]) == ["s1", "s2", "s5"]


def settle_close_and_seal(fund: Fund) -> None:
    settled = fund.ok(
        "operator",
        "POST",
        "/settlements",
        {
            "batch_id": "b_2027_01",
            "reference": "VIR-2027-01",
            "on": "2027-01-31",
            "merchants": [{"merchant_id": MERCHANT, "amount_cents": 11_000}],
        },
    )
    assert settled["total_cents"] == 11_000
    fund.ok("operator", "POST", f"/months/{PERIOD}/close")
    sealed = fund.ok("operator", "POST", f"/months/{PERIOD}/seal")
    assert sealed["period"] == PERIOD
    late = fund.call("merchant", "POST", "/merchant/charges", charge("s6", "hh_b", "food", 100))
    assert late.status_code == 409
    assert late.json()["type"] == "urn:caisse:problem:month-closed"
    position = fund.ok("operator", "GET", "/funds/position")
    assert position["bank_cents"] == 40_000 + 5_000 - 11_000
    assert position["cash_cents"] == 2_000
    assert position["members_due_cents"] == 3_086
    assert position["credit_in_circulation_cents"] == 0 + 19_000 + 15_000
    assert position["merchants_payable_cents"] == 0
    assert position["reserve_cents"] == 34_000 + 2_000 + 3_086 - 34_000


def members_read_their_books(fund: Fund) -> None:
    a = fund.ok("member_a", "GET", "/members/hh_a/balance")
    assert (a["credit_cents"], a["due_cents"]) == (0, 0)
    b = fund.ok("member_b", "GET", "/members/hh_b/balance")
    assert (b["credit_cents"], b["due_cents"]) == (19_000, 0)
    assert sorted((lot["remaining_cents"], lot["expires_after"]) for lot in b["lots"]) == [
        (500, "2027-02"),
        (18_500, "2027-02"),
    ]
    assert fund.call("member_a", "GET", "/members/hh_b/balance").status_code == 404
    statement = fund.ok("member_b", "GET", f"/members/hh_b/statements/{PERIOD}")
    assert (statement["contribution_cents"], statement["credit_cents"]) == (2_000, 20_000)
    assert statement["rationed"] is False
    text = statement["explanation"]
    assert statement["lang"] == "fr" and "20,00 €" in text and "200,00 €" in text, text
    assert fund.call("member_a", "GET", f"/members/hh_b/statements/{PERIOD}").status_code == 404


def the_auditor_verifies(fund: Fund) -> None:
    report = fund.ok("auditor", "GET", "/audit/verify")
    assert report["ok"] is True, report
    # adopt, 3 enrolments, approval, subsidy, run, 2 payments, 3 charges, refund,
    # settlement, close, seal: the refused requests wrote nothing.
    assert report["records_checked"] == 16
    assert (
        fund.call(
            "auditor",
            "POST",
            "/funds/payments",
            {
                "household_id": "hh_c",
                "amount_cents": 3_086,
                "method": "cash",
                "reference": "PAY-hh_c",
                "received_on": "2027-02-03",
            },
        ).status_code
        == 403
    )
