"""A database that cannot answer is a 503 with Retry-After, whatever the error's shape:
SQLAlchemy's or psycopg's operational error (down, locked, pool timeout) or interface error
(a connection found closed, as under the charge writer's pipeline)."""

from __future__ import annotations

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import InterfaceError, OperationalError

from app.api.errors import DATABASE_UNAVAILABLE
from app.api.routing import api_router
from tests.api.support import ENGLISH, assert_problem

ERRORS = {
    "sqlalchemy-operational": OperationalError("SELECT 1", {}, Exception("server closed")),
    "sqlalchemy-interface": InterfaceError("SELECT 1", {}, Exception("connection closed")),
    "psycopg-operational": psycopg.OperationalError("the connection is lost"),
    "psycopg-interface": psycopg.InterfaceError("the connection is closed"),
}


def test_every_kind_is_listed() -> None:
    assert {type(error) for error in ERRORS.values()} == set(DATABASE_UNAVAILABLE)


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_a_database_that_cannot_answer_is_503_with_retry_after(api: FastAPI, name: str) -> None:
    router = api_router()

    @router.get("/test/down")
    def down() -> None:
        raise ERRORS[name]

    api.include_router(router, prefix="/v1")
    response = TestClient(api, headers=ENGLISH).get("/v1/test/down")
    problem = assert_problem(response, 503, "database-unavailable")
    assert response.headers["retry-after"] == "1"
    assert "closed" not in response.text and "lost" not in response.text
    assert problem["errors"] == []
