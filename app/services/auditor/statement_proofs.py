"""A member's statement proof and the witness file, as the API and the pages serve them.

- ``statement_proof``: the inclusion proof of a household's statement in a sealed month
  (app.audit.inclusion); ``NotFound`` (404) for a household that does not exist, a month it
  was not run for, or a month not sealed with a Merkle root yet;
- ``witness_lines``: the witness file's bytes (app.audit.witness), empty when nothing was
  witnessed yet. Nothing here writes.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app.audit import inclusion
from app.db import settings
from app.db import tables as t
from app.engine.period import Period
from app.services import errors as svc
from app.services.writes.execute import Db, run_in


def statement_proof(db: Db, household_id: str, period: str) -> dict[str, Any]:
    month = str(Period.parse(period))

    def read(session: Session) -> dict[str, Any]:
        if session.get(t.Household, household_id) is None:
            raise svc.not_found("household", household_id)
        found = inclusion.proof(session, month, household_id)
        if found is None:
            raise svc.not_found("statement", f"{household_id} {month} (sealed)")
        return found

    result: dict[str, Any] = run_in(db, read)
    return result


def provable(session: Session, period: str) -> bool:
    """Whether the month is sealed with a Merkle root (its statements have proofs)."""
    row = session.get(t.Checkpoint, period)
    return row is not None and row.month_root is not None


def witness_lines() -> bytes:
    """The witness file as it stands (JSON lines; empty when it does not exist yet)."""
    path = settings.witness_file()
    return path.read_bytes() if path.exists() else b""
