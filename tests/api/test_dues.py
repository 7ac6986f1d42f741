"""What a household owes, by month, through the API; and the arrears policy at the run.

Seeded fund (tests/api/fund_support.py), 2026-11: hh_own owes 50 € a month and is entitled
to 100 €, hh_other owes 20 € and is entitled to 200 €. Payments settle the oldest month first.
"""

from __future__ import annotations

import json

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session

from app.db import tables as t
from app.services.rules.rulesets import adopt_rule_set
from tests.api.fund_support import PERIOD, call, draft, fresh_key, rules, seed, w
from tests.api.support import Tokens, assert_problem

DUES = "/v1/members/hh_own/dues"


def _pay(client: TestClient, tokens: Tokens, household: str, cents: int, on: str) -> None:
    payment = {
        "household_id": household,
        "amount_cents": cents,
        "method": "transfer",
        "reference": f"PAY-{fresh_key()}",
        "received_on": on,
    }
    paid = call(client, tokens, "operator", "POST", "/v1/funds/payments", payment, key=fresh_key())
    assert paid.status_code == 200, paid.text


def test_payments_settle_the_oldest_month_first(
    api: FastAPI, client: TestClient, tokens: Tokens
) -> None:
    seed(api)
    _pay(client, tokens, "hh_own", 3000, "2026-11-20")
    call(client, tokens, "operator", "POST", "/v1/months/2026-12/run", key=fresh_key())
    body = call(client, tokens, "member", "GET", DUES, period="2027-01").json()
    assert body["months"] == [
        {"period": PERIOD, "owed_cents": 5000, "paid_cents": 3000, "outstanding_cents": 2000},
        {"period": "2026-12", "owed_cents": 5000, "paid_cents": 0, "outstanding_cents": 5000},
    ]
    assert (body["outstanding_cents"], body["ahead_cents"], body["arrears_months"]) == (
        7000,
        0,
        2,
    )
    assert body["policy"]["policy"] == "keep_crediting"
    assert body["policy"]["text_fr"] == "Impayés : le crédit continue d'être versé."
    _pay(client, tokens, "hh_own", 4000, "2026-12-05")  # 20 € for November, 20 € for December
    body = call(client, tokens, "operator", "GET", DUES, period="2027-01").json()
    assert [m["outstanding_cents"] for m in body["months"]] == [0, 3000]
    assert (body["outstanding_cents"], body["arrears_months"]) == (3000, 1)
    _pay(client, tokens, "hh_own", 4500, "2026-12-06")
    body = call(client, tokens, "auditor", "GET", DUES, period="2027-01").json()
    assert (body["outstanding_cents"], body["ahead_cents"], body["arrears_months"]) == (0, 1500, 0)


def test_a_member_never_sees_another_households_dues(
    api: FastAPI, client: TestClient, tokens: Tokens
) -> None:
    seed(api)
    response = call(client, tokens, "member", "GET", "/v1/members/hh_other/dues")
    assert_problem(response, 404, "not-found")
    for who in ("merchant", "committee"):
        assert call(client, tokens, who, "GET", DUES).status_code == 403


def test_a_suspend_policy_withholds_the_credit_of_a_household_in_arrears(
    api: FastAPI, client: TestClient, tokens: Tokens
) -> None:
    # hh_own has not paid November's 50 €; hh_other paid its 20 €. From December the rules
    # suspend the credit after one unpaid month, unless the committee lifted it.
    seed(api)
    _pay(client, tokens, "hh_other", 2000, "2026-11-20")
    arrears = {"policy": "suspend", "after_months": 1}
    draft(api, rules(2, effective_from="2026-12", arrears=arrears))
    adopt_rule_set(api.state.db_engine, "testfund", 2, **w())
    preview = call(client, tokens, "operator", "GET", "/v1/months/2026-12/preview").json()
    credits = {h["household_id"]: h["credit_cents"] for h in preview["households"]}
    assert credits == {"hh_own": 0, "hh_other": 20000}
    assert preview["entitlement_cents"] == 20000
    body = call(client, tokens, "member", "GET", DUES, period="2026-12").json()
    assert body["arrears_months"] == 1
    # Run, then paid: the statement stays explained as the run booked it.
    ran = call(client, tokens, "operator", "POST", "/v1/months/2026-12/run", key=fresh_key())
    assert ran.json()["credit_cents"] == 20000
    # The run's lines record the months in arrears it read from the books, so the auditor's
    # verify re-derives the suspended credit from the rules, the facts and that count.
    with Session(api.state.db_engine) as session:
        payload = session.execute(
            select(t.Journal.payload).where(t.Journal.seq == ran.json()["seqs"][0])
        ).scalar_one()
    lines = {h["household_id"]: h for h in json.loads(payload)["households"]}
    assert (lines["hh_own"]["arrears_months"], lines["hh_own"]["credit_cents"]) == (1, 0)
    assert (lines["hh_other"]["arrears_months"], lines["hh_other"]["credit_cents"]) == (0, 20000)
    verified = call(client, tokens, "auditor", "GET", "/v1/audit/verify").json()
    assert verified["ok"] is True, verified
    _pay(client, tokens, "hh_own", 5000, "2026-12-10")
    statement = call(client, tokens, "member", "GET", "/v1/members/hh_own/statements/2026-12")
    assert statement.json()["credit_cents"] == 0
    assert (
        "Contributions unpaid for 1 months (the rules suspend the credit from 1 months):"
        " the credit of €100.00 is suspended." in statement.json()["explanation"]
    )
    assert body["policy"] == {
        "policy": "suspend",
        "after_months": 1,
        "rate": None,
        "text_fr": "Impayés : le crédit est suspendu à partir de 1 mois impayés. Le comité"
        " peut lever la mesure pour un foyer (référence de sa décision).",
        "text_en": "Arrears: the credit is suspended from 1 unpaid months. The committee may"
        " lift it for a household (reference of its decision).",
    }
