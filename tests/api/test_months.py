"""Months through the API: preview (nothing written), run (exactly once, a retry returns the
original figures), status and totals, close, seal (checkpoint), checkpoint.

Seeded fund, 2026-11: OWN owes 50 € and gets 100 €, OTHER owes 20 € and gets 200 €; the
budget is the 1 000 € subsidy plus the month's 70 € of contributions.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.fund_support import (
    PERIOD,
    assert_only,
    call,
    close,
    fresh_key,
    seal,
    seed,
)
from tests.api.support import Tokens, assert_problem, error_paths

MONTH = f"/v1/months/{PERIOD}"


class TestPreview:
    def test_each_household_and_the_totals_without_writing(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api, run=False)
        body = call(client, tokens, "operator", "GET", MONTH + "/preview").json()
        assert (body["contribution_cents"], body["credit_cents"]) == (7000, 30000)
        assert (body["budget_cents"], body["rationed"]) == (107000, False)
        lines = {
            h["household_id"]: (h["contribution_cents"], h["credit_cents"])
            for h in body["households"]
        }
        assert lines == {"hh_own": (5000, 10000), "hh_other": (2000, 20000)}
        status = call(client, tokens, "operator", "GET", MONTH).json()
        assert status["households_credited"] == 0

    def test_a_household_with_unknown_income_needs_data(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api, run=False)
        enrolment = {
            "household_id": "hh_unknown",
            "from_period": PERIOD,
            "identity": {"full_name": "X"},
            "facts": {"persons": [{"birth_on": "1990-01-01"}]},
            "consent_code": "1234",
        }
        call(client, tokens, "operator", "POST", "/v1/households", enrolment, key=fresh_key())
        body = call(client, tokens, "operator", "GET", MONTH + "/preview").json()
        line = next(h for h in body["households"] if h["household_id"] == "hh_unknown")
        assert (line["status"], line["contribution_cents"], line["credit_cents"]) == (
            "needs_data",
            None,
            None,
        )
        assert [p["path"] for p in line["problems"]] == ["income_cents"]

    def test_a_month_without_rules_in_force_is_409(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api, run=False)
        response = call(client, tokens, "operator", "GET", "/v1/months/2025-12/preview")
        assert error_paths(assert_problem(response, 409, "conflict")) == ["period"]

    def test_a_malformed_month_is_422(self, client: TestClient, tokens: Tokens) -> None:
        response = call(client, tokens, "operator", "GET", "/v1/months/2026-1/preview")
        assert error_paths(assert_problem(response, 422, "validation")) == ["path.period"]

    def test_only_the_office_previews(self, client: TestClient, tokens: Tokens) -> None:
        assert_only(client, tokens, "GET", MONTH + "/preview", ("operator",))


class TestRun:
    def test_every_household_is_credited_once_and_a_retry_returns_the_original(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api, run=False)
        key = fresh_key()
        first = call(client, tokens, "operator", "POST", MONTH + "/run", key=key)
        assert first.status_code == 200, first.text
        body = first.json()
        assert (body["chunks"], body["seqs"], body["credited"], body["already_credited"]) == (
            1,
            [7],
            2,
            0,
        )
        again = call(client, tokens, "operator", "POST", MONTH + "/run", key=key)
        assert again.json() == body
        later = call(client, tokens, "operator", "POST", MONTH + "/run", key=fresh_key()).json()
        assert (later["chunks"], later["credited"], later["already_credited"]) == (0, 0, 2)

    def test_the_same_key_for_another_month_is_409(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api, run=False)
        key = fresh_key()
        call(client, tokens, "operator", "POST", MONTH + "/run", key=key)
        other = call(client, tokens, "operator", "POST", "/v1/months/2026-12/run", key=key)
        assert_problem(other, 409, "idempotency-key-reused")

    def test_a_month_without_rules_is_409(self, client: TestClient, tokens: Tokens) -> None:
        response = call(client, tokens, "operator", "POST", MONTH + "/run", key=fresh_key())
        assert_problem(response, 409, "conflict")

    def test_the_key_is_required(self, client: TestClient, tokens: Tokens) -> None:
        response = call(client, tokens, "operator", "POST", MONTH + "/run")
        assert error_paths(assert_problem(response, 422, "validation")) == [
            "header.Idempotency-Key"
        ]

    def test_only_the_office_runs_months(self, client: TestClient, tokens: Tokens) -> None:
        assert_only(client, tokens, "POST", MONTH + "/run", ("operator",))


class TestRationingNeedsConfirmation:
    """No subsidy: the budget is the month's 70 € of contributions for 300 € of credits."""

    def test_a_run_that_would_ration_is_409_stating_the_rate_and_amounts(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api, run=False, funding_cents=0)
        refused = call(client, tokens, "operator", "POST", MONTH + "/run", key=fresh_key())
        problem = assert_problem(refused, 409, "rationing-not-confirmed")
        # 7 000 / 30 000 = 23,33 % -> 23 (never promise more than the run pays).
        assert (
            problem["percent"],
            problem["credit_cents"],
            problem["entitlement_cents"],
            problem["budget_cents"],
        ) == (23, 7000, 30000, 7000)
        assert problem["detail"] == (
            "This run would ration credits to 23% of entitlements: 7000 cents credited"
            " instead of 30000 cents (budget 7000 cents)."
        )
        assert call(client, tokens, "operator", "GET", MONTH).json()["households_credited"] == 0

    def test_confirmed_it_runs_and_splits_the_budget_by_largest_remainder(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api, run=False, funding_cents=0)
        body = {"confirm_rationing": True}
        ran = call(client, tokens, "operator", "POST", MONTH + "/run", body, key=fresh_key())
        assert ran.status_code == 200, ran.text
        assert (ran.json()["rationed"], ran.json()["credit_cents"]) == (True, 7000)
        # 10 000 and 20 000 entitled, 7 000 to share: 2 333,33 and 4 666,67 -> 2 333 + 4 667.
        assert (
            call(client, tokens, "member", "GET", "/v1/members/hh_own/balance").json()[
                "credit_cents"
            ]
            == 2333
        )

    def test_an_unknown_option_is_422(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api, run=False, funding_cents=0)
        body = {"confirm": True}
        refused = call(client, tokens, "operator", "POST", MONTH + "/run", body, key=fresh_key())
        assert refused.status_code == 422


