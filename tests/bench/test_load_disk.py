"""Where the load test's disk probe writes (bench/load_disk.py): on the database's own
filesystem, never inside a PostgreSQL data directory."""

from __future__ import annotations

from pathlib import Path

from bench.load_disk import database_disk, probe_directory


def test_next_to_a_postgresql_data_directory_not_inside_it(tmp_path: Path) -> None:
    data = tmp_path / "15" / "main"
    data.mkdir(parents=True)
    (data / "PG_VERSION").write_text("15\n")
    assert probe_directory(data) == tmp_path / "15"


def test_in_a_sqlite_database_file_directory(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'load.db'}"
    directory = database_disk(url)
    assert directory == tmp_path
    assert probe_directory(tmp_path) == tmp_path


def test_a_database_on_another_machine_has_no_disk_here() -> None:
    assert database_disk("postgresql+psycopg://postgres@db.example.org:5432/test") is None
