"""Member consent codes: keyed hashes and a limit on failed attempts.

Guarantees:

- a consent code is stored as ``hmac_sha256$<salt>$<hex>``: HMAC-SHA256 under the server's
  secret key ("pepper") of the salt, the household id and the code. The key is NOT in the
  database, so a stolen database alone does not allow guessing codes offline; checking a
  code costs microseconds (the per-charge PBKDF2 of 60 000 rounds cost ~35 ms of CPU);
- codes stored by earlier versions (``pbkdf2_sha256$...``) are still checked;
- online guessing is bounded: after ``MAX_FAILURES`` wrong codes in a row a household's
  charges are refused for ``LOCK_SECONDS`` (409 ``consent-locked``), even with the right
  code; a right code before that resets the count. Failures are recorded in their own
  committed transaction (``consent_attempt``), never with the refused charge.

The key comes from ``CAISSE_SECRET_KEY`` (text, at least 32 characters), else from the
file named by ``CAISSE_SECRET_KEY_FILE``, else from ``var/secret.key`` (created on first
use with 32 random bytes, mode 0600). Losing or changing the key invalidates every stored
code (members then need a new one): back it up with the database, but not inside it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from app.audit import journal
from app.db import tables as t
from app.db.session import read_only, unit_of_work
from app.engine.problems import Problem
from app.services import errors as svc

MAX_FAILURES = 5
LOCK_SECONDS = 15 * 60
DEFAULT_KEY_FILE = Path("var") / "secret.key"
LEGACY_PREFIX = "pbkdf2_sha256$"
PREFIX = "hmac_sha256$"


class ConsentLocked(svc.Conflict):
    """Too many wrong consent codes in a row: the household's charges wait a while."""

    code = "consent-locked"
    title = "Too many wrong consent codes"


def _key_from_file(path: Path) -> bytes:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two workers starting together cannot both write a different key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return _key_from_file(path)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    key = path.read_text().strip().encode()
    if len(key) < 32:
        raise RuntimeError(f"the secret key in {path} is shorter than 32 characters")
    return key


@cache
def _cached_key(env_key: str | None, key_file: str | None) -> bytes:
    if env_key:
        if len(env_key) < 32:
            raise RuntimeError("CAISSE_SECRET_KEY must have at least 32 characters")
        return env_key.encode()
    return _key_from_file(Path(key_file) if key_file else DEFAULT_KEY_FILE)


def secret_key() -> bytes:
    """The server's pepper (see the module docstring for where it comes from)."""
    return _cached_key(
        os.environ.get("CAISSE_SECRET_KEY"), os.environ.get("CAISSE_SECRET_KEY_FILE")
    )


def _digest(salt: str, household_id: str, code: str) -> str:
    message = f"{salt}\x00{household_id}\x00{code}".encode()
    return hmac.new(secret_key(), message, hashlib.sha256).hexdigest()


def hash_code(household_id: str, code: str) -> str:
    """The stored form of a household's consent code (fresh salt)."""
    salt = secrets.token_hex(16)
    return f"{PREFIX}{salt}${_digest(salt, household_id, code)}"


def code_matches(stored: str | None, household_id: str, code: str) -> bool:
    """Whether ``code`` is the household's code (constant-time comparison)."""
    if not stored:
        return False
    if stored.startswith(LEGACY_PREFIX):
        _, iterations, salt, expected = stored.split("$")
        legacy = hashlib.pbkdf2_hmac("sha256", code.encode(), bytes.fromhex(salt), int(iterations))
        return hmac.compare_digest(legacy.hex(), expected)
    if not stored.startswith(PREFIX):
        return False
    salt, expected = stored[len(PREFIX) :].split("$")
    return hmac.compare_digest(_digest(salt, household_id, code), expected)


def _locked_until(row: t.ConsentAttempt | None, now_text: str) -> str | None:
    if row is None or row.locked_until is None or row.locked_until <= now_text:
        return None
    return row.locked_until


def _refuse_locked(household_id: str, until: str) -> ConsentLocked:
    return ConsentLocked(
        (Problem("consent_code", f"too many wrong codes; charges wait until {until}"),),
        f"Too many wrong consent codes for household {household_id!r}: charges are refused"
        f" until {until} (UTC), even with the right code. Nothing was charged.",
        extras={"locked_until": until},
    )


def _record(session: Session, household_id: str, now: datetime, success: bool) -> str | None:
    """Count a failure (or reset the count on success); the lock's end if this one locks."""
    now_text = journal.timestamp(now)
    statement = select(t.ConsentAttempt).where(col(t.ConsentAttempt.household_id) == household_id)
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update()
    row = session.execute(statement).scalar_one_or_none()
    if success:
        if row is not None:
            session.delete(row)
        return None
    if row is None:
        row = t.ConsentAttempt(household_id=household_id, failures=0)
        session.add(row)
    if row.locked_until is not None and row.locked_until <= now_text:
        row.failures, row.locked_until = 0, None  # the last lock is over: count afresh
    row.failures += 1
    row.last_failure_at = now_text
    if row.failures >= MAX_FAILURES:
        row.failures = 0
        row.locked_until = journal.timestamp(now + timedelta(seconds=LOCK_SECONDS))
        return row.locked_until
    return None


def _write(db: Engine | Session, household_id: str, now: datetime, success: bool) -> str | None:
    if isinstance(db, Session):
        with db.begin_nested():
            return _record(db, household_id, now, success)
    with unit_of_work(db) as session:
        return _record(session, household_id, now, success)


def check(db: Engine | Session, household_id: str, code: str, now: datetime) -> None:
    """Refuse a charge whose consent code is wrong (403) or whose household is locked (409).

    ``db``: an engine, or a session already in a transaction (then the counts are written
    in a savepoint of it, and the caller's rollback takes them back); a session not yet in
    a transaction (an API request's) counts as its engine: the check runs before the
    command's transaction, without the writer lock, and a failure's count is committed."""
    if isinstance(db, Session) and not db.in_transaction():
        bind = db.get_bind()
        if isinstance(bind, Engine):
            db = bind
    now_text = journal.timestamp(now)

    def read(session: Session) -> tuple[str | None, t.ConsentAttempt | None]:
        household = session.get(t.Household, household_id)
        attempt = session.get(t.ConsentAttempt, household_id)
        if attempt is not None:
            session.expunge(attempt)
        return (None if household is None else household.consent_code_hash), attempt

    if isinstance(db, Session):
        stored, attempt = read(db)
    else:
        with read_only(db) as session:
            stored, attempt = read(session)
    until = _locked_until(attempt, now_text)
    if until is not None:
        raise _refuse_locked(household_id, until)
    if code_matches(stored, household_id, code):
        if attempt is not None:
            _write(db, household_id, now, success=True)
        return
    locked = _write(db, household_id, now, success=False)
    if locked is not None:
        raise _refuse_locked(household_id, locked)
    raise svc.Forbidden(
        (Problem("consent_code", "the member's consent code does not match"),),
        "The member's consent code does not match; nothing was charged.",
    )
