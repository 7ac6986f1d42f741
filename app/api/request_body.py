"""Reading a request's body whole in ASGI middleware, then handing it on: the one copy the
middlewares that must see a body before the app does share (app.api.rule_yaml turns YAML
into JSON, app.api.input_guard refuses what the storage cannot hold)."""

from __future__ import annotations

from starlette.types import Message, Receive, Scope

from app.api.limits import MAX_BODY_BYTES


class BodyTooLarge(Exception):
    """The body grew past ``MAX_BODY_BYTES`` (a chunked body announces no length)."""


def media_type(scope: Scope) -> str:
    """The request's Content-Type without its parameters, lower case ("" when absent)."""
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return str(value.decode("latin-1")).partition(";")[0].strip().lower()
    return ""


async def whole_body(receive: Receive) -> bytes | None:
    """The whole body (its announced length was checked by app.api.limits, outside), or
    ``None`` when the client disconnected first; ``BodyTooLarge`` past the limit."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the body already read, then waits on the real one."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
