"""Helpers for audit tests: run the CLI, and change rows behind the application's back.

Tampering: ``journal``, ``ledger_entry`` and ``posting`` refuse UPDATE and DELETE through
triggers created by the initial migration. A test that tampers first removes that guard in
the tampering transaction, exactly as someone with direct access to the database file or
server could: on SQLite (a private copy of the database per test) it drops the
``<table>_no_update`` / ``<table>_no_delete`` triggers; on PostgreSQL (a schema shared by
the session's tests) it runs ``SET LOCAL session_replication_role = replica``, which skips
the triggers for that one transaction only (the test role is a superuser, as the shared
fixtures already require). ``balance`` and ``credit_lot`` have no trigger (they are updated by
the application). Then it changes one row with plain SQL, outside every service.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from app.audit.sources import file_sha256
from app.cli import main

GUARDED = ("journal", "ledger_entry", "posting")


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    """Run ``caisse ARGV`` in process; the exit code and the JSON it printed."""
    capsys.readouterr()
    code = main(list(argv))
    captured = capsys.readouterr()
    if code == 2:
        return code, json.loads(captured.err)
    return code, json.loads(captured.out)


def tamper(db_url: str, table: str, sql: str, **params: Any) -> int:
    """Change rows with raw SQL after removing ``table``'s append-only guard; rows changed."""
    engine = create_engine(db_url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            if table in GUARDED:
                if engine.dialect.name == "postgresql":
                    conn.execute(text("SET LOCAL session_replication_role = replica"))
                else:
                    conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_update"))
                    conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_delete"))
            changed = conn.execute(text(sql), params).rowcount
        return int(changed)
    finally:
        engine.dispose()


def rehash_manifest(directory: Path, name: str) -> None:
    """Make an export manifest's sha256 of ``name`` match the file again (after a test changed
    the file's bytes but not its content, so that only the content is judged)."""
    path = directory / "manifest.json"
    manifest = json.loads(path.read_text("utf-8"))
    manifest["files"][name] = file_sha256(directory / name)
    path.write_text(json.dumps(manifest), "utf-8")


def scalar(db_url: str, sql: str, **params: Any) -> Any:
    engine = create_engine(db_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).scalar_one()
    finally:
        engine.dispose()
