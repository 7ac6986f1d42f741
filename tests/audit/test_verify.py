"""``caisse verify`` on the live database: a fund's real life verifies; any row changed
behind the application's back is named (seq, table, row) with exit code 1."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy.engine import Engine

from tests.audit.books import SIGNING_KEY, live_a_year
from tests.audit.support import run_cli, scalar, tamper

PUBLIC_HEX = SIGNING_KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
# Journal positions of the commands of ``live_a_year`` (counted by hand from its body).
SEQ_P1 = 13  # purchase p1: hh_a, shop, food, 3 000 cents
SEQ_SETTLE = 17  # the last command touching 401:shop
SEQ_SEAL = 22


@pytest.fixture()
def books(engine: Engine, db_url: str) -> str:
    live_a_year(engine)
    return db_url


def test_a_fund_living_through_the_services_verifies(
    books: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = run_cli(capsys, "verify", "--database", books, "--public-key", PUBLIC_HEX)
    assert code == 0, report
    assert report["ok"] is True
    assert report["records_checked"] == 25
    assert report["entries"] == 22
    assert report["postings"] == 44
    assert report["checkpoints"] == 1
    assert report["head_hash"] == scalar(books, "SELECT hash FROM journal WHERE seq = 25")
    assert report["first_disagreement"] is None


def test_the_funds_public_key_may_be_given_as_a_pem_file(
    books: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pem = tmp_path / "fund.pub.pem"
    pem.write_bytes(SIGNING_KEY.public_key().public_bytes(
        Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    code, report = run_cli(capsys, "verify", "--database", books, "--public-key", str(pem))
    assert (code, report["checkpoints"], report["notes"]) == (0, 1, [])


def test_purchase_p1_is_at_the_seq_the_tamper_tests_use(books: str) -> None:
    kind = scalar(books, "SELECT kind FROM journal WHERE seq = :s", s=SEQ_P1)
    payload = scalar(books, "SELECT payload FROM journal WHERE seq = :s", s=SEQ_P1)
    assert kind == "purchase"
    assert '"purchase_id":"p1"' in payload


def _first(capsys: pytest.CaptureFixture[str], db_url: str) -> dict[str, object]:
    code, report = run_cli(capsys, "verify", "--database", db_url)
    assert code == 1, report
    assert report["ok"] is False
    first: dict[str, object] = report["first_disagreement"]
    return first


def test_a_changed_journal_payload_is_named_by_its_seq(
    books: str, capsys: pytest.CaptureFixture[str]
) -> None:
    changed = tamper(books, "journal",
                     "UPDATE journal SET payload = REPLACE(payload, '3000', '300') WHERE seq = :s",
                     s=SEQ_P1)
    assert changed == 1
    first = _first(capsys, books)
    assert (first["seq"], first["table"], first["row"]) == (SEQ_P1, "journal", f"seq={SEQ_P1}")
    assert "hash does not match" in str(first["reason"])


def test_a_changed_journal_hash_is_named_by_its_seq(
    books: str, capsys: pytest.CaptureFixture[str]
) -> None:
    tamper(books, "journal", "UPDATE journal SET hash = :h WHERE seq = :s", h="f" * 64, s=SEQ_P1)
    first = _first(capsys, books)
    assert (first["seq"], first["table"]) == (SEQ_P1, "journal")


def test_a_changed_posting_amount_is_named_by_entry_and_line(
    books: str, capsys: pytest.CaptureFixture[str]
) -> None:
    tamper(books, "posting", "UPDATE posting SET amount_cents = amount_cents + 1 "
           "WHERE entry_id = :e AND line = 0", e=f"{SEQ_P1}.0")
    first = _first(capsys, books)
    assert (first["seq"], first["table"], first["row"]) == (
        SEQ_P1, "posting", f"entry_id={SEQ_P1}.0 line=0")


def test_a_changed_balance_row_is_named_by_account_and_last_seq(
    books: str, capsys: pytest.CaptureFixture[str]
) -> None:
    tamper(books, "balance",
           "UPDATE balance SET balance_cents = balance_cents - 1 WHERE account = '401:shop'")
    first = _first(capsys, books)
    assert (first["seq"], first["table"], first["account"]) == (
        SEQ_SETTLE, "balance", "401:shop")
    assert first["reason"] == "stored balance is -1 cents, replay gives 0"  # settled to 0


def test_a_changed_credit_lot_is_named_by_lot_id(
    books: str, capsys: pytest.CaptureFixture[str]
) -> None:
    lot_id = scalar(books, "SELECT MIN(lot_id) FROM credit_lot WHERE household_id = 'hh_b'")
    last_seq = scalar(books, "SELECT last_seq FROM credit_lot WHERE lot_id = :l", l=lot_id)
    tamper(books, "credit_lot",
           "UPDATE credit_lot SET remaining_cents = remaining_cents + 100 WHERE lot_id = :l",
           l=lot_id)
    first = _first(capsys, books)
    assert (first["seq"], first["table"], first["row"]) == (
        last_seq, "credit_lot", f"lot_id={lot_id}")


def test_a_deleted_ledger_entry_is_named(
    books: str, capsys: pytest.CaptureFixture[str]
) -> None:
    tamper(books, "posting", "DELETE FROM posting WHERE entry_id = :e", e=f"{SEQ_P1}.0")
    tamper(books, "ledger_entry", "DELETE FROM ledger_entry WHERE entry_id = :e",
           e=f"{SEQ_P1}.0")
    first = _first(capsys, books)
    assert (first["seq"], first["table"], first["row"]) == (
        SEQ_P1, "ledger_entry", f"entry_id={SEQ_P1}.0")


def test_a_changed_checkpoint_is_named_by_its_period(
    books: str, capsys: pytest.CaptureFixture[str]
) -> None:
    tamper(books, "checkpoint", "UPDATE checkpoint SET balances_digest = 'sha256:0'")
    first = _first(capsys, books)
    assert (first["seq"], first["table"]) == (SEQ_SEAL, "checkpoint")
    assert str(first["reason"]).startswith("balances_digest is 'sha256:0'")


def test_a_seal_signed_with_another_key_fails_against_the_funds_key(
    books: str, capsys: pytest.CaptureFixture[str]
) -> None:
    other = Ed25519PrivateKey.from_private_bytes(bytes(32)).public_key()
    other_hex = other.public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
    code, report = run_cli(capsys, "verify", "--database", books, "--public-key", other_hex)
    assert code == 1
    assert report["first_disagreement"]["table"] == "checkpoint"
    assert "another key" in report["first_disagreement"]["reason"]


def test_a_missing_exactly_once_marker_is_named(
    books: str, capsys: pytest.CaptureFixture[str]
) -> None:
    tamper(books, "month_credit",
           "DELETE FROM month_credit WHERE household_id = 'hh_a' AND period = '2026-12'")
    first = _first(capsys, books)
    assert (first["table"], first["row"]) == ("month_credit",
                                              "household_id=hh_a period=2026-12")
