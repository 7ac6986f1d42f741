"""Exports: the journal directory verifies on its own, a changed file is named, nothing
personal leaves the database, the CSV balances, and bean-check accepts the beancount ledger."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from app.audit.beancount_export import beancount_account, party_component
from app.audit.export import euros
from tests.audit.books import live_a_year
from tests.audit.support import run_cli

BEAN_CHECK = Path(sys.executable).with_name("bean-check")


@pytest.fixture()
def books(engine: Engine, db_url: str) -> str:
    live_a_year(engine)
    return db_url


@pytest.fixture()
def exported(books: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    directory = tmp_path / "export"
    code, manifest = run_cli(capsys, "export", "journal", str(directory), "--database", books)
    assert code == 0, manifest
    assert manifest["counts"] == {"records": 25, "entries": 22, "balances": 14, "lots": 6,
                                  "month_credits": 5, "checkpoints": 1}
    return directory


def test_an_export_verifies_like_the_database(
    books: str, exported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, from_db = run_cli(capsys, "verify", "--database", books)
    code, from_export = run_cli(capsys, "verify", "--export", str(exported))
    assert code == 0, from_export
    for key in ("records_checked", "entries", "postings", "balances", "lots", "checkpoints",
                "head_hash"):
        assert from_export[key] == from_db[key]


def test_a_changed_line_of_an_export_is_named(
    exported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = exported / "entries.jsonl"
    lines = path.read_text("utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if '"entry_id":"13.0"' in line)
    entry = json.loads(lines[index])
    entry["postings"][1][1] -= 1
    lines[index] = json.dumps(entry)
    path.write_text("\n".join(lines) + "\n", "utf-8")
    code, report = run_cli(capsys, "verify", "--export", str(exported))
    assert code == 1
    assert report["first_disagreement"]["seq"] == 13
    assert report["first_disagreement"]["row"] == "entry_id=13.0 line=1"


def test_a_truncated_export_journal_fails_on_the_stored_entries_it_lacks(
    exported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = exported / "journal.jsonl"
    lines = path.read_text("utf-8").splitlines()
    path.write_text("\n".join(lines[:20]) + "\n", "utf-8")
    code, report = run_cli(capsys, "verify", "--export", str(exported))
    assert code == 1
    assert report["first_disagreement"]["seq"] == 24  # the next seq holding entries
    assert report["first_disagreement"]["table"] == "ledger_entry"


def test_an_export_journal_cut_after_its_last_entry_is_caught_by_the_manifest(
    exported: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = exported / "journal.jsonl"
    lines = path.read_text("utf-8").splitlines()
    path.write_text("\n".join(lines[:-1]) + "\n", "utf-8")  # seq 25 (purchase p4) removed
    entries = exported / "entries.jsonl"
    kept = [x for x in entries.read_text("utf-8").splitlines() if '"seq":25' not in x]
    entries.write_text("\n".join(kept) + "\n", "utf-8")
    balances = exported / "balances.jsonl"
    rows = [json.loads(x) for x in balances.read_text("utf-8").splitlines()]
    fixed = {"401:market": 2_000, "419:hh_b": 2_000}  # undo p4's 2 000 cents
    for row in rows:
        row["balance_cents"] += fixed.get(row["account"], 0)
    balances.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    code, report = run_cli(capsys, "verify", "--export", str(exported))
    assert code == 1
    assert report["first_disagreement"]["seq"] == 25
    assert "manifest" in report["first_disagreement"]["reason"]


def test_an_export_carries_no_personal_data(exported: Path) -> None:
    text = "".join(p.read_text("utf-8") for p in sorted(exported.iterdir()))
    for personal in ("Member hh_a", "hh_a@example.org", "1980-05-17", "200000"):
        assert personal not in text
    assert "hh_a" in text  # pseudonymous ids are kept


def test_the_csv_ledger_has_one_balanced_row_per_posting(
    books: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "ledger.csv"
    code, summary = run_cli(capsys, "export", "ledger", "--format", "csv", str(out),
                            "--database", books)
    assert (code, summary["rows"]) == (0, 44)
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 44
    assert sum(int(r["amount_cents"]) for r in rows) == 0
    p1 = [r for r in rows if r["entry_id"] == "13.0"]
    assert [(r["account"], r["amount_cents"], r["debit_eur"], r["credit_eur"]) for r in p1] == [
        ("419:hh_a", "3000", "30.00", ""), ("401:shop", "-3000", "", "30.00")]


def test_bean_check_accepts_the_beancount_ledger(
    books: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "ledger.beancount"
    code, summary = run_cli(capsys, "export", "ledger", "--format", "beancount", str(out),
                            "--database", books)
    assert (code, summary["rows"]) == (0, 22)
    checked = subprocess.run([str(BEAN_CHECK), str(out)], capture_output=True, text=True,
                             check=False)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    text = out.read_text("utf-8")
    assert text.count(" * ") == 22
    assert "2026-11-01 open Liabilities:Members:419:Phh-ua EUR" in text


def test_bean_check_refuses_a_ledger_that_does_not_balance(
    books: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "ledger.beancount"
    run_cli(capsys, "export", "ledger", "--format", "beancount", str(out), "--database", books)
    out.write_text(out.read_text("utf-8").replace("  30.00 EUR", "  30.01 EUR", 1), "utf-8")
    checked = subprocess.run([str(BEAN_CHECK), str(out)], capture_output=True, check=False)
    assert checked.returncode != 0


def test_accounts_map_to_beancount_roots() -> None:
    assert beancount_account("512") == "Assets:Bank:512"
    assert beancount_account("419:hh_x") == "Liabilities:Members:419:Phh-ux"
    assert beancount_account("401:shop-2.b") == "Liabilities:Merchants:401:Pshop-h2-db"
    assert beancount_account("756") == "Income:Contributions:756"
    assert beancount_account("6571") == "Expenses:FoodAid:6571"


def test_euros_are_exact_decimal_text_of_cents() -> None:
    assert [euros(c) for c in (0, 5, -5, 100, -1234, 123456789)] == [
        "0.00", "0.05", "-0.05", "1.00", "-12.34", "1234567.89"]


ids = st.text(alphabet="abcXYZ019_.-", min_size=1, max_size=8)


@given(ids, ids)
def test_party_components_are_injective_and_valid(a: str, b: str) -> None:
    ca, cb = party_component(a), party_component(b)
    assert (ca == cb) == (a == b)
    assert ca[0] == "P"
    assert all(c.isascii() and (c.isalnum() or c == "-") for c in ca)
