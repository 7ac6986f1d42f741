"""Stored rule sets through the API: draft, versions, adopt (idempotent, on the decision
written in the draft), the set in force, and the impact of a version on the real membership
(report and SVG chart).

The seeded fund (tests/api/fund_support.py) has rules v1 in force (2,5 % of income; 100 € +
50 € per extra person): OWN (2 000 €, 1 adult) owes 50 € and gets 100 €; OTHER (800 €, 3
adults) owes 20 € and gets 200 €. Version 2 below gives everyone a fixed 120 €.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.engine import parse_rule_set
from tests.api.fund_support import (
    FUND_RULES,
    PERIOD,
    assert_only,
    call,
    draft,
    fresh_key,
    rules,
    seed,
)
from tests.api.support import Tokens, assert_problem, error_paths

FIXED_120 = {"formula": {"kind": "fixed", "amount_cents": 12000}}
DECISION = FUND_RULES["decision"]
ADOPT_V2 = "/v1/rules/versions/testfund/2/adopt"
IMPACT_V2 = "/v1/rules/versions/testfund/2/impact"
SEED_RECORDS = 9  # adopt, 2 enrolments, 2 approvals, subsidy, month run, 2 sales


def seed_v2(app: FastAPI) -> None:
    seed(app)
    draft(app, rules(2, credit=FIXED_120))


class TestCreateDraft:
    def test_a_valid_document_is_stored_as_a_draft_with_its_hash(
        self, client: TestClient, tokens: Tokens
    ) -> None:
        response = call(client, tokens, "committee", "POST", "/v1/rules/drafts", rules(2))
        assert response.status_code == 200, response.text
        assert response.json() == {
            "rule_set_id": "testfund",
            "version": 2,
            "content_hash": parse_rule_set(rules(2)).content_hash,
            "status": "draft",
        }
        listed = call(client, tokens, "committee", "GET", "/v1/rules/versions").json()
        assert [(v["version"], v["status"]) for v in listed["versions"]] == [(2, "draft")]

    def test_drafting_again_replaces_the_draft(self, client: TestClient, tokens: Tokens) -> None:
        call(client, tokens, "committee", "POST", "/v1/rules/drafts", rules(2))
        call(client, tokens, "committee", "POST", "/v1/rules/drafts", rules(2, credit=FIXED_120))
        versions = call(client, tokens, "committee", "GET", "/v1/rules/versions").json()
        hashes = [v["content_hash"] for v in versions["versions"]]
        assert hashes == [parse_rule_set(rules(2, credit=FIXED_120)).content_hash]

    def test_an_invalid_document_names_each_problem_under_body(
        self, client: TestClient, tokens: Tokens
    ) -> None:
        document = rules(2, credit={"formula": {"kind": "fixed", "amount_cents": "150"}})
        response = call(client, tokens, "committee", "POST", "/v1/rules/drafts", document)
        body = assert_problem(response, 422, "invalid-request")
        assert error_paths(body) == ["body.credit.formula.amount_cents"]

    def test_an_adopted_version_cannot_be_redrafted(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        response = call(client, tokens, "committee", "POST", "/v1/rules/drafts", rules(1))
        assert error_paths(assert_problem(response, 409, "conflict")) == ["version"]

    def test_only_the_committee_drafts(self, client: TestClient, tokens: Tokens) -> None:
        assert_only(client, tokens, "POST", "/v1/rules/drafts", ("committee",))


class TestListVersions:
    def test_versions_are_listed_by_id_then_version_with_their_status(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed_v2(api)
        body = call(client, tokens, "auditor", "GET", "/v1/rules/versions").json()
        summary = [
            (v["version"], v["status"], v["adopted_seq"], v["decision"]) for v in body["versions"]
        ]
        assert summary == [(1, "adopted", 1, DECISION), (2, "draft", None, DECISION)]

    def test_filtering_on_another_family_lists_nothing(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        response = call(
            client, tokens, "operator", "GET", "/v1/rules/versions", rule_set_id="other"
        )
        assert response.json() == {"versions": []}

    def test_a_malformed_family_id_is_422(self, client: TestClient, tokens: Tokens) -> None:
        response = call(client, tokens, "committee", "GET", "/v1/rules/versions", rule_set_id="a b")
        assert error_paths(assert_problem(response, 422, "validation")) == ["query.rule_set_id"]

    def test_staff_read_the_versions(self, client: TestClient, tokens: Tokens) -> None:
        assert_only(
            client, tokens, "GET", "/v1/rules/versions", ("committee", "operator", "auditor")
        )


class TestAdopt:
    def test_adoption_is_journalled_and_puts_the_version_in_force(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed_v2(api)
        key = fresh_key()
        response = call(
            client, tokens, "committee", "POST", ADOPT_V2, {"decision": DECISION}, key=key
        )
        assert response.status_code == 200, response.text
        assert response.json() == {
            "rule_set_id": "testfund",
            "version": 2,
            "content_hash": parse_rule_set(rules(2, credit=FIXED_120)).content_hash,
            "seq": SEED_RECORDS + 1,
        }
        in_force = call(client, tokens, "member", "GET", "/v1/rules/in-force", period=PERIOD)
        assert in_force.json()["version"] == 2

    def test_a_retry_returns_the_original_and_another_payload_is_409(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed_v2(api)
        draft(api, rules(3))
        key = fresh_key()
        first = call(client, tokens, "committee", "POST", ADOPT_V2, {"decision": DECISION}, key=key)
        again = call(client, tokens, "committee", "POST", ADOPT_V2, {"decision": DECISION}, key=key)
        assert again.status_code == 200 and again.json() == first.json()
        other = call(
            client,
            tokens,
            "committee",
            "POST",
            "/v1/rules/versions/testfund/3/adopt",
            {"decision": DECISION},
            key=key,
        )
        assert_problem(other, 409, "idempotency-key-reused")

    def test_a_decision_other_than_the_drafts_is_refused(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed_v2(api)
        response = call(
            client, tokens, "committee", "POST", ADOPT_V2, {"decision": "autre"}, key=fresh_key()
        )
        assert error_paths(assert_problem(response, 422, "invalid-request")) == ["body.decision"]

    def test_an_unknown_version_is_404(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        response = call(
            client,
            tokens,
            "committee",
            "POST",
            "/v1/rules/versions/testfund/7/adopt",
            {"decision": DECISION},
            key=fresh_key(),
        )
        assert_problem(response, 404, "not-found")

    def test_adopting_an_adopted_version_again_is_409(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        response = call(
            client,
            tokens,
            "committee",
            "POST",
            "/v1/rules/versions/testfund/1/adopt",
            {"decision": DECISION},
            key=fresh_key(),
        )
        assert_problem(response, 409, "conflict")

    def test_the_idempotency_key_is_required(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed_v2(api)
        response = call(client, tokens, "committee", "POST", ADOPT_V2, {"decision": DECISION})
        assert error_paths(assert_problem(response, 422, "validation")) == [
            "header.Idempotency-Key"
        ]

    def test_only_the_committee_adopts(self, client: TestClient, tokens: Tokens) -> None:
        assert_only(client, tokens, "POST", ADOPT_V2, ("committee",))


class TestInForce:
    def test_the_adopted_version_for_the_month_comes_with_its_document(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        response = call(client, tokens, "member", "GET", "/v1/rules/in-force", period=PERIOD)
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["period"], body["version"], body["adopted_seq"]) == (PERIOD, 1, 1)
        assert parse_rule_set(body["document"]).content_hash == body["content_hash"]

    def test_a_month_before_any_rules_is_404(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        response = call(client, tokens, "operator", "GET", "/v1/rules/in-force", period="2025-12")
        assert_problem(response, 404, "not-found")

    def test_a_malformed_month_is_422(self, client: TestClient, tokens: Tokens) -> None:
        response = call(client, tokens, "auditor", "GET", "/v1/rules/in-force", period="2026-13")
        assert error_paths(assert_problem(response, 422, "validation")) == ["query.period"]

    def test_everyone_but_merchants_reads_the_rules(
        self, client: TestClient, tokens: Tokens
    ) -> None:
        assert_only(
            client,
            tokens,
            "GET",
            "/v1/rules/in-force?period=2026-11",
            ("committee", "operator", "member", "auditor"),
        )


class TestImpact:
    def test_every_member_is_compared_under_both_rule_sets(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed_v2(api)
        response = call(client, tokens, "committee", "GET", IMPACT_V2, period=PERIOD)
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["current"]["version"], body["proposed"]["version"]) == (1, 2)
        assert (body["current"]["contributions_cents"], body["current"]["credits_cents"]) == (
            7000,
            30000,
        )
        assert (body["proposed"]["contributions_cents"], body["proposed"]["credits_cents"]) == (
            7000,
            24000,
        )
        nets = {c["household_id"]: c["net_delta_cents"] for c in body["changes"]}
        assert nets == {"hh_other": -8000, "hh_own": 2000}
        assert body["buckets"]["loses_over_20"] == 1 and body["buckets"]["gains_5_to_20"] == 1
        assert [row["group"] for row in body["deciles"]] == ["1", "6"]

    def test_a_budget_reports_the_rationing_needed(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed_v2(api)
        response = call(
            client, tokens, "committee", "GET", IMPACT_V2, period=PERIOD, budget_cents=20000
        )
        assert response.json()["proposed"]["rationing_needed_cents"] == 4000

    def test_an_unknown_version_is_404(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        response = call(client, tokens, "committee", "GET", "/v1/rules/versions/testfund/9/impact")
        assert_problem(response, 404, "not-found")

    def test_a_negative_budget_is_422(self, client: TestClient, tokens: Tokens) -> None:
        response = call(client, tokens, "committee", "GET", IMPACT_V2, budget_cents=-1)
        assert error_paths(assert_problem(response, 422, "validation")) == ["query.budget_cents"]

    def test_only_the_committee_previews(self, client: TestClient, tokens: Tokens) -> None:
        assert_only(client, tokens, "GET", IMPACT_V2, ("committee",))


class TestImpactChart:
    def test_each_household_is_placed_at_its_income_per_consumption_unit(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed_v2(api)
        response = call(client, tokens, "committee", "GET", IMPACT_V2 + ".svg", period=PERIOD)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("image/svg+xml")
        svg = response.text
        assert svg.startswith("<svg ") and svg.endswith("</svg>\n")
        # OWN: 2 000 € for 1 CU on a 0..5 000 € axis of 490 px -> x = 80 + 196; its current
        # credit 100 € on a 0..200 € axis of 328 px -> y = 384 - 164.
        assert '<circle cx="276" cy="220" r="3" fill="#90caf9" data-household="hh_own"/>' in svg
        # OTHER: 800 € for 2 CU (1 + 0,5 + 0,5) -> x = 80 + 39; proposed credit 120 € -> y = 188.
        assert '<circle cx="119" cy="188" r="3" fill="#1565c0" data-household="hh_other"/>' in svg
        assert svg.count('class="series"') == 4

    def test_the_same_data_give_the_same_bytes(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed_v2(api)
        first = call(client, tokens, "committee", "GET", IMPACT_V2 + ".svg")
        second = call(client, tokens, "committee", "GET", IMPACT_V2 + ".svg")
        assert first.content == second.content

    def test_without_rules_in_force_only_the_proposed_series_are_drawn(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        draft(api, rules(5, effective_from="2026-01"))
        svg = call(client, tokens, "committee", "GET", "/v1/rules/versions/testfund/5/impact.svg")
        assert svg.text.count('class="series"') == 2
        assert "0 foyers placés" in svg.text

    def test_an_unknown_version_is_404(self, client: TestClient, tokens: Tokens) -> None:
        response = call(client, tokens, "committee", "GET", IMPACT_V2 + ".svg")
        assert_problem(response, 404, "not-found")

    def test_only_the_committee_sees_the_chart(self, client: TestClient, tokens: Tokens) -> None:
        assert_only(client, tokens, "GET", IMPACT_V2 + ".svg", ("committee",))
