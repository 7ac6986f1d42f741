"""The main path of a month, with exact cents at every step."""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine

from app.services.merchants import purchase
from app.services.views import balances, fund_position
from tests.services.helpers import CODE, small_fund, w


def test_month_run_books_contributions_and_credits_exactly(engine: Engine) -> None:
    small_fund(engine)
    assert balances(engine, "hh_a")["credit_cents"] == 10_000
    assert balances(engine, "hh_b")["credit_cents"] == 20_000
    assert balances(engine, "hh_a")["due_cents"] == 5_000
    position = fund_position(engine)
    assert position["bank_cents"] == 100_000
    assert position["credit_in_circulation_cents"] == 30_000
    assert position["members_due_cents"] == 7_000


def test_purchase_at_half_rate_draws_half_the_price(engine: Engine) -> None:
    small_fund(engine)
    result = purchase(
        engine, "p1", "hh_a", "shop", "hygiene", 1_001, date(2026, 11, 20), CODE, **w()
    )
    assert result["credit_cents"] == 500
    assert result["member_pays_cents"] == 501
    assert balances(engine, "hh_a")["credit_cents"] == 9_500
    assert fund_position(engine)["merchants_payable_cents"] == 500
