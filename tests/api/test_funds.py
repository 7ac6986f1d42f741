"""Money in through the API: contribution payments, subsidies, donations, top-ups, and the
fund's position. Seeded: 1 000 € subsidy in the bank; 70 € of contributions due; 300 € of
credit granted, 40 € spent (owed to merchants)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.fund_support import SALE_DAY, assert_only, call, fresh_key, seed
from tests.api.support import Tokens, assert_problem, error_paths

PAYMENTS = "/v1/funds/payments"
FUNDINGS = "/v1/funds/fundings"


def payment(**changes: Any) -> dict[str, Any]:
    return {
        "household_id": "hh_own",
        "amount_cents": 5000,
        "method": "transfer",
        "reference": "VIR-7",
        "received_on": SALE_DAY,
    } | changes


def funding(**changes: Any) -> dict[str, Any]:
    return {
        "funder_id": "fondation",
        "kind": "donation",
        "amount_cents": 25000,
        "reference": "DON-1",
        "received_on": SALE_DAY,
    } | changes


class TestRecordPayment:
    def test_the_contribution_due_goes_down(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        response = call(client, tokens, "operator", "POST", PAYMENTS, payment(), key=fresh_key())
        assert response.json() == {
            "entry_id": "10.0",
            "household_id": "hh_own",
            "amount_cents": 5000,
            "due_cents": 0,
            "seq": 10,
        }

    def test_a_retry_records_once(self, api: FastAPI, client: TestClient, tokens: Tokens) -> None:
        seed(api)
        key = fresh_key()
        first = call(client, tokens, "operator", "POST", PAYMENTS, payment(), key=key)
        again = call(client, tokens, "operator", "POST", PAYMENTS, payment(), key=key)
        assert again.json() == first.json()
        position = call(client, tokens, "operator", "GET", "/v1/funds/position").json()
        assert position["bank_cents"] == 100000 + 5000
        other = call(client, tokens, "operator", "POST", PAYMENTS, payment(amount_cents=1), key=key)
        assert_problem(other, 409, "idempotency-key-reused")

    def test_an_unknown_household_is_404(self, client: TestClient, tokens: Tokens) -> None:
        response = call(client, tokens, "operator", "POST", PAYMENTS, payment(), key=fresh_key())
        assert_problem(response, 404, "not-found")

    def test_an_unknown_method_and_a_zero_amount_are_422(
        self, client: TestClient, tokens: Tokens
    ) -> None:
        body = payment(method="cheque", amount_cents=0)
        response = call(client, tokens, "operator", "POST", PAYMENTS, body, key=fresh_key())
        paths = error_paths(assert_problem(response, 422, "validation"))
        assert paths == ["body.amount_cents", "body.method"]

    def test_only_the_office_records_payments(self, client: TestClient, tokens: Tokens) -> None:
        assert_only(client, tokens, "POST", PAYMENTS, ("operator",))


class TestRecordFunding:
    def test_a_donation_goes_to_the_bank(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        response = call(client, tokens, "operator", "POST", FUNDINGS, funding(), key=fresh_key())
        assert response.json() == {
            "entry_id": "1.0",
            "funder_id": "fondation",
            "amount_cents": 25000,
            "seq": 1,
        }
        position = call(client, tokens, "operator", "GET", "/v1/funds/position").json()
        assert (position["bank_cents"], position["reserve_cents"]) == (25000, 25000)

    def test_an_awarded_subsidy_is_a_receivable(self, client: TestClient, tokens: Tokens) -> None:
        body = funding(kind="subsidy", status="awarded")
        call(client, tokens, "operator", "POST", FUNDINGS, body, key=fresh_key())
        position = call(client, tokens, "auditor", "GET", "/v1/funds/position").json()
        assert (position["bank_cents"], position["subsidies_receivable_cents"]) == (0, 25000)

    def test_an_awarded_donation_is_refused(self, client: TestClient, tokens: Tokens) -> None:
        body = funding(status="awarded")
        response = call(client, tokens, "operator", "POST", FUNDINGS, body, key=fresh_key())
        assert error_paths(assert_problem(response, 422, "invalid-request")) == ["status"]

    def test_an_unknown_kind_is_422(self, client: TestClient, tokens: Tokens) -> None:
        response = call(
            client, tokens, "operator", "POST", FUNDINGS, funding(kind="loan"), key=fresh_key()
        )
        assert error_paths(assert_problem(response, 422, "validation")) == ["body.kind"]

    def test_only_the_office_records_funding(self, client: TestClient, tokens: Tokens) -> None:
        assert_only(client, tokens, "POST", FUNDINGS, ("operator",))


class TestPosition:
    def test_where_the_money_is(self, api: FastAPI, client: TestClient, tokens: Tokens) -> None:
        seed(api)
        body = call(client, tokens, "committee", "GET", "/v1/funds/position").json()
        assert body == {
            "bank_cents": 100000,
            "cash_cents": 0,
            "members_due_cents": 7000,
            "top_ups_receivable_cents": 0,
            "subsidies_receivable_cents": 0,
            "credit_in_circulation_cents": 26000,
            "merchants_payable_cents": 4000,
            "dedicated_funds_cents": 0,
            "expired_credit_cents": 0,
            "reserve_cents": 100000 + 7000 - 26000 - 4000,
        }

    def test_roles(self, client: TestClient, tokens: Tokens) -> None:
        assert_only(
            client, tokens, "GET", "/v1/funds/position", ("operator", "committee", "auditor")
        )
