"""``caisse token`` bootstraps tokens (secret printed once, never stored) and ``caisse serve``
refuses to run several workers on SQLite's single writer."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select

from app.cli import main
from app.cli.api_cmds import effective_workers, ensure_schema, shown_url
from app.db.migrate import schema_drift
from app.db.session import make_engine, unit_of_work
from app.db.settings import Settings
from app.db.tables_auth import ApiToken
from app.services.merchants import approve_merchant
from tests.services.helpers import enrol, w


@pytest.fixture()
def cli_db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", db_url)
    return db_url


def _enrol(url: str, household_id: str) -> None:
    engine = make_engine(Settings(database_url=url))
    try:
        enrol(engine, household_id, 120_000)
    finally:
        engine.dispose()


def _approve(url: str, merchant_id: str) -> None:
    engine = make_engine(Settings(database_url=url))
    try:
        approve_merchant(engine, merchant_id, {"food": "1"}, date(2026, 1, 1), **w())
    finally:
        engine.dispose()


def _rows(url: str) -> list[ApiToken]:
    engine = make_engine(Settings(database_url=url))
    try:
        with unit_of_work(engine) as session:
            return list(session.exec(select(ApiToken)).all())
    finally:
        engine.dispose()


def test_token_create_prints_the_secret_once_and_stores_its_hash(
    cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _enrol(cli_db, "hh_7")
    assert (
        main(["token", "create", "--role", "member", "--household", "hh_7", "--label", "Awa"]) == 0
    )
    out, err = capsys.readouterr()
    created = json.loads(out)
    assert (created["role"], created["subject_id"], created["label"]) == ("member", "hh_7", "Awa")
    assert "shown only once" in err
    (row,) = _rows(cli_db)
    assert row.secret_sha256 == hashlib.sha256(created["secret"].encode()).hexdigest()

    assert main(["token", "list"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [t["token_id"] for t in listed] == [created["token_id"]]
    assert "secret" not in listed[0]


def test_token_revoke_marks_it_and_unknown_id_exits_2(
    cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["token", "create", "--role", "auditor"])
    token_id = json.loads(capsys.readouterr().out)["token_id"]
    assert main(["token", "revoke", token_id]) == 0
    assert json.loads(capsys.readouterr().out)["revoked_at"] is not None
    assert main(["token", "revoke", "tok_unknown"]) == 2
    assert "No token 'tok_unknown' was found." in capsys.readouterr().err


def test_member_token_without_household_exits_2_naming_the_field(
    cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["token", "create", "--role", "member"]) == 2
    assert "household_id: a member token needs the household it serves" in capsys.readouterr().err
    assert _rows(cli_db) == []


def test_token_create_names_the_database_it_writes_to(
    cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["token", "create", "--role", "operator"]) == 0
    err = capsys.readouterr().err
    assert f"caisse: writes to the database {shown_url(cli_db)}" in err.splitlines()
    assert main(["token", "list"]) == 0
    assert f"caisse: reads the database {shown_url(cli_db)}" in capsys.readouterr().err


def test_a_member_token_for_a_household_not_enrolled_exits_2_naming_it(
    cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _enrol(cli_db, "hh_own")
    assert main(["token", "create", "--role", "member", "--household", "hh_none"]) == 2
    err = capsys.readouterr().err
    assert "household_id: no enrolled household has the id 'hh_none'" in err
    assert "writes to the database" in err  # said before the refusal: where it looked
    assert _rows(cli_db) == []


def test_a_merchant_token_needs_an_approved_merchant(
    cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["token", "create", "--role", "merchant", "--merchant", "m_shop"]) == 2
    assert "merchant_id: no approved merchant has the id 'm_shop'" in capsys.readouterr().err
    assert _rows(cli_db) == []
    _approve(cli_db, "m_shop")
    assert main(["token", "create", "--role", "merchant", "--merchant", "m_shop"]) == 0
    assert json.loads(capsys.readouterr().out)["subject_id"] == "m_shop"


def test_a_staff_token_with_a_household_is_still_refused_for_its_shape(
    cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _enrol(cli_db, "hh_1")
    assert main(["token", "create", "--role", "operator", "--household", "hh_1"]) == 2
    assert "only a member token has a household, not operator" in capsys.readouterr().err
    assert _rows(cli_db) == []


def test_the_database_is_shown_without_its_password(tmp_path: Path) -> None:
    url = "postgresql+psycopg://caisse:s3cret@db.example:5432/fund?options=-csearch_path%3Dx"
    shown = shown_url(url)
    assert "s3cret" not in shown
    assert shown.startswith("postgresql+psycopg://caisse:***@db.example:5432/fund?")
    assert "s3cret" not in shown_url("postgresql+psycopg://db.example/fund?password=s3cret")
    relative = shown_url("sqlite:///var/caisse.db")
    assert relative == f"sqlite:///{(Path.cwd() / 'var' / 'caisse.db').resolve()}"
    assert shown_url(f"sqlite:///{tmp_path}/a.db") == f"sqlite:///{tmp_path.resolve()}/a.db"


def test_sqlite_runs_one_worker_and_says_why() -> None:
    sqlite = Settings(database_url="sqlite:///var/caisse.db")
    postgres = Settings(database_url="postgresql+psycopg://u@127.0.0.1/caisse")
    workers, note = effective_workers(sqlite, 4)
    assert workers == 1 and note is not None and "single writer" in note
    assert effective_workers(postgres, 4) == (4, None)
    assert effective_workers(sqlite, 1) == (1, None)
    assert effective_workers(postgres, 0)[0] == 1


def test_serve_with_a_bad_setting_says_which_and_exits_2(
    cli_db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No traceback and no server: one line naming the variable, its value, what is wanted."""
    monkeypatch.setenv("CAISSE_EXPORT_KEEP_DAYS", "abc")
    assert main(["serve", "--port", "1"]) == 2
    _, err = capsys.readouterr()
    assert err.startswith("caisse: CAISSE_EXPORT_KEEP_DAYS='abc' is not usable: expected a whole")
    assert "Traceback" not in err


def test_the_first_serve_of_a_fresh_checkout_creates_its_database_directory(
    tmp_path: Path,
) -> None:
    """A fresh checkout has no var/: `caisse serve` migrates into a directory it makes."""
    database = tmp_path / "checkout" / "var" / "caisse.db"
    assert not database.parent.exists()
    url = f"sqlite:///{database}"
    ensure_schema(Settings(database_url=url))
    assert database.is_file()
    assert schema_drift(url) == []  # migrated to the current schema
