"""The request boundary (app.api.input_guard): exact refusals, and a body cut short by a
client that leaves is done by no path, the charge fast path or the route."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.types import Message

from app.api.app import create_app
from app.api.input_guard import (
    INT32,
    INT64,
    NARROW_INTEGER_KEYS,
    TEXT_FORBIDDEN,
    _checked_body,
)
from app.db.settings import Settings
from tests.api.fund_support import seed
from tests.api.support import ENGLISH, Tokens, assert_problem
from tests.api.test_merchants import balance, charge

CHARGES = "/v1/merchant/charges"


def _errors(response: Any) -> list[dict[str, str]]:
    body = assert_problem(response, 422, "validation")
    # (a rule body's problems also carry the key's ``line``: not the guard's concern here)
    return [{"path": e["path"], "message": e["message"]} for e in body["errors"]]


def test_the_narrow_keys_are_the_32_bit_columns() -> None:
    assert {"version", "priority_tier", "engagement_minutes"} <= NARROW_INTEGER_KEYS
    assert not any(key.endswith("_cents") for key in NARROW_INTEGER_KEYS)


class TestRefusals:
    def test_a_nul_in_a_json_text_names_its_field_and_position(
        self, client: TestClient, tokens: Tokens
    ) -> None:
        headers = tokens.headers("merchant") | {"Idempotency-Key": "guard-key-01"}
        response = client.post(CHARGES, json=charge(category="hy\x00giene"), headers=headers)
        assert _errors(response) == [
            {
                "path": "body.category",
                "message": "holds the control character U+0000 at position 2;"
                " expected printable text",
            }
        ]

    def test_integers_beyond_the_storage(self, client: TestClient, tokens: Tokens) -> None:
        headers = tokens.headers("committee") | {"Content-Type": "application/json"}
        body = b'{"document": {"version": 2147483648, "n": [9223372036854775808]}}'
        response = client.post("/v1/rules/check", content=body, headers=headers)
        assert _errors(response) == [
            {
                "path": "body.document.version",
                "message": "2147483648 is out of range; expected from -2147483648 to 2147483647",
            },
            {
                "path": "body.document.n[0]",
                "message": "9223372036854775808 is out of range;"
                " expected from -9223372036854775808 to 9223372036854775807",
            },
        ]

    def test_a_key_twice_and_a_non_number(self, client: TestClient) -> None:
        response = client.post(
            CHARGES,
            content=b'{"a": 1, "b": {"c": 1, "c": 2}}',
            headers={"Content-Type": "application/json"},
        )
        assert _errors(response) == [
            {"path": "body.b.c", "message": "given twice in one object; expected once"}
        ]
        response = client.post(CHARGES, content=b'{"a": -Infinity}')
        assert _errors(response) == [
            {"path": "body", "message": "-Infinity is not a JSON number; expected a finite number"}
        ]

    def test_headers_path_and_query(self, client: TestClient, tokens: Tokens) -> None:
        token = tokens.headers("member")["Authorization"]
        response = client.get(
            "/v1/members/hh_own/balance",
            headers=[("Authorization", token), ("Authorization", token)],
        )
        assert _errors(response) == [
            {"path": "header.authorization", "message": "given 2 times; expected once"}
        ]
        response = client.get("/v1/members/hh%00own/balance", headers={"Authorization": token})
        assert _errors(response) == [
            {
                "path": "path",
                "message": "holds the control character U+0000 at position 14;"
                " expected printable text",
            }
        ]
        response = client.get("/v1/households?limit=1%0a")
        assert _errors(response) == [
            {
                "path": "query.limit",
                "message": "holds the control character U+000A at position 1;"
                " expected printable text",
            }
        ]

    def test_line_breaks_in_a_json_text_pass_the_guard(
        self, client: TestClient, tokens: Tokens
    ) -> None:
        headers = tokens.headers("merchant") | {"Idempotency-Key": "guard-key-02"}
        response = client.post(CHARGES, json=charge(category="a\r\n\tb"), headers=headers)
        # Past the guard: the route's own answer (no such category), not the guard's 422.
        assert response.status_code != 422 or "control character" not in response.text


def _cut_short(app: FastAPI, secret: str, body: bytes) -> list[Message]:
    """POST a charge announcing ``len(body) + 40`` bytes, send ``body``, then leave."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": CHARGES,
        "raw_path": CHARGES.encode(),
        "root_path": "",
        "query_string": b"",
        "server": ("testserver", 80),
        "client": ("testclient", 5000),
        "headers": [
            (b"host", b"testserver"),
            (b"authorization", f"Bearer {secret}".encode()),
            (b"idempotency-key", b"cut-short-0001"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body) + 40).encode()),
        ],
    }
    messages: list[Message] = [
        {"type": "http.request", "body": body, "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        if messages:
            return messages.pop(0)
        await asyncio.sleep(3600)  # the client is gone: nothing more ever comes
        raise AssertionError

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


@pytest.mark.parametrize("lean_routes", [True, False])
def test_a_body_cut_short_by_a_client_that_leaves_is_done_by_no_path(
    db_url: str, lean_routes: bool
) -> None:
    app = create_app(Settings(database_url=db_url), lean_routes=lean_routes)
    try:
        with TestClient(app, headers=ENGLISH) as client:
            tokens = Tokens.standard(app)
            seed(app)
            before = balance(client, tokens)
            taken = app.state.lean_counts["taken"]
            # A whole charge, as JSON, then 40 bytes that never come: the JSON is complete,
            # so a path that took what arrived would record it.
            whole = json.dumps(charge(purchase_id="sale_cut")).encode()
            assert _cut_short(app, tokens.secrets["merchant"], whole) == []
            assert app.state.lean_counts["taken"] == taken
            assert balance(client, tokens) == before
    finally:
        app.state.db_engine.dispose()


# -- the cheap parse misses nothing the walk would refuse (property) ---------------------------

_KEYS = st.sampled_from(["a", "version", "amount_cents", "note", "\x00k", "é"])
_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.text(max_size=12)
)
_DOCUMENTS = st.recursive(
    _LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=12,
)


def _oracle(value: Any, key: str | None = None) -> bool:
    """Whether ``value`` holds anything the guard must refuse (by a plain walk)."""
    if isinstance(value, dict):
        return any(TEXT_FORBIDDEN.search(k) or _oracle(v, k) for k, v in value.items())
    if isinstance(value, list):
        return any(_oracle(item, key) for item in value)
    if isinstance(value, str):
        return TEXT_FORBIDDEN.search(value) is not None
    if isinstance(value, int) and not isinstance(value, bool):
        low, high = INT32 if key in NARROW_INTEGER_KEYS else INT64
        return not low <= value <= high
    return False


@given(document=_DOCUMENTS, ascii_only=st.booleans())
@settings(max_examples=400, deadline=None)
def test_the_guard_refuses_exactly_what_the_storage_cannot_hold(
    document: Any, ascii_only: bool
) -> None:
    raw = json.dumps(document, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    scope = {"headers": [(b"content-type", b"application/json")]}
    checked, problems = _checked_body(scope, raw)
    assert bool(problems) == _oracle(document)
    if not problems:
        assert checked.document == document
