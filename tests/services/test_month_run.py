"""The monthly run: exactly once per household-month, chunked, rationed from the books."""

from __future__ import annotations

import gc
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.db import tables as t
from app.services import months
from app.services.households import Facts, change_facts
from app.services.money import record_funding
from app.services.months import preview_month, run_month
from app.services.views import balances, month_status, statement
from tests.services.helpers import PERIOD, RULES, adopt, enrol, small_fund, w


def journal_size(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.execute(select(func.count()).select_from(t.Journal)).scalar_one())


def setup_fund(engine: Engine, subsidy_cents: int = 100_000) -> None:
    adopt(engine)
    enrol(engine, "hh_a", 200_000, 1)
    enrol(engine, "hh_b", 80_000, 3)
    enrol(engine, "hh_c", 40_000, 2)  # contribution 1 000, credit 15 000
    if subsidy_cents:
        record_funding(engine, "city", "subsidy", subsidy_cents, "SUB", date(2026, 11, 2), **w())


def test_running_a_month_twice_credits_each_household_once(engine: Engine) -> None:
    small_fund(engine)
    size = journal_size(engine)
    again = run_month(engine, PERIOD, **w())
    assert again["chunks"] == 0
    assert again["already_credited"] == 2
    assert journal_size(engine) == size
    assert balances(engine, "hh_a")["credit_cents"] == 10_000
    assert month_status(engine, PERIOD)["households_credited"] == 2


def test_chunks_are_one_command_each_and_sum_to_the_month(engine: Engine) -> None:
    setup_fund(engine)
    result = run_month(engine, PERIOD, chunk_size=2, **w())
    assert result["chunks"] == 2
    assert result["credited"] == 3
    assert result["contribution_cents"] == 5_000 + 2_000 + 1_000
    assert result["credit_cents"] == 10_000 + 20_000 + 15_000
    assert [balances(engine, h)["credit_cents"] for h in ("hh_a", "hh_b", "hh_c")] == [
        10_000,
        20_000,
        15_000,
    ]


def test_a_run_gives_the_collector_back_as_it_found_it(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run pauses the cyclic collector and freezes the plan; afterwards the collector is
    as it was (enabled or not) and nothing stays frozen, and a cycle dropped during a chunk
    is collected once that chunk ends, not at the end of the run."""
    setup_fund(engine)
    freed: list[int] = []

    class Cycle:
        def __init__(self, chunk: int) -> None:
            self.me, self.chunk = self, chunk

        def __del__(self) -> None:
            freed.append(self.chunk)

    original = months.execute

    def execute_with_a_cycle(*args: Any, **kwargs: Any) -> dict[str, Any]:
        # Collected after the previous chunk, so freed holds every chunk before this one.
        assert freed == list(range(len(freed)))
        Cycle(len(freed))  # dropped at once: only the cyclic collector can free it
        assert not gc.isenabled()
        result: dict[str, Any] = original(*args, **kwargs)
        return result

    monkeypatch.setattr(months, "execute", execute_with_a_cycle)
    was_enabled = gc.isenabled()
    try:
        gc.enable()
        result = run_month(engine, PERIOD, chunk_size=2, **w())
        assert (result["chunks"], freed) == (2, [0, 1])
        assert gc.isenabled()
        assert gc.get_freeze_count() == 0
        gc.disable()
        run_month(engine, PERIOD, **w())
        assert not gc.isenabled()
        assert gc.get_freeze_count() == 0
    finally:
        gc.enable() if was_enabled else gc.disable()


def test_a_run_interrupted_half_way_completes_on_the_next_call(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup_fund(engine)
    real = months.execute
    calls: list[int] = []

    def crash_on_second(*args: Any, **kwargs: Any) -> dict[str, Any]:
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt("killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(months, "execute", crash_on_second)
    with pytest.raises(KeyboardInterrupt):
        run_month(engine, PERIOD, chunk_size=1, **w())
    monkeypatch.setattr(months, "execute", real)
    assert month_status(engine, PERIOD)["households_credited"] == 1
    result = run_month(engine, PERIOD, chunk_size=1, **w())
    assert result["credited"] == 2
    assert result["already_credited"] == 1
    assert sum(balances(engine, h)["credit_cents"] for h in ("hh_a", "hh_b", "hh_c")) == 45_000


def test_credits_are_rationed_to_what_the_books_can_back(engine: Engine) -> None:
    # No funding: the budget is the month's contributions, 5 000 + 2 000 + 1 000 = 8 000,
    # against entitlements 10 000 + 20 000 + 15 000 = 45 000 (proportional: x 8/45).
    setup_fund(engine, subsidy_cents=0)
    result = run_month(engine, PERIOD, **w())
    assert result["budget_cents"] == 8_000
    assert result["rationed"] is True
    granted = [balances(engine, h)["credit_cents"] for h in ("hh_a", "hh_b", "hh_c")]
    # exact shares 1777.78, 3555.56, 2666.67 -> floors 1777, 3555, 2666 (sum 7998);
    # the 2 cents left go to the largest remainders: hh_a (.78) and hh_c (.67).
    assert granted == [1_778, 3_555, 2_667]
    assert statement(engine, "hh_b", PERIOD)["rationed"] is True


def test_preview_writes_nothing_and_announces_the_run(engine: Engine) -> None:
    setup_fund(engine)
    size = journal_size(engine)
    preview = preview_month(engine, PERIOD)
    assert journal_size(engine) == size
    assert preview["credit_cents"] == 45_000
    assert [h["credit_cents"] for h in preview["households"]] == [10_000, 20_000, 15_000]
    assert run_month(engine, PERIOD, **w())["credit_cents"] == preview["credit_cents"]


def test_a_household_without_income_needs_data_and_gets_nothing(engine: Engine) -> None:
    setup_fund(engine)
    enrol(engine, "hh_d", None, 1)
    preview = preview_month(engine, PERIOD)
    line = next(h for h in preview["households"] if h["household_id"] == "hh_d")
    assert line["status"] == "needs_data"
    assert line["problems"][0]["path"] == "income_cents"
    result = run_month(engine, PERIOD, **w())
    assert result["credited"] == 3
    assert balances(engine, "hh_d")["credit_cents"] == 0


def test_facts_and_rules_in_force_are_those_of_the_month(engine: Engine) -> None:
    setup_fund(engine)
    change_facts(
        engine, "hh_a", "2026-12", Facts(income_cents=100_000, persons=(None, None)), **w()
    )
    adopt(
        engine,
        RULES
        | {
            "version": 2,
            "effective_from": "2026-12",
            "credit": {"formula": {"kind": "fixed", "amount_cents": 7_000}},
        },
    )
    november = preview_month(engine, PERIOD)
    december = preview_month(engine, "2026-12")
    a_nov = next(h for h in november["households"] if h["household_id"] == "hh_a")
    a_dec = next(h for h in december["households"] if h["household_id"] == "hh_a")
    assert (a_nov["contribution_cents"], a_nov["credit_cents"]) == (5_000, 10_000)
    assert (a_dec["contribution_cents"], a_dec["credit_cents"]) == (2_500, 7_000)
    assert november["rule_set"]["version"] == 1
    assert december["rule_set"]["version"] == 2


def test_statement_explains_the_amounts_in_french_and_english(engine: Engine) -> None:
    small_fund(engine)
    page = statement(engine, "hh_b", PERIOD)
    assert (page["contribution_cents"], page["credit_cents"]) == (2_000, 20_000)
    assert "testfund" in page["explanation"]["fr"]
    assert "Your food credit" in page["explanation"]["en"]
