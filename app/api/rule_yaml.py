"""Rule documents in YAML (the committee's own format) on the API's rule endpoints.

A request to ``/v1/rules/...`` whose ``Content-Type`` is ``application/yaml`` (or
``text/yaml``, ``application/x-yaml``) is read by the committee pages' reader
(app.services.rules.text: rates kept as typed text, anchors and aliases refused, depth and
size bounded) and handed on as the equivalent JSON body. The request guard, FastAPI and the
engine then see exactly what a JSON client would have sent: the same validation, the same
problems, the same answers. A YAML text that cannot be read is a 422 naming its line.

For YAML and JSON bodies alike, the line of each key is kept in the request's state
(``rule_lines``), so every problem about the body names the line it is on (``line``).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.errors import problem_response
from app.api.limits import refuse_too_large
from app.api.request_body import BodyTooLarge, media_type, replay, whole_body
from app.api.rule_lines import keep_lines
from app.engine.problems import Problem
from app.services.rules.text import MAX_CHARS, SyntaxProblem, read_text

YAML_MEDIA_TYPES = ("application/yaml", "text/yaml", "application/x-yaml")
JSON_MEDIA_TYPE = "application/json"
RULES_PREFIX = "/v1/rules/"

# What each refusal of the reader means, for the problem's message.
_SYNTAX_WORDS = {
    "syntax": "the text is not valid YAML",
    "alias": "YAML anchors and aliases (& and *) are not accepted; write the value out",
    "key": "every key must be a plain text",
    "deep": "the document is nested too deeply",
    "not_object": "the document must be a mapping of named fields (format, id, version...)",
    "too_long": f"the document is longer than {MAX_CHARS} characters",
    "empty": "the body is empty",
}


class RuleYaml:
    """Pure ASGI middleware: YAML rule bodies become JSON; key lines go in the state."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        media = media_type(scope)
        if (
            scope["type"] != "http"
            or scope.get("method") != "POST"
            or not str(scope.get("path", "")).startswith(RULES_PREFIX)
            or (media not in YAML_MEDIA_TYPES and media not in ("", JSON_MEDIA_TYPE))
        ):
            await self.app(scope, receive, send)
            return
        try:
            raw = await whole_body(receive)
        except BodyTooLarge:
            await refuse_too_large(scope, send)
            return
        if raw is None:  # the client left before its body arrived: nothing is done
            return
        if media not in YAML_MEDIA_TYPES:
            # JSON: the body goes on untouched; its keys' lines are kept when it reads.
            found = read_text(raw.decode("utf-8", "replace"), form="json")
            if found.document is not None:
                keep_lines(scope, found)
            await self.app(scope, replay(raw, receive), send)
            return
        await self._yaml(scope, raw, receive, send)

    async def _yaml(self, scope: Scope, raw: bytes, receive: Receive, send: Send) -> None:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            await _refuse(scope, send, SyntaxProblem(1, "syntax", "it is not UTF-8 text"))
            return
        found = read_text(text, form="yaml")
        if found.problem is not None or found.document is None:
            await _refuse(scope, send, found.problem or SyntaxProblem(1, "not_object"))
            return
        body = json.dumps(found.document, ensure_ascii=False).encode("utf-8")
        headers = [
            (name, value)
            for name, value in scope.get("headers", ())
            if name not in (b"content-type", b"content-length")
        ]
        headers += [
            (b"content-type", JSON_MEDIA_TYPE.encode()),
            (b"content-length", str(len(body)).encode()),
        ]
        scope = {**scope, "headers": headers}
        keep_lines(scope, found)
        await self.app(scope, replay(body, receive), send)


async def _refuse(scope: Scope, send: Send, problem: SyntaxProblem) -> None:
    words = _SYNTAX_WORDS.get(problem.kind, _SYNTAX_WORDS["syntax"])
    message = f"line {problem.line}: {words}" + (f" ({problem.detail})" if problem.detail else "")
    extras: dict[str, Any] = {"line": problem.line}
    response = problem_response(
        Request(scope),
        status=422,
        code="validation",
        title="The request is not valid",
        detail="The YAML body cannot be read.",
        problems=[Problem("body", message)],
        extras=extras,
    )
    await response(scope, _no_receive, send)


async def _no_receive() -> Message:
    raise RuntimeError("a response does not receive")
