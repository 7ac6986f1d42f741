"""Member consent codes: keyed hashes and a limit on failed attempts.

Guarantees:

- a consent code is stored as ``hmac_sha256$<salt>$<hex>``: HMAC-SHA256 under the server's
  secret key ("pepper") of the salt, the household id and the code. The key is NOT in the
  database, so a stolen database alone does not allow guessing codes offline; checking a
  code costs microseconds (the per-charge PBKDF2 of 60 000 rounds cost ~35 ms of CPU);
- no other stored form is accepted (``app.db.consent_hash``): a hash in the old
  ``pbkdf2_sha256$...`` form, whose work factor the row itself chose, matches no code;
- online guessing is slowed where it happens, and only there: wrong codes are counted per
  household AND merchant. After ``BACKOFF.free`` wrong codes in a row from one merchant for
  one household, that merchant's next attempt on that household waits ``BACKOFF``'s growing
  delay (30 s, 60 s, 120 s... at most an hour: 409 ``consent-locked``, even with the right
  code). The member's other merchants are never slowed, so a merchant cannot lock a
  household's charges elsewhere. A right code from that merchant resets its count; a run of
  wrong codes left alone for ``FORGET_SECONDS`` is forgotten; a new code forgets them all.
  Failures are recorded in their own committed transaction (``consent_attempt``), never
  with the refused charge.

The key comes from ``CAISSE_SECRET_KEY`` (text, at least 32 characters), else from the
file named by ``CAISSE_SECRET_KEY_FILE``, else from ``secret.key`` in the data directory
(``CAISSE_DATA_DIR``, default ``var``; app.db.settings.data_directory) (created on first
use with 32 random bytes, mode 0600). Losing or changing the key invalidates every stored
code (members then need a new one): back it up with the database, but not inside it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from app.audit import journal
from app.db import tables as t
from app.db.consent_hash import PREFIX, well_formed
from app.db.session import read_only, unit_of_work
from app.db.settings import data_directory
from app.engine.problems import Problem
from app.services import errors as svc
from app.services.backoff import Backoff

BACKOFF = Backoff(free=2, first_seconds=30, most_seconds=3600)
FORGET_SECONDS = 24 * 3600
KEY_FILE_NAME = "secret.key"

Pair = tuple[str, str]  # (household_id, merchant_id): whose code, who is typing it


class ConsentLocked(svc.Conflict):
    """Too many wrong consent codes in a row from this merchant: its charges for this
    household wait a while."""

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
def _cached_key(env_key: str | None, key_file: str | None, data_dir: Path) -> bytes:
    if env_key:
        if len(env_key) < 32:
            raise RuntimeError("CAISSE_SECRET_KEY must have at least 32 characters")
        return env_key.encode()
    return _key_from_file(Path(key_file) if key_file else data_dir / KEY_FILE_NAME)


def secret_key() -> bytes:
    """The server's pepper (see the module docstring for where it comes from)."""
    return _cached_key(
        os.environ.get("CAISSE_SECRET_KEY"),
        os.environ.get("CAISSE_SECRET_KEY_FILE"),
        data_directory(),
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
    if not stored or not well_formed(stored):
        return False
    salt, expected = stored[len(PREFIX) :].split("$")
    return hmac.compare_digest(_digest(salt, household_id, code), expected)


def _locked_until(row: t.ConsentAttempt | None, now_text: str) -> str | None:
    if row is None or row.locked_until is None or row.locked_until <= now_text:
        return None
    return row.locked_until


def _refuse_locked(household_id: str, until: str) -> ConsentLocked:
    return ConsentLocked(
        (Problem("consent_code", f"too many wrong codes; try again after {until}"),),
        f"Too many wrong consent codes for household {household_id!r} from this merchant:"
        f" its charges for this household are refused until {until} (UTC), even with the"
        " right code. Nothing was charged.",
        extras={"locked_until": until},
    )


class AttemptState(NamedTuple):
    """A merchant's run of wrong codes for a household: how many, the last one's time, the
    end of the wait it causes."""

    failures: int
    last_failure_at: str | None
    locked_until: str | None


def _after_attempt(
    state: AttemptState | None, now: datetime, success: bool
) -> tuple[AttemptState | None, str | None]:
    """The state after one attempt that was not waiting (None: no run of failures) and the
    end of the wait this attempt causes, if any."""
    if success:
        return None, None
    now_text = journal.timestamp(now)
    forget_before = journal.timestamp(now - timedelta(seconds=FORGET_SECONDS))
    failures = 0
    if state is not None and (state.last_failure_at or "") > forget_before:
        failures = state.failures  # a run still remembered: the delays keep growing
    failures += 1
    wait = BACKOFF.seconds(failures)
    if wait == 0:
        return AttemptState(failures, now_text, None), None
    until = journal.timestamp(now + timedelta(seconds=wait))
    return AttemptState(failures, now_text, until), until


def _record(session: Session, pair: Pair, now: datetime, success: bool) -> str | None:
    """Count a failure (or reset the count on success); the wait's end if this one causes
    one."""
    household_id, merchant_id = pair
    statement = select(t.ConsentAttempt).where(
        col(t.ConsentAttempt.household_id) == household_id,
        col(t.ConsentAttempt.merchant_id) == merchant_id,
    )
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update()
    row = session.execute(statement).scalar_one_or_none()
    state = (
        None if row is None else AttemptState(row.failures, row.last_failure_at, row.locked_until)
    )
    after, locks = _after_attempt(state, now, success)
    if after is None:
        if row is not None:
            session.delete(row)
        return None
    if row is None:
        row = t.ConsentAttempt(household_id=household_id, merchant_id=merchant_id, failures=0)
        session.add(row)
    row.failures, row.last_failure_at, row.locked_until = after
    return locks


def _write(db: Engine | Session, pair: Pair, now: datetime, success: bool) -> str | None:
    if isinstance(db, Session):
        with db.begin_nested():
            return _record(db, pair, now, success)
    with unit_of_work(db) as session:
        return _record(session, pair, now, success)


def check(
    db: Engine | Session, household_id: str, code: str, now: datetime, *, merchant_id: str
) -> None:
    """Refuse a charge whose consent code is wrong (403), or whose merchant must wait before
    trying this household's code again (409 ``consent-locked``).

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
        attempt = session.get(t.ConsentAttempt, (household_id, merchant_id))
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
    pair = (household_id, merchant_id)
    if code_matches(stored, household_id, code):
        if attempt is not None:
            _write(db, pair, now, success=True)
        return
    locked = _write(db, pair, now, success=False)
    if locked is not None:
        raise _refuse_locked(household_id, locked)
    raise _wrong_code()


def _wrong_code() -> svc.Forbidden:
    return svc.Forbidden(
        (Problem("consent_code", "the member's consent code does not match"),),
        "The member's consent code does not match; nothing was charged.",
    )


_READ_MANY = (
    "SELECT 'h', household_id, NULL, consent_code_hash, 0, NULL, NULL FROM household"
    " WHERE household_id {among}"
    " UNION ALL SELECT 'a', household_id, merchant_id, NULL, failures, last_failure_at,"
    " locked_until FROM consent_attempt WHERE household_id {among}"
)

AttemptRow = tuple[int, str | None, str | None]  # failures, last failure, end of the wait


class Attempts:
    """The consent codes and runs of wrong codes of a group of charges' households: read
    in one statement under the writer lock, checked charge by charge in memory (in the
    group's order, exactly as ``check`` would one after the other), written back once
    (``save``) in the group's transaction."""

    def __init__(self, codes: dict[str, str | None], states: dict[Pair, AttemptRow]) -> None:
        """``codes``: household -> stored code hash (households that exist); ``states``:
        (household, merchant) -> (failures, last failure, end of the wait) of
        ``consent_attempt``."""
        self.codes = codes
        self.states = {pair: AttemptState(*state) for pair, state in states.items()}
        self.changed: set[Pair] = set()

    @classmethod
    def read(cls, session: Session, household_ids: list[str]) -> Attempts:
        """The households' codes and runs of wrong codes, in one statement."""
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            statement = _READ_MANY.format(among="= ANY(%s::text[])")
            params: tuple[Any, ...] = (household_ids, household_ids)
        else:
            statement = _READ_MANY.format(among="IN (SELECT value FROM json_each(?))")
            params = (json.dumps(household_ids), json.dumps(household_ids))
        codes: dict[str, str | None] = {}
        states: dict[Pair, AttemptRow] = {}
        rows = connection.exec_driver_sql(statement, params)
        for part, household_id, merchant_id, code_hash, failures, last, until in rows:
            if part == "h":
                codes[household_id] = code_hash
            else:
                states[(household_id, merchant_id)] = (int(failures), last, until)
        return cls(codes, states)

    def check(self, household_id: str, code: str, now: datetime, *, merchant_id: str) -> None:
        """``check``'s decision for one charge (403 / 409 ``consent-locked``), counted."""
        pair = (household_id, merchant_id)
        state = self.states.get(pair)
        until = None if state is None else state.locked_until
        if until is not None and until > journal.timestamp(now):
            raise _refuse_locked(household_id, until)
        success = code_matches(self.codes.get(household_id), household_id, code)
        if success and state is None:
            return
        after, locks = _after_attempt(state, now, success)
        self.changed.add(pair)
        if after is None:
            self.states.pop(pair, None)
        else:
            self.states[pair] = after
        if success:
            return
        if locks is not None:
            raise _refuse_locked(household_id, locks)
        raise _wrong_code()

    def save(self, session: Session) -> None:
        """Write the changed runs of wrong codes (delete, then insert the current ones)."""
        if not self.changed:
            return
        changed = sorted(self.changed)
        table = t.ConsentAttempt
        for household_id, merchant_id in changed:
            session.execute(
                delete(table).where(
                    col(table.household_id) == household_id, col(table.merchant_id) == merchant_id
                )
            )
        rows = [
            {"household_id": h, "merchant_id": m, **self.states[(h, m)]._asdict()}
            for h, m in changed
            if (h, m) in self.states
        ]
        if rows:
            session.execute(insert(table), rows)


def change_code(session: Session, household_id: str, code: str) -> None:
    """Give the household a new consent code (the member's own choice, or an operator's
    reset) and forget its run of wrong codes: a lock ends with the old code. ``NotFound``
    for an unknown or erased household; ``InvalidRequest`` for a code that is not 4 to 12
    digits. Security state, not books: nothing is journalled."""
    if not (code.isascii() and code.isdigit() and 4 <= len(code) <= 12):
        raise svc.invalid("consent_code", "the consent code must be 4 to 12 digits")
    row = session.get(t.Household, household_id)
    if row is None or row.erased:
        raise svc.not_found("household", household_id)
    row.consent_code_hash = hash_code(household_id, code)
    session.add(row)
    session.execute(
        delete(t.ConsentAttempt).where(col(t.ConsentAttempt.household_id) == household_id)
    )
    session.flush()
