"""A date in a request body is text (``"2027-01-31"``), the only way JSON writes one.

pydantic alone would read a number as seconds since 1970 (``0`` is 1970-01-01): a client
that sent a number for a day meant something else, so it is refused (422 naming the field,
nothing written) instead of being booked in 1969 or 1970.
"""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.fund_support import call, fresh_key, seed
from tests.api.support import Tokens, assert_problem, error_paths
from tests.api.test_households import ENROL, enrolment


@pytest.mark.parametrize("number", [0, 1_700_000_000, 20270131, 1.5])
def test_a_number_is_not_an_expiry_day(
    api: FastAPI, client: TestClient, tokens: Tokens, number: float
) -> None:
    seed(api)
    refused = call(
        client, tokens, "operator", "POST", "/v1/months/expire", {"as_of": number}, key=fresh_key()
    )
    problem = assert_problem(refused, 422, "validation")
    assert error_paths(problem) == ["body.as_of"]
    # The same day as text is read (nothing is due on it: nothing expires).
    done = call(
        client, tokens, "operator", "POST", "/v1/months/expire", {"as_of": "2026-12-01"},
        key=fresh_key(),
    )  # fmt: skip
    assert done.status_code == 200, done.text


def test_a_number_is_not_a_birth_date_and_nobody_is_enrolled(
    api: FastAPI, client: TestClient, tokens: Tokens
) -> None:
    body = enrolment(facts={"income_cents": 145000, "persons": [{"birth_on": 0}]})
    problem = assert_problem(
        call(client, tokens, "operator", "POST", ENROL, body, key=fresh_key()),
        422,
        "validation",
    )
    assert error_paths(problem) == ["body.facts.persons[0].birth_on"]
    missing = call(client, tokens, "operator", "GET", f"{ENROL}/hh_new")
    assert missing.status_code == 404
