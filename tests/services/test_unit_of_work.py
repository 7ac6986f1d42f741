"""A command run inside the caller's unit of work commits and rolls back with it."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.engine import Engine

from app.db.session import unit_of_work
from app.services.merchants import purchase
from app.services.money import record_payment
from app.services.views import balances, journal_page, merchant_sales
from tests.services.helpers import CODE, small_fund, w

DAY = date(2026, 11, 5)


def test_a_command_in_a_caller_transaction_commits_with_it(engine: Engine) -> None:
    small_fund(engine)
    with unit_of_work(engine) as session:
        record_payment(session, "hh_a", 1_500, "cash", "R-1", DAY, **w())
        record_payment(session, "hh_a", 500, "cash", "R-2", DAY, **w())
    assert balances(engine, "hh_a")["due_cents"] == 3_000
    assert [r["kind"] for r in journal_page(engine)][-2:] == ["record_payment"] * 2


def test_a_command_in_a_caller_transaction_rolls_back_with_it(engine: Engine) -> None:
    small_fund(engine)
    size = len(journal_page(engine))
    with pytest.raises(RuntimeError), unit_of_work(engine) as session:
        record_payment(session, "hh_a", 1_500, "cash", "R-1", DAY, **w())
        raise RuntimeError("the request failed after the command")
    assert balances(engine, "hh_a")["due_cents"] == 5_000
    assert len(journal_page(engine)) == size


def test_a_merchant_sees_its_sales_and_what_it_is_owed(engine: Engine) -> None:
    small_fund(engine)
    purchase(engine, "p1", "hh_b", "shop", "hygiene", 2_001, date(2026, 11, 9), CODE, **w())
    sales = merchant_sales(engine, "shop")
    assert sales["payable_cents"] == 1_000
    assert [(p["purchase_id"], p["credit_cents"]) for p in sales["purchases"]] == [("p1", 1_000)]
