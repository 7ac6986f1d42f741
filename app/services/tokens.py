"""API tokens and the principal they stand for.

Guarantees:
- a secret is ``secrets.token_urlsafe(32)`` (256 bits), returned once by ``create_token``
  and never stored: the table keeps its sha256;
- ``authenticate`` finds a token by the hash of the presented secret, then compares the
  hashes in constant time, and refuses revoked tokens;
- a ``member`` token is bound to exactly one household, a ``merchant`` token to exactly one
  merchant, and staff tokens to neither (``InvalidRequest`` otherwise);
- ``ensure_subject_exists`` refuses a household that is not enrolled (absent or erased) or a
  merchant that is not approved, naming the field and the value. ``create_token`` itself does
  not look the subject up (tests and fixtures issue tokens before enrolling); the commands
  that bind a person to the books (``caisse token create``, ``caisse access create``) call
  it first;
- ``ensure_owner`` refuses another's resource with ``NotFound``, the same error as for a
  resource that does not exist.

Token cache (``TOKEN_CACHE``, used by ``app.api.deps.get_principal``): a successful lookup is
remembered in process, keyed by the secret's sha256, for ``CAISSE_TOKEN_CACHE_SECONDS``
seconds (default 2; 0 disables it), at most 10 000 entries (the oldest is evicted first).
- only successes are cached: an unknown secret always asks the database, so a token
  created a moment ago is accepted at once;
- ``revoke_token`` drops the token from THIS process's cache at once and keeps it from
  being cached again here (even by a lookup that raced with the revocation);
- another process (another worker, or the API when the CLI revokes) keeps accepting a
  revoked token until its cached entry expires: for at most the TTL after its last database
  lookup there. That bounded window is the price of not reading the database on each
  request; set ``CAISSE_TOKEN_CACHE_SECONDS=0`` where it is not acceptable.
Expiry uses ``time.monotonic`` (injectable), so wall-clock changes neither extend nor cut it.

Services only flush; the caller's unit of work commits.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, bindparam
from sqlalchemy import select as core_select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app.db import tables as t
from app.db.async_reads import AsyncReads, CompiledRead
from app.db.session import read_only_engine
from app.db.tables_auth import ApiToken
from app.engine.problems import Problem
from app.services.errors import InvalidRequest, invalid, not_found


class Role(StrEnum):
    """The six roles of the fund (DESIGN.md section 8).

    ``researcher`` reads aggregates only (issue 13): indicators with small cells suppressed,
    never a household id; like the staff roles its token names no subject.
    """

    COMMITTEE = "committee"
    OPERATOR = "operator"
    MEMBER = "member"
    MERCHANT = "merchant"
    AUDITOR = "auditor"
    RESEARCHER = "researcher"


STAFF_ROLES = (Role.COMMITTEE, Role.OPERATOR, Role.AUDITOR)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the token's id, its role and, for members/merchants, their id."""

    token_id: str
    role: Role
    household_id: str | None = None
    merchant_id: str | None = None

    @property
    def actor(self) -> str:
        """Pseudonymous actor for the journal: role and token id, never a name."""
        return f"{self.role.value}:{self.token_id}"


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A token as listed: everything but the secret (which is not stored)."""

    token_id: str
    role: Role
    subject_id: str | None
    label: str
    created_at: str
    revoked_at: str | None


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new token and its secret, which is shown this once."""

    info: TokenInfo
    secret: str


