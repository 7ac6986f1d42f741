"""Tax receipts through the API: the operator sets the settings and a donor, issues the
year, lists and downloads; a member downloads only the receipt whose donor they are."""

from __future__ import annotations

import io
from datetime import date

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pypdf import PdfReader

from app.services.money import record_funding
from tests.api.fund_support import call, fresh_key, seed
from tests.api.support import OWN_HOUSEHOLD, Tokens, assert_problem
from tests.services.helpers import w

SETTINGS = {
    "name": "CALIEN",
    "address": "12 rue de la République, 62750 Loos-en-Gohelle",
    "siren_rna": "W622012345",
    "object": "L'accès de tous à une alimentation choisie",
    "quality": "Association loi 1901 d'intérêt général",
    "signatory": "Anne Martin, trésorière",
    "place": "Loos-en-Gohelle",
    "reduction_rate": "0.66",
    "ceiling_rate": "0.20",
}


def gifts(app: FastAPI) -> None:
    seed(app)
    db = app.state.db_engine
    record_funding(db, "don_own", "donation", 4_321, "CHQ-9", date(2026, 11, 12), **w())
    record_funding(db, "don_other", "donation", 20_000, "VIR-3", date(2026, 11, 13), **w())


def test_a_year_issued_listed_and_downloaded(
    api: FastAPI, client: TestClient, tokens: Tokens
) -> None:
    gifts(api)
    saved = call(client, tokens, "operator", "PUT", "/v1/receipts/settings", SETTINGS)
    assert saved.status_code == 200 and saved.json() == SETTINGS
    own = {"name": "Jeanne Martin", "address": "3 rue des Fleurs", "mode": "cheque"}
    body = own | {"household_id": OWN_HOUSEHOLD}
    donor = call(client, tokens, "operator", "PUT", "/v1/receipts/donors/don_own", body)
    assert donor.json() == body | {"donor_id": "don_own"}
    other = {"name": "Paul Leroy", "address": "8 place Jean Jaurès", "mode": "virement"}
    call(client, tokens, "operator", "PUT", "/v1/receipts/donors/don_other", other)
    year = {"year": 2026, "issued_on": "2027-01-15"}
    issued = call(client, tokens, "operator", "POST", "/v1/receipts/issue", year, key=fresh_key())
    assert issued.status_code == 200, issued.text
    # Donors in id order: don_other 200,00 € is number 1, don_own 43,21 € number 2.
    assert [
        (r["receipt_id"], r["donor_id"], r["amount_cents"]) for r in issued.json()["issued"]
    ] == [
        ("2026-000001", "don_other", 20_000),
        ("2026-000002", "don_own", 4_321),
    ]
    again = call(client, tokens, "operator", "POST", "/v1/receipts/issue", year, key=fresh_key())
    assert again.json() == {"issued": [], "without_identity": []}
    listed = call(client, tokens, "auditor", "GET", "/v1/receipts", year=2026).json()
    assert [r["number"] for r in listed] == [1, 2]
    pdf = call(client, tokens, "operator", "GET", "/v1/receipts/2026-000002/pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    assert 'filename="recu-fiscal-2026-000002.pdf"' in pdf.headers["content-disposition"]
    text = " ".join(PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text().split())
    assert "43,21 €" in text and "quarante-trois euros et vingt et un centimes" in text
    assert "soit 28,51 €" in text  # 43,21 x 66 % = 28,5186 -> 28,51 €
    mine = call(client, tokens, "member", "GET", "/v1/receipts/2026-000002/pdf")
    assert mine.content == pdf.content
    theirs = call(client, tokens, "member", "GET", "/v1/receipts/2026-000001/pdf")
    assert_problem(theirs, 404, "not-found")


def test_bad_input_is_named(api: FastAPI, client: TestClient, tokens: Tokens) -> None:
    bad = call(
        client, tokens, "operator", "PUT", "/v1/receipts/settings", SETTINGS | {"ceiling_rate": "2"}
    )
    assert assert_problem(bad, 422, "invalid-request")["errors"] == [
        {"path": "ceiling_rate", "message": 'expected a decimal rate above 0 and at most 1, '
         "such as \"0.66\", got '2'"}
    ]  # fmt: skip
    early = {"year": 2026, "issued_on": "2026-12-31"}
    refused = call(client, tokens, "operator", "POST", "/v1/receipts/issue", early, key=fresh_key())
    assert assert_problem(refused, 422, "invalid-request")["errors"] == [
        {"path": "issued_on", "message": "a receipt for 2026 is issued from 2027-01-01"}
    ]
