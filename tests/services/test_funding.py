"""Funding: a third-party top-up is booked to its funder, and its payment settles it."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.ledger.invariants import balances_of
from app.services.money import record_funding
from app.services.months import run_month
from app.services.views import balances, fund_position
from tests.services.helpers import PERIOD, RULES, adopt, enrol, w

TOP_UP: dict[str, Any] = RULES | {
    "id": "topup",
    "contribution": {"formula": {"kind": "proportional", "base": "income", "rate": "0.025"}},
    "credit": {"formula": {"kind": "top_up_to_target", "target_cents": 9_000, "funder_id": "caf"}},
}


def account(engine: Engine, name: str) -> int:
    with Session(engine) as session:
        return balances_of(session, [name])[name]


def test_a_funder_share_is_receivable_from_the_funder_until_it_pays(engine: Engine) -> None:
    adopt(engine, TOP_UP)
    enrol(engine, "hh_a", 120_000, 1)  # contribution 3 000 -> funder share 6 000
    enrol(engine, "hh_b", 240_000, 1)  # contribution 6 000 -> funder share 3 000
    result = run_month(engine, PERIOD, **w())
    assert (result["credit_cents"], result["funder_share_cents"]) == (18_000, 9_000)
    assert account(engine, "4687:caf") == 9_000
    assert account(engine, "6571") == 9_000
    assert balances(engine, "hh_a")["credit_cents"] == 9_000
    record_funding(engine, "caf", "top_up", 9_000, "CAF-11", date(2026, 11, 15), **w())
    assert account(engine, "4687:caf") == 0
    position = fund_position(engine)
    assert (position["bank_cents"], position["top_ups_receivable_cents"]) == (9_000, 0)


def test_donations_and_dedicated_subsidies_go_to_their_own_accounts(engine: Engine) -> None:
    adopt(engine)
    record_funding(engine, "fdn", "donation", 25_000, "DON-1", date(2026, 11, 3), **w())
    record_funding(
        engine, "city", "subsidy", 40_000, "SUB-9", date(2026, 11, 3), dedicated=True, **w()
    )
    assert account(engine, "754:fdn") == -25_000
    assert account(engine, "194:city") == -40_000
    assert fund_position(engine)["bank_cents"] == 65_000
    assert fund_position(engine)["dedicated_funds_cents"] == 40_000
