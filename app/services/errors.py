"""The errors services raise on purpose. No HTTP and no FastAPI here: the API maps them.

Every error carries ``problems`` (each a path and a message a person can act on) and a
``detail`` sentence. The class says what kind of refusal it is; ``code`` is a stable slug
the API turns into the problem ``type``. ``extras`` are small facts a caller can use (for
example ``available_cents`` on ``InsufficientCredit``), rendered as extension members.

A resource the caller may not see is reported exactly like one that does not exist
(``not_found``): same class, same detail, so a member or merchant learns nothing about
anyone else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import ClassVar

from app.engine.problems import Problem

Extra = int | str | bool | None


class ServiceError(Exception):
    """Base of every refusal a service decides. Nothing of the command is written."""

    code: ClassVar[str] = "service-error"
    title: ClassVar[str] = "The request was refused"

    def __init__(
        self,
        problems: Sequence[Problem] = (),
        detail: str = "",
        *,
        extras: Mapping[str, Extra] | None = None,
    ) -> None:
        self.problems = tuple(problems)
        self.detail = detail or self.title
        self.extras: dict[str, Extra] = dict(extras or {})
        super().__init__(self.detail)


class Unauthenticated(ServiceError):
    """No credentials, or credentials that are unknown or revoked."""

    code = "unauthenticated"
    title = "Authentication required"


class Forbidden(ServiceError):
    """The caller's role may not use this operation at all (staff endpoints only).

    Never used for another member's or merchant's resource: that is ``NotFound``.
    """

    code = "forbidden"
    title = "Your role may not do this"


class NotFound(ServiceError):
    """The resource does not exist, or the caller may not see it (indistinguishable)."""

    code = "not-found"
    title = "Not found"


class Gone(ServiceError):
    """What the caller may see existed, and is no longer kept (HTTP 410)."""

    code = "gone"
    title = "No longer available"


class Conflict(ServiceError):
    """The request is well formed but the state of the fund refuses it."""

    code = "conflict"
    title = "Conflict with the current state"


class MonthClosed(Conflict):
    """The month is closed and sealed: corrections go into a later month."""

    code = "month-closed"
    title = "The month is closed"


class IdempotencyConflict(Conflict):
    """The idempotency key was already used with a different payload."""

    code = "idempotency-key-reused"
    title = "Idempotency key reused with another request"


class InsufficientCredit(Conflict):
    """The member's credit does not cover the amount asked."""

    code = "insufficient-credit"
    title = "Not enough credit"


class MerchantSuspended(Conflict):
    """The merchant is suspended or outside its validity dates."""

    code = "merchant-suspended"
    title = "Merchant suspended"


class InvalidRequest(ServiceError):
    """The request is malformed or names values outside what is allowed."""

    code = "invalid-request"
    title = "The request is not valid"


def not_found(kind: str, identifier: str) -> NotFound:
    """The one way to say "not found", so hidden and missing resources read the same."""
    return NotFound(
        (Problem(f"{kind}_id", f"no {kind} {identifier!r} exists or is visible to you"),),
        f"No {kind} {identifier!r} was found.",
    )


def invalid(path: str, message: str) -> InvalidRequest:
    """An ``InvalidRequest`` with a single problem."""
    return InvalidRequest((Problem(path, message),), message)


def prefixed(problems: Sequence[Problem], prefix: str) -> tuple[Problem, ...]:
    """The same problems located under ``prefix`` (e.g. ``"rules"`` -> ``rules.credit``)."""
    out = []
    for problem in problems:
        if not problem.path:
            path = prefix
        elif problem.path.startswith("["):
            path = f"{prefix}{problem.path}"
        else:
            path = f"{prefix}.{problem.path}"
        out.append(replace(problem, path=path))  # its message code goes with it
    return tuple(out)
