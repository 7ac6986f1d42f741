"""Routes with a lean handler: the requests a fund serves most (a merchant's charge, a
member's balance) answered without FastAPI's per-request dependency solving, inside the
router like every route.

A lean route is declared once, as any route (``lean_route``: path, response model, roles,
OpenAPI, the endpoint itself). Its handler first gives the request to the route's lean
function, which answers only a request that is plainly well formed and allowed: the body
the request guard parsed (app.api.input_guard), the caller found by the app's own
dependencies (``deps.bearer_scheme``, ``deps.get_principal``), the endpoint's own work,
its answer dumped by a ``TypeAdapter`` of the route's response model built once. Anything
else (a missing or unknown token, a wrong role, a malformed header or body, a query string,
another member's household) gets ``None`` from it and goes to the framework's handler of
the SAME route, which answers exactly as for any route (401, 403, 404, 422...).

So there is nothing in front of the framework: the same routing, the same error handlers
(a refusal the work raises is rendered by the app's problem handlers, a defect is a 500
like any other), the same bytes (``dump_json`` is what FastAPI sends for the response
model). What it skips: solving the endpoint's dependencies and its two response wrappers,
about half of a charge's CPU in a worker (docs/benchmarks.md, "API load").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from fastapi import APIRouter
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import TypeAdapter
from starlette.requests import Request
from starlette.responses import Response

from app.api.deps import bearer_scheme, get_principal
from app.api.errors import DATABASE_UNAVAILABLE
from app.api.routing import RoleRoute
from app.services.errors import Unauthenticated
from app.services.tokens import Principal

Lean = Callable[[Request], Awaitable[Response | None]]
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])
LEAN_ATTRIBUTE = "caisse_lean"
LEAN_STATE = "lean_routes"  # app.state: False answers every request the framework's way
COUNTS_STATE = "lean_counts"  # app.state: a Counter of requests ``taken`` and ``passed``


class LeanRoute(RoleRoute):
    """A route whose endpoint carries a lean function (see the module docstring)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        framework = super().get_route_handler()
        lean: Lean | None = getattr(self.endpoint, LEAN_ATTRIBUTE, None)
        if lean is None:
            return framework

        async def handler(request: Request) -> Response:
            state = request.app.state
            if not getattr(state, LEAN_STATE, True) or request.scope.get("query_string"):
                return await framework(request)
            counts: Counter[str] | None = getattr(state, COUNTS_STATE, None)
            if counts is None:
                counts = Counter()  # an app made without the counter
            try:
                response = await lean(request)
            except BaseException:  # a refusal or a defect of the request it took
                counts["taken"] += 1
                raise
            counts["passed" if response is None else "taken"] += 1
            return await framework(request) if response is None else response

        return handler


def lean_route(
    router: APIRouter, method: str, path: str, lean: Lean, **kwargs: Any
) -> Callable[[Endpoint], Endpoint]:
    """Declare the route ``method path`` (``kwargs`` as for ``router.api_route``) with
    ``lean`` as its lean function."""

    def declare(endpoint: Endpoint) -> Endpoint:
        setattr(endpoint, LEAN_ATTRIBUTE, lean)
        router.add_api_route(
            path, endpoint, methods=[method], route_class_override=LeanRoute, **kwargs
        )
        return endpoint

    return declare


async def principal(request: Request) -> Principal | None:
    """The caller as the app's dependencies find it, or None (then the framework's handler
    asks again and answers 401 or 503, as for any request)."""
    credentials: HTTPAuthorizationCredentials | None = await bearer_scheme(request)
    if credentials is None:
        return None
    try:
        return await get_principal(request, credentials)
    except (Unauthenticated, *DATABASE_UNAVAILABLE):
        return None


def header(request: Request, name: bytes) -> str | None:
    """The header ``name`` (lower case) when it is sent exactly once, else None."""
    found: str | None = None
    for key, value in request.scope["headers"]:
        if key == name:
            if found is not None:
                return None  # sent twice: the framework says what it makes of that
            found = value.decode("latin-1")
    return found


def json_response(adapter: TypeAdapter[Any], value: Any) -> Response:
    """``value`` validated and dumped as the route's response model, as FastAPI does."""
    content = adapter.dump_json(adapter.validate_python(value), by_alias=True)
    return Response(content, media_type="application/json")
