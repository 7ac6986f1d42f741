"""The lean handlers of the charge and balance routes (app.api.lean_route) answer exactly as
the same routes' framework handlers: same status, headers and bytes. Each test runs two
apps on the same database, ``client`` (lean handlers on, as shipped) and ``plain`` (off),
and checks through the apps' counters which handler each request took, so a lean handler
that silently handed everything to the framework would fail here.

Charges are compared through idempotency: the same request with the same key sent to the
other app is answered from the journal (a recorded charge's original bytes) or evaluated
again (a refusal writes nothing), so the two answers must be identical.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.api.app import create_app
from app.db.session import unit_of_work
from app.db.settings import Settings
from app.services import tokens as token_service
from app.services.tokens import Role
from tests.api.fund_support import CODE, SALE_DAY, close, fresh_key, seed
from tests.api.support import ENGLISH, Tokens, issue
from tests.api.test_merchants import charge  # the charge body the merchant tests send

CHARGES = "/v1/merchant/charges"
OWN_BALANCE = "/v1/members/hh_own/balance"


@pytest.fixture()
def plain(db_url: str) -> Iterator[TestClient]:
    """The app without lean handlers, on the test's database."""
    app = create_app(Settings(database_url=db_url), lean_routes=False)
    try:
        with TestClient(app, headers=ENGLISH) as test_client:
            yield test_client
    finally:
        app.state.db_engine.dispose()


def merchant(tokens: Tokens, key: str | None) -> dict[str, str]:
    headers = tokens.headers("merchant")
    return headers if key is None else headers | {"Idempotency-Key": key}


