"""The month run's fast path keeps every guarantee: a wrong write in any chunk is refused by
the incremental invariant check (carried fund totals included) and rolls that chunk back
whole, and the carried totals are the full sums of the balances."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.audit import journal
from app.db import tables as t
from app.engine.books.commands import Command
from app.ledger.invariants import FAMILIES, InvariantViolation, fund_totals
from app.services import months
from app.services.money import record_funding
from app.services.months import run_month
from app.services.views import balances
from app.services.writes import execute as execute_module
from app.services.writes.execute import KnownTotals, Totals, execute
from tests.services.helpers import ACTOR, NOW, PERIOD, adopt, enrol, w

# Cheapest first (credit - contribution): hh_a 5 000, hh_c 14 000, hh_b 18 000, so with
# chunks of one household the run is [hh_a], [hh_c], [hh_b]: the third chunk runs on totals
# carried from the second.
HOUSEHOLDS = ("hh_a", "hh_c", "hh_b")


def setup_fund(engine: Engine) -> None:
    adopt(engine)
    enrol(engine, "hh_a", 200_000, 1)  # contribution 5 000, credit 10 000
    enrol(engine, "hh_b", 80_000, 3)  # contribution 2 000, credit 20 000
    enrol(engine, "hh_c", 40_000, 2)  # contribution 1 000, credit 15 000
    record_funding(engine, "city", "subsidy", 100_000, "SUB", date(2026, 11, 2), **w())


def credited(engine: Engine) -> list[str]:
    with Session(engine) as session:
        rows = session.execute(select(t.MonthCredit.household_id).order_by("household_id"))
        return [str(h) for h in rows.scalars()]


def seq_count(engine: Engine, seq: int) -> tuple[int, int]:
    """(journal records, postings) stored for ``seq``."""
    with Session(engine) as session:
        records = session.execute(
            select(func.count()).select_from(t.Journal).where(t.Journal.seq == seq)
        ).scalar_one()
        postings = session.execute(
            select(func.count()).select_from(t.Posting).where(t.Posting.seq == seq)
        ).scalar_one()
        return int(records), int(postings)


def break_chunk(
    monkeypatch: pytest.MonkeyPatch, which: int, wrong: Callable[[Session, int], None]
) -> None:
    """Make the ``which``-th command written from now on do ``wrong`` after its writes."""
    real = execute_module.persist_effects
    calls = {"n": 0}

    def persist(session: Session, seq: int, *args: Any) -> dict[str, int]:
        deltas = real(session, seq, *args)
        calls["n"] += 1
        if calls["n"] == which:
            wrong(session, seq)
        return deltas

    monkeypatch.setattr(execute_module, "persist_effects", persist)


def refused_third_chunk(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> InvariantViolation:
    """Run with chunks of one; the third chunk's write is broken. Returns the refusal."""
    head = journal_head(engine)
    with pytest.raises(InvariantViolation) as caught:
        run_month(engine, PERIOD, chunk_size=1, **w())
    # The first two chunks are committed, the third is not there at all.
    assert credited(engine) == ["hh_a", "hh_c"]
    assert journal_head(engine) == head + 2
    assert seq_count(engine, head + 3) == (0, 0)
    assert balances(engine, "hh_b")["credit_cents"] == 0
    monkeypatch.undo()
    again = run_month(engine, PERIOD, chunk_size=1, **w())
    assert again["credited"] == 1
    assert credited(engine) == ["hh_a", "hh_b", "hh_c"]
    assert balances(engine, "hh_b")["credit_cents"] == 20_000
    return caught.value


def journal_head(engine: Engine) -> int:
    with Session(engine) as session:
        return journal.head(session).seq


def sql(session: Session, statement: str, **values: Any) -> None:
    session.connection().execute(text(statement), values)


