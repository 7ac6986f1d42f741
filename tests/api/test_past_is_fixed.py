"""Through the API: a rule set cannot take effect in a month already closed or sealed (409
``month-closed`` naming the month); a retry of an adoption recorded before the close answers
as it did."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.fund_support import FUND_RULES, PERIOD, call, close, draft, fresh_key, rules, seal
from tests.api.fund_support import seed as seed_fund
from tests.api.support import Tokens, assert_problem

ADOPT_V2 = "/v1/rules/versions/testfund/2/adopt"
DECISION = {"decision": FUND_RULES["decision"]}


@pytest.mark.parametrize("sealed", [False, True])
def test_adopting_rules_effective_in_a_closed_or_sealed_month_is_409(
    api: FastAPI, client: TestClient, tokens: Tokens, sealed: bool
) -> None:
    seed_fund(api)
    draft(api, {**rules(2), "effective_from": PERIOD})
    close(api)
    if sealed:
        seal(api)
    response = call(client, tokens, "committee", "POST", ADOPT_V2, DECISION, key=fresh_key())
    problem = assert_problem(response, 409, "month-closed")
    status = "sealed" if sealed else "closed"
    assert problem["detail"].startswith(
        f"Month {PERIOD} is {status}: rules cannot take effect in it."
    )
    versions = call(client, tokens, "committee", "GET", "/v1/rules/versions").json()
    assert [(v["version"], v["status"]) for v in versions["versions"]] == [
        (1, "adopted"),
        (2, "draft"),
    ]


def test_a_retry_of_an_adoption_recorded_before_the_close_answers_as_before(
    api: FastAPI, client: TestClient, tokens: Tokens
) -> None:
    seed_fund(api)
    draft(api, {**rules(2), "effective_from": PERIOD})
    key = fresh_key()
    first = call(client, tokens, "committee", "POST", ADOPT_V2, DECISION, key=key)
    assert first.status_code == 200, first.text
    close(api)
    again = call(client, tokens, "committee", "POST", ADOPT_V2, DECISION, key=key)
    assert (again.status_code, again.json()) == (200, first.json())
