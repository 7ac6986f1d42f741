"""The two requests a fund serves most, answered without FastAPI's routing and dependency
solving: a merchant's charge (``POST /v1/merchant/charges``) and a balance read
(``GET /v1/members/{household_id}/balance``).

Guarantees:

- **Same answer, byte for byte.** A request is taken here only when it is well formed and
  its caller allowed: a known bearer token of an allowed role, a valid ``Idempotency-Key``,
  a JSON body the endpoint's own model accepts, no query string. It then runs the
  endpoint's own code (``record_charge``, ``reads.balances``), its answer is validated and
  serialised by the endpoint's response model exactly as FastAPI does (``TypeAdapter``,
  ``dump_json``), and a refusal is rendered by the app's own problem handlers.
- **The same bytes and the same caller, by construction.** The body is the one the
  request guard read whole and parsed (app.api.input_guard: a client that leaves before its
  body arrived gets nothing done, here as on any route), and the caller is found by the
  app's own dependency (``deps.bearer_scheme`` then ``deps.get_principal``).
- **Anything else goes to the app unchanged** (the guard replays the body it read): a
  missing or unknown token, a wrong role, a malformed header or body, another member's
  household. FastAPI then answers it exactly as it always did (401, 403, 404, 422...).
  This layer never produces a refusal of its own making.
- It is pure ASGI, behind the size limit and the request guard and in front of the
  routes. Why: FastAPI's per-request work
  (routing through every route, solving five dependencies, two response wrappers) was
  about half of a charge's CPU in a worker, on a machine whose two cores the workers, the
  charge writer and PostgreSQL share (docs/benchmarks.md, "API load").
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import TypeAdapter
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.deps import KEY_LENGTHS, KEY_PATTERN, bearer_scheme, get_principal
from app.api.errors import (
    DATABASE_UNAVAILABLE,
    on_database_unavailable,
    on_service_error,
    on_unexpected,
)
from app.api.hot_reads import balance_of
from app.api.input_guard import NOT_JSON, checked_body
from app.api.routers.members import READERS
from app.api.routers.merchants import record_charge
from app.api.schemas.fields import IDENT_PATTERN
from app.api.schemas.members import BalanceOut
from app.api.schemas.trade import ChargeOut, ChargeRequest
from app.services.errors import ServiceError, Unauthenticated
from app.services.tokens import Principal, Role

CHARGE_PATH = "/v1/merchant/charges"
BALANCE_PATH = re.compile(r"/v1/members/([^/]+)/balance")
IDENT = re.compile(IDENT_PATTERN)
KEY = re.compile(KEY_PATTERN)  # the ``Idempotency-Key`` header's, with KEY_LENGTHS

_charge_out = TypeAdapter(ChargeOut)
_balance_out = TypeAdapter(BalanceOut)


class HotPaths:
    """Pure ASGI middleware in front of the app (see the module docstring)."""

    def __init__(self, app: ASGIApp, api: Any, counts: Counter[str]) -> None:
        """``api``: the FastAPI app (its ``state`` holds the engine and the charge writer);
        ``counts``: where to count requests ``taken`` here and ``passed`` to the app."""
        self.app = app
        self.api = api
        self.counts = counts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope.get("query_string"):
            method, path = scope["method"], scope["path"]
            if method == "POST" and path == CHARGE_PATH:
                await self._charge(scope, receive, send)
                return
            if method == "GET":
                match = BALANCE_PATH.fullmatch(path)
                if match is not None and IDENT.fullmatch(match.group(1)):
                    await self._balance(scope, receive, send, match.group(1))
                    return
        await self.app(scope, receive, send)

    async def _charge(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = _headers(scope)
        checked = checked_body(scope)
        key = headers.get(b"idempotency-key")
        request = None
        if checked is not None and key is not None:
            request = _charge_request(headers, checked.document)
        principal = None if request is None else await self._principal(scope)
        if key is None or request is None or principal is None:
            await self._pass(scope, receive, send)
            return
        shortest, longest = KEY_LENGTHS
        plain_key = shortest <= len(key) <= longest and KEY.fullmatch(key) is not None
        if principal.role is not Role.MERCHANT or not plain_key:
            await self._pass(scope, receive, send)
            return
        self.counts["taken"] += 1
        writer = self.api.state.group_writer
        await self._answer(
            scope, send, lambda: record_charge(request, key, principal, writer), _charge_out
        )

    async def _balance(self, scope: Scope, receive: Receive, send: Send, household: str) -> None:
        principal = await self._principal(scope)
        if principal is None or principal.role not in READERS:
            await self._pass(scope, receive, send)
            return
        if principal.role is Role.MEMBER and principal.household_id != household:
            await self._pass(scope, receive, send)  # the app's 404, as for any stranger
            return
        self.counts["taken"] += 1
        state = self.api.state
        await self._answer(scope, send, lambda: balance_of(state, household), _balance_out)

    async def _principal(self, scope: Scope) -> Principal | None:
        """The caller as the app's dependencies find it, or None (then the app answers)."""
        request = Request(scope)
        credentials = await bearer_scheme(request)
        if credentials is None:
            return None
        try:
            return await get_principal(request, credentials)
        except (Unauthenticated, *DATABASE_UNAVAILABLE):
            return None  # the app asks again and answers 401 or 503, as for any request

    async def _answer(
        self,
        scope: Scope,
        send: Send,
        work: Callable[[], Awaitable[Any]],
        adapter: TypeAdapter[Any],
    ) -> None:
        """Run ``work`` and send its result as the endpoint's response model (200), or the
        app's problem document for what it raised."""
        try:
            content = adapter.dump_json(adapter.validate_python(await work()), by_alias=True)
        except ServiceError as error:
            await (await on_service_error(Request(scope), error))(scope, _no_receive, send)
            return
        except DATABASE_UNAVAILABLE as error:
            await (await on_database_unavailable(Request(scope), error))(scope, _no_receive, send)
            return
        except Exception as error:
            await (await on_unexpected(Request(scope), error))(scope, _no_receive, send)
            # Then raised, as Starlette's ServerErrorMiddleware does: the server logs it and
            # a test client fails loudly, exactly as for a defect behind the app's routes.
            raise
        response_headers = [
            (b"content-length", str(len(content)).encode()),
            (b"content-type", b"application/json"),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": response_headers})
        await send({"type": "http.response.body", "body": content})

    async def _pass(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.counts["passed"] += 1
        await self.app(scope, receive, send)


def _headers(scope: Scope) -> dict[bytes, str]:
    """The request's headers by lower-case name; a name sent twice is kept twice as
    unusable (``\\n``-joined), so such a request goes to the app."""
    found: dict[bytes, str] = {}
    for name, value in scope["headers"]:
        text = value.decode("latin-1")
        found[name] = f"{found[name]}\n{text}" if name in found else text
    return found


def _charge_request(headers: dict[bytes, str], document: Any) -> ChargeRequest | None:
    """The body as the endpoint reads it (the JSON document, then the model, as FastAPI
    does), or None when the app should explain what is wrong with it."""
    media_type = headers.get(b"content-type", "").partition(";")[0].strip().lower()
    if media_type != "application/json" or document is NOT_JSON:
        return None
    try:
        return ChargeRequest.model_validate(document)
    except ValueError:  # pydantic's errors are ValueErrors
        return None


async def _no_receive() -> Message:  # a response never reads the request
    raise RuntimeError("a response does not receive")