def answer(response: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    """What the client received: status, headers in order, body bytes."""
    return response.status_code, list(response.headers.multi_items()), response.content


def taken(api: FastAPI) -> tuple[int, int]:
    counts = api.state.lean_counts
    return counts["taken"], counts["passed"]


class TestCharges:
    def test_a_recorded_charge_replays_the_same_bytes_from_either_path(
        self, api: FastAPI, client: TestClient, plain: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        key = fresh_key()
        hot = client.post(CHARGES, json=charge(), headers=merchant(tokens, key))
        assert taken(api) == (1, 0)
        assert hot.status_code == 200 and hot.json()["credit_cents"] == 500
        assert answer(plain.post(CHARGES, json=charge(), headers=merchant(tokens, key))) == answer(
            hot
        )
        # And the other way round: recorded by the app, replayed by the lean handler.
        other = fresh_key()
        body = charge(purchase_id="sale_second")
        first = plain.post(CHARGES, json=body, headers=merchant(tokens, other))
        assert first.status_code == 200, first.text
        again = client.post(CHARGES, json=body, headers=merchant(tokens, other))
        assert taken(api) == (2, 0)
        assert answer(again) == answer(first)
        assert first.json()["seq"] == hot.json()["seq"] + 1

    @pytest.mark.parametrize(
        ("changes", "status"),
        [
            ({"category": "food", "amount_cents": 7000, "split": False}, 409),  # too little credit
            ({"household_id": "hh_nobody"}, 403),  # no consent code to match
            ({"purchase_id": "sale_own"}, 409),  # the seeded sale's id
            ({"category": "tobacco"}, 409),  # a category the merchant may not sell
        ],
    )
    def test_a_refusal_is_the_app_s_problem_document(
        self,
        api: FastAPI,
        client: TestClient,
        plain: TestClient,
        tokens: Tokens,
        changes: dict[str, Any],
        status: int,
    ) -> None:
        seed(api)
        key = fresh_key()
        hot = client.post(CHARGES, json=charge(**changes), headers=merchant(tokens, key))
        assert taken(api) == (1, 0)
        assert hot.status_code == status, hot.text
        assert hot.headers["content-type"] == "application/problem+json"
        cold = plain.post(CHARGES, json=charge(**changes), headers=merchant(tokens, key))
        assert answer(cold) == answer(hot)

    def test_a_closed_month_is_refused_alike(
        self, api: FastAPI, client: TestClient, plain: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        close(api)
        key = fresh_key()
        hot = client.post(CHARGES, json=charge(), headers=merchant(tokens, key))
        assert hot.status_code == 409 and taken(api) == (1, 0)
        assert answer(plain.post(CHARGES, json=charge(), headers=merchant(tokens, key))) == answer(
            hot
        )

    @pytest.mark.parametrize(
        ("case", "expected"),
        [
            ("no token", 401),
            ("unknown token", 401),
            ("basic scheme", 401),
            ("member token", 403),
            ("no key", 422),
            ("short key", 422),
            ("key with a space", 422),
            ("malformed json", 422),
            ("unknown field", 422),
            ("fractional cents", 422),
            ("text content type", 422),
        ],
    )
    def test_what_is_not_plainly_valid_goes_to_the_app(
        self,
        api: FastAPI,
        client: TestClient,
        plain: TestClient,
        tokens: Tokens,
        case: str,
        expected: int,
    ) -> None:
        seed(api)
        headers, content = _variant(tokens, case)
        hot = client.post(CHARGES, content=content, headers=headers)
        assert taken(api) == (0, 1)
        assert hot.status_code == expected, hot.text
        assert answer(plain.post(CHARGES, content=content, headers=headers)) == answer(hot)

    def test_a_query_string_goes_to_the_app_and_a_streamed_body_is_taken(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        with_query = client.post(
            CHARGES + "?x=1", json=charge(), headers=merchant(tokens, fresh_key())
        )
        assert with_query.status_code == 200, with_query.text
        streamed = client.post(
            CHARGES,
            content=iter([json.dumps(charge(purchase_id="sale_s")).encode()]),
            headers=merchant(tokens, fresh_key()) | {"Content-Type": "application/json"},
        )
        assert streamed.status_code == 200, streamed.text
        # The query string goes to the framework's handler (uncounted); the streamed body was read whole by
        # the request guard (app.api.input_guard) like any other, so the lean handler took it.
        assert taken(api) == (1, 0)


def _variant(tokens: Tokens, case: str) -> tuple[dict[str, str], bytes]:
    headers = {"Content-Type": "application/json"} | merchant(tokens, fresh_key())
    body: Any = charge(purchase_id=f"sale_{case.replace(' ', '_')}")
    if case == "no token":
        del headers["Authorization"]
    elif case == "unknown token":
        headers["Authorization"] = "Bearer not-a-token-of-this-fund"
    elif case == "basic scheme":
        headers["Authorization"] = headers["Authorization"].replace("Bearer", "Basic")
    elif case == "member token":
        headers["Authorization"] = tokens.headers("member")["Authorization"]
    elif case == "no key":
        del headers["Idempotency-Key"]
    elif case == "short key":
        headers["Idempotency-Key"] = "abc"
    elif case == "key with a space":
        headers["Idempotency-Key"] = "a key with spaces"
    elif case == "malformed json":
        return headers, b'{"purchase_id": '
    elif case == "unknown field":
        body["tip_cents"] = 100
    elif case == "fractional cents":
        body["amount_cents"] = 10.5
    elif case == "text content type":
        headers["Content-Type"] = "text/plain"
    return headers, json.dumps(body).encode()


class TestBalances:
    @pytest.mark.parametrize("who", ["member", "operator", "auditor"])
    def test_the_same_bytes_as_the_app(
        self, api: FastAPI, client: TestClient, plain: TestClient, tokens: Tokens, who: str
    ) -> None:
        seed(api)
        hot = client.get(OWN_BALANCE, headers=tokens.headers(who))
        assert hot.status_code == 200 and taken(api) == (1, 0)
        assert hot.json()["credit_cents"] == 6000
        assert answer(plain.get(OWN_BALANCE, headers=tokens.headers(who))) == answer(hot)

    def test_an_unknown_household_is_the_app_s_404(
        self, api: FastAPI, client: TestClient, plain: TestClient, tokens: Tokens
    ) -> None:
        path = "/v1/members/hh_nobody/balance"
        hot = client.get(path, headers=tokens.headers("operator"))
        assert hot.status_code == 404 and taken(api) == (1, 0)
        assert answer(plain.get(path, headers=tokens.headers("operator"))) == answer(hot)

    @pytest.mark.parametrize(
        ("who", "path", "expected"),
        [
            ("member", "/v1/members/hh_other/balance", 404),  # another member's household
            ("merchant", OWN_BALANCE, 403),
            ("committee", OWN_BALANCE, 403),
            ("anonymous", OWN_BALANCE, 401),
        ],
    )
    def test_what_the_caller_may_not_see_goes_to_the_app(
        self,
        api: FastAPI,
        client: TestClient,
        plain: TestClient,
        tokens: Tokens,
        who: str,
        path: str,
        expected: int,
    ) -> None:
        seed(api)
        hot = client.get(path, headers=tokens.headers(who))
        assert hot.status_code == expected and taken(api) == (0, 1)
        assert answer(plain.get(path, headers=tokens.headers(who))) == answer(hot)

    def test_a_revoked_token_is_refused_at_once_in_its_process(
        self, api: FastAPI, client: TestClient, tokens: Tokens
    ) -> None:
        seed(api)
        secret = issue(api, Role.OPERATOR)
        headers = {"Authorization": f"Bearer {secret}"}
        assert client.get(OWN_BALANCE, headers=headers).status_code == 200
        _revoke(api, secret)
        refused = client.get(OWN_BALANCE, headers=headers)
        assert refused.status_code == 401


def _revoke(api: FastAPI, secret: str) -> None:
    """Revoke the token of ``secret`` the way ``caisse token revoke`` does."""
    with unit_of_work(api.state.db_engine) as session:
        principal = token_service.authenticate(session, secret)
        assert principal is not None
        token_service.revoke_token(session, principal.token_id)


VALID_VALUES: dict[str, list[Any]] = {
    "purchase_id": ["sale_p1", "sale_p2", "sale_own"],  # sale_own: the seeded sale (409)
    "household_id": ["hh_own", "hh_nobody"],
    "category": ["food", "hygiene", "tobacco"],  # tobacco: not sold by this merchant
    "amount_cents": [1, 450, 5999, 6000, 8000],
    "on": [SALE_DAY, "2026-11-30"],
}
INVALID_VALUES: dict[str, list[Any]] = {
    "purchase_id": ["sale own", "x" * 81, None],
    "household_id": ["", 42],
    "category": [3, ""],
    "amount_cents": [0, -5, 10.5, "100", True, None, 10**12],
    "on": ["2026-02-30", 20261115, "15/11/2026"],
    "tip": [0, 5],  # not a field of a charge
}


@st.composite
def charge_bodies(draw: st.DrawFn) -> dict[str, Any]:
    """A charge body built from valid values, then given up to two faults (a field dropped
    or made invalid): about a third of the bodies are valid."""
    body = {name: draw(st.sampled_from(values)) for name, values in VALID_VALUES.items()}
    body["consent_code"] = CODE  # a wrong code changes state (attempts), so it stays right
    for _ in range(draw(st.integers(0, 2))):
        name = draw(st.sampled_from(sorted(INVALID_VALUES)))
        if draw(st.booleans()) and name in body:
            del body[name]
        else:
            body[name] = draw(st.sampled_from(INVALID_VALUES[name]))
    return body


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(body=charge_bodies())
def test_any_charge_body_gets_the_same_answer_from_both_paths(
    api: FastAPI, client: TestClient, plain: TestClient, tokens: Tokens, body: dict[str, Any]
) -> None:
    """Whatever the body, the hot app's answer equals the plain app's to the same request
    with the same key (a replay when it was recorded, the same refusal when it was not)."""
    if not getattr(api.state, "seeded", False):  # once per test, not per example
        seed(api)
        api.state.seeded = True
    key = fresh_key()
    hot = client.post(CHARGES, json=body, headers=merchant(tokens, key))
    cold = plain.post(CHARGES, json=body, headers=merchant(tokens, key))
    assert answer(cold) == answer(hot)
    assert hot.status_code < 500


def test_a_defect_behind_a_lean_handler_is_a_500_raised_like_the_app_s(
    api: FastAPI, tokens: Tokens, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug is answered 500 without internals, and raised (logged by the server)."""
    seed(api)

    async def broken(*_: Any) -> Any:
        raise ZeroDivisionError("a defect")

    monkeypatch.setattr("app.api.routers.merchants.record_charge", broken)
    with TestClient(api, headers=ENGLISH, raise_server_exceptions=False) as quiet:
        response = quiet.post(CHARGES, json=charge(), headers=merchant(tokens, fresh_key()))
    assert response.status_code == 500
    assert response.json()["detail"] == (
        "An unexpected error occurred and was logged. Nothing was written."
    )
    with TestClient(api, headers=ENGLISH) as loud, pytest.raises(ZeroDivisionError):
        loud.post(CHARGES, json=charge(), headers=merchant(tokens, fresh_key()))
    assert taken(api) == (2, 0)
