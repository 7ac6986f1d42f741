"""Every failure is an RFC 9457 problem naming what to fix, and a failed request writes
nothing: the request's unit of work rolls back before the response leaves."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import Body, FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from app.api.deps import IdempotencyKey, SessionDep
from app.api.limits import MAX_BODY_BYTES
from app.api.routing import api_router
from app.api.schemas.fields import StrictInt, cents
from app.db.session import unit_of_work
from app.db.tables_auth import ApiToken
from app.engine.problems import InvalidInput, Problem, RuleSetInvalid
from app.services import errors
from app.services import tokens as token_service
from app.services.tokens import Role
from tests.api.support import ENGLISH, Tokens, assert_problem, error_paths


class Person(BaseModel):
    model_config = ConfigDict(extra="forbid")
    age: StrictInt


class Purchase(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount_cents: StrictInt = cents("Amount.", 1250, ge=1)
    persons: list[Person]


def _install_test_routes(api: FastAPI) -> None:
    router = api_router()

    @router.post("/test/purchase")
    def purchase(body: Annotated[Purchase, Body()]) -> dict[str, int]:
        return {"amount_cents": body.amount_cents}

    @router.post("/test/write-then/{outcome}")
    def write_then(outcome: str, session: SessionDep) -> dict[str, str]:
        token_service.create_token(session, role=Role.AUDITOR, label="must not survive")
        refusals: dict[str, Exception] = {
            "conflict": errors.MonthClosed(detail="2027-01 is closed."),
            "engine": InvalidInput([Problem("income_cents", "expected zero or more, got -1")]),
            "crash": RuntimeError("secret internals: password=hunter2"),
        }
        if outcome in refusals:
            raise refusals[outcome]
        return {"written": "yes"}

    @router.get("/test/credit")
    def credit() -> None:
        raise errors.InsufficientCredit(
            (Problem("body.amount_cents", "3000 asked, 1250 available"),),
            "Only 12,50 € of credit is left.",
            extras={"available_cents": 1250, "requested_cents": 3000},
        )

    api.include_router(router, prefix="/v1")


@pytest.fixture()
def test_client(api: FastAPI) -> TestClient:
    _install_test_routes(api)
    return TestClient(api, headers=ENGLISH)


def _token_labels(api: FastAPI) -> list[str]:
    with unit_of_work(api.state.db_engine) as session:
        return [row.label for row in session.exec(select(ApiToken)).all()]


class TestValidationProblems:
    def test_each_bad_field_is_named_with_its_value_and_what_was_expected(
        self, test_client: TestClient
    ) -> None:
        body = {"amount_cents": 12.5, "persons": [{"age": 30}, {"age": "ten"}], "colour": "red"}
        problem = assert_problem(
            test_client.post("/v1/test/purchase", json=body), 422, "validation"
        )
        assert problem["detail"] == "3 fields of the request are not valid."
        assert problem["errors"] == [
            {
                "path": "body.amount_cents",
                "message": "Input should be a valid integer (got 12.5 (a JSON number with a fraction))",
            },
            {
                "path": "body.persons[1].age",
                "message": "Input should be a valid integer (got 'ten')",
            },
            {"path": "body.colour", "message": "unknown field: remove it or check its spelling"},
        ]

    def test_missing_field_and_bound(self, test_client: TestClient) -> None:
        problem = assert_problem(
            test_client.post("/v1/test/purchase", json={"amount_cents": 0}), 422, "validation"
        )
        assert problem["errors"] == [
            {
                "path": "body.amount_cents",
                "message": "Input should be greater than or equal to 1 (got 0)",
            },
            {"path": "body.persons", "message": "this field is required"},
        ]

    def test_malformed_json_is_a_422_problem(self, test_client: TestClient) -> None:
        response = test_client.post(
            "/v1/test/purchase", content=b"{not json", headers={"content-type": "application/json"}
        )
        problem = assert_problem(response, 422, "validation")
        assert problem["errors"][0]["message"].startswith("the body is not valid JSON")

    def test_json_float_for_whole_cents_is_refused_even_when_integral(
        self, test_client: TestClient
    ) -> None:
        response = test_client.post(
            "/v1/test/purchase", json={"amount_cents": 100.0, "persons": []}
        )
        assert error_paths(assert_problem(response, 422, "validation")) == ["body.amount_cents"]


class TestServiceAndEngineProblems:
    def test_conflict_rolls_back_what_the_request_wrote(
        self, api: FastAPI, test_client: TestClient
    ) -> None:
        problem = assert_problem(
            test_client.post("/v1/test/write-then/conflict"), 409, "month-closed"
        )
        assert (problem["title"], problem["detail"]) == (
            "The month is closed",
            "2027-01 is closed.",
        )
        assert _token_labels(api) == []

    def test_engine_error_is_422_with_its_paths_and_writes_nothing(
        self, api: FastAPI, test_client: TestClient
    ) -> None:
        problem = assert_problem(
            test_client.post("/v1/test/write-then/engine"), 422, "invalid-input"
        )
        assert problem["errors"] == [
            {"path": "income_cents", "message": "expected zero or more, got -1"}
        ]
        assert _token_labels(api) == []

    def test_success_commits_once(self, api: FastAPI, test_client: TestClient) -> None:
        assert test_client.post("/v1/test/write-then/ok").json() == {"written": "yes"}
        assert _token_labels(api) == ["must not survive"]

    def test_unexpected_error_is_500_without_internals_and_writes_nothing(
        self, api: FastAPI
    ) -> None:
        _install_test_routes(api)
        quiet = TestClient(api, headers=ENGLISH, raise_server_exceptions=False)
        response = quiet.post("/v1/test/write-then/crash")
        problem = assert_problem(response, 500, "internal")
        assert "hunter2" not in response.text and "RuntimeError" not in response.text
        assert (
            problem["detail"] == "An unexpected error occurred and was logged. Nothing was written."
        )
        assert _token_labels(api) == []

    def test_extension_members_carry_the_facts_of_the_refusal(
        self, test_client: TestClient
    ) -> None:
        problem = assert_problem(test_client.get("/v1/test/credit"), 409, "insufficient-credit")
        assert (problem["available_cents"], problem["requested_cents"]) == (1250, 3000)
        assert problem["errors"] == [
            {"path": "body.amount_cents", "message": "3000 asked, 1250 available"}
        ]


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (errors.NotFound(), 404, "not-found"),
        (errors.Conflict(), 409, "conflict"),
        (errors.MonthClosed(), 409, "month-closed"),
        (errors.IdempotencyConflict(), 409, "idempotency-key-reused"),
        (errors.InsufficientCredit(), 409, "insufficient-credit"),
        (errors.MerchantSuspended(), 409, "merchant-suspended"),
        (errors.InvalidRequest(), 422, "invalid-request"),
        (errors.Forbidden(), 403, "forbidden"),
        (errors.Unauthenticated(), 401, "unauthenticated"),
        (errors.ServiceError(), 400, "service-error"),
    ],
)
def test_each_service_error_has_its_status(
    api: FastAPI, error: errors.ServiceError, status: int, code: str
) -> None:
    router = api_router()

    @router.get("/test/raise")
    def raise_it() -> None:
        raise error

    api.include_router(router, prefix="/v1")
    problem = assert_problem(TestClient(api, headers=ENGLISH).get("/v1/test/raise"), status, code)
    assert problem["title"] == type(error).title
    assert problem["detail"] == type(error).title  # no detail given: the title stands


def test_rule_set_invalid_maps_to_invalid_rules(api: FastAPI) -> None:
    router = api_router()

    @router.get("/test/rules")
    def bad_rules() -> None:
        raise RuleSetInvalid([Problem("credit", "this section is required"), Problem("id", "x")])

    api.include_router(router, prefix="/v1")
    problem = assert_problem(
        TestClient(api, headers=ENGLISH).get("/v1/test/rules"), 422, "invalid-rules"
    )
    assert problem["detail"] == "2 problems were found."
    assert error_paths(problem) == ["credit", "id"]


class TestRoutingProblems:
    def test_unknown_path_is_a_404_problem(self, client: TestClient) -> None:
        problem = assert_problem(client.get("/v1/nothing-here"), 404, "not-found")
        assert problem["detail"] == "There is no endpoint at /v1/nothing-here; see /docs."

    def test_wrong_method_is_a_405_problem_with_allow(
        self, client: TestClient, tokens: Tokens
    ) -> None:
        response = client.get("/v1/rules/validate", headers=tokens.headers("committee"))
        assert_problem(response, 405, "method-not-allowed")
        assert response.headers["allow"] == "POST"


def test_a_failed_commit_is_reported_never_hidden_behind_a_success(api: FastAPI) -> None:
    # The commit happens after the handler returned but before the response is sent.
    router = api_router()

    @router.post("/test/commit-fails")
    def commit_fails(session: SessionDep) -> dict[str, str]:
        for token_id in ("tok_a", "tok_b"):  # same hash twice: refused at commit
            session.add(
                ApiToken(token_id=token_id, role="auditor", secret_sha256="0" * 64, created_at="x")
            )
        return {"written": "yes"}

    api.include_router(router, prefix="/v1")
    response = TestClient(api, headers=ENGLISH, raise_server_exceptions=False).post(
        "/v1/test/commit-fails"
    )
    assert_problem(response, 500, "internal")
    assert _token_labels(api) == []


def test_busy_database_is_503_with_retry_after(api: FastAPI) -> None:
    router = api_router()

    @router.get("/test/busy")
    def busy() -> None:
        raise OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked"))

    api.include_router(router, prefix="/v1")
    response = TestClient(api, headers=ENGLISH).get("/v1/test/busy")
    problem = assert_problem(response, 503, "database-unavailable")
    assert response.headers["retry-after"] == "1"
    assert (
        "locked" not in response.text
        and problem["detail"] == "Nothing was written. Retry in a moment."
    )


def test_idempotency_key_header_is_required_and_named_when_missing(api: FastAPI) -> None:
    router = api_router()

    @router.post("/test/pay")
    def pay(key: IdempotencyKey) -> dict[str, str]:
        return {"key": key}

    api.include_router(router, prefix="/v1")
    client = TestClient(api, headers=ENGLISH)
    problem = assert_problem(client.post("/v1/test/pay"), 422, "validation")
    assert problem["errors"] == [
        {"path": "header.Idempotency-Key", "message": "this field is required"}
    ]
    short = assert_problem(
        client.post("/v1/test/pay", headers={"Idempotency-Key": "abc"}), 422, "validation"
    )
    assert error_paths(short) == ["header.Idempotency-Key"]
    key = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
    assert client.post("/v1/test/pay", headers={"Idempotency-Key": key}).json() == {"key": key}


def test_oversized_body_is_refused_before_reading_with_413(client: TestClient) -> None:
    response = client.post(
        "/v1/rules/validate",
        content=b"{}",
        headers={"content-type": "application/json", "content-length": str(MAX_BODY_BYTES + 1)},
    )
    problem = assert_problem(response, 413, "payload-too-large")
    assert problem["detail"] == f"The body must be at most {MAX_BODY_BYTES} bytes."
