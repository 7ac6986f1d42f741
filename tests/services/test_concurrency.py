"""Concurrency: many purchases at once on one wallet never overdraw it, nothing is lost."""

from __future__ import annotations

import threading
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.db import tables as t
from app.ledger.invariants import check_books
from app.services.errors import InsufficientCredit
from app.services.merchants import purchase
from app.services.views import balances, fund_position
from tests.services.helpers import ACTOR, CODE, NOW, small_fund

THREADS = 20


def test_twenty_simultaneous_purchases_spend_exactly_the_credit(engine: Engine) -> None:
    small_fund(engine)  # hh_a holds 10 000 cents of credit
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def buy(index: int) -> None:
        barrier.wait()
        try:
            purchase(
                engine,
                f"p{index:02d}",
                "hh_a",
                "shop",
                "food",
                1_500,
                date(2026, 11, 20),
                CODE,
                actor=ACTOR,
                idempotency_key=f"buy-{index}",
                now=NOW,
            )
            outcome = "ok"
        except InsufficientCredit as refusal:
            outcome = f"refused:{refusal.extras['available_cents']}"
        except Exception as error:  # any other failure is recorded and fails the test
            outcome = f"error:{error!r}"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=buy, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count("ok") == 6
    assert sorted(o for o in outcomes if o != "ok") == ["refused:1000"] * 14
    assert balances(engine, "hh_a")["credit_cents"] == 1_000
    assert fund_position(engine)["merchants_payable_cents"] == 9_000
    with Session(engine) as session:
        purchases = session.execute(select(func.count()).select_from(t.Purchase)).scalar_one()
        seqs = list(session.execute(select(t.Journal.seq).order_by(t.Journal.seq)).scalars())
        assert check_books(session) == []
    assert purchases == 6
    assert seqs == list(range(1, len(seqs) + 1))
