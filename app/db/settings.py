"""Settings read from the environment, once, at the shell's edge (never in the engine).

A value that is set but wrong stops the start-up with ``SettingsError``, naming the
variable, the value and what is expected (a typo must not silently become a default).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DATA_DIR_ENV = "CAISSE_DATA_DIR"
DEFAULT_DATA_DIR = Path("var")
SQLITE_FILE_NAME = "caisse.db"
EXPORT_KEEP_DAYS_ENV = "CAISSE_EXPORT_KEEP_DAYS"
DEFAULT_EXPORT_KEEP_DAYS = 30
EXPORT_DIR_ENV = "CAISSE_EXPORT_DIR"
MAX_EXPORT_KEEP_DAYS = 36_500  # a hundred years: "keep them all", still a number of days


class SettingsError(ValueError):
    """An environment variable is set to a value caisse cannot use."""


@dataclass(frozen=True, slots=True)
class Settings:
    """``DATABASE_URL``: SQLAlchemy URL; default the SQLite file ``caisse.db`` (WAL) in the data
    directory (``data_directory()``).
    ``CAISSE_EXPORT_KEEP_DAYS``: days an export job's archive is kept after the job
    finished (app.services.auditor.jobs deletes it then); default 30."""

    database_url: str
    export_keep_days: int = DEFAULT_EXPORT_KEEP_DAYS

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings() -> Settings:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        url = f"sqlite:///{data_directory() / SQLITE_FILE_NAME}"
    elif url.startswith("postgresql://"):
        # Plain postgresql:// URLs use the psycopg 3 driver we ship.
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return Settings(database_url=url, export_keep_days=export_keep_days(os.environ))


def export_keep_days(environ: Mapping[str, str]) -> int:
    """``CAISSE_EXPORT_KEEP_DAYS`` from ``environ``: unset or blank -> the default; else a
    whole number of days from 1 to ``MAX_EXPORT_KEEP_DAYS`` (``SettingsError`` otherwise)."""
    raw = environ.get(EXPORT_KEEP_DAYS_ENV, "")
    text = raw.strip()
    if not text:
        return DEFAULT_EXPORT_KEEP_DAYS
    if text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_EXPORT_KEEP_DAYS:
        return int(text)
    raise SettingsError(
        f"{EXPORT_KEEP_DAYS_ENV}={raw!r} is not usable: expected a whole number of days from"
        f" 1 to {MAX_EXPORT_KEEP_DAYS} (how long an export job's archive is kept after the"
        f" job finished), or unset for the default {DEFAULT_EXPORT_KEEP_DAYS}."
    )


def data_directory(environ: Mapping[str, str] | None = None) -> Path:
    """The one directory that holds the fund's state on this machine: ``CAISSE_DATA_DIR``,
    default ``var`` (relative to the working directory). The default SQLite database, the
    server's secret key (app.services.consent) and the export archives live under it, so a
    container keeps all of it on one volume (``/data`` in the Dockerfile) and a new container
    on the same volume keeps every consent code and sign-in valid."""
    configured = (os.environ if environ is None else environ).get(DATA_DIR_ENV, "").strip()
    return Path(configured) if configured else DEFAULT_DATA_DIR


def export_directory(environ: Mapping[str, str] | None = None) -> Path:
    """Where audit export jobs write their archives: ``CAISSE_EXPORT_DIR``, default
    ``exports`` in the data directory. Read when the app's audit worker is first made (the API's and the
    pages' routes share that one worker, app.services.auditor.requests.jobs_of)."""
    environ = os.environ if environ is None else environ
    configured = environ.get(EXPORT_DIR_ENV, "").strip()
    return Path(configured) if configured else data_directory(environ) / "exports"


WITNESS_FILE_ENV = "CAISSE_WITNESS_FILE"
WITNESS_EVERY_ENV = "CAISSE_WITNESS_EVERY"
DEFAULT_WITNESS_EVERY = 1000
MAX_WITNESS_EVERY = 1_000_000_000


def witness_file(environ: Mapping[str, str] | None = None) -> Path:
    """The append-only witness file (app.audit.witness): ``CAISSE_WITNESS_FILE``, default
    ``witness.jsonl`` in the data directory. Put it (or a copy) where the database's
    administrator cannot rewrite it: another disk, machine or account."""
    environ = os.environ if environ is None else environ
    configured = environ.get(WITNESS_FILE_ENV, "").strip()
    return Path(configured) if configured else data_directory(environ) / "witness.jsonl"


def witness_every(environ: Mapping[str, str] | None = None) -> int:
    """``CAISSE_WITNESS_EVERY``: a signed head is witnessed every this many journal records
    between seals (0: seals only); default 1000. ``SettingsError`` when not a whole number."""
    environ = os.environ if environ is None else environ
    raw = environ.get(WITNESS_EVERY_ENV, "")
    text = raw.strip()
    if not text:
        return DEFAULT_WITNESS_EVERY
    if text.isascii() and text.isdigit() and int(text) <= MAX_WITNESS_EVERY:
        return int(text)
    raise SettingsError(
        f"{WITNESS_EVERY_ENV}={raw!r} is not usable: expected a whole number of journal"
        f" records from 0 (seals only) to {MAX_WITNESS_EVERY}, or unset for the default"
        f" {DEFAULT_WITNESS_EVERY}."
    )
