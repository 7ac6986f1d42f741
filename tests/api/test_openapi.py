"""The OpenAPI document explains itself: roles per endpoint, audience tags, every field with
a description, an example and a unit, cents as integers, errors as problem documents."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.api.schemas.fields import CENTS_UNIT

AUDIENCE_TAGS = {"committee", "operator", "member", "merchant", "auditor", "researcher", "system"}


def _operations(app: FastAPI) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in app.openapi()["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


def _walk(node: Any, where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            yield from _walk(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{where}/{index}")


def test_docs_page_and_fund_description_are_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    info = client.get("/openapi.json").json()["info"]
    assert "citizen food fund" in info["description"]
    assert "integer number of cents" in info["description"]
    tags = {tag["name"] for tag in client.get("/openapi.json").json()["tags"]}
    assert tags == AUDIENCE_TAGS


def test_every_endpoint_states_its_role_first_and_has_an_audience_tag(api: FastAPI) -> None:
    for name, operation in _operations(api):
        assert operation["description"].startswith("Role: "), name
        assert operation["summary"], name
        assert operation["tags"] and set(operation["tags"]) <= AUDIENCE_TAGS, name


def test_every_field_has_a_description_an_example_and_a_unit(api: FastAPI) -> None:
    schemas = api.openapi()["components"]["schemas"]
    for model, schema in schemas.items():
        for name, field in schema.get("properties", {}).items():
            where = f"{model}.{name}"
            assert field.get("description"), where
            assert "examples" in field, where
            assert field.get("x-unit"), where
            assert f"Unit: {field['x-unit']}." in field["description"], where
            if name.endswith("_cents"):
                assert field["x-unit"] == CENTS_UNIT, where


def test_no_float_anywhere_in_the_schema(api: FastAPI) -> None:
    for where, node in _walk(api.openapi()):
        assert node.get("type") != "number", where


def test_every_error_response_is_a_problem_document(api: FastAPI) -> None:
    for name, operation in _operations(api):
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                assert list(response["content"]) == ["application/problem+json"], (name, status)
                schema = response["content"]["application/problem+json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ProblemDetails"}, (name, status)


def test_each_operation_is_tagged_once_with_exactly_the_roles_that_may_call_it() -> None:
    from app.api.app import create_app
    from app.db.settings import Settings

    spec = create_app(Settings(database_url="sqlite:///:memory:")).openapi()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            tags, roles = operation["tags"], operation["x-roles"]
            assert len(tags) == len(set(tags)), (method, path, tags)
            if (
                operation["description"].startswith("Role: ")
                and roles
                and "any valid" not in (operation["description"])
            ):
                assert tags == roles, (method, path, tags, roles)
    export = spec["paths"]["/v1/members/{household_id}/export"]["get"]
    assert export["tags"] == ["member", "operator"]
