"""Reads on the event loop (app.db.async_reads, PostgreSQL): the same answers as the same
reads through SQLAlchemy, a dropped connection read again, and a database that cannot
answer reported as 503 like any other."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.api.app import create_app
from app.db.async_reads import AsyncReads, CompiledRead
from app.db.session import unit_of_work
from app.db.settings import Settings
from app.services import tokens as token_service
from app.services import views
from app.services.errors import NotFound
from app.services.tokens import Role
from tests.api.fund_support import seed
from tests.api.support import ENGLISH, OTHER_HOUSEHOLD, OWN_HOUSEHOLD, assert_problem, issue
from tests.fixtures_db import db_url, postgres_schema, sqlite_template

__all__ = ["db_url", "postgres_schema", "sqlite_template"]

T = TypeVar("T")
_PID = CompiledRead("SELECT pg_backend_pid()")


@pytest.fixture()
def api(db_url: str) -> Iterator[FastAPI]:
    if not db_url.startswith("postgresql"):
        pytest.skip("reads on the event loop are for PostgreSQL")
    app = create_app(Settings(database_url=db_url))
    try:
        yield app
    finally:
        app.state.db_engine.dispose()


def on_loop(api: FastAPI, work: Callable[[AsyncReads], Awaitable[T]]) -> T:
    """``work`` with a pool of the app's read engine, opened and closed in one loop."""

    async def run() -> T:
        pool = AsyncReads(api.state.db_engine)
        await pool.open()
        try:
            return await work(pool)
        finally:
            await pool.close()

    return asyncio.run(run())


def test_balances_are_the_same_as_through_sqlalchemy(api: FastAPI) -> None:
    seed(api)
    engine = api.state.db_engine

    async def both(pool: AsyncReads) -> list[dict[str, Any]]:
        return [await views.balances_on_loop(pool, h) for h in (OWN_HOUSEHOLD, OTHER_HOUSEHOLD)]

    found = on_loop(api, both)
    assert found == [views.balances(engine, h) for h in (OWN_HOUSEHOLD, OTHER_HOUSEHOLD)]
    # Worked out in tests/services/test_balance_read.py: 60 € left of OWN's credit.
    assert found[0]["credit_cents"] == 6000
    assert found[0]["lots"] == [
        {"lot_id": "7.3", "period": "2026-11", "remaining_cents": 6000, "expires_after": "2026-12"}
    ]


def test_an_unknown_household_is_not_found(api: FastAPI) -> None:
    with pytest.raises(NotFound):
        on_loop(api, lambda pool: views.balances_on_loop(pool, "hh_nobody"))


def test_tokens_are_the_same_as_through_sqlalchemy(api: FastAPI) -> None:
    member = issue(api, Role.MEMBER, household_id=OWN_HOUSEHOLD)
    revoked = issue(api, Role.OPERATOR)
    with unit_of_work(api.state.db_engine) as session:
        principal = token_service.authenticate(session, revoked)
        assert principal is not None
        token_service.revoke_token(session, principal.token_id)
    secrets = [member, revoked, "never-issued", "x" * 201, ""]

    async def all_of(pool: AsyncReads) -> list[Any]:
        return [await token_service.lookup_principal_on_loop(pool, s) for s in secrets]

    found = on_loop(api, all_of)
    engine = api.state.db_engine
    assert found == [token_service.lookup_principal(engine, s) for s in secrets]
    assert found[0] is not None and found[0].household_id == OWN_HOUSEHOLD
    assert found[1:] == [None, None, None, None]


def test_a_dropped_connection_is_read_again_on_another(api: FastAPI) -> None:
    seed(api)

    async def drop_then_read(pool: AsyncReads) -> tuple[int, int, dict[str, Any]]:
        (pid,) = (await pool.rows(_PID, {}))[0]
        with api.state.db_engine.begin() as connection:  # what a database restart does
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        found = await views.balances_on_loop(pool, OWN_HOUSEHOLD)
        (after,) = (await pool.rows(_PID, {}))[0]
        return pid, after, found

    before, after, found = on_loop(api, drop_then_read)
    assert found["credit_cents"] == 6000
    assert after != before


class _Unavailable:
    """A pool whose database cannot answer (what psycopg raises when it is down)."""

    async def rows(self, *_: Any) -> Any:
        raise psycopg.OperationalError("connection refused")

    async def close(self) -> None:
        return None


@pytest.fixture(params=[True, False], ids=["lean routes", "framework only"])
def either_app(db_url: str, request: pytest.FixtureRequest) -> Iterator[FastAPI]:
    """The app with and without its lean route handlers (PostgreSQL)."""
    if not db_url.startswith("postgresql"):
        pytest.skip("reads on the event loop are for PostgreSQL")
    app = create_app(Settings(database_url=db_url), lean_routes=request.param)
    try:
        yield app
    finally:
        app.state.db_engine.dispose()


def test_a_database_that_cannot_answer_is_a_503(either_app: FastAPI) -> None:
    app = either_app
    seed(app)
    headers = {"Authorization": f"Bearer {issue(app, Role.OPERATOR)}"}
    path = f"/v1/members/{OWN_HOUSEHOLD}/balance"
    with TestClient(app, headers=ENGLISH) as client:
        assert client.get(path, headers=headers).status_code == 200  # token now cached
        pool, app.state.async_reads = app.state.async_reads, _Unavailable()
        response = client.get(path, headers=headers)
        app.state.async_reads = pool
    body = assert_problem(response, 503, "database-unavailable")
    assert response.headers["retry-after"] == "1"
    assert body["detail"] == "Nothing was written. Retry in a moment."


def test_a_token_that_cannot_be_read_is_a_503_not_a_500(either_app: FastAPI) -> None:
    """A token not in the cache while the database cannot answer: 503, nothing else."""
    app = either_app
    headers = {"Authorization": f"Bearer {issue(app, Role.OPERATOR)}"}
    with TestClient(app, headers=ENGLISH) as client:
        pool, app.state.async_reads = app.state.async_reads, _Unavailable()
        response = client.get(f"/v1/members/{OWN_HOUSEHOLD}/balance", headers=headers)
        app.state.async_reads = pool
    assert_problem(response, 503, "database-unavailable")
    assert app.state.lean_counts["passed"] == (1 if app.state.lean_routes else 0)
