"""Everything compared (issue 10): every registry table that decides money or access, the
journal's request hashes and results, the consent-code hash form and an export's manifest are
derived from the journal and compared by ``caisse verify``; one tampering per table and kind
(change, delete, insert, swap), each named by table and row."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from tests.audit.books import live_a_year
from tests.audit.support import run_cli, scalar

WEAK = "pbkdf2_sha256$3$" + "00" * 16 + "$" + "ab" * 32


@pytest.fixture()
def year(engine: Engine, db_url: str) -> str:
    live_a_year(engine)
    return db_url


def behind_the_back(url: str, *statements: str, **params: Any) -> None:
    """Run SQL with every guard off, as someone with the database file or server could."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(text("SET LOCAL session_replication_role = replica"))
            else:
                names = conn.execute(
                    text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
                ).scalars()
                for name in list(names):
                    conn.execute(text(f"DROP TRIGGER {name}"))
            for sql in statements:
                conn.execute(text(sql), params)
    finally:
        engine.dispose()


# name -> (statements, table, row, start of the reason)
CASES: dict[str, tuple[list[str], str, str, str]] = {
    "household changed": (
        ["UPDATE household SET facts_commitment = 'sha256:00' WHERE household_id = 'hh_a'"],
        "household",
        "id=hh_a",
        "stored HouseholdState(",
    ),
    "household deleted": (
        ["DELETE FROM household WHERE household_id = 'hh_c'"],
        "household",
        "id=hh_c",
        "written by the journal but missing",
    ),
    "household inserted": (
        [
            "INSERT INTO household (household_id, from_period, facts_commitment, erased, "
            "last_seq) VALUES ('hh_x', '2026-01', 'sha256:00', false, 3)"
        ],
        "household",
        "id=hh_x",
        "stored row was never written by the journal",
    ),
    "households swapped": (
        [
            "UPDATE household SET from_period = CASE household_id WHEN 'hh_a' THEN '2026-02' "
            "ELSE '2026-01' END WHERE household_id IN ('hh_a', 'hh_b')",
            "UPDATE household SET last_seq = 2 WHERE household_id = 'hh_a'",
        ],
        "household",
        "id=hh_a",
        "stored HouseholdState(",
    ),
    "a weak consent-code hash planted": (
        [f"UPDATE household SET consent_code_hash = '{WEAK}' WHERE household_id = 'hh_b'"],
        "household",
        "household_id=hh_b",
        "consent_code_hash is not in the one accepted form",
    ),
    "merchant changed": (
        [
            'UPDATE merchant SET categories = \'{"food": "1", "hygiene": "1"}\' '
            "WHERE merchant_id = 'shop'"
        ],
        "merchant",
        "id=shop",
        "stored MerchantState(",
    ),
    "merchant deleted": (
        ["DELETE FROM merchant WHERE merchant_id = 'market'"],
        "merchant",
        "id=market",
        "written by the journal but missing",
    ),
    "month reopened": (
        ["UPDATE month SET status = 'open' WHERE period = '2026-11'"],
        "month",
        "id=2026-11",
        "stored MonthState(",
    ),
    "month inserted": (
        ["INSERT INTO month (period, status, last_seq) VALUES ('2027-01', 'open', 1)"],
        "month",
        "id=2027-01",
        "stored row was never written by the journal",
    ),
    "purchase changed": (
        ["UPDATE purchase SET credit_cents = credit_cents + 1 WHERE purchase_id = 'p2'"],
        "purchase",
        "merchant_id=shop purchase_id=p2",
        "stored PurchaseState(",
    ),
    "purchase deleted": (
        ["DELETE FROM purchase WHERE purchase_id = 'p4'"],
        "purchase",
        "merchant_id=market purchase_id=p4",
        "written by the journal but missing",
    ),
    "purchases swapped": (
        [
            "UPDATE purchase SET household_id = CASE purchase_id WHEN 'p1' THEN 'hh_c' "
            "ELSE 'hh_a' END WHERE purchase_id IN ('p1', 'p3')"
        ],
        # p3's row was last written before p1's (refunded later): p3 is named first.
        "purchase",
        "merchant_id=market purchase_id=p3",
        "stored PurchaseState(",
    ),
    "adopted rule set inserted": (
        [
            "INSERT INTO rule_set (rule_set_id, version, content_hash, document, status, "
            "effective_from, decision) VALUES ('testfund', 2, 'sha256:00', '{}', 'adopted', "
            "'2026-12', '')"
        ],
        "rule_set",
        "rule_set_id=testfund version=2",
        "adopted row has no adopt_rule_set",
    ),
    "adopted rule set deleted": (
        ["DELETE FROM rule_set"],
        "rule_set",
        "rule_set_id=testfund version=1",
        "adopted by the journal but no",
    ),
    "request hash changed": (
        ["UPDATE journal SET request_hash = '" + "f" * 64 + "' WHERE seq = 5"],
        "journal",
        "seq=5",
        "request_hash is not the hash",
    ),
    "stored result changed": (
        ["UPDATE journal SET result = '{\"seq\": 99}' WHERE seq = 6"],
        "journal",
        "seq=6",
        "the stored result says seq 99",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_tampered_table_is_named(
    year: str, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    statements, table, row, reason = CASES[name]
    behind_the_back(year, *statements)
    code, report = run_cli(capsys, "verify", "--database", year)
    first = report["first_disagreement"]
    assert code == 1, name
    assert (first["table"], first["row"]) == (table, row), first
    assert str(first["reason"]).startswith(reason), first["reason"]


def test_a_changed_rule_document_in_storage_is_named(
    year: str, capsys: pytest.CaptureFixture[str]
) -> None:
    document = json.loads(scalar(year, "SELECT document FROM rule_set"))
    document["contribution"]["formula"]["rate"] = "0.05"
    changed = json.dumps(document, sort_keys=True, separators=(",", ":"))
    behind_the_back(year, "UPDATE rule_set SET document = :d", d=changed)
    code, report = run_cli(capsys, "verify", "--database", year)
    first = report["first_disagreement"]
    assert code == 1
    assert (first["seq"], first["table"], first["row"]) == (
        1,
        "rule_set",
        "rule_set_id=testfund version=1",
    )
    assert first["reason"].startswith("the stored document hashes to sha256:")


def test_the_intact_database_lists_every_check_and_leaves_none_out(
    year: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = run_cli(capsys, "verify", "--database", year)
    assert code == 0, report["first_disagreement"]
    assert report["not_checked"] == []
    assert len(report["checks"]) == 16
    assert any(c.startswith("rule_set (database)") for c in report["checks"])


def _export(url: str, directory: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    assert run_cli(capsys, "export", "journal", str(directory), "--database", url)[0] == 0
    return directory


def _manifest(directory: Path) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads((directory / "manifest.json").read_text("utf-8"))
    return manifest


def test_an_export_file_changed_in_its_bytes_only_is_named_by_the_manifest(
    year: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = _export(year, tmp_path / "export", capsys)
    lots = export / "lots.jsonl"
    lots.write_text(lots.read_text("utf-8").replace(",", ", "), "utf-8")  # same values
    code, report = run_cli(capsys, "verify", "--export", str(export))
    first = report["first_disagreement"]
    assert code == 1
    assert (first["table"], first["row"]) == ("manifest", "file=lots.jsonl")
    assert first["reason"].endswith(f"the manifest says {_manifest(export)['files']['lots.jsonl']}")


def test_an_export_file_left_out_of_the_manifest_is_named(
    year: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = _export(year, tmp_path / "export", capsys)
    manifest = _manifest(export)
    del manifest["files"]["checkpoints.jsonl"]
    (export / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    code, report = run_cli(capsys, "verify", "--export", str(export))
    assert code == 1
    assert report["first_disagreement"]["row"] == "file=checkpoints.jsonl"
    assert report["first_disagreement"]["reason"] == "the file is not listed in the manifest"
