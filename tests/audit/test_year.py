"""The synthetic year used by the benchmark is a valid export: it verifies (signatures
against the bench key), bean-check accepts its beancount ledger, and one changed balance
line is named."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.audit.beancount_export import export_beancount
from app.audit.sources import ExportSource
from bench.ledger_year import SIGNING_KEY, generate
from tests.audit.support import run_cli
from tests.cli.test_cli_start import loaded_by

PUBLIC_HEX = SIGNING_KEY.public_key().public_bytes_raw().hex()


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("year") / "export"
    generate(directory, households=20, months=3, purchases=2)
    return directory


def test_a_small_synthetic_year_has_the_expected_shape(year: Path) -> None:
    counts = json.loads((year / "manifest.json").read_text("utf-8"))["counts"]
    # 1 adoption + 20 enrolments + 50 merchants, then per month: 1 subsidy, 1 run chunk,
    # 20 payments, 40 purchases, 1 settlement, 1 expiry, 1 close, 1 seal (no refund: the
    # 1 000th purchase of a month never comes with 40 a month).
    assert counts["records"] == 71 + 3 * 66
    assert counts["checkpoints"] == 3
    assert counts["month_credits"] == 60


def test_the_synthetic_year_verifies_with_the_bench_key(
    year: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = run_cli(capsys, "verify", "--export", str(year), "--public-key", PUBLIC_HEX)
    assert code == 0, report
    assert report["records_checked"] == 269


def test_bean_check_accepts_the_synthetic_year(year: Path, tmp_path: Path) -> None:
    out = tmp_path / "year.beancount"
    with out.open("w", encoding="utf-8") as handle:
        export_beancount(ExportSource(year), handle)
    tool = Path(sys.executable).with_name("bean-check")
    checked = subprocess.run([str(tool), str(out)], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr


def test_a_changed_balance_line_of_the_year_is_named(
    year: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "copy"
    copy.mkdir()
    for path in year.iterdir():
        copy.joinpath(path.name).write_bytes(path.read_bytes())
    lines = (copy / "balances.jsonl").read_text("utf-8").splitlines()
    row = json.loads(lines[0])
    row["balance_cents"] += 1
    lines[0] = json.dumps(row)
    (copy / "balances.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    code, report = run_cli(capsys, "verify", "--export", str(copy))
    assert code == 1
    assert report["first_disagreement"]["table"] == "balance"
    assert report["first_disagreement"]["account"] == row["account"]


def test_verifying_an_export_loads_neither_the_orm_nor_the_web_framework(year: Path) -> None:
    """``caisse verify --export`` reads files: SQLAlchemy, SQLModel (and pydantic through it)
    and FastAPI stay unloaded (their imports were most of verify's start-up, issue 11). The
    cryptography is loaded: the checkpoints' signatures are checked."""
    code, loaded = loaded_by("verify", "--export", str(year), "--public-key", PUBLIC_HEX)
    assert code == 0
    assert "cryptography" in loaded
    database = ("sqlalchemy", "sqlmodel", "pydantic", "fastapi", "starlette", "app.db.session")
    assert [name for name in loaded if name.split(".")[0] in database
            or name.startswith("app.db.session")] == []
