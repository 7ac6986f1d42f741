"""Settings read from the environment, once, at the shell's edge (never in the engine)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SQLITE_PATH = Path("var") / "caisse.db"


@dataclass(frozen=True, slots=True)
class Settings:
    """``DATABASE_URL``: SQLAlchemy URL; default a SQLite file ``var/caisse.db`` (WAL)."""

    database_url: str

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings() -> Settings:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        url = f"sqlite:///{DEFAULT_SQLITE_PATH}"
    elif url.startswith("postgresql://"):
        # Plain postgresql:// URLs use the psycopg 3 driver we ship.
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return Settings(database_url=url)