class TestStatus:
    def test_status_and_debits_per_kind(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        body = call(client, tokens, "auditor", "GET", MONTH).json()
        assert body == {
            "period": PERIOD,
            "status": "open",
            "households_credited": 2,
            "totals_cents": {
                "contribution": 7000,
                "credit": 30000,
                "funding": 100000,
                "purchase": 4000,
            },
            "checkpoint": None,
        }

    def test_a_sealed_month_shows_its_checkpoint(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        close(api)
        seal(api)
        body = call(client, tokens, "operator", "GET", MONTH).json()
        assert body["status"] == "sealed"
        assert (body["checkpoint"]["period"], body["checkpoint"]["journal_size"]) == (PERIOD, 10)

    def test_a_month_never_touched_is_open_and_empty(
        self, client: TestClient, tokens: Tokens
    ) -> None:
        body = call(client, tokens, "operator", "GET", "/v1/months/2030-01").json()
        assert (body["status"], body["households_credited"], body["totals_cents"]) == (
            "open",
            0,
            {},
        )

    def test_a_malformed_month_is_422(self, client: TestClient, tokens: Tokens) -> None:
        response = call(client, tokens, "operator", "GET", "/v1/months/2026-00")
        assert_problem(response, 422, "validation")

    def test_office_and_auditors_read_months(self, client: TestClient, tokens: Tokens) -> None:
        assert_only(client, tokens, "GET", MONTH, ("operator", "auditor"))


class TestClose:
    def test_a_closed_month_refuses_new_entries(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        response = call(client, tokens, "operator", "POST", MONTH + "/close", key=fresh_key())
        assert response.json() == {
            "period": PERIOD,
            "status": "closed",
            "seq": 10,
            "expired_cents": 0,
        }
        payment = {
            "household_id": "hh_own",
            "amount_cents": 100,
            "method": "cash",
            "reference": "R",
            "received_on": "2026-11-20",
        }
        refused = call(
            client, tokens, "operator", "POST", "/v1/funds/payments", payment, key=fresh_key()
        )
        assert_problem(refused, 409, "month-closed")

    def test_closing_twice_is_409(self, api: FastAPI, client: TestClient, tokens: Tokens) -> None:
        seed(api)
        close(api)
        response = call(client, tokens, "operator", "POST", MONTH + "/close", key=fresh_key())
        assert response.status_code == 409

    def test_a_month_never_run_is_409_and_stays_open(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api, run=False)
        response = call(
            client, tokens, "operator", "POST", "/v1/months/2031-09/close", key=fresh_key()
        )
        problem = assert_problem(response, 409, "month-never-run")
        assert problem["detail"] == "The month 2031-09 was never run: run it before closing it."
        assert error_paths(problem) == ["period"]
        assert (
            call(client, tokens, "operator", "GET", "/v1/months/2031-09").json()["status"] == "open"
        )

    def test_months_close_in_order(self, api: FastAPI, client: TestClient, tokens: Tokens) -> None:
        seed(api)
        call(client, tokens, "operator", "POST", "/v1/months/2026-12/run", key=fresh_key())
        response = call(
            client, tokens, "operator", "POST", "/v1/months/2026-12/close", key=fresh_key()
        )
        problem = assert_problem(response, 409, "earlier-month-open")
        assert problem["earlier"] == PERIOD
        assert problem["detail"] == (
            "The earlier month 2026-11 is still open: close it before 2026-12."
        )

    def test_the_close_expires_the_credit_past_its_last_month(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        # after_months 2: November's lots are spendable in November and December only.
        # hh_own: 100 € - 2 x 20 € bought = 60 €; hh_other: 200 € untouched -> 260 € expire.
        seed(api)
        close(api)
        call(client, tokens, "operator", "POST", "/v1/months/2026-12/run", key=fresh_key())
        key = fresh_key()
        response = call(client, tokens, "operator", "POST", "/v1/months/2026-12/close", key=key)
        assert response.json()["expired_cents"] == 26000
        again = call(client, tokens, "operator", "POST", "/v1/months/2026-12/close", key=key)
        assert again.json() == response.json()
        totals = call(client, tokens, "operator", "GET", "/v1/months/2026-12").json()
        assert totals["totals_cents"]["expiry"] == 26000
        # What is left is December's 100 €, exactly what the till accepts in January.
        balance = call(client, tokens, "member", "GET", "/v1/members/hh_own/balance").json()
        assert balance["credit_cents"] == 10000

    def test_only_the_office_closes(self, client: TestClient, tokens: Tokens) -> None:
        assert_only(client, tokens, "POST", MONTH + "/close", ("operator",))


class TestScheduledExpiry:
    def test_what_is_due_on_a_day_expires_once(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        close(api)
        call(client, tokens, "operator", "POST", "/v1/months/2026-12/run", key=fresh_key())
        key = fresh_key()
        body = {"as_of": "2027-01-01"}
        done = call(client, tokens, "operator", "POST", "/v1/months/expire", body, key=key)
        assert done.status_code == 200, done.text
        first = done.json()
        assert (first["period"], first["expired_cents"], first["entries"]) == (
            "2026-12",
            26000,
            2,
        )
        again = call(client, tokens, "operator", "POST", "/v1/months/expire", body, key=key)
        assert again.json() == first
        later = call(client, tokens, "operator", "POST", "/v1/months/expire", body, key=fresh_key())
        assert (later.json()["expired_cents"], later.json()["seq"]) == (0, None)
        closed = call(
            client, tokens, "operator", "POST", "/v1/months/2026-12/close", key=fresh_key()
        )
        assert closed.json()["expired_cents"] == 0

    def test_a_closed_month_expired_its_credit_when_it_closed(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        close(api)
        body = {"as_of": "2026-12-15"}
        done = call(client, tokens, "operator", "POST", "/v1/months/expire", body, key=fresh_key())
        assert done.json() == {
            "period": PERIOD,
            "status": "closed",
            "expired_cents": 0,
            "entries": 0,
            "seq": None,
        }

    def test_a_malformed_day_is_422(self, client: TestClient, tokens: Tokens) -> None:
        body = {"as_of": "2027-13-01"}
        response = call(
            client, tokens, "operator", "POST", "/v1/months/expire", body, key=fresh_key()
        )
        assert_problem(response, 422, "validation")

    def test_a_day_with_no_month_before_it_is_422_naming_as_of(
        self, client: TestClient, tokens: Tokens
    ) -> None:
        # 1900-01 is the first month a Period can be: its month before cannot be booked.
        body = {"as_of": "1900-01-01"}
        response = call(
            client, tokens, "operator", "POST", "/v1/months/expire", body, key=fresh_key()
        )
        problem = assert_problem(response, 422, "invalid-request")
        assert [e["path"] for e in problem["errors"]] == ["as_of"]
        assert problem["errors"][0]["message"] == (
            "1900-01-01 has no month before it that caisse can book"
        )
        headers = tokens.headers("operator") | {
            "Accept-Language": "fr",
            "Idempotency-Key": "key-in-french",
        }
        french = client.post("/v1/months/expire", json=body, headers=headers).json()
        assert french["errors"][0]["message"] == (
            "1900-01-01 n'a pas de mois précédent que caisse puisse enregistrer (années 1900 à 9999)"
        )

    def test_only_the_office_expires(self, client: TestClient, tokens: Tokens) -> None:
        assert_only(client, tokens, "POST", "/v1/months/expire", ("operator",))
        assert_only(client, tokens, "POST", MONTH + "/expire", ("operator",))


class TestSeal:
    def test_sealing_records_a_checkpoint_of_the_journal_before_it(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        close(api)
        key = fresh_key()
        response = call(client, tokens, "operator", "POST", MONTH + "/seal", key=key)
        assert response.json() == {"period": PERIOD, "status": "sealed", "seq": 11}
        checkpoint = call(client, tokens, "auditor", "GET", MONTH + "/checkpoint").json()
        assert (checkpoint["seq"], checkpoint["journal_size"]) == (11, 10)
        assert call(client, tokens, "operator", "POST", MONTH + "/seal", key=key).json() == (
            response.json()
        )
        other = call(client, tokens, "operator", "POST", "/v1/months/2026-10/seal", key=key)
        assert_problem(other, 409, "idempotency-key-reused")

    def test_an_open_month_cannot_be_sealed(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        response = call(client, tokens, "operator", "POST", MONTH + "/seal", key=fresh_key())
        problem = assert_problem(response, 409, "month-not-closed")
        assert problem["detail"] == "The month 2026-11 is open: close it before sealing it."

    def test_only_the_office_seals(self, client: TestClient, tokens: Tokens) -> None:
        assert_only(client, tokens, "POST", MONTH + "/seal", ("operator",))


class TestCheckpoint:
    def test_the_checkpoint_of_a_sealed_month(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        close(api)
        seal(api)
        body = call(client, tokens, "operator", "GET", MONTH + "/checkpoint").json()
        assert body["period"] == PERIOD and body["balances_digest"].startswith("sha256:")
        assert len(body["head_hash"]) == 64

    def test_an_unsealed_month_has_none(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        response = call(client, tokens, "auditor", "GET", MONTH + "/checkpoint")
        assert_problem(response, 404, "not-found")

    def test_office_and_auditors_read_checkpoints(self, client: TestClient, tokens: Tokens) -> None:
        assert_only(client, tokens, "GET", MONTH + "/checkpoint", ("operator", "auditor"))
