"""Request dependencies: one unit of work per request, the caller's principal, roles.

Typed aliases keep handlers short::

    def handler(session: SessionDep, principal: CommitteeDep) -> ...

- ``SessionDep``: the request's session. It commits once, after the handler returned and
  its response was serialised, and BEFORE the response is sent (``scope="function"``), so
  a commit failure is reported, never hidden behind a 200. Any error rolls everything back.
- ``CurrentPrincipal``: the principal of a valid bearer token, else 401 (read in its own
  short read-only transaction, see ``get_principal``).
- ``require_roles(*roles)``: the principal if its role is allowed, else 403. The roles are
  attached to the dependency, so the OpenAPI description of every endpoint states them
  (app.api.app adds "Role: ..." from them; they cannot drift apart).
- ``ensure_owner`` (from app.services.tokens): 404 for another member's or merchant's
  resource.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.db.session import read_only, read_only_engine, unit_of_work
from app.services.errors import Forbidden, Unauthenticated
from app.services.tokens import Principal, Role, authenticate, ensure_owner

__all__ = [
    "AuditorDep",
    "CommitteeDep",
    "CurrentPrincipal",
    "IdempotencyKey",
    "MemberDep",
    "MerchantDep",
    "OperatorDep",
    "Principal",
    "Role",
    "SessionDep",
    "ensure_owner",
    "get_session",
    "require_roles",
]

ROLES_ATTRIBUTE = "caisse_roles"

bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearerToken",
    description=(
        "A token created with `caisse token create --role ROLE`. Send it as"
        " `Authorization: Bearer <secret>`. Each token has exactly one role."
    ),
)


def get_engine(request: Request) -> Engine:
    engine: Engine = request.app.state.db_engine
    return engine


READ_METHODS = frozenset({"GET", "HEAD"})


def get_session(request: Request) -> Iterator[Session]:
    """The request's unit of work: commit once at the end, roll back on any error.

    GET and HEAD only read (HTTP safe methods): on SQLite their transaction begins DEFERRED
    (a snapshot that neither waits for nor blocks the single writer) instead of IMMEDIATE."""
    engine = get_engine(request)
    if request.method in READ_METHODS:
        engine = read_only_engine(engine)
    with unit_of_work(engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    """The caller, from its bearer token; 401 when absent, unknown or revoked.

    The token is read in its own short transaction, closed before the handler runs, so a
    request that only computes (rule checks, previews) holds no connection and no lock
    (SQLite's single writer) while it does.
    """
    if credentials is None:
        raise Unauthenticated(detail="Send a bearer token: `Authorization: Bearer <secret>`.")
    with read_only(get_engine(request)) as session:
        principal = authenticate(session, credentials.credentials)
    if principal is None:
        raise Unauthenticated(detail="The bearer token is unknown or has been revoked.")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def require_roles(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency returning the principal when its role is one of ``roles`` (else 403)."""
    if not roles:
        raise ValueError("require_roles needs at least one role")
    allowed = tuple(roles)

    def dependency(principal: CurrentPrincipal) -> Principal:
        if principal.role not in allowed:
            names = ", ".join(role.value for role in allowed)
            raise Forbidden(
                detail=f"This operation is for: {names}. Your token's role is {principal.role}."
            )
        return principal

    setattr(dependency, ROLES_ATTRIBUTE, allowed)
    return dependency


CommitteeDep = Annotated[Principal, Depends(require_roles(Role.COMMITTEE))]
OperatorDep = Annotated[Principal, Depends(require_roles(Role.OPERATOR))]
MemberDep = Annotated[Principal, Depends(require_roles(Role.MEMBER))]
MerchantDep = Annotated[Principal, Depends(require_roles(Role.MERCHANT))]
AuditorDep = Annotated[Principal, Depends(require_roles(Role.AUDITOR))]

IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=8,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description=(
            "A key you choose per operation (e.g. a UUID), at least 8 printable characters."
            " Retrying with the same key and the same body returns the original response;"
            " the same key with another body gets 409."
        ),
        examples=["7c9e6679-7425-40de-944b-e07fc1f90ae7"],
    ),
]
