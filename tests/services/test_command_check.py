"""One command's invariant check on carried totals: still refuses every broken write."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.audit import journal
from app.db import tables as t
from app.engine.books.commands import Command
from app.ledger import invariants
from app.ledger.invariants import InvariantViolation
from app.services.merchants import purchase
from app.services.views import balances
from app.services.writes.execute import execute
from tests.services.helpers import ACTOR, CODE, NOW, small_fund, w

DAY = date(2026, 11, 20)


def buy(pid: str, amount_cents: int = 100) -> Command:
    payload = {
        "purchase_id": pid,
        "household_id": "hh_a",
        "merchant_id": "shop",
        "category": "food",
        "amount_cents": amount_cents,
        "on": DAY.isoformat(),
        "period": "2026-11",
    }
    return Command("purchase", payload)


def count_scans(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    scans = {"n": 0}
    real = invariants.fund_totals

    def counted(session: Session) -> dict[str, int]:
        scans["n"] += 1
        return real(session)

    monkeypatch.setattr(invariants, "fund_totals", counted)
    return scans


def journal_size(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.execute(select(func.count()).select_from(t.Journal)).scalar_one())


def broken(engine: Engine, statement: str) -> InvariantViolation:
    """Record a purchase during whose write ``statement`` runs too: a trigger on its
    purchase row, the last it writes (``NEW.seq`` its seq), as the purchase path takes no
    side write. The refusal it gets."""
    size = journal_size(engine)
    body = statement.replace(":seq", "NEW.seq")
    if engine.dialect.name == "postgresql":
        create = [
            "CREATE FUNCTION test_corrupt() RETURNS trigger LANGUAGE plpgsql AS"
            f" $$ BEGIN {body}; RETURN NULL; END $$",
            "CREATE TRIGGER test_corrupt AFTER INSERT ON purchase"
            " FOR EACH ROW EXECUTE FUNCTION test_corrupt()",
        ]
        drop = ["DROP TRIGGER test_corrupt ON purchase", "DROP FUNCTION test_corrupt()"]
    else:
        create = [f"CREATE TRIGGER test_corrupt AFTER INSERT ON purchase BEGIN {body}; END"]
        drop = ["DROP TRIGGER test_corrupt"]
    with engine.begin() as connection:
        for one in create:
            connection.exec_driver_sql(one)
    try:
        with pytest.raises(InvariantViolation) as caught:
            execute(engine, buy("p_bad"), ACTOR, "k-bad", NOW)
    finally:
        with engine.begin() as connection:
            for one in drop:
                connection.exec_driver_sql(one)
    assert journal_size(engine) == size
    assert balances(engine, "hh_a")["credit_cents"] == 10_000
    return caught.value


def test_a_purchase_moves_the_carried_totals_without_summing_every_balance(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    small_fund(engine)
    scans = count_scans(monkeypatch)
    purchase(engine, "p1", "hh_a", "shop", "food", 2_500, DAY, CODE, **w())
    purchase(engine, "p2", "hh_a", "shop", "food", 500, DAY, CODE, **w())
    assert scans["n"] == 0
    with Session(engine) as session:
        stored = session.get(t.FundTotal, 1)
        assert stored is not None
        head = journal.head(session)
        assert (stored.seq, stored.hash) == (head.seq, head.hash)
        totals = json.loads(stored.totals)
    # small_fund: credit 10 000 + 20 000, minus 3 000 spent; the shop is owed 3 000.
    assert totals["member_credit"] == -27_000
    assert totals["merchants"] == -3_000
    assert totals["trial_balance"] == 0
    with Session(engine) as session:
        assert totals == invariants.fund_totals(session)


def test_totals_of_another_head_are_not_trusted(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    small_fund(engine)
    with Session(engine) as session, session.begin():
        # Bogus totals tagged with the head's seq but another hash: ignored, summed afresh.
        session.connection().execute(
            text("UPDATE fund_total SET hash = :h, totals = :t"),
            {"h": "0" * 64, "t": json.dumps({"bogus": 1})},
        )
    scans = count_scans(monkeypatch)
    purchase(engine, "p1", "hh_a", "shop", "food", 100, DAY, CODE, **w())
    assert scans["n"] == 1
    purchase(engine, "p2", "hh_a", "shop", "food", 100, DAY, CODE, **w())
    assert scans["n"] == 1  # the first purchase stored the totals it left


def test_a_balance_moved_without_postings_is_refused_on_carried_totals(engine: Engine) -> None:
    small_fund(engine)
    error = broken(
        engine, "UPDATE balance SET balance_cents = balance_cents - 1 WHERE account = '401:shop'"
    )
    assert error.problems == (
        "balance 401:shop moved by -101, its postings by -100",
        "trial balance is -1 cents, not 0",
    )


def test_a_posting_outside_the_touched_accounts_is_refused(engine: Engine) -> None:
    small_fund(engine)
    error = broken(
        engine,
        "INSERT INTO posting (entry_id, line, seq, account, amount_cents) "
        "SELECT entry_id, 90, seq, '512', 0 FROM ledger_entry WHERE seq = :seq",
    )
    assert error.problems == (
        f"command {journal_size(engine) + 1} wrote 3 postings, 2 of them on accounts it touches",
    )


def test_an_unbalanced_entry_and_a_short_lot_are_refused(engine: Engine) -> None:
    small_fund(engine)
    error = broken(
        engine,
        "UPDATE credit_lot SET remaining_cents = remaining_cents - 1 WHERE household_id = 'hh_a'",
    )
    assert error.problems == ("open lots of hh_a hold 9899, credit is 9900",)
    entry = broken(
        engine,
        "INSERT INTO posting (entry_id, line, seq, account, amount_cents) "
        "SELECT entry_id, 90, seq, '419:hh_a', 7 FROM ledger_entry WHERE seq = :seq",
    )
    seq = journal_size(engine) + 1
    assert entry.problems == (
        f"entry {seq}.0 postings sum to 7",
        "balance 419:hh_a moved by 100, its postings by 107",
        "balance 419:hh_a is -9900, its postings sum to -9893",  # -10 000 + 100 + 7
    )
