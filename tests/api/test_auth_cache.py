"""The in-process token cache (app.services.tokens.TOKEN_CACHE) behind ``get_principal``.

Real databases, no mock of them: a token row is deleted behind the cache to show what the
cache answers alone, and statements are counted with a SQLAlchemy event listener. The
cache's clock is a settable number (no sleeping)."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import delete, event

from app.api.deps import ROLES_ATTRIBUTE, get_principal, require_roles
from app.db.session import unit_of_work
from app.db.tables_auth import ApiToken
from app.services import tokens as token_service
from app.services.tokens import TOKEN_CACHE, Principal, Role, TokenCache, hash_secret
from tests.api.support import OWN_HOUSEHOLD, assert_problem, issue, valid_rules

VALIDATE = "/v1/rules/validate"
"""Needs a valid committee token and computes only: a cache hit there touches no table."""


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture()
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    """TOKEN_CACHE on a fake clock with a 2 s TTL, emptied before and after the test."""
    fake = Clock()
    monkeypatch.setattr(TOKEN_CACHE, "clock", fake)
    monkeypatch.setattr(TOKEN_CACHE, "ttl", 2.0)
    TOKEN_CACHE.clear()
    yield fake
    TOKEN_CACHE.clear()


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def validate(client: TestClient, secret: str) -> Any:
    return client.post(VALIDATE, json=valid_rules(), headers=bearer(secret))


def drop_row(api: FastAPI, secret: str) -> None:
    """Delete the token behind the cache's back (not a revocation: no service is told)."""
    with unit_of_work(api.state.db_engine) as session:
        session.execute(delete(ApiToken).where(ApiToken.secret_sha256 == hash_secret(secret)))  # type: ignore[arg-type]


class StatementCount:
    def __init__(self, api: FastAPI) -> None:
        self.count = 0
        self.engine = api.state.db_engine
        event.listen(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: Any) -> None:
        self.count += 1

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)


class TestCacheThroughTheApi:
    def test_a_hit_reads_no_table_and_a_dropped_row_lasts_until_the_ttl(
        self, api: FastAPI, client: TestClient, clock: Clock
    ) -> None:
        secret = issue(api, Role.COMMITTEE)
        assert validate(client, secret).status_code == 200  # miss: read, then cached
        counter = StatementCount(api)
        try:
            assert validate(client, secret).status_code == 200
        finally:
            counter.close()
        assert counter.count == 0
        drop_row(api, secret)
        clock.now += 1.999
        assert validate(client, secret).status_code == 200  # still cached
        clock.now += 0.001
        body = assert_problem(validate(client, secret), 401, "unauthenticated")
        assert body["detail"] == "The bearer token is unknown or has been revoked."

    def test_revocation_through_the_service_drops_the_token_at_once(
        self, api: FastAPI, client: TestClient, clock: Clock
    ) -> None:
        with unit_of_work(api.state.db_engine) as session:
            issued = token_service.create_token(session, role=Role.COMMITTEE)
        assert validate(client, issued.secret).status_code == 200
        assert TOKEN_CACHE.get(hash_secret(issued.secret)) is not None
        with unit_of_work(api.state.db_engine) as session:
            token_service.revoke_token(session, issued.info.token_id)
        # The clock has not moved: only the revocation can explain the 401.
        assert_problem(validate(client, issued.secret), 401, "unauthenticated")
        assert TOKEN_CACHE.get(hash_secret(issued.secret)) is None

    def test_ttl_zero_disables_the_cache(
        self, api: FastAPI, client: TestClient, clock: Clock, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(TOKEN_CACHE, "ttl", 0.0)
        secret = issue(api, Role.COMMITTEE)
        assert validate(client, secret).status_code == 200
        assert len(TOKEN_CACHE) == 0
        drop_row(api, secret)
        assert_problem(validate(client, secret), 401, "unauthenticated")

    def test_unknown_and_revoked_tokens_are_never_cached(
        self, api: FastAPI, client: TestClient, clock: Clock
    ) -> None:
        assert_problem(validate(client, "not-a-token"), 401, "unauthenticated")
        with unit_of_work(api.state.db_engine) as session:
            issued = token_service.create_token(session, role=Role.COMMITTEE)
            token_service.revoke_token(session, issued.info.token_id)
        assert_problem(validate(client, issued.secret), 401, "unauthenticated")
        assert len(TOKEN_CACHE) == 0
        # A token created after its secret was refused is accepted at once.
        fresh = issue(api, Role.COMMITTEE)
        assert validate(client, fresh).status_code == 200

    def test_cached_principal_keeps_its_role_and_subject(
        self, api: FastAPI, client: TestClient, clock: Clock
    ) -> None:
        secret = issue(api, Role.MEMBER, household_id=OWN_HOUSEHOLD)
        assert validate(client, secret).status_code == 403  # a member may not validate
        drop_row(api, secret)
        body = assert_problem(validate(client, secret), 403, "forbidden")
        assert body["detail"].endswith("Your token's role is member.")
        cached = TOKEN_CACHE.get(hash_secret(secret))
        assert cached is not None
        assert (cached.role, cached.household_id) == (Role.MEMBER, OWN_HOUSEHOLD)


class TestTokenCache:
    def principal(self, n: int) -> Principal:
        return Principal(token_id=f"tok_{n}", role=Role.AUDITOR)

    def test_bounded_oldest_evicted_first(self) -> None:
        cache = TokenCache(10.0, capacity=3, clock=Clock())
        for n in range(4):
            cache.put(f"d{n}", self.principal(n))
        assert len(cache) == 3
        assert cache.get("d0") is None
        assert [cache.get(f"d{n}") for n in (1, 2, 3)] == [self.principal(n) for n in (1, 2, 3)]

    def test_a_lookup_finishing_after_a_revocation_is_not_cached(self) -> None:
        cache = TokenCache(10.0, clock=Clock())
        cache.forget("d1", "tok_1")
        cache.put("d1", self.principal(1))
        assert cache.get("d1") is None

    def test_expired_entries_are_dropped(self) -> None:
        clock = Clock()
        cache = TokenCache(2.0, clock=clock)
        cache.put("d1", self.principal(1))
        clock.now += 2.0
        assert cache.get("d1") is None
        assert len(cache) == 0

    @pytest.mark.parametrize(
        ("raw", "expected"), [(None, 2.0), ("", 2.0), ("0", 0.0), ("0.5", 0.5), (" 30 ", 30.0)]
    )
    def test_ttl_from_the_environment(self, raw: str | None, expected: float) -> None:
        environ = {} if raw is None else {token_service.TTL_VARIABLE: raw}
        assert token_service.ttl_from_env(environ) == expected

    @pytest.mark.parametrize("raw", ["-1", "two", "inf", "nan"])
    def test_a_bad_ttl_is_refused(self, raw: str) -> None:
        with pytest.raises(ValueError, match=token_service.TTL_VARIABLE):
            token_service.ttl_from_env({token_service.TTL_VARIABLE: raw})


class TestDependencies:
    def test_auth_and_role_checks_run_on_the_event_loop(self) -> None:
        check = require_roles(Role.OPERATOR, Role.AUDITOR)
        assert inspect.iscoroutinefunction(get_principal)
        assert inspect.iscoroutinefunction(check)
        assert getattr(check, ROLES_ATTRIBUTE) == (Role.OPERATOR, Role.AUDITOR)
