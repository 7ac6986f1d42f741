"""``caisse project``: the projection of the books' fund in JSON, CSV and French text.

The fund is the one of ``tests/services/test_projection_matches_months.py`` (figures by hand
there): reserves 67 500, 40 000, 7 500 cents, rationing in 2027-02, 29 500 cents avoid it.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from app.cli import main
from tests.fixtures_db import db_url, engine, postgres_schema, sqlite_template
from tests.services.helpers import RULES
from tests.services.test_projection_matches_months import fund

__all__ = ["db_url", "engine", "postgres_schema", "sqlite_template"]

ARGS = ["project", "--start", "2026-11", "--months", "4", "--spend-rate", "0.9"]
ARGS += ["--subsidy", "2026-12=5000"]


@pytest.fixture
def books(engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Engine:
    fund(engine)
    monkeypatch.setenv("DATABASE_URL", db_url)
    return engine


def test_csv_has_one_row_per_month_with_the_reserve_in_cents(
    books: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*ARGS, "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["period"] for r in rows] == ["2026-11", "2026-12", "2027-01", "2027-02"]
    assert [r["reserve_end_cents"] for r in rows] == ["67500", "40000", "7500", "1551"]
    assert [r["rationed"] for r in rows] == ["False", "False", "False", "True"]
    assert rows[3]["served"] == "31/90"


def test_json_names_the_subsidy_that_avoids_rationing(
    books: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(ARGS) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["projection"]["subsidy_to_avoid_cents"] == 29_500
    assert result["projection"]["rationing_starts"] == "2027-02"
    assert result["compare"] is None


def test_text_compares_two_rule_sets_side_by_side_in_french(
    books: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The draft halves the base credit: 5 000 + 5 000 per extra person (30 000 a month).
    draft = RULES | {
        "version": 2,
        "unspent_credit": {"policy": "expire", "after_months": 1},
        "credit": {
            "formula": {
                "kind": "base_plus_extra",
                "base_cents": 5000,
                "per_extra_person_cents": 5000,
            }
        },
    }
    path = tmp_path / "draft.json"
    path.write_text(json.dumps(draft), encoding="utf-8")
    assert main([*ARGS, "--compare", str(path), "--format", "text"]) == 0
    out = capsys.readouterr().out
    assert "Le rationnement commencerait en 2027-02" in out
    assert "Règles B : testfund v2" in out
    assert "Aucun rationnement sur la période projetée." in out
    # B: 100 000 - 22 000 a month + 3 000 expired; 5 000 more in December.
    assert "2026-11          675,00 €  100,00 %        810,00 €  100,00 %" in out
    assert "2027-02           15,51 €   34,44 %        290,00 €  100,00 %" in out


def test_a_spend_rate_above_one_is_refused_naming_the_field(
    books: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*ARGS[:-4], "--spend-rate", "1.5"]) == 2
    assert "spend_rate" in capsys.readouterr().err
