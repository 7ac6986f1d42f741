"""GET /v1/research/indicators(.zip) and PUT /v1/merchants/{id}/kind on the small API fund.

The fund (tests/api/fund_support.py), month 2026-11: OWN (2 000 €, 1 person) owes 50 € and
gets 100 €; OTHER (800 €, 3 adults, 2 consumption units) owes 20 € and gets 200 €; OWN
spends 20 € of credit at each of the two merchants; the city gave 1 000 €. Figures by hand.
"""

from __future__ import annotations

import io
import zipfile
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.fund_support import PERIOD, call, seed
from tests.api.support import OTHER_HOUSEHOLD, OWN_HOUSEHOLD, OWN_MERCHANT, Tokens, assert_problem

PATH = "/v1/research/indicators"


def cells(body: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(c["indicator"], c["group"]): c for c in body["cells"] if c["period"] == PERIOD}


def value(cell: dict[str, Any]) -> Fraction:
    return Fraction(cell["numerator"], cell["denominator"])


@pytest.fixture()
def two_households(monkeypatch: pytest.MonkeyPatch) -> None:
    """Threshold 2: a cell of one household is suppressed, one of two is shown."""
    monkeypatch.setenv("CAISSE_RESEARCH_THRESHOLD", "2")


def test_a_researcher_reads_the_months_figures_computed_by_hand(
    api: FastAPI, client: TestClient, tokens: Tokens, two_households: None
) -> None:
    seed(api)
    response = call(client, tokens, "researcher", "GET", PATH, **{"from": PERIOD})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["from"], body["to"], body["threshold"], body["licence"]) == (
        PERIOD,
        PERIOD,
        2,
        "ODbL-1.0",
    )
    assert len(body["rule_set_hashes"]) == 1
    found = cells(body)
    expected = {
        ("active_households", "all"): Fraction(2),
        ("contributions_due_cents", "all"): Fraction(7000),
        ("contributions_received_cents", "all"): Fraction(0),
        ("credit_granted_cents", "all"): Fraction(30000),
        ("self_financing", "all"): Fraction(0),
        ("self_financing_due", "all"): Fraction(7, 30),
        ("net_transfer", "all"): Fraction(23000),
        ("net_transfer_per_household", "all"): Fraction(11500),
        ("contribution_income_share", "all"): Fraction(1, 40),
        ("funding_cents", "source:subsidy"): Fraction(100000),
        ("funding_share", "source:subsidy"): Fraction(1),
        ("funding_by_funder_cents", "subsidy:city"): Fraction(100000),
        ("reserve_cents", "all"): Fraction(100000),
        ("runway_months", "all"): Fraction(10),  # 1 000 € ÷ (300 € over three months ÷ 3)
        ("rationing_rate", "all"): Fraction(0),
    }
    assert {key: value(found[key]) for key in expected} == expected
    # One household (OWN) spent: every spending cell is built from one household.
    for key in (
        ("credit_spent_cents", "all"),
        ("credit_spent_share", "all"),
        ("credit_carried_share", "all"),
        ("spend_by_category_cents", "category:food"),
        ("spend_by_kind_cents", "kind:shop"),
        ("merchant_top3_share", "all"),
    ):
        assert found[key]["suppressed"] and found[key]["numerator"] is None, key
    # Deciles and sizes hold one household each.
    for group in ("decile:1", "decile:6"):
        assert found[("net_transfer_by_decile", group)]["suppressed"]
    assert OWN_HOUSEHOLD not in response.text and OTHER_HOUSEHOLD not in response.text


def test_at_the_default_threshold_a_two_household_fund_shows_no_household_figure(
    api: FastAPI, client: TestClient, tokens: Tokens
) -> None:
    seed(api)
    body = call(client, tokens, "committee", "GET", PATH, **{"from": PERIOD}).json()
    found = cells(body)
    assert body["threshold"] == 10
    assert found[("active_households", "all")]["suppressed"]
    assert found[("net_transfer", "all")]["households"] is None
    shown = [c for c in found.values() if not c["suppressed"]]
    assert all(c["households"] in (None, 0) for c in shown)  # the fund's and the city's only
    assert value(found[("reserve_cents", "all")]) == 100000


@pytest.mark.parametrize(
    ("params", "field"),
    [({}, "from"), ({"from": "2026-13"}, "from"), ({"from": PERIOD, "to": "2026-10"}, "to")],
)
def test_a_bad_range_is_a_422_naming_the_field(
    api: FastAPI, client: TestClient, tokens: Tokens, params: dict[str, str], field: str
) -> None:
    response = call(client, tokens, "researcher", "GET", PATH, **params)
    body = assert_problem(response, 422, "invalid-request")
    assert [e["path"] for e in body["errors"]] == [field]


def test_the_zip_is_a_valid_frictionless_package(
    api: FastAPI, client: TestClient, tokens: Tokens, tmp_path: Path, two_households: None
) -> None:
    frictionless = pytest.importorskip("frictionless")
    seed(api)
    response = call(client, tokens, "auditor", "GET", PATH + ".zip", **{"from": PERIOD})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert archive.namelist() == ["datapackage.json", "definitions.csv", "indicators.csv"]
        archive.extractall(tmp_path)
    report = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_the_committee_sets_a_merchants_kind_and_spending_follows_it(
    api: FastAPI, client: TestClient, tokens: Tokens, two_households: None
) -> None:
    seed(api)
    path = f"/v1/merchants/{OWN_MERCHANT}/kind"
    response = call(client, tokens, "committee", "PUT", path, {"kind": "producer"})
    assert response.status_code == 200, response.text
    assert response.json() == {"merchant_id": OWN_MERCHANT, "kind": "producer"}
    body = call(client, tokens, "researcher", "GET", PATH, **{"from": PERIOD}).json()
    groups = {c["group"] for c in body["cells"] if c["indicator"] == "spend_by_kind_cents"}
    assert groups == {"kind:producer", "kind:shop"}


def test_a_merchants_kind_must_be_known_and_the_merchant_too(
    api: FastAPI, client: TestClient, tokens: Tokens
) -> None:
    seed(api)
    bad = call(client, tokens, "committee", "PUT", f"/v1/merchants/{OWN_MERCHANT}/kind",
               {"kind": "supermarket"})  # fmt: skip
    assert [e["path"] for e in assert_problem(bad, 422, "validation")["errors"]] == ["body.kind"]
    missing = call(client, tokens, "committee", "PUT", "/v1/merchants/m_nobody/kind",
                   {"kind": "market"})  # fmt: skip
    assert_problem(missing, 404, "not-found")
