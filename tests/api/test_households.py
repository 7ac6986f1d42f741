"""Households through the API: enrol (identity apart from the journal, consent code hashed),
facts from a month, erasure, the office's list, and the member's own profile."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.db import tables as t
from app.services import consent
from tests.api.fund_support import CODE, PERIOD, assert_only, call, fresh_key, seed
from tests.api.support import OWN_HOUSEHOLD, Tokens, assert_problem, error_paths

ENROL = "/v1/households"


def enrolment(household_id: str = "hh_new", **changes: Any) -> dict[str, Any]:
    return {
        "household_id": household_id,
        "from_period": PERIOD,
        "identity": {"full_name": "Awa Diallo", "email": "awa@example.org"},
        "facts": {"income_cents": 145000, "persons": [{"birth_on": "1988-04-12"}]},
        "consent_code": "9911",
    } | changes


class TestEnrol:
    def test_identity_stays_out_of_the_journal_and_the_code_is_hashed(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        response = call(client, tokens, "operator", "POST", ENROL, enrolment(), key=fresh_key())
        assert response.status_code == 200, response.text
        assert response.json() == {
            "household_id": "hh_new",
            "seq": 1,
            "from_period": PERIOD,
            "erased": False,
        }
        with Session(api.state.db_engine) as session:
            record = session.get(t.Journal, 1)
            household = session.get(t.Household, "hh_new")
            assert record is not None and household is not None
            assert "Awa" not in record.payload and "145000" not in record.payload
            assert json.loads(record.payload)["facts_commitment"].startswith("sha256:")
            assert household.consent_code_hash and "9911" not in household.consent_code_hash

    def test_a_retry_returns_the_original_and_another_payload_is_409(
        self, client: TestClient, tokens: Tokens
    ) -> None:
        key = fresh_key()
        first = call(client, tokens, "operator", "POST", ENROL, enrolment(), key=key)
        again = call(client, tokens, "operator", "POST", ENROL, enrolment(), key=key)
        assert again.json() == first.json()
        other = call(client, tokens, "operator", "POST", ENROL, enrolment("hh_x"), key=key)
        assert_problem(other, 409, "idempotency-key-reused")

    def test_enrolling_an_enrolled_household_is_409(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        response = call(
            client, tokens, "operator", "POST", ENROL, enrolment(OWN_HOUSEHOLD), key=fresh_key()
        )
        assert_problem(response, 409, "conflict")

    def test_malformed_facts_are_named_by_path(self, client: TestClient, tokens: Tokens) -> None:
        body = enrolment(facts={"income_cents": 12.5}, consent_code="12")
        response = call(client, tokens, "operator", "POST", ENROL, body, key=fresh_key())
        paths = error_paths(assert_problem(response, 422, "validation"))
        assert paths == ["body.facts.income_cents", "body.consent_code"]

    def test_only_the_office_enrols(self, client: TestClient, tokens: Tokens) -> None:
        assert_only(client, tokens, "POST", ENROL, ("operator",))


class TestChangeFacts:
    def test_new_facts_apply_from_their_month_only(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        body = {"from_period": "2026-12", "facts": {"income_cents": 120000}}
        response = call(
            client,
            tokens,
            "operator",
            "POST",
            "/v1/households/hh_own/facts",
            body,
            key=fresh_key(),
        )
        assert response.json() == {
            "household_id": OWN_HOUSEHOLD,
            "seq": 10,
            "from_period": "2026-12",
            "erased": False,
        }
        november = call(client, tokens, "member", "GET", "/v1/me", period=PERIOD).json()
        december = call(client, tokens, "member", "GET", "/v1/me", period="2026-12").json()
        assert november["facts"]["income_cents"] == 200000
        assert december["facts"]["income_cents"] == 120000

    def test_an_unknown_household_is_404(self, client: TestClient, tokens: Tokens) -> None:
        body = {"from_period": PERIOD, "facts": {}}
        response = call(
            client,
            tokens,
            "operator",
            "POST",
            "/v1/households/hh_nobody/facts",
            body,
            key=fresh_key(),
        )
        assert_problem(response, 404, "not-found")

    def test_a_month_out_of_range_is_422(self, client: TestClient, tokens: Tokens) -> None:
        body = {"from_period": "2026-13", "facts": {}}
        response = call(
            client,
            tokens,
            "operator",
            "POST",
            "/v1/households/hh_own/facts",
            body,
            key=fresh_key(),
        )
        assert error_paths(assert_problem(response, 422, "validation")) == ["body.from_period"]

    def test_only_the_office_changes_facts(self, client: TestClient, tokens: Tokens) -> None:
        assert_only(client, tokens, "POST", "/v1/households/hh_own/facts", ("operator",))


class TestErase:
    def test_personal_data_go_and_the_books_still_verify(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        response = call(
            client, tokens, "operator", "POST", "/v1/households/hh_own/erase", key=fresh_key()
        )
        assert response.json() == {
            "household_id": OWN_HOUSEHOLD,
            "seq": 10,
            "from_period": None,
            "erased": True,
        }
        profile = call(client, tokens, "member", "GET", "/v1/me", period=PERIOD).json()
        assert (profile["erased"], profile["identity"], profile["facts"]) == (True, None, None)
        assert call(client, tokens, "auditor", "GET", "/v1/audit/verify").json()["ok"] is True

    def test_an_unknown_household_is_404(self, client: TestClient, tokens: Tokens) -> None:
        response = call(
            client, tokens, "operator", "POST", "/v1/households/hh_x/erase", key=fresh_key()
        )
        assert_problem(response, 404, "not-found")

    def test_only_the_office_erases(self, client: TestClient, tokens: Tokens) -> None:
        assert_only(client, tokens, "POST", "/v1/households/hh_own/erase", ("operator",))


class TestResetConsentCode:
    PATH = "/v1/households/hh_own/consent-code"

    def test_the_office_sets_a_new_code_and_the_old_one_stops_matching(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        response = call(client, tokens, "operator", "POST", self.PATH, {"consent_code": "5093"})
        assert (response.status_code, response.content) == (204, b"")
        with Session(api.state.db_engine) as session:
            stored = session.get(t.Household, OWN_HOUSEHOLD)
            assert stored is not None
            stored_hash = stored.consent_code_hash
        assert consent.code_matches(stored_hash, OWN_HOUSEHOLD, "5093")
        assert not consent.code_matches(stored_hash, OWN_HOUSEHOLD, CODE)
        verified = call(client, tokens, "auditor", "GET", "/v1/audit/verify").json()
        assert verified["ok"] is True

    def test_a_code_that_is_not_4_to_12_digits_is_422_and_changes_nothing(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        with Session(api.state.db_engine) as session:
            before = session.get(t.Household, OWN_HOUSEHOLD)
            assert before is not None
            before_hash = before.consent_code_hash
        for bad in ("123", "12a4", "1234567890123"):
            response = call(client, tokens, "operator", "POST", self.PATH, {"consent_code": bad})
            problem = assert_problem(response, 422, "validation")
            assert error_paths(problem) == ["body.consent_code"]
        with Session(api.state.db_engine) as session:
            after = session.get(t.Household, OWN_HOUSEHOLD)
            assert after is not None and after.consent_code_hash == before_hash

    def test_an_unknown_household_is_404(self, client: TestClient, tokens: Tokens) -> None:
        response = call(
            client,
            tokens,
            "operator",
            "POST",
            "/v1/households/hh_x/consent-code",
            {"consent_code": "5093"},
        )
        assert_problem(response, 404, "not-found")

    def test_only_the_office_resets_codes(self, client: TestClient, tokens: Tokens) -> None:
        assert_only(client, tokens, "POST", self.PATH, ("operator",))


class TestListHouseholds:
    def test_households_are_paged_by_id(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        first = call(client, tokens, "operator", "GET", ENROL, limit=1).json()
        assert [h["household_id"] for h in first["households"]] == ["hh_other"]
        assert first["households"][0]["full_name"] == "Member hh_other"
        assert first["next_after"] == "hh_other"
        rest = call(client, tokens, "operator", "GET", ENROL, after="hh_other").json()
        assert [h["household_id"] for h in rest["households"]] == ["hh_own"]
        assert rest["next_after"] is None

    def test_a_limit_above_1000_is_422(self, client: TestClient, tokens: Tokens) -> None:
        response = call(client, tokens, "operator", "GET", ENROL, limit=1001)
        assert error_paths(assert_problem(response, 422, "validation")) == ["query.limit"]

    def test_only_the_office_lists(self, client: TestClient, tokens: Tokens) -> None:
        assert_only(client, tokens, "GET", ENROL, ("operator",))


class TestMe:
    def test_the_member_sees_its_own_identity_and_facts(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        body = call(client, tokens, "member", "GET", "/v1/me", period=PERIOD).json()
        assert body["household_id"] == OWN_HOUSEHOLD and body["member_since"] == "2026-01"
        assert body["identity"]["email"] == "hh_own@example.org"
        assert body["facts"]["persons"] == [{"birth_on": "1980-05-17"}]

    def test_before_enrolment_there_is_nothing_to_see(
        self, client: TestClient, tokens: Tokens
    ) -> None:
        assert_problem(call(client, tokens, "member", "GET", "/v1/me"), 404, "not-found")

    def test_a_malformed_month_is_422(self, client: TestClient, tokens: Tokens) -> None:
        response = call(client, tokens, "member", "GET", "/v1/me", period="26-11")
        assert error_paths(assert_problem(response, 422, "validation")) == ["query.period"]

    def test_only_members_have_a_profile(self, client: TestClient, tokens: Tokens) -> None:
        assert_only(client, tokens, "GET", "/v1/me", ("member",))
