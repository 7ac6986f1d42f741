"""The member's balance says what the till accepts today (``spendable_cents``), by the books'
own rule (app.engine.books.lots.spendable_on), next to the credit held (``credit_cents``).

By hand, from tests/api/fund_support.py: OWN holds one lot of 2026-11 (100,00 € less two
20,00 € sales = 60,00 €), last month 2026-12 (unspent credit expires after 2 months); OTHER
holds 200,00 € granted in 2026-11, same last month. No month is closed, so nothing expired.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.api import hot_reads
from app.api.app import create_app
from app.db.session import read_only
from app.db.settings import Settings
from app.services import till, views
from app.services.tokens import Role
from tests.api.fund_support import seed
from tests.api.support import OTHER_HOUSEHOLD, OWN_HOUSEHOLD, issue


@pytest.fixture()
def api(db_url: str) -> Iterator[FastAPI]:
    app = create_app(Settings(database_url=db_url))
    try:
        yield app
    finally:
        app.state.db_engine.dispose()


def _balance(api: FastAPI, household_id: str, on: date, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(hot_reads, "today", lambda: on)
    secret = issue(api, Role.OPERATOR)
    with TestClient(api) as client:
        answer = client.get(
            f"/v1/members/{household_id}/balance", headers={"Authorization": f"Bearer {secret}"}
        )
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.mark.parametrize(
    ("on", "own", "other"),
    [
        (date(2026, 10, 31), 0, 0),  # the lots are granted in 2026-11: not spendable before
        (date(2026, 11, 15), 6000, 20000),
        (date(2026, 12, 31), 6000, 20000),  # the lots' last month
        (date(2027, 1, 2), 0, 0),  # past its last month, not yet expired by a close
    ],
)
def test_spendable_is_what_the_till_accepts_that_day(
    api: FastAPI, monkeypatch: pytest.MonkeyPatch, on: date, own: int, other: int
) -> None:
    seed(api)
    mine = _balance(api, OWN_HOUSEHOLD, on, monkeypatch)
    theirs = _balance(api, OTHER_HOUSEHOLD, on, monkeypatch)
    # The credit held does not depend on the day: only a close's expiry removes it.
    assert (mine["credit_cents"], mine["spendable_cents"]) == (6000, own)
    assert (theirs["credit_cents"], theirs["spendable_cents"]) == (20000, other)


def test_the_till_quotes_from_the_same_figure(api: FastAPI) -> None:
    seed(api)
    engine = api.state.db_engine
    for on, expected in ((date(2026, 12, 31), 6000), (date(2027, 1, 2), 0)):
        read = views.balances(engine, OWN_HOUSEHOLD, on)
        assert read["spendable_cents"] == expected
        with read_only(engine) as session:
            assert till._spendable(session, OWN_HOUSEHOLD, on) == expected


def test_without_a_day_the_read_is_unchanged(api: FastAPI) -> None:
    seed(api)
    assert "spendable_cents" not in views.balances(api.state.db_engine, OWN_HOUSEHOLD)
