"""A query parameter given twice is refused with a problem naming it, not silently resolved."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from app.api.app import create_app
from app.db.settings import Settings
from tests.api.support import ENGLISH


def test_repeated_query_parameter_is_a_422_naming_it(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/guard.db"))
    with TestClient(app, headers=ENGLISH) as client:
        response = client.get("/v1/rules/versions?rule_set_id=a&rule_set_id=b&x=1")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["errors"] == [
        {"path": "query.rule_set_id", "message": "given 2 times; expected at most once"}
    ]
    assert body["type"] == "urn:caisse:problem:validation"


def test_single_query_parameters_pass_through(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/guard.db"))
    with TestClient(app, headers=ENGLISH) as client:
        # No token: the request reaches the auth check (401), not the guard.
        assert client.get("/v1/rules/versions?rule_set_id=a").status_code == 401
