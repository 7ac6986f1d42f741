"""Purchases, refunds, settlements, closing, sealing, expiry, reversal and erasure."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.audit import checkpoint, journal
from app.db import tables as t
from app.engine.books.journal import verify_chain
from app.ledger.invariants import check_books
from app.services.errors import MonthClosed
from app.services.households import erase_member
from app.services.merchants import purchase, refund
from app.services.money import record_payment, reverse_entry, settle_merchants
from app.services.months import close_month, expire_credit
from app.services.seal import seal_month
from app.services.views import balances, fund_position, journal_page, month_status, statement
from tests.services.helpers import CODE, PERIOD, small_fund, w

DAY = date(2026, 11, 20)


def spend_and_refund(engine: Engine) -> None:
    small_fund(engine)
    purchase(engine, "p1", "hh_a", "shop", "food", 3_000, DAY, CODE, **w())
    refund(engine, "r1", "shop", "p1", 1_000, DAY, **w())


def test_refund_gives_credit_back_and_lowers_the_payable(engine: Engine) -> None:
    spend_and_refund(engine)
    assert balances(engine, "hh_a")["credit_cents"] == 8_000
    assert fund_position(engine)["merchants_payable_cents"] == 2_000


def test_settlement_pays_merchants_from_the_bank(engine: Engine) -> None:
    spend_and_refund(engine)
    settle_merchants(engine, "b1", "VIR-B1", date(2026, 11, 30), {"shop": 2_000}, **w())
    position = fund_position(engine)
    assert position["merchants_payable_cents"] == 0
    assert position["bank_cents"] == 98_000


def test_a_closed_month_takes_no_entry(engine: Engine) -> None:
    small_fund(engine)
    close_month(engine, PERIOD, **w())
    with pytest.raises(MonthClosed):
        record_payment(engine, "hh_a", 1_000, "cash", "R-1", date(2026, 11, 28), **w())
    record_payment(engine, "hh_a", 1_000, "cash", "R-1", date(2026, 12, 1), **w())
    assert balances(engine, "hh_a")["due_cents"] == 4_000


def test_sealing_records_a_signed_checkpoint_of_the_journal(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = Ed25519PrivateKey.generate()
    pem = tmp_path / "seal.pem"
    pem.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    monkeypatch.setenv(checkpoint.SIGNING_KEY_ENV, str(pem))
    spend_and_refund(engine)
    close_month(engine, PERIOD, **w())
    with Session(engine) as session:
        before = journal.head(session)
    sealed = seal_month(engine, PERIOD, **w())
    status = month_status(engine, PERIOD)
    assert status["status"] == "sealed"
    assert status["checkpoint"]["journal_size"] == before.seq == sealed["seq"] - 1
    assert status["checkpoint"]["head_hash"] == before.hash
    with Session(engine) as session:
        row = session.get(t.Checkpoint, PERIOD)
        assert row is not None and checkpoint.signature_valid(row)
        row.head_hash = "0" * 64
        assert not checkpoint.signature_valid(row)
        records = list(journal.records(session))
    assert verify_chain(records) is None


def test_unspent_credit_expires_back_to_the_fund_after_its_last_month(engine: Engine) -> None:
    spend_and_refund(engine)  # hh_a 8 000, hh_b 20 000; lots usable in Nov and Dec
    assert expire_credit(engine, "2026-11", **w())["expired_cents"] == 0
    result = expire_credit(engine, "2026-12", **w())
    assert result["expired_cents"] == 28_000
    assert balances(engine, "hh_a")["lots"] == []
    assert fund_position(engine)["expired_credit_cents"] == 28_000


def test_a_reversal_in_a_later_month_takes_the_credit_back(engine: Engine) -> None:
    small_fund(engine)
    close_month(engine, PERIOD, **w())
    run = next(r for r in journal_page(engine) if r["kind"] == "run_month")
    # Entries of the run, by household id: hh_a's contribution and credit, then hh_b's.
    entry_id = f"{run['seq']}.3"
    result = reverse_entry(engine, entry_id, "credited twice by mistake", "2026-12", **w())
    assert result["reverses"] == entry_id
    assert balances(engine, "hh_b")["credit_cents"] == 0
    assert balances(engine, "hh_a")["credit_cents"] == 10_000
    with Session(engine) as session:
        assert check_books(session) == []


def test_erasure_removes_personal_data_and_keeps_the_chain(engine: Engine) -> None:
    small_fund(engine)
    erase_member(engine, "hh_b", **w())
    with Session(engine) as session:
        assert session.get(t.MemberIdentity, "hh_b") is None
        facts = (
            session.execute(select(t.HouseholdFacts).where(t.HouseholdFacts.household_id == "hh_b"))
            .scalars()
            .all()
        )
        assert [(f.income_cents, f.salt, f.persons, f.erased) for f in facts] == [
            (None, None, "[]", True)
        ]
        assert session.get(t.MemberIdentity, "hh_a") is not None
        records = list(journal.records(session))
    assert verify_chain(records) is None
    assert statement(engine, "hh_b", PERIOD)["explanation"] is None
    assert statement(engine, "hh_b", PERIOD)["credit_cents"] == 20_000
