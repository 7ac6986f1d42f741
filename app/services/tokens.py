"""API tokens and the principal they stand for.

Guarantees:
- a secret is ``secrets.token_urlsafe(32)`` (256 bits), returned once by ``create_token``
  and never stored: the table keeps its sha256;
- ``authenticate`` finds a token by the hash of the presented secret, then compares the
  hashes in constant time, and refuses revoked tokens;
- a ``member`` token is bound to exactly one household, a ``merchant`` token to exactly one
  merchant, and staff tokens to neither (``InvalidRequest`` otherwise);
- ``ensure_owner`` refuses another's resource with ``NotFound``, the same error as for a
  resource that does not exist.

Services only flush; the caller's unit of work commits.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlmodel import Session, col, select

from app.db.tables_auth import ApiToken
from app.engine.problems import Problem
from app.services.errors import InvalidRequest, invalid, not_found


class Role(StrEnum):
    """The five roles of the fund (DESIGN.md section 8)."""

    COMMITTEE = "committee"
    OPERATOR = "operator"
    MEMBER = "member"
    MERCHANT = "merchant"
    AUDITOR = "auditor"


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


def authenticate(session: Session, secret: str) -> Principal | None:
    """The principal of a valid, unrevoked token with this secret, else None."""
    if not secret or len(secret) > 200:
        return None
    digest = hash_secret(secret)
    row = session.exec(select(ApiToken).where(ApiToken.secret_sha256 == digest)).first()
    if row is None or not hmac.compare_digest(row.secret_sha256, digest):
        return None
    if row.revoked_at is not None:
        return None
    role = Role(row.role)
    return Principal(
        token_id=row.token_id,
        role=role,
        household_id=row.subject_id if role is Role.MEMBER else None,
        merchant_id=row.subject_id if role is Role.MERCHANT else None,
    )


def revoke_token(session: Session, token_id: str, *, now: datetime | None = None) -> TokenInfo:
    """Revoke a token from now on; revoking twice keeps the first revocation time."""
    row = session.get(ApiToken, token_id)
    if row is None:
        raise not_found("token", token_id)
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
