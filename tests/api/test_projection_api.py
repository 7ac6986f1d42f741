"""POST /v1/research/projection: committee, researcher and auditor; aggregates only.

The fund of ``tests/api/fund_support.seed``: after November's run and two sales of 2 000,
the free reserve is 100 000 + 7 000 − 30 000 = 77 000 cents; each month then costs
30 000 − 7 000 = 23 000 with nothing expiring at a spend rate of 1/2 (the older lot is
spent first), so the reserve ends December, January, February at 54 000, 31 000, 8 000;
March's budget 8 000 + 7 000 = 15 000 serves half of the 30 000 entitled (15 000 short),
and what February's lots still hold after March's spending expires: 2 250 + 5 000.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.fund_support import FUND_RULES, call, seed
from tests.api.support import OTHER_HOUSEHOLD, OWN_HOUSEHOLD, Tokens, assert_problem, error_paths

PATH = "/v1/research/projection"
BODY: dict[str, Any] = {"assumptions": {"months": 4, "spend_rate": "0.5"}}


@pytest.mark.parametrize("who", ["committee", "researcher", "auditor"])
def test_the_projection_names_when_rationing_starts_and_what_avoids_it(
    api: FastAPI, client: TestClient, tokens: Tokens, who: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The seeded fund has two households: a researcher sees them only under a threshold of 2.
    monkeypatch.setenv("CAISSE_RESEARCH_THRESHOLD", "2")
    seed(api)
    response = call(client, tokens, who, "POST", PATH, BODY)
    assert response.status_code == 200, response.text
    result = response.json()["projection"]
    assert (result["start"], result["reserve_cents"]) == ("2026-12", 77_000)
    ends = [m["reserve_end_cents"] for m in result["months"]]
    assert ends == [54_000, 31_000, 8_000, 7_250]
    march = result["months"][3]
    assert (march["budget_cents"], march["credit_cents"], march["served"]) == (
        15_000,
        15_000,
        "1/2",
    )
    assert result["rationing_starts"] == "2027-03"
    assert result["subsidy_to_avoid_cents"] == 15_000
    assert OWN_HOUSEHOLD not in response.text and OTHER_HOUSEHOLD not in response.text


def test_a_researcher_sees_no_projection_of_fewer_households_than_the_threshold(
    api: FastAPI, client: TestClient, tokens: Tokens
) -> None:
    seed(api)  # two households, under the default threshold of 10
    problem = assert_problem(call(client, tokens, "researcher", "POST", PATH, BODY), 409, "conflict")
    assert error_paths(problem) == ["households"]
    assert "fewer than 10 households in 2026-12" in problem["errors"][0]["message"]
    # The committee, which may see the households anyway, still gets it.
    assert call(client, tokens, "committee", "POST", PATH, BODY).status_code == 200


def test_a_researcher_may_not_add_or_drop_households_nor_bring_rules_of_their_own(
    api: FastAPI, client: TestClient, tokens: Tokens, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Departures drop households in id order: 0 then 1 departure would give the first
    household's contribution, so its income. A document of one's own could select any
    group through eligibility. Both are refused to a researcher, naming the field."""
    monkeypatch.setenv("CAISSE_RESEARCH_THRESHOLD", "2")
    seed(api)
    moving = {"assumptions": {"months": 4, "departures_per_month": 1, "arrivals_per_month": 2}}
    problem = assert_problem(call(client, tokens, "researcher", "POST", PATH, moving), 403, "forbidden")
    assert sorted(error_paths(problem)) == [
        "assumptions.arrivals_per_month", "assumptions.departures_per_month",
    ]  # fmt: skip
    draft = FUND_RULES | {"version": 2, "credit": {"formula": {"kind": "fixed", "amount_cents": 1}}}
    problem = assert_problem(
        call(client, tokens, "researcher", "POST", PATH, BODY | {"compare": draft}), 403, "forbidden"
    )
    assert error_paths(problem) == ["compare"]
    # The adopted rules, given as a document, are the rules in force: allowed.
    adopted = call(client, tokens, "researcher", "POST", PATH, BODY | {"rules": FUND_RULES})
    assert adopted.status_code == 200, adopted.text
    # The committee may do both.
    assert call(client, tokens, "committee", "POST", PATH, moving).status_code == 200


def test_members_merchants_and_operators_may_not_project(
    api: FastAPI, client: TestClient, tokens: Tokens
) -> None:
    seed(api)
    for who in ("member", "merchant", "operator"):
        assert_problem(call(client, tokens, who, "POST", PATH, BODY), 403, "forbidden")


def test_a_draft_is_compared_side_by_side(api: FastAPI, client: TestClient, tokens: Tokens) -> None:
    seed(api)
    cheaper = FUND_RULES | {
        "version": 2,
        "credit": {"formula": {"kind": "fixed", "amount_cents": 5000}},
    }
    body = BODY | {"compare": cheaper}
    result = call(client, tokens, "committee", "POST", PATH, body).json()
    # 10 000 of credits against 7 000 of contributions: 3 000 a month; in December half of
    # November's remaining lots (500 + 7 500) expires unspent.
    assert [m["reserve_end_cents"] for m in result["compare"]["months"]] == [
        82_000, 79_000, 76_000, 73_000,
    ]  # fmt: skip
    assert result["compare"]["rationing_starts"] is None


def test_bad_assumptions_are_refused_naming_each_field(
    api: FastAPI, client: TestClient, tokens: Tokens
) -> None:
    seed(api)
    body = {"assumptions": {"spend_rate": "2", "income_drift": "1,5", "subsidies": {"2030-01": 5}}}
    problem = assert_problem(
        call(client, tokens, "committee", "POST", PATH, body), 422, "invalid-request"
    )
    assert sorted(error_paths(problem)) == ["assumptions.income_drift", "assumptions.spend_rate"]


def test_a_month_already_run_cannot_start_a_projection(
    api: FastAPI, client: TestClient, tokens: Tokens
) -> None:
    seed(api)
    body = BODY | {"start": "2026-11"}
    problem = assert_problem(call(client, tokens, "committee", "POST", PATH, body), 409, "conflict")
    assert error_paths(problem) == ["start"]
