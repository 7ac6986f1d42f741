"""``caisse receipts``: settings from a YAML file, a donor, the year's issue, the list and the
PDF reprinted byte for byte; refusals exit 2 naming the field."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from app.cli import main
from app.services.money import record_funding
from tests.fixtures_db import db_url, engine, postgres_schema, sqlite_template
from tests.services.helpers import small_fund, w

__all__ = ["db_url", "engine", "postgres_schema", "sqlite_template"]

SETTINGS_YAML = """\
name: "CALIEN — Caisse alimentaire de Loos-en-Gohelle"
address: "12 rue de la République, 62750 Loos-en-Gohelle"
siren_rna: "W622012345"
object: "Favoriser l'accès de tous à une alimentation choisie et durable"
quality: "Association loi 1901 d'intérêt général"
signatory: "Anne Martin, trésorière"
place: "Loos-en-Gohelle"
reduction_rate: "0.66"
ceiling_rate: "0.20"
"""


def test_a_year_is_issued_and_a_receipt_reprinted_from_the_shell(
    engine: Engine,
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    small_fund(engine, subsidy_cents=0)
    record_funding(engine, "don_martin", "donation", 12_345, "CHQ-1", date(2026, 11, 3), **w())
    settings = tmp_path / "recus.yaml"
    settings.write_text(SETTINGS_YAML, encoding="utf-8")
    assert main(["receipts", "settings", str(settings)]) == 0
    assert json.loads(capsys.readouterr().out)["reduction_rate"] == "0.66"
    donor = ["receipts", "donor", "don_martin", "--name", "Jeanne Martin"]
    assert main([*donor, "--address", "3 rue des Fleurs, 62750 Loos", "--mode", "cheque"]) == 0
    capsys.readouterr()
    assert main(["receipts", "issue", "--year", "2026", "--on", "2027-01-15"]) == 0
    issued = json.loads(capsys.readouterr().out)["issued"]
    assert [(r["receipt_id"], r["amount_cents"]) for r in issued] == [("2026-000001", 12_345)]
    assert main(["receipts", "list", "--year", "2026"]) == 0
    assert [r["number"] for r in json.loads(capsys.readouterr().out)] == [1]
    first, second = tmp_path / "a.pdf", tmp_path / "b.pdf"
    assert main(["receipts", "show", "2026-000001", "--out", str(first)]) == 0
    assert main(["receipts", "show", "2026-000001", "--out", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes().startswith(b"%PDF-")


def test_refusals_exit_2_naming_the_field(
    engine: Engine,
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    bad = tmp_path / "bad.yaml"
    bad.write_text(SETTINGS_YAML.replace('"0.66"', '"66 %"'), encoding="utf-8")
    assert main(["receipts", "settings", str(bad)]) == 2
    assert "reduction_rate: expected a decimal rate" in capsys.readouterr().err
    assert main(["receipts", "show", "2026-1"]) == 2
    assert "receipt_id" in capsys.readouterr().err
    assert main(["receipts", "issue", "--year", "2026", "--on", "2027-01-15"]) == 2
    assert "no tax receipt settings" in capsys.readouterr().err
