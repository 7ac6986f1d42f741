"""Rule endpoints that need only the engine: validate (every problem with its path) and
property checks (findings with their evidence)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from app.engine import parse_rule_set
from tests.api.support import Tokens, assert_problem, error_paths, valid_rules

VALIDATE = "/v1/rules/validate"
CHECK = "/v1/rules/check"


class TestValidate:
    def test_valid_document_is_identified_by_its_content_hash(
        self, client: TestClient, tokens: Tokens
    ) -> None:
        response = client.post(VALIDATE, json=valid_rules(), headers=tokens.headers("committee"))
        assert response.status_code == 200
        body = response.json()
        assert body["valid"] is True and body["problems"] == []
        assert body["rule_set"] == {
            "rule_set_id": "test-fund",
            "version": 2,
            "name": "Caisse de test",
            "effective_from": "2027-01",
            "decision": "Comité du 2026-12-10, délibération 14",
            "content_hash": parse_rule_set(valid_rules()).content_hash,
        }
        assert body["rule_set"]["content_hash"].startswith("sha256:")

    def test_invalid_document_lists_every_problem_with_its_path(
        self, client: TestClient, tokens: Tokens
    ) -> None:
        document = valid_rules()
        document["version"] = 1.5
        del document["decision"]
        document["credit"]["formula"]["amount_cents"] = "150"
        document["colour"] = "red"
        response = client.post(VALIDATE, json=document, headers=tokens.headers("auditor"))
        assert response.status_code == 200
        body = response.json()
        assert (body["valid"], body["rule_set"]) == (False, None)
        assert [p["path"] for p in body["problems"]] == [
            "colour",
            "version",
            "decision",
            "credit.formula.amount_cents",
        ]
        assert body["problems"][3]["message"] == (
            "expected a whole number of cents (e.g. 1250 for 12,50 €), got '150'"
        )

    def test_body_that_is_not_an_object_is_a_422_problem(
        self, client: TestClient, tokens: Tokens
    ) -> None:
        response = client.post(VALIDATE, json=[1, 2], headers=tokens.headers("committee"))
        problem = assert_problem(response, 422, "validation")
        assert error_paths(problem) == ["body"]


def _check(client: TestClient, tokens: Tokens, body: dict[str, Any]) -> Any:
    return client.post(CHECK, json=body, headers=tokens.headers("committee"))


class TestCheck:
    def test_a_sound_scale_passes_with_no_finding(self, client: TestClient, tokens: Tokens) -> None:
        body = _check(client, tokens, {"rules": valid_rules()}).json()
        assert (body["passed"], body["counts"], body["findings"]) == (
            True,
            {"error": 0, "warning": 0, "info": 0},
            [],
        )
        assert body["rule_set"]["rule_set_id"] == "test-fund"

    def test_marginal_rate_above_the_bound_is_an_error_per_household_shape(
        self, client: TestClient, tokens: Tokens
    ) -> None:
        rules = valid_rules()
        rules["contribution"]["formula"]["rate"] = "0.9"
        body = _check(client, tokens, {"rules": rules, "max_marginal_rate": "0.5"}).json()
        assert body["passed"] is False
        assert body["counts"] == {"error": 5, "warning": 0, "info": 0}
        first = body["findings"][0]
        assert (first["severity"], first["code"]) == ("error", "contribution.marginal_rate")
        # 90 % of the first 50,00 € probe step is 45,00 €: above the 50 % bound.
        assert first["evidence"] == {
            "composition": "1 adult",
            "income_from_cents": 0,
            "income_to_cents": 5000,
            "contribution_from_cents": 0,
            "contribution_to_cents": 4500,
            "marginal_rate_bp": 9000,
            "max_marginal_rate_bp": 5000,
            "intervals": 160,
        }

    def test_budget_is_projected_on_the_households_given(
        self, client: TestClient, tokens: Tokens
    ) -> None:
        household = {
            "household_id": "hh_1",
            "income_cents": 100000,
            "persons": [{"birth_on": "1980-01-01"}],
        }
        body = _check(
            client,
            tokens,
            {"rules": valid_rules(), "households": [household], "budget_cents": 10000},
        ).json()
        by_code = {finding["code"]: finding["evidence"] for finding in body["findings"]}
        # 2,5 % of 1 000,00 € = 25,00 € owed; 150,00 € credited; 125,00 € net cost.
        assert by_code["budget.projection"]["contributions_cents"] == 2500
        assert by_code["budget.projection"]["credits_cents"] == 15000
        assert by_code["budget.projection"]["net_cost_cents"] == 12500
        assert by_code["budget.short"] == {
            "budget_cents": 10000,
            "credits_cents": 15000,
            "short_cents": 5000,
        }

    def test_every_problem_of_the_request_is_reported_at_once(
        self, client: TestClient, tokens: Tokens
    ) -> None:
        rules = valid_rules()
        del rules["credit"]
        body = {
            "rules": rules,
            "period": "0000-01",
            "households": [
                {"household_id": "hh_1"},
                {"household_id": "hh_1"},
                {"household_id": "hh_2", "active_from": "2027-01-10", "active_until": "2027-01-01"},
            ],
        }
        problem = assert_problem(_check(client, tokens, body), 422, "invalid-request")
        assert error_paths(problem) == [
            "body.rules.credit",
            "body.households[1].household_id",
            "body.households[2].active_until",
            "body.period",
        ]

    def test_decimal_bounds_must_be_decimal_strings(
        self, client: TestClient, tokens: Tokens
    ) -> None:
        response = _check(client, tokens, {"rules": valid_rules(), "max_marginal_rate": 0.5})
        problem = assert_problem(response, 422, "validation")
        assert error_paths(problem) == ["body.max_marginal_rate"]


def _nested(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = {"kind": "fixed", "amount_cents": 1}
    for _ in range(depth):
        node = {"kind": "min", "of": [node]}
    return node


def test_absurdly_nested_document_is_a_problem_not_a_crash(
    client: TestClient, tokens: Tokens
) -> None:
    document = valid_rules()
    document["credit"]["formula"] = _nested(400)
    body = client.post(VALIDATE, json=document, headers=tokens.headers("committee")).json()
    assert body["valid"] is False
    (problem,) = body["problems"]
    assert problem["path"].startswith("credit.formula.of[0].of[0]")
    assert problem["message"] == "nested deeper than 64 levels; simplify the formula"
    checked = client.post(CHECK, json={"rules": document}, headers=tokens.headers("committee"))
    assert error_paths(assert_problem(checked, 422, "invalid-request"))[0].startswith(
        "body.rules.credit.formula.of[0]"
    )


def test_reasonably_nested_document_is_still_read(client: TestClient, tokens: Tokens) -> None:
    document = valid_rules()
    document["credit"]["formula"] = _nested(20)
    body = client.post(VALIDATE, json=document, headers=tokens.headers("committee")).json()
    assert (body["valid"], body["problems"]) == (True, [])
