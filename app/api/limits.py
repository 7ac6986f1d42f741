"""Request size limit: a body announced larger than ``MAX_BODY_BYTES`` is refused (413)
before it is read, as a problem document; a chunked body (no length announced) gets the
same answer once it grows past the limit (app.api.input_guard reads it). Real requests are
far smaller (a preview of 5 000 households is about 1 MiB).
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

MAX_BODY_BYTES = 8 * 1024 * 1024


class BodySizeLimit:
    """Pure ASGI middleware refusing bodies whose Content-Length is above the limit."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._too_large(scope):
            await refuse_too_large(scope, send, self.max_bytes)
            return
        await self.app(scope, receive, send)

    def _too_large(self, scope: Scope) -> bool:
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                return not value.isdigit() or int(value) > self.max_bytes
        return False


async def refuse_too_large(scope: Scope, send: Send, max_bytes: int = MAX_BODY_BYTES) -> None:
    """Send the 413 problem document."""
    body = json.dumps(
        {
            "type": "urn:caisse:problem:payload-too-large",
            "title": "Request body too large",
            "status": 413,
            "detail": f"The body must be at most {max_bytes} bytes.",
            "instance": scope.get("path", ""),
            "errors": [],
        }
    ).encode()
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
