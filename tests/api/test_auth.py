"""Bearer tokens: one role each, hashed at rest; 401 without a valid token, 403 for a wrong
role on a staff endpoint, 404 (never 403) for another member's or merchant's resource."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import select

from app.api.deps import CurrentPrincipal, ensure_owner
from app.api.routing import api_router
from app.db.session import unit_of_work
from app.db.tables_auth import ApiToken
from app.services import tokens as token_service
from app.services.errors import InvalidRequest, NotFound, not_found
from app.services.tokens import Principal, Role
from tests.api.support import (
    OTHER_HOUSEHOLD,
    OWN_HOUSEHOLD,
    OWN_MERCHANT,
    Tokens,
    assert_problem,
    error_paths,
    issue,
    valid_rules,
)

VALIDATE = "/v1/rules/validate"


class TestAuthentication:
    def test_missing_token_is_401_problem_with_bearer_challenge(self, client: TestClient) -> None:
        response = client.post(VALIDATE, json=valid_rules())
        body = assert_problem(response, 401, "unauthenticated")
        assert response.headers["www-authenticate"] == "Bearer"
        assert "Authorization: Bearer" in body["detail"]

    def test_unknown_token_is_401(self, client: TestClient, tokens: Tokens) -> None:
        response = client.post(
            VALIDATE, json=valid_rules(), headers={"Authorization": "Bearer not-a-real-secret"}
        )
        body = assert_problem(response, 401, "unauthenticated")
        assert body["detail"] == "The bearer token is unknown or has been revoked."

    def test_other_scheme_is_401(self, client: TestClient, tokens: Tokens) -> None:
        secret = tokens.secrets["committee"]
        response = client.post(
            VALIDATE, json=valid_rules(), headers={"Authorization": f"Basic {secret}"}
        )
        assert_problem(response, 401, "unauthenticated")

    def test_revoked_token_is_401_from_the_revocation_on(
        self, api: FastAPI, client: TestClient
    ) -> None:
        with unit_of_work(api.state.db_engine) as session:
            issued = token_service.create_token(session, role=Role.AUDITOR)
        headers = {"Authorization": f"Bearer {issued.secret}"}
        assert client.post(VALIDATE, json=valid_rules(), headers=headers).status_code == 200
        with unit_of_work(api.state.db_engine) as session:
            token_service.revoke_token(session, issued.info.token_id)
        assert_problem(
            client.post(VALIDATE, json=valid_rules(), headers=headers), 401, "unauthenticated"
        )

    @pytest.mark.parametrize("role", ["committee", "operator", "member", "merchant", "auditor"])
    def test_whoami_names_the_role_and_binding(
        self, client: TestClient, tokens: Tokens, role: str
    ) -> None:
        body = client.get("/v1/auth/whoami", headers=tokens.headers(role)).json()
        assert body["role"] == role
        assert body["household_id"] == (OWN_HOUSEHOLD if role == "member" else None)
        assert body["merchant_id"] == (OWN_MERCHANT if role == "merchant" else None)
        assert body["token_id"].startswith("tok_")


class TestRoles:
    @pytest.mark.parametrize("role", ["operator", "member", "merchant"])
    def test_wrong_role_on_staff_endpoint_is_403_naming_the_roles(
        self, client: TestClient, tokens: Tokens, role: str
    ) -> None:
        response = client.post(VALIDATE, json=valid_rules(), headers=tokens.headers(role))
        body = assert_problem(response, 403, "forbidden")
        assert body["detail"] == (
            f"This operation is for: committee, auditor. Your token's role is {role}."
        )


def _owner_app(api: FastAPI) -> None:
    """A test-only endpoint that reads a household's resource through ``ensure_owner``."""
    router = api_router()

    @router.get("/test/households/{household_id}")
    def read(household_id: str, principal: CurrentPrincipal) -> dict[str, str]:
        if household_id not in (OWN_HOUSEHOLD, OTHER_HOUSEHOLD):
            raise not_found("household", household_id)
        ensure_owner(principal, household_id=household_id)
        return {"household_id": household_id}

    api.include_router(router, prefix="/v1")


class TestOwnership:
    def test_member_sees_own_household(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        _owner_app(api)
        response = client.get(
            f"/v1/test/households/{OWN_HOUSEHOLD}", headers=tokens.headers("member")
        )
        assert response.json() == {"household_id": OWN_HOUSEHOLD}

    def test_another_household_reads_exactly_like_a_missing_one(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        _owner_app(api)
        headers = tokens.headers("member")
        hidden = client.get(f"/v1/test/households/{OTHER_HOUSEHOLD}", headers=headers)
        missing = client.get("/v1/test/households/hh_nobody", headers=headers)
        hidden_body = assert_problem(hidden, 404, "not-found")
        missing_body = assert_problem(missing, 404, "not-found")
        assert hidden_body["detail"] == f"No household {OTHER_HOUSEHOLD!r} was found."
        assert {**missing_body, "detail": "", "instance": "", "errors": []} == {
            **hidden_body,
            "detail": "",
            "instance": "",
            "errors": [],
        }
        assert error_paths(hidden_body) == ["household_id"]

    def test_staff_pass_the_ownership_check(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        _owner_app(api)
        response = client.get(
            f"/v1/test/households/{OTHER_HOUSEHOLD}", headers=tokens.headers("operator")
        )
        assert response.status_code == 200

    def test_merchant_is_refused_another_merchant(self) -> None:
        principal = Principal("tok_x", Role.MERCHANT, merchant_id=OWN_MERCHANT)
        ensure_owner(principal, merchant_id=OWN_MERCHANT)
        with pytest.raises(NotFound) as refused:
            ensure_owner(principal, merchant_id="m_other")
        assert refused.value.detail == "No merchant 'm_other' was found."

    def test_member_token_is_refused_any_merchant_resource_check_only_for_merchants(self) -> None:
        # A member is not a merchant: merchant ownership does not apply to it.
        principal = Principal("tok_x", Role.MEMBER, household_id=OWN_HOUSEHOLD)
        ensure_owner(principal, merchant_id="m_any")
        with pytest.raises(ValueError):
            ensure_owner(principal)


class TestTokenService:
    def test_only_the_sha256_of_the_secret_is_stored(self, api: FastAPI) -> None:
        with unit_of_work(api.state.db_engine) as session:
            issued = token_service.create_token(session, role=Role.COMMITTEE, label="bureau")
        with unit_of_work(api.state.db_engine) as session:
            rows = session.exec(select(ApiToken)).all()
        assert len(rows) == 1
        row = rows[0]
        assert row.secret_sha256 == hashlib.sha256(issued.secret.encode()).hexdigest()
        assert issued.secret not in (row.token_id, row.label, row.secret_sha256)
        assert len(issued.secret) == 43  # token_urlsafe(32): 256 random bits
        assert (row.role, row.subject_id, row.label) == ("committee", None, "bureau")

    def test_member_token_needs_a_household_and_staff_token_has_none(self, api: FastAPI) -> None:
        with unit_of_work(api.state.db_engine) as session:
            with pytest.raises(InvalidRequest) as member:
                token_service.create_token(session, role=Role.MEMBER)
            with pytest.raises(InvalidRequest) as staff:
                token_service.create_token(session, role=Role.OPERATOR, household_id="hh_1")
            with pytest.raises(InvalidRequest) as merchant:
                token_service.create_token(session, role="merchant", household_id="hh_1")
            with pytest.raises(InvalidRequest) as unknown:
                token_service.create_token(session, role="admin")
        assert [p.path for p in member.value.problems] == ["household_id"]
        assert [p.path for p in staff.value.problems] == ["household_id"]
        assert [p.path for p in merchant.value.problems] == ["merchant_id", "household_id"]
        assert [p.path for p in unknown.value.problems] == ["role"]

    def test_revoking_twice_keeps_the_first_time_and_list_shows_it(self, api: FastAPI) -> None:
        first = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
        later = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
        with unit_of_work(api.state.db_engine) as session:
            issued = token_service.create_token(
                session, role=Role.AUDITOR, now=datetime(2026, 10, 1, tzinfo=UTC)
            )
            token_service.revoke_token(session, issued.info.token_id, now=first)
            again = token_service.revoke_token(session, issued.info.token_id, now=later)
            listed = token_service.list_tokens(session)
        assert again.revoked_at == "2026-11-01T09:30:00Z"
        assert [(t.token_id, t.created_at, t.revoked_at) for t in listed] == [
            (issued.info.token_id, "2026-10-01T00:00:00Z", "2026-11-01T09:30:00Z")
        ]

    def test_authenticate_refuses_empty_and_oversized_secrets(self, api: FastAPI) -> None:
        secret = issue(api, Role.OPERATOR)
        with unit_of_work(api.state.db_engine) as session:
            assert token_service.authenticate(session, "") is None
            assert token_service.authenticate(session, secret + "x" * 300) is None
            found = token_service.authenticate(session, secret)
        assert found is not None and found.role is Role.OPERATOR
        assert found.actor == f"operator:{found.token_id}"


def test_a_request_that_only_computes_holds_no_database_connection(
    api: FastAPI, client: TestClient, tokens: Tokens
) -> None:
    # The token is read in its own transaction, closed before the handler runs: on SQLite a
    # long rule preview must not keep the single writer's lock from purchases.
    router = api_router()

    @router.get("/test/compute")
    def compute(principal: CurrentPrincipal) -> dict[str, int]:
        return {"connections_in_use": api.state.db_engine.pool.checkedout()}

    api.include_router(router, prefix="/v1")
    response = client.get("/v1/test/compute", headers=tokens.headers("committee"))
    assert response.json() == {"connections_in_use": 0}
