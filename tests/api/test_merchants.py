"""Merchants through the API: approve and suspend (committee), charge with the member's
consent code and refund (merchant), sales and settlements (the merchant's own; 404 for
another's), settle (operator).

Seeded: OWN has 60 € of credit left after two 20 € food sales (one at each merchant); the
fund owes each merchant 20 €. Food is paid 100 % from credit, hygiene 50 %.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.audit.export import export_journal
from app.audit.sources import DbSource, ExportSource, read_engine
from app.audit.verify import verify
from app.services.tokens import Role
from tests.api.fund_support import (
    CODE,
    OTHER_SALE,
    OWN_SALE,
    SALE_DAY,
    assert_only,
    call,
    close,
    fresh_key,
    seed,
)
from tests.api.support import OTHER_MERCHANT, Tokens, assert_problem, error_paths, issue

CHARGES = "/v1/merchant/charges"
REFUNDS = "/v1/merchant/refunds"


def charge(**changes: Any) -> dict[str, Any]:
    return {
        "purchase_id": "sale_new",
        "household_id": "hh_own",
        "category": "hygiene",
        "amount_cents": 1000,
        "on": SALE_DAY,
        "consent_code": CODE,
    } | changes


def balance(client: TestClient, tokens: Tokens) -> int:
    body = call(client, tokens, "operator", "GET", "/v1/members/hh_own/balance").json()
    return int(body["credit_cents"])


class TestApprove:
    def test_an_approved_merchant_can_charge(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        body = {"categories": {"food": "1"}, "valid_from": "2026-01-01"}
        response = call(
            client,
            tokens,
            "committee",
            "POST",
            "/v1/merchants/m_new/approve",
            body,
            key=fresh_key(),
        )
        assert response.json() == {"merchant_id": "m_new", "seq": 1, "suspended_from": None}

    def test_a_rate_above_one_is_422(self, client: TestClient, tokens: Tokens) -> None:
        body = {"categories": {"food": "1.5"}, "valid_from": "2026-01-01"}
        response = call(
            client,
            tokens,
            "committee",
            "POST",
            "/v1/merchants/m_new/approve",
            body,
            key=fresh_key(),
        )
        assert response.status_code == 422

    def test_no_category_is_422(self, client: TestClient, tokens: Tokens) -> None:
        body = {"categories": {}, "valid_from": "2026-01-01"}
        response = call(
            client,
            tokens,
            "committee",
            "POST",
            "/v1/merchants/m_new/approve",
            body,
            key=fresh_key(),
        )
        assert error_paths(assert_problem(response, 422, "validation")) == ["body.categories"]

    def test_only_the_committee_approves(self, client: TestClient, tokens: Tokens) -> None:
        assert_only(client, tokens, "POST", "/v1/merchants/m_new/approve", ("committee",))


class TestSuspend:
    def test_a_suspended_merchant_cannot_charge(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        body = {"reason": "contrôle", "from_on": "2026-11-10"}
        response = call(
            client,
            tokens,
            "committee",
            "POST",
            "/v1/merchants/m_own/suspend",
            body,
            key=fresh_key(),
        )
        assert response.json() == {
            "merchant_id": "m_own",
            "seq": 10,
            "suspended_from": "2026-11-10",
        }
        refused = call(client, tokens, "merchant", "POST", CHARGES, charge(), key=fresh_key())
        assert_problem(refused, 409, "merchant-suspended")
        assert balance(client, tokens) == 6000

    def test_an_unknown_merchant_is_404(self, client: TestClient, tokens: Tokens) -> None:
        body = {"reason": "x", "from_on": "2026-11-10"}
        response = call(
            client,
            tokens,
            "committee",
            "POST",
            "/v1/merchants/m_x/suspend",
            body,
            key=fresh_key(),
        )
        assert_problem(response, 404, "not-found")

    def test_only_the_committee_suspends(self, client: TestClient, tokens: Tokens) -> None:
        assert_only(client, tokens, "POST", "/v1/merchants/m_own/suspend", ("committee",))


class TestCharge:
    def test_the_category_rate_splits_the_price(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        response = call(client, tokens, "merchant", "POST", CHARGES, charge(), key=fresh_key())
        assert response.status_code == 200, response.text
        assert response.json() == {
            "purchase_id": "sale_new",
            "entry_id": "10.0",
            "amount_cents": 1000,
            "credit_cents": 500,
            "member_pays_cents": 500,
            "credit_left_cents": 5500,
            "seq": 10,
        }
        assert balance(client, tokens) == 5500

    def test_a_retry_charges_once_and_another_payload_is_409(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        key = fresh_key()
        first = call(client, tokens, "merchant", "POST", CHARGES, charge(), key=key)
        again = call(client, tokens, "merchant", "POST", CHARGES, charge(), key=key)
        assert again.json() == first.json() and balance(client, tokens) == 5500
        other = call(client, tokens, "merchant", "POST", CHARGES, charge(amount_cents=900), key=key)
        assert_problem(other, 409, "idempotency-key-reused")

    def test_a_wrong_consent_code_charges_nothing(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        response = call(
            client,
            tokens,
            "merchant",
            "POST",
            CHARGES,
            charge(consent_code="0000"),
            key=fresh_key(),
        )
        assert error_paths(assert_problem(response, 403, "forbidden")) == ["consent_code"]
        assert balance(client, tokens) == 6000

    def test_wrong_codes_make_this_merchant_wait_and_never_the_member_s_other_merchants(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        statuses = []
        for _ in range(3):
            wrong = call(
                client,
                tokens,
                "merchant",
                "POST",
                CHARGES,
                charge(consent_code="0000"),
                key=fresh_key(),
            )
            statuses.append(wrong.status_code)
        # Two refusals (typos cost nothing), then the third wrong code makes m_own wait.
        assert statuses == [403, 403, 409]
        locked = call(client, tokens, "merchant", "POST", CHARGES, charge(), key=fresh_key())
        body = assert_problem(locked, 409, "consent-locked")
        assert "locked_until" in body
        assert balance(client, tokens) == 6000
        # Another merchant of the member, at once, with the right code: charged.
        other = {"Authorization": f"Bearer {issue(api, Role.MERCHANT, merchant_id=OTHER_MERCHANT)}"}
        response = client.post(
            CHARGES, json=charge(), headers=other | {"Idempotency-Key": fresh_key()}
        )
        assert response.status_code == 200, response.text
        assert balance(client, tokens) == 5500

    def test_without_split_not_enough_credit_says_what_is_available(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        response = call(
            client,
            tokens,
            "merchant",
            "POST",
            CHARGES,
            charge(category="food", amount_cents=7000, split=False),
            key=fresh_key(),
        )
        body = assert_problem(response, 409, "insufficient-credit")
        assert (body["available_cents"], body["requested_cents"]) == (6000, 7000)
        assert balance(client, tokens) == 6000

    def test_a_basket_above_the_credit_is_split(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        # 70,00 € of food at 100 % with 60,00 € held: the credit pays 60,00 €, the member
        # pays the merchant 10,00 €, nothing is left.
        seed(api)
        response = call(
            client,
            tokens,
            "merchant",
            "POST",
            CHARGES,
            charge(category="food", amount_cents=7000),
            key=fresh_key(),
        )
        body = response.json()
        assert response.status_code == 200, body
        assert (
            body["amount_cents"],
            body["credit_cents"],
            body["member_pays_cents"],
            body["credit_left_cents"],
        ) == (7000, 6000, 1000, 0)
        assert balance(client, tokens) == 0

    def test_a_split_at_a_rate_takes_what_is_held(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        # 150,01 € of hygiene at 50 % would take 75,00 € (75,005 rounded down); 60,00 € are
        # held, so the credit pays 60,00 € and the member 90,01 €.
        seed(api)
        response = call(
            client,
            tokens,
            "merchant",
            "POST",
            CHARGES,
            charge(amount_cents=15001),
            key=fresh_key(),
        )
        body = response.json()
        assert (body["credit_cents"], body["member_pays_cents"], body["credit_left_cents"]) == (
            6000,
            9001,
            0,
        )

    def test_a_charge_within_the_credit_says_what_is_left(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        # 10,01 € of hygiene at 50 %: 5,00 € from credit (5,005 down), 5,01 € by the member.
        seed(api)
        body = call(
            client, tokens, "merchant", "POST", CHARGES, charge(amount_cents=1001), key=fresh_key()
        ).json()
        assert (body["credit_cents"], body["member_pays_cents"], body["credit_left_cents"]) == (
            500,
            501,
            5500,
        )

    def test_refunds_of_a_split_charge_give_each_part_back(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        # 70,00 € of food, 60,00 € from credit and 10,00 € paid by the member. Refunding
        # 20,00 € of credit gives back 20/60 of the 10,00 €: 3,33 € (rounded down); the
        # remaining 40,00 € of credit give back 10,00 x 60/60 - 3,33 = 6,67 €: 10,00 € in all.
        seed(api)
        call(
            client,
            tokens,
            "merchant",
            "POST",
            CHARGES,
            charge(purchase_id="sale_split", category="food", amount_cents=7000),
            key=fresh_key(),
        )
        first = call(
            client,
            tokens,
            "merchant",
            "POST",
            REFUNDS,
            {"refund_id": "r_split_1", "purchase_id": "sale_split", "amount_cents": 2000},
            key=fresh_key(),
        ).json()
        assert (first["amount_cents"], first["member_due_cents"], first["refundable_cents"]) == (
            2000,
            333,
            4000,
        )
        assert balance(client, tokens) == 2000
        rest = call(
            client,
            tokens,
            "merchant",
            "POST",
            REFUNDS,
            {"refund_id": "r_split_2", "purchase_id": "sale_split", "amount_cents": 4000},
            key=fresh_key(),
        ).json()
        assert (rest["member_due_cents"], rest["refundable_cents"]) == (667, 0)
        assert balance(client, tokens) == 6000

    def test_no_credit_at_all_is_still_refused(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        call(
            client,
            tokens,
            "merchant",
            "POST",
            CHARGES,
            charge(purchase_id="sale_all", category="food", amount_cents=6000),
            key=fresh_key(),
        )
        response = call(
            client,
            tokens,
            "merchant",
            "POST",
            CHARGES,
            charge(category="food", amount_cents=500),
            key=fresh_key(),
        )
        body = assert_problem(response, 409, "insufficient-credit")
        assert (body["available_cents"], body["requested_cents"]) == (0, 500)

    def test_a_closed_month_refuses_the_charge(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        close(api)
        response = call(client, tokens, "merchant", "POST", CHARGES, charge(), key=fresh_key())
        assert_problem(response, 409, "month-closed")

    def test_a_fractional_amount_is_422(self, client: TestClient, tokens: Tokens) -> None:
        response = call(
            client, tokens, "merchant", "POST", CHARGES, charge(amount_cents=10.5), key=fresh_key()
        )
        assert error_paths(assert_problem(response, 422, "validation")) == ["body.amount_cents"]

    def test_only_merchants_charge(self, client: TestClient, tokens: Tokens) -> None:
        assert_only(client, tokens, "POST", CHARGES, ("merchant",))


class TestRefund:
    def test_credit_comes_back_to_the_member(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        body = {"refund_id": "r1", "purchase_id": OWN_SALE, "amount_cents": 500, "on": SALE_DAY}
        response = call(client, tokens, "merchant", "POST", REFUNDS, body, key=fresh_key())
        assert response.json() == {
            "refund_id": "r1",
            "purchase_id": OWN_SALE,
            "entry_id": "10.0",
            "amount_cents": 500,
            "refundable_cents": 1500,
            "member_due_cents": 0,
            "seq": 10,
        }
        assert balance(client, tokens) == 6500

    def test_another_merchants_sale_is_404_like_a_missing_one(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        bodies = [
            {"refund_id": "r1", "purchase_id": sale, "amount_cents": 100, "on": SALE_DAY}
            for sale in (OTHER_SALE, "sale_missing")
        ]
        other, missing = (
            call(client, tokens, "merchant", "POST", REFUNDS, b, key=fresh_key()) for b in bodies
        )
        assert_problem(other, 404, "not-found")
        assert_problem(missing, 404, "not-found")
        assert other.json()["errors"][0]["path"] == missing.json()["errors"][0]["path"]

    def test_refunding_more_than_the_credit_part_is_409(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        body = {"refund_id": "r1", "purchase_id": OWN_SALE, "amount_cents": 2001, "on": SALE_DAY}
        response = call(client, tokens, "merchant", "POST", REFUNDS, body, key=fresh_key())
        assert error_paths(assert_problem(response, 409, "conflict")) == ["amount_cents"]

    def test_only_merchants_refund(self, client: TestClient, tokens: Tokens) -> None:
        assert_only(client, tokens, "POST", REFUNDS, ("merchant",))


class TestPurchaseIdsPerMerchant:
    """Purchase ids are the merchant's own (a till's receipt numbers): unique per merchant."""

    SAME = "T-000123"

    def charge_as(self, client: TestClient, tokens: Tokens, who: str, amount_cents: int) -> Any:
        body = charge(purchase_id=self.SAME, category="food", amount_cents=amount_cents)
        return call(client, tokens, who, "POST", CHARGES, body, key=fresh_key())

    def refund_as(
        self, client: TestClient, tokens: Tokens, who: str, purchase_id: str, amount: int
    ) -> Any:
        body = {"refund_id": "r1", "purchase_id": purchase_id, "amount_cents": amount}
        body["on"] = SALE_DAY
        return call(client, tokens, who, "POST", REFUNDS, body, key=fresh_key())

    def test_two_tills_numbering_alike_never_collide(
        self, api: FastAPI, client: TestClient, tokens: Tokens, db_url: str, tmp_path: Path
    ) -> None:
        seed(api)  # hh_own: 60 € of credit left
        tokens.secrets["other"] = issue(api, Role.MERCHANT, merchant_id=OTHER_MERCHANT)
        own = self.charge_as(client, tokens, "merchant", 1_000)
        other = self.charge_as(client, tokens, "other", 700)
        assert (own.status_code, other.status_code) == (200, 200), (own.text, other.text)
        assert own.json()["purchase_id"] == other.json()["purchase_id"] == self.SAME
        again = self.charge_as(client, tokens, "merchant", 100)
        assert error_paths(assert_problem(again, 409, "conflict")) == ["purchase_id"]
        assert "m_other" not in again.text
        assert balance(client, tokens) == 6_000 - 1_700

        # Each refunds its own sale of that id, with the same refund id: independent.
        mine = self.refund_as(client, tokens, "merchant", self.SAME, 1_000)
        theirs = self.refund_as(client, tokens, "other", self.SAME, 300)
        assert mine.status_code == theirs.status_code == 200, (mine.text, theirs.text)
        assert mine.json()["refundable_cents"] == 0
        assert theirs.json()["refundable_cents"] == 400
        assert balance(client, tokens) == 6_000 - 1_700 + 1_300

        # OTHER_SALE only m_other used: m_own refunding it reads exactly as an unknown id.
        hidden = self.refund_as(client, tokens, "merchant", OTHER_SALE, 100)
        unknown = self.refund_as(client, tokens, "merchant", "sale_missing", 100)
        assert_problem(hidden, 404, "not-found")
        assert_problem(unknown, 404, "not-found")
        # The same body but for the id asked about: nothing says the id is used elsewhere.
        assert hidden.text.replace(OTHER_SALE, "?") == unknown.text.replace("sale_missing", "?")
        assert OTHER_MERCHANT not in hidden.text
        sales = call(client, tokens, "other", "GET", "/v1/merchants/m_other/sales").json()
        assert {(p["purchase_id"], p["refunded_cents"]) for p in sales["purchases"]} == {
            (OTHER_SALE, 0),
            (self.SAME, 300),
        }

        source = DbSource(read_engine(db_url))
        try:
            assert verify(source).ok
            export_journal(source, tmp_path / "export")
        finally:
            source.close()
        assert verify(ExportSource(tmp_path / "export")).ok


class TestSales:
    def test_the_merchants_own_sales_and_what_it_is_owed(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        body = call(client, tokens, "merchant", "GET", "/v1/merchants/m_own/sales").json()
        assert body["payable_cents"] == 2000
        assert [(p["purchase_id"], p["credit_cents"]) for p in body["purchases"]] == [
            (OWN_SALE, 2000)
        ]

    def test_another_merchant_is_404(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        response = call(client, tokens, "merchant", "GET", "/v1/merchants/m_other/sales")
        assert_problem(response, 404, "not-found")
        assert response.json()["detail"] == "No merchant 'm_other' was found."

    def test_roles(self, client: TestClient, tokens: Tokens) -> None:
        assert_only(
            client, tokens, "GET", "/v1/merchants/m_own/sales", ("merchant", "operator", "auditor")
        )


class TestSettlements:
    def test_payments_received_newest_first(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        body = {
            "batch_id": "b1",
            "reference": "VIR-1",
            "on": SALE_DAY,
            "merchants": [{"merchant_id": "m_own", "amount_cents": 1500}],
        }
        call(client, tokens, "operator", "POST", "/v1/settlements", body, key=fresh_key())
        listed = call(client, tokens, "merchant", "GET", "/v1/merchants/m_own/settlements").json()
        assert [(s["seq"], s["amount_cents"], s["memo"]) for s in listed["settlements"]] == [
            (10, 1500, "batch b1 VIR-1")
        ]

    def test_another_merchant_is_404(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        response = call(client, tokens, "merchant", "GET", "/v1/merchants/m_other/settlements")
        assert_problem(response, 404, "not-found")

    def test_roles(self, client: TestClient, tokens: Tokens) -> None:
        assert_only(
            client,
            tokens,
            "GET",
            "/v1/merchants/m_own/settlements",
            ("merchant", "operator", "auditor"),
        )


class TestSettle:
    def test_the_fund_pays_what_it_owes(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        body = {
            "batch_id": "b1",
            "reference": "VIR-1",
            "on": SALE_DAY,
            "merchants": [
                {"merchant_id": "m_own", "amount_cents": 2000},
                {"merchant_id": "m_other", "amount_cents": 500},
            ],
        }
        response = call(
            client, tokens, "operator", "POST", "/v1/settlements", body, key=fresh_key()
        )
        assert response.json() == {
            "entry_id": "10.0",
            "batch_id": "b1",
            "total_cents": 2500,
            "seq": 10,
        }
        position = call(client, tokens, "operator", "GET", "/v1/funds/position").json()
        assert position["merchants_payable_cents"] == 1500

    def test_paying_more_than_owed_names_the_line(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        body = {
            "batch_id": "b1",
            "reference": "VIR-1",
            "on": SALE_DAY,
            "merchants": [{"merchant_id": "m_own", "amount_cents": 2001}],
        }
        response = call(
            client, tokens, "operator", "POST", "/v1/settlements", body, key=fresh_key()
        )
        assert error_paths(assert_problem(response, 409, "conflict")) == [
            "merchants[0].amount_cents"
        ]

    def test_a_merchant_twice_is_422(self, client: TestClient, tokens: Tokens) -> None:
        line = {"merchant_id": "m_own", "amount_cents": 1}
        body = {"batch_id": "b1", "reference": "V", "on": SALE_DAY, "merchants": [line, line]}
        response = call(
            client, tokens, "operator", "POST", "/v1/settlements", body, key=fresh_key()
        )
        assert error_paths(assert_problem(response, 422, "invalid-request")) == ["body.merchants"]

    def test_only_the_office_settles(self, client: TestClient, tokens: Tokens) -> None:
        assert_only(client, tokens, "POST", "/v1/settlements", ("operator",))
