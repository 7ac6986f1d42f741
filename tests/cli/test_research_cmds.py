"""``caisse indicators`` and ``caisse export indicators`` on the small service fund
(tests/services/helpers.small_fund: two households owing 50 € and 20 €, credited 100 € and
200 € in 2026-11, a 1 000 € subsidy), with the threshold at 2."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from app.cli import main
from tests.fixtures_db import db_url, engine, postgres_schema, sqlite_template
from tests.services.helpers import small_fund

__all__ = ["db_url", "engine", "postgres_schema", "sqlite_template"]


@pytest.fixture
def books(engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Engine:
    small_fund(engine)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("CAISSE_RESEARCH_THRESHOLD", "2")
    return engine


def test_csv_gives_exact_figures(books: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["indicators", "--from", "2026-11", "--format", "csv"]) == 0
    rows = {
        (r["indicator"], r["group"]): r
        for r in csv.DictReader(io.StringIO(capsys.readouterr().out))
    }
    due = rows[("contributions_due_cents", "all")]
    assert (due["numerator"], due["denominator"], due["households"]) == ("7000", "1", "2")
    share = rows[("self_financing_due", "all")]
    assert (share["numerator"], share["denominator"], share["value"]) == ("7", "30", "0.233333")
    assert rows[("reserve_cents", "all")]["numerator"] == "100000"


def test_text_is_french_and_json_names_the_threshold(
    books: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["indicators", "--from", "2026-11", "--format", "text"]) == 0
    text = capsys.readouterr().out
    assert "indicateurs 2026-11 (seuil 2 foyers)" in text
    assert "credit_granted_cents [all] : 300,00 €" in text
    assert main(["indicators", "--from", "2026-11"]) == 0
    assert json.loads(capsys.readouterr().out)["threshold"] == 2


def test_a_bad_month_exits_2_naming_the_field(
    books: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["indicators", "--from", "2026-11", "--to", "2026-1"]) == 2
    assert "to:" in capsys.readouterr().err


def test_export_writes_the_three_files(books: Engine, tmp_path: Path) -> None:
    out = tmp_path / "open-data"
    assert main(["export", "indicators", str(out), "--from", "2026-11"]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "datapackage.json",
        "definitions.csv",
        "indicators.csv",
    ]
