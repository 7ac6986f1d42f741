"""A member's books through the API: balance with lots and expiry, history, the monthly
statement explained (French by default, English on request), the export of all its data.
A member asking for another household gets exactly the 404 of a household that does not
exist; the office and auditors read any household (auditors: not the export).

Seeded: OWN received 100 € of credit for 2026-11 (expires after 2026-12, "after 2 months")
and spent 2 × 20 €; it owes its 50 € contribution.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.fund_support import PERIOD, assert_only, call, seed
from tests.api.support import Tokens, assert_problem

OWN = "/v1/members/hh_own"
READERS = ("member", "operator", "auditor")


def assert_hidden(client: TestClient, tokens: Tokens, suffix: str) -> None:
    """Another's household and a missing one read the same to a member."""
    other = call(client, tokens, "member", "GET", "/v1/members/hh_other" + suffix)
    missing = call(client, tokens, "operator", "GET", "/v1/members/hh_nobody" + suffix)
    assert_problem(other, 404, "not-found")
    assert_problem(missing, 404, "not-found")
    assert other.json()["title"] == missing.json()["title"]
    assert other.json()["detail"] == "No household 'hh_other' was found."


class TestBalance:
    def test_credit_due_and_lots_with_their_expiry(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        body = call(client, tokens, "member", "GET", OWN + "/balance").json()
        assert (body["credit_cents"], body["due_cents"]) == (6000, 5000)
        assert [
            (lot["period"], lot["remaining_cents"], lot["expires_after"]) for lot in body["lots"]
        ] == [(PERIOD, 6000, "2026-12")]

    def test_another_household_is_404_like_a_missing_one(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        assert_hidden(client, tokens, "/balance")

    def test_staff_read_any_household(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        body = call(client, tokens, "auditor", "GET", "/v1/members/hh_other/balance").json()
        assert (body["credit_cents"], body["due_cents"]) == (20000, 2000)

    def test_roles(self, client: TestClient, tokens: Tokens) -> None:
        assert_only(client, tokens, "GET", OWN + "/balance", READERS)


class TestHistory:
    def test_movements_newest_first(self, api: FastAPI, client: TestClient, tokens: Tokens) -> None:
        seed(api)
        body = call(client, tokens, "member", "GET", OWN + "/history").json()
        moves = [(line["kind"], line["account"], line["amount_cents"]) for line in body["lines"]]
        assert moves == [
            ("purchase", "419:hh_own", 2000),
            ("purchase", "419:hh_own", 2000),
            ("credit", "419:hh_own", -10000),
            ("contribution", "411:hh_own", 5000),
        ]
        limited = call(client, tokens, "member", "GET", OWN + "/history", limit=1).json()
        assert len(limited["lines"]) == 1

    def test_another_household_is_404_like_a_missing_one(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        assert_hidden(client, tokens, "/history")

    def test_a_zero_limit_is_422(self, client: TestClient, tokens: Tokens) -> None:
        response = call(client, tokens, "member", "GET", OWN + "/history", limit=0)
        assert_problem(response, 422, "validation")

    def test_roles(self, client: TestClient, tokens: Tokens) -> None:
        assert_only(client, tokens, "GET", OWN + "/history", READERS)


class TestStatement:
    def test_the_month_explained_in_plain_french(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        # ``lang=fr`` because this client asks for English (tests/api/conftest.py); French by
        # default is tests/api/test_languages.py's.
        body = call(client, tokens, "member", "GET", f"{OWN}/statements/{PERIOD}", lang="fr").json()
        assert (body["contribution_cents"], body["credit_cents"], body["lang"]) == (
            5000,
            10000,
            "fr",
        )
        assert body["explanation"].startswith("Mois 2026-11 — règles « testfund » version 1")
        assert "50,00 €" in body["explanation"] and "100,00 €" in body["explanation"]

    def test_english_on_request(self, api: FastAPI, client: TestClient, tokens: Tokens) -> None:
        seed(api)
        body = call(client, tokens, "member", "GET", f"{OWN}/statements/{PERIOD}", lang="en").json()
        assert body["lang"] == "en" and body["explanation"].startswith("Month 2026-11")

    def test_a_month_not_run_is_404(self, api: FastAPI, client: TestClient, tokens: Tokens) -> None:
        seed(api)
        response = call(client, tokens, "member", "GET", f"{OWN}/statements/2026-10")
        assert_problem(response, 404, "not-found")

    def test_another_household_is_404_like_a_missing_one(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        assert_hidden(client, tokens, f"/statements/{PERIOD}")

    def test_an_unknown_language_is_422(self, client: TestClient, tokens: Tokens) -> None:
        response = call(client, tokens, "member", "GET", f"{OWN}/statements/{PERIOD}", lang="de")
        assert_problem(response, 422, "validation")

    def test_roles(self, client: TestClient, tokens: Tokens) -> None:
        assert_only(client, tokens, "GET", f"{OWN}/statements/{PERIOD}", READERS)


class TestExport:
    def test_everything_about_the_household_in_one_document(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        body = call(client, tokens, "member", "GET", OWN + "/export").json()
        assert body["format"] == "caisse.member-export/1"
        assert body["identity"]["full_name"] == "Member hh_own"
        assert [f["income_cents"] for f in body["facts"]] == [200000]
        assert body["balance"]["credit_cents"] == 6000
        assert len(body["history"]) == 4
        assert [s["period"] for s in body["statements"]] == [PERIOD]
        assert set(body["statements"][0]["explanation"]) == {"fr", "en"}

    def test_another_household_is_404_like_a_missing_one(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        assert_hidden(client, tokens, "/export")

    def test_auditors_never_see_identities(self, client: TestClient, tokens: Tokens) -> None:
        assert_only(client, tokens, "GET", OWN + "/export", ("member", "operator"))
