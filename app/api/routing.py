"""Routes that document their own roles, so the docs can never disagree with the checks.

``RoleRoute`` reads the roles an endpoint requires from its dependency tree (the
``require_roles`` dependency carries them) and writes them into the endpoint: a first
description line "Role: ...", the ``x-roles`` extension, the audience tags, and the 401 /
403 / 503 responses its dependencies can produce. Every router of the API is made by
``api_router``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from app.api.deps import ROLES_ATTRIBUTE, get_principal, get_session

AUDIENCES = ("committee", "operator", "member", "merchant", "auditor", "researcher")

STANDARD_RESPONSES: dict[int, str] = {
    401: "No bearer token, or an unknown or revoked one.",
    403: "The token's role may not use this endpoint.",
    503: "The database is busy or unreachable; nothing was written, retry.",
}


def endpoint_roles(dependant: Dependant) -> tuple[str, ...] | None:
    """The roles required by a dependency tree (None: no role check found)."""
    for dependency in dependant.dependencies:
        roles = getattr(dependency.call, ROLES_ATTRIBUTE, None)
        if roles is not None:
            return tuple(str(role) for role in roles)
        found = endpoint_roles(dependency)
        if found is not None:
            return found
    return None


def uses(dependant: Dependant, call: Callable[..., Any]) -> bool:
    """Whether ``call`` is anywhere in the dependency tree."""
    return any(dep.call is call or uses(dep, call) for dep in dependant.dependencies)


class RoleRoute(APIRoute):
    """An ``APIRoute`` that states its roles in its OpenAPI operation."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        roles = endpoint_roles(self.dependant)
        authenticated = uses(self.dependant, get_principal)
        if roles is not None:
            line, listed = "Role: " + ", ".join(roles) + ".", list(roles)
        elif authenticated:
            line, listed = "Role: any valid token.", list(AUDIENCES)
        else:
            line, listed = "Role: none (public).", []
        self.description = f"{line}\n\n{self.description}".strip()
        self.openapi_extra = {**(self.openapi_extra or {}), "x-roles": listed}
        # The audience tags ARE the roles that may call (a router's tags and a route's own
        # tags are concatenated by FastAPI: listing them both named a role twice, or one
        # that the route refuses).
        if roles is not None:
            self.tags = list(roles)
        else:
            self.tags = list(dict.fromkeys(self.tags)) or ["system"]
        wanted = [401] if authenticated else []
        wanted += [403] if roles is not None else []
        touches_db = authenticated or uses(self.dependant, get_session)
        wanted += [503] if touches_db else []
        for status in wanted:
            self.responses.setdefault(status, {"description": STANDARD_RESPONSES[status]})


def api_router(**kwargs: Any) -> APIRouter:
    """An ``APIRouter`` whose routes document their roles."""
    return APIRouter(route_class=RoleRoute, **kwargs)