def hash_secret(secret: str) -> str:
    """The stored form of a secret: sha256, lowercase hex."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


TTL_VARIABLE = "CAISSE_TOKEN_CACHE_SECONDS"
DEFAULT_TTL_SECONDS = 2.0
CACHE_CAPACITY = 10_000


def ttl_from_env(environ: Mapping[str, str] | None = None) -> float:
    """The cache TTL in seconds from ``CAISSE_TOKEN_CACHE_SECONDS`` (default 2; 0 = off).

    A value that is not a finite number >= 0 is refused at start-up (``ValueError``) rather
    than silently replaced: an operator who set it meant something."""
    raw = (os.environ if environ is None else environ).get(TTL_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_TTL_SECONDS
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{TTL_VARIABLE} must be a number of seconds, got {raw!r}") from None
    if not 0 <= value < float("inf"):
        raise ValueError(f"{TTL_VARIABLE} must be >= 0 and finite, got {raw!r}")
    return value


class TokenCache:
    """sha256(secret) -> (principal, expiry on ``clock``), bounded, oldest evicted first.

    Thread-safe: hits are answered on the event loop, lookups and revocations run in worker
    threads. ``ttl`` and ``clock`` are plain attributes so tests can set them."""

    def __init__(
        self,
        ttl: float,
        *,
        capacity: int = CACHE_CAPACITY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.capacity = capacity
        self.clock = clock
        self._entries: dict[str, tuple[Principal, float]] = {}
        # Token ids revoked by this process: never cached again here. A lookup that read
        # the row just before the revocation committed must not re-insert it afterwards.
        self._revoked: dict[str, None] = {}
        self._lock = threading.Lock()

    def get(self, digest: str) -> Principal | None:
        """The cached principal for this digest, if present and not expired."""
        found = self._entries.get(digest)
        if found is None:
            return None
        principal, expires = found
        if self.clock() < expires:
            return principal
        with self._lock:
            if self._entries.get(digest) is found:
                del self._entries[digest]
        return None

    def put(self, digest: str, principal: Principal) -> None:
        """Remember a successful lookup (no-op when the TTL is 0 or the token was revoked)."""
        if self.ttl <= 0:
            return
        expires = self.clock() + self.ttl
        with self._lock:
            if principal.token_id in self._revoked:
                return
            self._entries.pop(digest, None)
            while len(self._entries) >= self.capacity:
                # dicts keep insertion order: the first key is the oldest entry.
                del self._entries[next(iter(self._entries))]
            self._entries[digest] = (principal, expires)

    def forget(self, digest: str, token_id: str) -> None:
        """Drop a revoked token now and refuse to cache it again in this process."""
        with self._lock:
            self._entries.pop(digest, None)
            self._revoked[token_id] = None
            while len(self._revoked) > self.capacity:
                # Forgetting an old tombstone only falls back to the TTL bound.
                del self._revoked[next(iter(self._revoked))]

    def clear(self) -> None:
        """Empty the cache (tests, or an operator's reload)."""
        with self._lock:
            self._entries.clear()
            self._revoked.clear()

    def __len__(self) -> int:
        return len(self._entries)


TOKEN_CACHE = TokenCache(ttl_from_env())
"""The process's token cache (see the module docstring for what it guarantees)."""


def utc_text(moment: datetime) -> str:
    """ISO-8601 UTC text with a ``Z``, to the second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def create_token(
    session: Session,
    *,
    role: Role | str,
    household_id: str | None = None,
    merchant_id: str | None = None,
    label: str = "",
    now: datetime | None = None,
) -> IssuedToken:
    """Create a token for ``role``; return it with its secret (shown once)."""
    checked_role = _parse_role(role)
    subject_id = _subject(checked_role, household_id, merchant_id)
    if len(label) > 200:
        raise invalid("label", f"expected at most 200 characters, got {len(label)}")
    secret = secrets.token_urlsafe(32)
    row = ApiToken(
        token_id=f"tok_{secrets.token_hex(8)}",
        role=checked_role.value,
        subject_id=subject_id,
        secret_sha256=hash_secret(secret),
        label=label,
        created_at=utc_text(now or datetime.now(UTC)),
    )
    session.add(row)
    session.flush()
    return IssuedToken(_info(row), secret)


def ensure_subject_exists(session: Session, role: Role | str, subject_id: str | None) -> None:
    """Refuse (``InvalidRequest``) a member's household that is not enrolled, or a merchant
    that is not approved, naming the field and the value; staff roles have no subject.

    An erased household is not enrolled any more; an approved merchant has a row whatever
    its suspension (a suspended merchant still reads its sales and settlements)."""
    checked_role = _parse_role(role)
    if checked_role is Role.MEMBER:
        household = session.get(t.Household, subject_id or "")
        if household is None or household.erased:
            raise invalid("household_id", f"no enrolled household has the id {subject_id!r}")
    elif checked_role is Role.MERCHANT and session.get(t.Merchant, subject_id or "") is None:
        raise invalid("merchant_id", f"no approved merchant has the id {subject_id!r}")


def authenticate(session: Session, secret: str) -> Principal | None:
    """The principal of a valid, unrevoked token with this secret, else None (database)."""
    if not _acceptable(secret):
        return None
    return _lookup(session.connection(), hash_secret(secret))


def lookup_principal(engine: Engine, secret: str) -> Principal | None:
    """``authenticate`` in a short read-only transaction of its own, on a bare connection
    (no ORM session: this runs on every cache miss)."""
    if not _acceptable(secret):
        return None
    # Closing the connection rolls its read-only transaction back (the API reads tokens on
    # its event loop instead on PostgreSQL: lookup_principal_on_loop).
    with read_only_engine(engine).connect() as connection:
        return _lookup(connection, hash_secret(secret))


def cached_principal(secret: str) -> Principal | None:
    """The principal of ``secret`` if ``TOKEN_CACHE`` holds it (no database access)."""
    if not TOKEN_CACHE.ttl > 0 or not _acceptable(secret):
        return None
    return TOKEN_CACHE.get(hash_secret(secret))


def remember(secret: str, principal: Principal) -> None:
    """Cache a principal found in the database for ``secret`` (see ``TokenCache.put``)."""
    TOKEN_CACHE.put(hash_secret(secret), principal)


_TOKEN_COLUMNS = core_select(
    col(ApiToken.token_id),
    col(ApiToken.role),
    col(ApiToken.subject_id),
    col(ApiToken.secret_sha256),
    col(ApiToken.revoked_at),
)


def _acceptable(secret: str) -> bool:
    return bool(secret) and len(secret) <= 200


_TOKEN_BY_DIGEST = _TOKEN_COLUMNS.where(col(ApiToken.secret_sha256) == bindparam("digest"))
_TOKEN_ON_LOOP = CompiledRead.of(_TOKEN_BY_DIGEST)


def _lookup(connection: Connection, digest: str) -> Principal | None:
    row = connection.execute(_TOKEN_BY_DIGEST, {"digest": digest}).first()
    return _principal_of(row, digest)


async def lookup_principal_on_loop(reads: AsyncReads, secret: str) -> Principal | None:
    """``lookup_principal`` read on the event loop (app.db.async_reads)."""
    if not _acceptable(secret):
        return None
    digest = hash_secret(secret)
    rows = await reads.rows(_TOKEN_ON_LOOP, {"digest": digest})
    return _principal_of(rows[0] if rows else None, digest)


def _principal_of(row: Any, digest: str) -> Principal | None:
    if row is None:
        return None
    token_id, role_text, subject_id, stored, revoked_at = row
    if not hmac.compare_digest(str(stored), digest) or revoked_at is not None:
        return None
    role = Role(role_text)
    return Principal(
        token_id=str(token_id),
        role=role,
        household_id=subject_id if role is Role.MEMBER else None,
        merchant_id=subject_id if role is Role.MERCHANT else None,
    )


def revoke_token(session: Session, token_id: str, *, now: datetime | None = None) -> TokenInfo:
    """Revoke a token from now on; revoking twice keeps the first revocation time.

    The token leaves this process's ``TOKEN_CACHE`` at once (before the caller commits: a
    rollback then only costs one more database lookup, never a revoked token accepted)."""
    row = session.get(ApiToken, token_id)
    if row is None:
        raise not_found("token", token_id)
    TOKEN_CACHE.forget(row.secret_sha256, row.token_id)
    if row.revoked_at is None:
        row.revoked_at = utc_text(now or datetime.now(UTC))
        session.add(row)
        session.flush()
    return _info(row)


def list_tokens(session: Session) -> list[TokenInfo]:
    """Every token, oldest first (ties by id), without secrets."""
    rows = session.exec(
        select(ApiToken).order_by(col(ApiToken.created_at), col(ApiToken.token_id))
    ).all()
    return [_info(row) for row in rows]


def ensure_owner(
    principal: Principal, *, household_id: str | None = None, merchant_id: str | None = None
) -> None:
    """Refuse (``NotFound``) a member or merchant asking for someone else's resource.

    Staff roles pass: what they may do is decided by the endpoint's roles, not here.
    """
    if household_id is None and merchant_id is None:
        raise ValueError("ensure_owner needs household_id or merchant_id")
    member = principal.role is Role.MEMBER
    if household_id is not None and member and principal.household_id != household_id:
        raise not_found("household", household_id)
    merchant = principal.role is Role.MERCHANT
    if merchant_id is not None and merchant and principal.merchant_id != merchant_id:
        raise not_found("merchant", merchant_id)


def _parse_role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise invalid("role", f"expected one of {allowed}, got {role!r}") from None


def _subject(role: Role, household_id: str | None, merchant_id: str | None) -> str | None:
    problems: list[Problem] = []
    if role is Role.MEMBER and not household_id:
        problems.append(Problem("household_id", "a member token needs the household it serves"))
    if role is Role.MERCHANT and not merchant_id:
        problems.append(Problem("merchant_id", "a merchant token needs the merchant it serves"))
    if household_id and role is not Role.MEMBER:
        problems.append(Problem("household_id", f"only a member token has a household, not {role}"))
    if merchant_id and role is not Role.MERCHANT:
        problems.append(Problem("merchant_id", f"only a merchant token has a merchant, not {role}"))
    for path, value in (("household_id", household_id), ("merchant_id", merchant_id)):
        if value is not None and len(value) > 80:
            problems.append(Problem(path, f"expected at most 80 characters, got {len(value)}"))
    if problems:
        raise InvalidRequest(problems, "; ".join(p.message for p in problems))
    return household_id if role is Role.MEMBER else merchant_id if role is Role.MERCHANT else None


def _info(row: ApiToken) -> TokenInfo:
    return TokenInfo(
        token_id=row.token_id,
        role=Role(row.role),
        subject_id=row.subject_id,
        label=row.label,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )
