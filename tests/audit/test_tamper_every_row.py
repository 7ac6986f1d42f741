"""Exhaustive tamper check on an export of the fund's life: changing ANY single journal
record, posting, balance or lot is caught, and named at the right seq, table and row."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from app.audit.sources import DbSource, ExportSource, read_engine
from app.audit.verify import Disagreement, verify
from tests.audit.books import live_a_year
from tests.audit.support import rehash_manifest


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An export of ``live_a_year`` on a private SQLite database (module-wide, read-only)."""
    from app.audit.export import export_journal
    from app.db.migrate import upgrade_to_head
    from app.db.session import make_engine
    from app.db.settings import Settings

    base = tmp_path_factory.mktemp("pristine")
    url = f"sqlite:///{base / 'caisse.db'}"
    upgrade_to_head(url)
    engine: Engine = make_engine(Settings(database_url=url))
    live_a_year(engine)
    engine.dispose()
    source = DbSource(read_engine(url))
    try:
        export_journal(source, base / "export")
    finally:
        source.close()
    return base / "export"


def _lines(directory: Path, name: str) -> list[dict[str, Any]]:
    return [json.loads(x) for x in (directory / name).read_text("utf-8").splitlines()]


def _tampered(pristine: Path, tmp_path: Path, name: str, index: int,
              change: Callable[[dict[str, Any]], None]) -> Disagreement:
    copy = tmp_path / "copy"
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(pristine, copy)
    rows = _lines(copy, name)
    change(rows[index])
    (copy / name).write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    report = verify(ExportSource(copy))
    assert report.disagreement is not None, (name, index)
    return report.disagreement


def test_the_pristine_export_verifies(pristine: Path) -> None:
    assert verify(ExportSource(pristine)).ok


def test_every_journal_record_changed_is_named_at_its_seq(pristine: Path, tmp_path: Path) -> None:
    records = _lines(pristine, "journal.jsonl")
    for index, record in enumerate(records):
        bad = _tampered(pristine, tmp_path, "journal.jsonl", index,
                        lambda r: r.update(actor=r["actor"] + "x"))
        assert (bad.seq, bad.table, bad.row) == (record["seq"], "journal", f"seq={record['seq']}")


def test_every_posting_changed_is_named_by_entry_and_line(pristine: Path, tmp_path: Path) -> None:
    entries = _lines(pristine, "entries.jsonl")
    checked = 0
    for index, entry in enumerate(entries):
        for line in range(len(entry["postings"])):
            def bump(e: dict[str, Any], line: int = line) -> None:
                e["postings"][line][1] += 1

            bad = _tampered(pristine, tmp_path, "entries.jsonl", index, bump)
            assert (bad.seq, bad.table, bad.row) == (
                entry["seq"], "posting", f"entry_id={entry['entry_id']} line={line}")
            checked += 1
    assert checked == 44


def test_every_balance_changed_is_named_by_account(pristine: Path, tmp_path: Path) -> None:
    balances = _lines(pristine, "balances.jsonl")
    for index, row in enumerate(balances):
        bad = _tampered(pristine, tmp_path, "balances.jsonl", index,
                        lambda r: r.update(balance_cents=r["balance_cents"] + 1))
        assert (bad.table, bad.account) == ("balance", row["account"])


def test_every_lot_changed_is_named_by_lot_id(pristine: Path, tmp_path: Path) -> None:
    lots = _lines(pristine, "lots.jsonl")
    assert len(lots) == 6
    for index, row in enumerate(lots):
        bad = _tampered(pristine, tmp_path, "lots.jsonl", index,
                        lambda r: r.update(granted_cents=r["granted_cents"] + 1))
        assert (bad.seq, bad.table, bad.row) == (row["last_seq"], "credit_lot",
                                                 f"lot_id={row['lot_id']}")


def test_a_journal_rewritten_with_other_whitespace_but_the_same_content_verifies(
    pristine: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "spaced"
    shutil.copytree(pristine, copy)
    rows = _lines(copy, "journal.jsonl")
    (copy / "journal.jsonl").write_text("".join(json.dumps(r, indent=None) + "\n" for r in rows),
                                        "utf-8")
    assert "\": " in (copy / "journal.jsonl").read_text("utf-8")  # not the canonical bytes
    bad = verify(ExportSource(copy)).disagreement  # the manifest's file hash names the file
    assert bad is not None and (bad.table, bad.row) == ("manifest", "file=journal.jsonl")
    rehash_manifest(copy, "journal.jsonl")
    assert verify(ExportSource(copy)).ok  # the hash is of the content, not of the layout
