"""The month desk (app.services.month_desk) on the database: a rationing run needs its
percentage confirmed, one key runs once, months close in order and only once run, only a
closed month is sealed, and every action replays under its key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from app.db.session import read_only, unit_of_work
from app.services import month_desk
from app.services.views import month_status
from tests.services.helpers import ACTOR, NOW, PERIOD, adopt, enrol, small_fund

DECEMBER = "2026-12"


def act(
    engine: Engine, action: Callable[..., dict[str, Any]], period: str, key: str, *args: Any
) -> dict[str, Any]:
    """``action`` of the month desk in its own unit of work, under ``key``."""
    with unit_of_work(engine) as session:
        return action(session, period, *args, actor=ACTOR, idempotency_key=key, now=NOW)


def test_the_share_of_entitlements_is_rounded_down() -> None:
    assert month_desk.rationed_percent(15_172, 45_000) == 33
    assert month_desk.rationed_percent(2, 3) == 66
    assert month_desk.rationed_percent(45_000, 45_000) == 100
    assert month_desk.rationed_percent(0, 0) == 100


def test_a_rationing_run_needs_its_percentage_confirmed_and_one_key_runs_once(
    engine: Engine,
) -> None:
    """No subsidy: means 0 + contributions 50,00 + 20,00 = 70,00 € against entitlements of
    300,00 €: 23 %."""
    adopt(engine)
    enrol(engine, "hh_a", 200_000, 1)
    enrol(engine, "hh_b", 80_000, 3)
    with read_only(engine) as session:
        view = month_desk.month_view(session, PERIOD)
    assert view["preview"]["rationed"] and view["preview"]["percent"] == 23
    assert view["preview"]["credit_cents"] == 7_000
    for wrong in (None, 24):
        with pytest.raises(month_desk.RationingNotConfirmed) as refused:
            act(engine, month_desk.run, PERIOD, "run-1", wrong)
        assert refused.value.extras == {
            "percent": 23,
            "credit_cents": 7000,
            "entitlement_cents": 30000,
            "budget_cents": 7000,
        }
    assert month_status(engine, PERIOD)["households_credited"] == 0
    first = act(engine, month_desk.run, PERIOD, "run-1", 23)
    again = act(engine, month_desk.run, PERIOD, "run-1", 23)
    assert (first["credited"], first["replayed"]) == (2, False)
    assert (again["credited"], again["replayed"], again["seqs"]) == (2, True, first["seqs"])
    assert month_status(engine, PERIOD)["totals_cents"]["credit"] == 7_000
    with read_only(engine) as session:
        assert month_desk.run_result(session, PERIOD, "run-1")["households_credited"] == 2
        assert month_desk.month_view(session, PERIOD)["preview"]["to_credit"] == 0


def test_months_close_in_order_only_once_run_and_seal_once_closed(engine: Engine) -> None:
    small_fund(engine)  # November run
    with pytest.raises(month_desk.MonthNeverRun):
        act(engine, month_desk.close, DECEMBER, "close-dec")
    act(engine, month_desk.run, DECEMBER, "run-dec", None)
    with pytest.raises(month_desk.EarlierMonthOpen) as refused:
        act(engine, month_desk.close, DECEMBER, "close-dec")
    assert refused.value.extras == {"earlier": PERIOD}
    with pytest.raises(month_desk.MonthNotClosedYet):
        act(engine, month_desk.seal_month, PERIOD, "seal-nov")
    expired = act(engine, month_desk.expire, PERIOD, "expire-nov")
    assert act(engine, month_desk.expire, PERIOD, "expire-nov") == expired
    closed = act(engine, month_desk.close, PERIOD, "close-nov")
    assert act(engine, month_desk.close, PERIOD, "close-nov") == closed
    sealed = act(engine, month_desk.seal_month, PERIOD, "seal-nov")
    assert act(engine, month_desk.seal_month, PERIOD, "seal-nov") == sealed
    act(engine, month_desk.close, DECEMBER, "close-dec")
    assert month_status(engine, PERIOD)["status"] == "sealed"
    assert month_status(engine, DECEMBER)["status"] == "closed"
