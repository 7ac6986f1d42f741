"""Refuse a query parameter given more than once (422), before any handler runs.

Every query parameter of this API is a single value. Frameworks silently keep the last of
repeated values (``?period=2026-01&period=2026-02`` would read February), so a client's
mistake would pass unnoticed; we name the parameter and refuse instead.
"""

from __future__ import annotations

import json
from collections import Counter
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send


class RepeatedQueryGuard:
    """Pure ASGI middleware: 422 problem document naming each repeated query parameter."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            repeated = _repeated(scope.get("query_string", b""))
            if repeated:
                await _refuse(scope, send, repeated)
                return
        await self.app(scope, receive, send)


def _repeated(query_string: bytes) -> dict[str, int]:
    text = query_string.decode("latin-1")
    counts = Counter(name for name, _ in parse_qsl(text, keep_blank_values=True))
    return {name: count for name, count in sorted(counts.items()) if count > 1}


async def _refuse(scope: Scope, send: Send, repeated: dict[str, int]) -> None:
    errors = [
        {"path": f"query.{name}", "message": f"given {count} times; expected at most once"}
        for name, count in repeated.items()
    ]
    body = json.dumps(
        {
            "type": "urn:caisse:problem:validation",
            "title": "The request is not valid",
            "status": 422,
            "detail": "Each query parameter may be given once: "
            + ", ".join(repeated)
            + " repeated.",
            "instance": scope.get("path", ""),
            "errors": errors,
        }
    ).encode()
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": 422, "headers": headers})
    await send({"type": "http.response.body", "body": body})
