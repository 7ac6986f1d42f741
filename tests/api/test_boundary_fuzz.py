"""Every operation of the OpenAPI schema, fed what the storage cannot hold (control
characters in every text, integers beyond 64 and 32 bits, a key twice, a header twice):
never a 5xx, and the request guard's 422 names the field wherever it applies
(app.api.input_guard). Run on SQLite and, with ``CAISSE_TEST_DATABASE``, on PostgreSQL.

Bounded: one near-valid request per operation, built from the schema's own examples, then
a fixed list of variants of it (no random generation; about a dozen requests each).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.api.app import create_app
from app.db.settings import Settings
from tests.api.support import Tokens

Leaf = Callable[[Any], Any]


def _operations() -> list[tuple[str, str]]:
    schema = create_app(Settings(database_url="sqlite://")).openapi()
    return [(method.upper(), path) for path, item in schema["paths"].items() for method in item]


OPERATIONS = _operations()


class Example:
    """A near-valid request for one operation, from its schema's examples."""

    def __init__(self, schema: dict[str, Any], method: str, path: str) -> None:
        self.schema = schema
        operation = schema["paths"][path][method.lower()]
        self.method, self.template = method, path
        self.roles: list[str] = operation.get("x-roles") or ["anonymous"]
        self.path_params: dict[str, Any] = {}
        self.query: dict[str, Any] = {}
        for parameter in operation.get("parameters", []):
            value = self.value(parameter.get("schema", {}), parameter.get("example"))
            if parameter["in"] == "path":
                self.path_params[parameter["name"]] = value
            elif parameter["in"] == "query":
                self.query[parameter["name"]] = value
        content = operation.get("requestBody", {}).get("content", {})
        body_schema = content.get("application/json", {}).get("schema")
        self.body: Any = None if body_schema is None else self.value(body_schema, None)

    def value(self, schema: dict[str, Any], example: Any) -> Any:
        schema = self.resolve(schema)
        if example is not None:
            return example
        if schema.get("examples"):
            return schema["examples"][0]
        if "example" in schema:
            return schema["example"]
        for key in ("anyOf", "oneOf", "allOf"):
            options = [o for o in schema.get(key, []) if self.resolve(o).get("type") != "null"]
            if options:
                return self.value(options[0], None)
        kind = schema.get("type")
        if kind == "object" or "properties" in schema:
            return {
                name: self.value(sub, None) for name, sub in schema.get("properties", {}).items()
            }
        if kind == "array":
            return [self.value(schema.get("items", {}), None)]
        return {"integer": 1, "number": 1, "boolean": True, "string": "x"}.get(str(kind), "x")

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            schema = self.schema["components"]["schemas"][name]
        return schema

    def url(self, path_params: dict[str, Any]) -> str:
        url = self.template
        for name, value in path_params.items():
            url = url.replace("{" + name + "}", quote(str(value), safe=""))
        return url


def _map_leaves(value: Any, leaf: Leaf, kind: type) -> Any:
    """``value`` with ``leaf`` applied to every leaf of ``kind`` (bool is not an int here)."""
    if isinstance(value, dict):
        return {name: _map_leaves(item, leaf, kind) for name, item in value.items()}
    if isinstance(value, list):
        return [_map_leaves(item, leaf, kind) for item in value]
    if isinstance(value, kind) and not isinstance(value, bool):
        return leaf(value)
    return value


def _count_leaves(value: Any, kind: type) -> int:
    marker: list[int] = []
    _map_leaves(value, lambda leaf: marker.append(1), kind)
    return len(marker)


@pytest.fixture()
def fuzz(api: FastAPI, tokens: Tokens) -> Iterator[tuple[TestClient, Tokens, dict[str, Any]]]:
    with TestClient(api, raise_server_exceptions=False) as client:
        yield client, tokens, api.openapi()


def _send(
    client: TestClient,
    example: Example,
    headers: list[tuple[str, str]],
    *,
    path_params: dict[str, Any] | None = None,
    query: dict[str, Any] | None = None,
    body: bytes | None = None,
) -> Any:
    url = example.url(example.path_params if path_params is None else path_params)
    if body is not None:
        headers = [*headers, ("Content-Type", "application/json")]
    response = client.request(
        example.method,
        url,
        params=example.query if query is None else query,
        content=body,
        headers=headers,
    )
    assert response.status_code < 500, (example.method, url, response.status_code, response.text)
    return response


def _refused(response: Any, path_prefix: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    paths = [error["path"] for error in response.json()["errors"]]
    assert any(path.startswith(path_prefix) for path in paths), paths


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_what_the_storage_cannot_hold_is_never_a_5xx(
    fuzz: tuple[TestClient, Tokens, dict[str, Any]], method: str, path: str
) -> None:
    client, tokens, schema = fuzz
    example = Example(schema, method, path)
    auth = list(tokens.headers(example.roles[0]).items())
    headers = [*auth, ("Idempotency-Key", "fuzz-key-0001")]
    encoded = None if example.body is None else json.dumps(example.body).encode()

    # The example itself, and with every integer at the edges of 32 and 64 bits.
    _send(client, example, headers, body=encoded)
    for edge in (2**31, 2**63 - 1, -(2**63)):
        bent = _map_leaves(example.body, lambda _, edge=edge: edge, int)
        _send(client, example, headers, body=None if bent is None else json.dumps(bent).encode())

    # Control characters in any text: path, query, body.
    for control in ("\x00", "\x1b", "\x7f"):
        if example.path_params:
            dirty = dict.fromkeys(example.path_params, f"a{control}b")
            _refused(_send(client, example, headers, path_params=dirty, body=encoded), "path")
        if example.query:
            dirty = dict.fromkeys(example.query, f"a{control}b")
            _refused(_send(client, example, headers, query=dirty, body=encoded), "query.")
        if example.body is not None and _count_leaves(example.body, str):
            bent = _map_leaves(example.body, lambda text, c=control: f"{text}{c}", str)
            response = _send(client, example, headers, body=json.dumps(bent).encode())
            _refused(response, "body")

    if example.body is not None:
        if _count_leaves(example.body, int):
            bent = _map_leaves(example.body, lambda _: 2**63, int)
            _refused(_send(client, example, headers, body=json.dumps(bent).encode()), "body")
        if isinstance(example.body, dict) and example.body:
            first = next(iter(example.body))
            pairs = json.dumps(example.body)[1:-1]
            twice = f'{{{pairs}, "{first}": {json.dumps(example.body[first])}}}'.encode()
            _refused(_send(client, example, headers, body=twice), f"body.{first}")
        _refused(_send(client, example, headers, body=b'{"a": NaN}'), "body")

    # A header the app reads once, sent twice.
    if auth:
        twice_auth = [*auth, *auth, ("Idempotency-Key", "fuzz-key-0002")]
        _refused(_send(client, example, twice_auth, body=encoded), "header.authorization")
    twice_key = [*auth, ("Idempotency-Key", "fuzz-key-0003"), ("Idempotency-Key", "fuzz-key-4")]
    _refused(_send(client, example, twice_key, body=encoded), "header.idempotency-key")