def test_a_fund_balance_moved_by_the_wrong_amount_is_refused_on_carried_totals(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup_fund(engine)

    def one_cent_more(session: Session, seq: int) -> None:
        sql(session, "UPDATE balance SET balance_cents = balance_cents - 1 WHERE account = '756'")

    break_chunk(monkeypatch, 3, one_cent_more)
    error = refused_third_chunk(engine, monkeypatch)
    assert error.problems == (
        "balance 756 moved by -2001, its postings by -2000",
        "trial balance is -1 cents, not 0",  # the carried totals moved by the stored change
    )


def test_a_posting_on_an_account_the_chunk_does_not_touch_is_refused(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup_fund(engine)

    def stray_pair(session: Session, seq: int) -> None:
        # Balanced, on an account whose balance does not move: only the count can see it.
        for line, amount in ((10, 700), (11, -700)):
            sql(
                session,
                "INSERT INTO posting (entry_id, line, seq, account, amount_cents) "
                "VALUES (:entry, :line, :seq, '512', :amount)",
                entry=f"{seq}.0",
                line=line,
                seq=seq,
                amount=amount,
            )

    break_chunk(monkeypatch, 3, stray_pair)
    error = refused_third_chunk(engine, monkeypatch)
    head = journal_head(engine)  # the retried chunk took the refused chunk's seq
    assert error.problems == (f"command {head} wrote 6 postings, 4 of them on accounts it touches",)


def test_a_lot_that_does_not_hold_the_credit_is_refused(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup_fund(engine)

    def lot_one_cent_short(session: Session, seq: int) -> None:
        sql(
            session,
            "UPDATE credit_lot SET remaining_cents = remaining_cents - 1 WHERE household_id = 'hh_b'",
        )

    break_chunk(monkeypatch, 3, lot_one_cent_short)
    error = refused_third_chunk(engine, monkeypatch)
    assert error.problems == ("open lots of hh_b hold 19999, credit is 20000",)


def test_credit_the_fund_cannot_back_is_refused_on_carried_totals(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup_fund(engine)
    real_chunks = months._chunks

    def inflated(plan: Any, size: int) -> list[list[dict[str, Any]]]:
        chunks = real_chunks(plan, size)
        for line in chunks[-1]:
            line["credit_cents"] = 2_000_000  # hh_b, the third chunk: far beyond the fund
        return chunks

    monkeypatch.setattr(months, "_chunks", inflated)
    error = refused_third_chunk(engine, monkeypatch)
    # Held: subsidy 100 000 + contributions 5 000 + 1 000 + 2 000; owed: 10 000 + 15 000
    # + 2 000 000 of credit.
    assert error.problems == (
        "credit and payables (2025000 cents) exceed what the fund holds (108000)",
    )


def test_carried_totals_are_the_full_sums_after_every_chunk(engine: Engine) -> None:
    setup_fund(engine)
    carrier = Totals()
    seen: list[tuple[int, dict[str, int]]] = []
    for household, contribution, credit in (("hh_a", 5_000, 10_000), ("hh_b", 2_000, 20_000)):
        payload = chunk_payload(household, contribution, credit, len(seen))
        execute(
            engine, Command("run_month", payload), ACTOR, f"chunk-{household}", NOW, totals=carrier
        )
        assert carrier.known is not None
        with Session(engine) as session:
            head = journal.head(session)
            assert (carrier.known.seq, carrier.known.hash) == (head.seq, head.hash)
            assert carrier.known.totals == fund_totals(session)
        seen.append((carrier.known.seq, carrier.known.totals))
    assert seen[1][1]["member_credit"] == -30_000
    assert seen[1][1]["members_due"] == 7_000
    assert seen[1][1]["trial_balance"] == 0


def test_totals_carried_for_another_head_are_not_used(engine: Engine) -> None:
    setup_fund(engine)
    with Session(engine) as session:
        head = journal.head(session)
    bogus = dict.fromkeys((*FAMILIES, "trial_balance"), 10**9)
    assert Totals(KnownTotals(head.seq, head.hash, bogus)).at(head) == bogus
    assert Totals(KnownTotals(head.seq, "0" * 64, bogus)).at(head) is None
    assert Totals(KnownTotals(head.seq - 1, head.hash, bogus)).at(head) is None
    # A stale carrier: the command sums the balances in full and passes.
    carrier = Totals(KnownTotals(head.seq, "f" * 64, bogus | {"trial_balance": 5}))
    payload = chunk_payload("hh_a", 5_000, 10_000, 0)
    execute(engine, Command("run_month", payload), ACTOR, "stale", NOW, totals=carrier)
    assert carrier.known is not None
    assert carrier.known.totals["trial_balance"] == 0
    assert carrier.known.totals["member_credit"] == -10_000


def chunk_payload(household: str, contribution: int, credit: int, chunk: int) -> dict[str, Any]:
    return {
        "period": PERIOD,
        "rule_set_hash": "sha256:" + "0" * 64,
        "chunk": chunk,
        "unspent_credit": {"policy": "expire", "after_months": 2, "cap_cents": None},
        "rationing": None,
        "households": [
            {
                "household_id": household,
                "status": "assessed",
                "contribution_cents": contribution,
                "credit_cents": credit,
                "funder_share_cents": 0,
                "funder_id": None,
                "facts_commitment": "sha256:" + "1" * 64,
            }
        ],
    }


def test_only_the_first_chunk_sums_every_balance_when_no_totals_are_carried(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.ledger import invariants

    setup_fund(engine)
    with Session(engine) as session, session.begin():
        sql(session, "DELETE FROM fund_total")  # as if the last writer had not carried them
    real = invariants.fund_totals
    scans = {"n": 0}

    def counted(session: Session) -> dict[str, int]:
        scans["n"] += 1
        return real(session)

    monkeypatch.setattr(invariants, "fund_totals", counted)
    result = run_month(engine, PERIOD, chunk_size=1, **w())
    assert (result["chunks"], scans["n"]) == (3, 1)


def test_no_chunk_sums_every_balance_when_the_head_carries_its_totals(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.ledger import invariants

    setup_fund(engine)  # every command of the setup stored the totals it left
    scans = {"n": 0}
    real = invariants.fund_totals

    def counted(session: Session) -> dict[str, int]:
        scans["n"] += 1
        return real(session)

    monkeypatch.setattr(invariants, "fund_totals", counted)
    result = run_month(engine, PERIOD, chunk_size=1, **w())
    assert (result["chunks"], scans["n"]) == (3, 0)
    with Session(engine) as session:
        assert session.get(t.FundTotal, 1) is not None
        stored = session.get(t.FundTotal, 1)
        assert stored is not None and stored.seq == journal.head(session).seq
        assert json.loads(stored.totals) == real(session)


def test_a_negative_lot_is_refused(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    setup_fund(engine)

    def lot_below_zero(session: Session, seq: int) -> None:
        sql(session, "UPDATE credit_lot SET remaining_cents = -1 WHERE household_id = 'hh_b'")

    break_chunk(monkeypatch, 3, lot_below_zero)
    error = refused_third_chunk(engine, monkeypatch)
    assert error.problems == (
        "open lots of hh_b hold -1, credit is 20000",
        "a credit lot of hh_b holds a negative amount (-1)",
    )


def test_member_credit_below_zero_is_refused_with_every_problem_in_order(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    setup_fund(engine)

    def credit_overdrawn(session: Session, seq: int) -> None:
        sql(session, "UPDATE balance SET balance_cents = 5 WHERE account = '419:hh_b'")

    break_chunk(monkeypatch, 3, credit_overdrawn)
    error = refused_third_chunk(engine, monkeypatch)
    # Moved balances, then member sums, then credit, then the fund totals (carried).
    assert error.problems == (
        "balance 419:hh_b moved by 5, its postings by -20000",
        "balance 419:hh_b is 5, its postings sum to -20000",
        "member credit 419:hh_b is below zero (-5 cents)",
        "open lots of hh_b hold 20000, credit is -5",
        "trial balance is 20005 cents, not 0",
    )
