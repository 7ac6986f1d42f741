"""Request dependencies: one unit of work per request, the caller's principal, roles.

Typed aliases keep handlers short::

    def handler(session: SessionDep, principal: CommitteeDep) -> ...

- ``SessionDep``: the request's session. It commits once, after the handler returned and
  its response was serialised, and BEFORE the response is sent (``scope="function"``), so
  a commit failure is reported, never hidden behind a 200. Any error rolls everything back.
- ``CurrentPrincipal``: the principal of a valid bearer token, else 401. A token seen in
  the last ``CAISSE_TOKEN_CACHE_SECONDS`` (default 2 s) is answered from the process's
  cache on the event loop, with no database access and no thread hop; otherwise it is read
  by one short read of its own (app.api.hot_reads; see ``get_principal`` and
  app.services.tokens for the revocation window this cache implies).
- ``require_roles(*roles)``: the principal if its role is allowed, else 403 (pure, so it runs
  on the event loop). The roles are
  attached to the dependency, so the OpenAPI description of every endpoint states them
  (app.api.app adds "Role: ..." from them; they cannot drift apart).
- ``ensure_owner`` (from app.services.tokens): 404 for another member's or merchant's
  resource.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.api.hot_reads import principal_of
from app.db.session import read_only_engine, unit_of_work
from app.services.errors import Forbidden, Unauthenticated
from app.services.tokens import (
    Principal,
    Role,
    cached_principal,
    ensure_owner,
    remember,
)

__all__ = [
    "AuditorDep",
    "CommitteeDep",
    "CurrentPrincipal",
    "EngineDep",
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


async def request_engine(request: Request) -> Engine:
    """``get_engine`` as a dependency that runs on the event loop (a plain ``def`` would be
    run in the thread pool, a hop for one attribute read)."""
    return get_engine(request)


EngineDep = Annotated[Engine, Depends(request_engine)]
"""The app's engine, for a handler that reads on a bare connection instead of a session
(it must do its own read-only transaction: nothing commits for it)."""


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


async def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    """The caller, from its bearer token; 401 when absent, unknown or revoked.

    A cache hit (app.services.tokens.TOKEN_CACHE) is answered here on the event loop: no
    thread, no connection. On a miss the token is read by one statement (app.api.hot_reads:
    on the event loop on PostgreSQL, in the thread pool on SQLite) whose connection is
    returned before the handler runs, so a request that only computes
    (rule checks, previews) holds no connection and no lock (SQLite's single writer) while
    it does. Only a valid token is cached; an unknown one asks the database every time.
    """
    if credentials is None:
        raise Unauthenticated(detail="Send a bearer token: `Authorization: Bearer <secret>`.")
    secret = credentials.credentials
    principal = cached_principal(secret)
    if principal is None:
        principal = await principal_of(request.app.state, secret)
        if principal is None:
            raise Unauthenticated(detail="The bearer token is unknown or has been revoked.")
        remember(secret, principal)
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


RoleCheck = Callable[[Principal], Coroutine[None, None, Principal]]


def require_roles(*roles: Role) -> RoleCheck:
    """A dependency returning the principal when its role is one of ``roles`` (else 403).

    ``async`` although it awaits nothing: FastAPI runs a plain ``def`` dependency in the
    thread pool, a hop that costs more than the check itself."""
    if not roles:
        raise ValueError("require_roles needs at least one role")
    allowed = tuple(roles)

    async def dependency(principal: CurrentPrincipal) -> Principal:
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

# The Idempotency-Key header's constraints (also checked by the charge's lean handler).
KEY_PATTERN = r"^[\x21-\x7e]+$"  # printable ASCII
KEY_LENGTHS = (8, 200)
IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=KEY_LENGTHS[0],
        max_length=KEY_LENGTHS[1],
        pattern=KEY_PATTERN,
        description=(
            "A key you choose per operation (e.g. a UUID), at least 8 printable characters."
            " Retrying with the same key and the same body returns the original response;"
            " the same key with another body gets 409."
        ),
        examples=["7c9e6679-7425-40de-944b-e07fc1f90ae7"],
    ),
]
