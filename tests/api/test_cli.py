"""``caisse token`` bootstraps tokens (secret printed once, never stored) and ``caisse serve``
refuses to run several workers on SQLite's single writer."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sqlmodel import select

from app.cli import main
from app.cli.api_cmds import effective_workers, ensure_schema
from app.db.migrate import schema_drift
from app.db.session import make_engine, unit_of_work
from app.db.settings import Settings
from app.db.tables_auth import ApiToken


@pytest.fixture()
def cli_db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", db_url)
    return db_url


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
