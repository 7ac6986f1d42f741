"""Free text out of the journal (app.services.free_text): a payment's reference is kept in
erasable storage, the journal holds only its salted commitment; erasing the text leaves
every record verifiable."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from app.audit.sources import DbSource
from app.audit.verify import verify
from app.db.session import read_only, unit_of_work
from app.db.tables_free_text import FreeText
from app.services import errors, free_text
from app.services.households import erase_member
from app.services.merchants import suspend_merchant
from app.services.money import record_payment, reverse_entry
from app.services.views import history
from tests.services.helpers import PERIOD, small_fund, w

DAY = date(2026, 11, 20)
NAME = "VIR SEPA M. JEAN DUPONT"


def everything_journalled(engine: Engine) -> str:
    """Every text the journal and the books hold (payloads, stored results, memos)."""
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT payload, result FROM journal")).all()
        memos = connection.execute(text("SELECT memo FROM ledger_entry")).scalars().all()
    return "\n".join([*(f"{p}\n{r}" for p, r in rows), *memos])


def verified(engine: Engine) -> None:
    source = DbSource(engine)
    try:
        assert verify(source).ok
    finally:
        source.close()


def pay(engine: Engine, key: str, reference: str = NAME) -> dict[str, object]:
    return record_payment(
        engine, "hh_a", 2_500, "transfer", reference, DAY, **w(idempotency_key=key)
    )


def test_a_reference_is_kept_apart_and_the_journal_holds_its_commitment(
    engine: Engine,
) -> None:
    small_fund(engine)
    result = pay(engine, "pay-1")
    assert "DUPONT" not in everything_journalled(engine)
    seq = int(str(result["entry_id"]).split(".")[0])
    with read_only(engine) as session:
        row = session.get(FreeText, (seq, "reference"))
        assert row is not None and row.text == NAME and len(row.salt) == 32
        committed = free_text.commitment(row.salt, NAME)
        assert committed.startswith("sha256:") and committed in everything_journalled(engine)
        assert free_text.reveal(session, seq, "reference", committed) == NAME
    # The member's history shows the reference as typed.
    memos = [line["memo"] for line in history(engine, "hh_a") if line["seq"] == seq]
    assert memos == [f"transfer {NAME}"]
    verified(engine)


def test_a_retry_with_the_same_key_is_a_replay_and_another_text_a_conflict(
    engine: Engine,
) -> None:
    small_fund(engine)
    first = pay(engine, "pay-2")
    assert pay(engine, "pay-2") == first  # the same salt again: the same payload
    with pytest.raises(errors.Conflict):
        pay(engine, "pay-2", reference="VIR SEPA M. JEAN DURAND")


def test_erasing_a_text_leaves_the_books_verifiable(engine: Engine) -> None:
    small_fund(engine)
    result = pay(engine, "pay-3")
    seq = int(str(result["entry_id"]).split(".")[0])
    with unit_of_work(engine) as session:
        assert free_text.erase(session, seq) == 1
    memos = [line["memo"] for line in history(engine, "hh_a") if line["seq"] == seq]
    assert memos == [f"transfer {free_text.ERASED}"]
    with read_only(engine) as session:
        assert session.get(FreeText, (seq, "reference")) is None  # text and salt gone
    verified(engine)


def test_a_changed_text_no_longer_matches_its_commitment(engine: Engine) -> None:
    small_fund(engine)
    seq = int(str(pay(engine, "pay-4")["entry_id"]).split(".")[0])
    with unit_of_work(engine) as session:
        row = session.get(FreeText, (seq, "reference"))
        assert row is not None
        committed = free_text.commitment(row.salt, row.text)
        row.text = "VIR SEPA M. PAUL MARTIN"
        session.add(row)
    with read_only(engine) as session:
        assert free_text.reveal(session, seq, "reference", committed) is None


def test_reasons_are_kept_apart_and_erasing_a_member_forgets_its_references(
    engine: Engine,
) -> None:
    small_fund(engine)
    paid = pay(engine, "pay-5")
    reverse_entry(engine, str(paid["entry_id"]), "saisie en double, M. DUPONT", PERIOD, **w())
    suspend_merchant(engine, "shop", "plainte de Mme DUPONT", date(2026, 12, 1), **w())
    assert "DUPONT" not in everything_journalled(engine)
    with read_only(engine) as session:
        assert session.query(FreeText).count() == 4  # 3 + the subsidy's reference
    erase_member(engine, "hh_a", **w())
    with read_only(engine) as session:
        left = sorted(row.text for row in session.query(FreeText))
    assert left == ["SUB-1", "plainte de Mme DUPONT"]  # the payment and its reversal: gone
    verified(engine)
