"""The request boundary: every request's bytes are checked once, here, before any route,
page or the charge's lean handler (app.api.lean_route) sees them.

Guarantees (each refusal is a 422 problem document naming the field, the value and what
was expected; nothing downstream runs):

- **Headers** the app reads as one value (``Authorization``, ``Idempotency-Key``,
  ``Content-Type``, ``Content-Length``, ``Host``, ``Cookie``) are given at most once; no
  header value holds a control character.
- **Path and query**: no control character in the path or in any query name or value
  (after percent-decoding), each query parameter at most once.
- **Body**: it is read whole before anything runs; a client that leaves before its announced
  length arrived gets nothing done (the same for every route and the fast path, which reads
  the body from here). A JSON body (``application/json``, ``*+json``, or no content type,
  which FastAPI also reads as JSON) has no key twice in one object, no ``NaN`` or
  ``Infinity``, no control character in any key or string (tab, line feed and carriage
  return excepted), no lone surrogate, and every integer fits the storage: 64 bits, and
  32 bits for a key that names a 32-bit column of the database (``version``,
  ``priority_tier``...; the set is read from the tables, so it cannot drift). A form body
  (``application/x-www-form-urlencoded``) has no control character in its names and values.
  Malformed JSON is left to the app, which names the syntax error itself.

Why one boundary: PostgreSQL refuses NUL in text and SQLite and PostgreSQL refuse integers
beyond their columns with an error that is neither the client's nor the database's being
down; caught per endpoint, one endpoint forgotten is a 500. Here they are refused before
any endpoint, the same on both databases.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from sqlalchemy import BigInteger, Integer
from sqlmodel import SQLModel
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.errors import problem_response
from app.api.limits import refuse_too_large
from app.api.request_body import BodyTooLarge, media_type, replay, whole_body
from app.db.migrate import register_tables
from app.engine.problems import Problem, join_path

SCOPE_KEY = "caisse.body"  # where the checked body waits for the fast path

SINGLE_HEADERS = (
    b"authorization",
    b"idempotency-key",
    b"content-type",
    b"content-length",
    b"host",
    b"cookie",
)
INT64 = (-(2**63), 2**63 - 1)
INT32 = (-(2**31), 2**31 - 1)

# C0 controls but tab, line feed and carriage return; DEL; C1 controls; lone surrogates.
TEXT_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# In a path, a query or a form field, a line break is never meant either.
LINE_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# Header values are bytes read as latin-1: only C0 controls and DEL are surely wrong there.
HEADER_FORBIDDEN = re.compile("[\x00-\x08\x0a-\x1f\x7f]")


def _narrow_integer_columns() -> frozenset[str]:
    """Names of the 32-bit integer columns of every table (BIGINT ones hold 64 bits)."""
    register_tables()
    names = set()
    for table in SQLModel.metadata.tables.values():
        for column in table.columns:
            if isinstance(column.type, Integer) and not isinstance(column.type, BigInteger):
                names.add(column.name)
    return frozenset(names)


NARROW_INTEGER_KEYS = _narrow_integer_columns()


@dataclass(frozen=True)
class CheckedBody:
    """A request body read whole and checked; ``document`` is its JSON value when it is
    JSON (``NOT_JSON`` otherwise), parsed once for whoever needs it."""

    raw: bytes
    document: Any


NOT_JSON = object()


class RequestGuard:
    """Pure ASGI middleware: the checks of the module docstring, then the app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        problems = _head_problems(scope)
        if problems:
            await _refuse(scope, send, problems)
            return
        try:
            raw = await whole_body(receive)
        except BodyTooLarge:
            await refuse_too_large(scope, send)
            return
        if raw is None:
            return  # the client left before its body arrived: nothing is done, no one to answer
        checked, problems = _checked_body(scope, raw)
        if problems:
            await _refuse(scope, send, problems)
            return
        scope[SCOPE_KEY] = checked
        await self.app(scope, replay(raw, receive), send)


def checked_body(scope: Scope) -> CheckedBody | None:
    """The body the guard read for this request (None outside the guard)."""
    found = scope.get(SCOPE_KEY)
    return found if isinstance(found, CheckedBody) else None


# -- head: headers, path, query ----------------------------------------------------------------


def _head_problems(scope: Scope) -> list[Problem]:
    problems = _header_problems(scope.get("headers", ()))
    path = scope.get("path", "")
    if LINE_FORBIDDEN.search(path):
        problems.append(Problem("path", f"{_control_message(path, LINE_FORBIDDEN)}"))
    query = scope.get("query_string", b"")
    if query:  # most requests (a charge, a balance read) have none: nothing to parse
        problems.extend(_query_problems(query))
    return problems


def _header_problems(headers: Any) -> list[Problem]:
    counts: Counter[bytes] = Counter()
    problems = []
    for name, value in headers:
        counts[name] += 1
        text = value.decode("latin-1")
        if HEADER_FORBIDDEN.search(text):
            where = "header." + name.decode("latin-1")
            problems.append(Problem(where, _control_message(text, HEADER_FORBIDDEN)))
    for name in SINGLE_HEADERS:
        if counts[name] > 1:
            where = "header." + name.decode()
            problems.append(Problem(where, f"given {counts[name]} times; expected once"))
    return problems


def _query_problems(query_string: bytes) -> list[Problem]:
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    problems = _field_problems("query", pairs)
    counts = Counter(name for name, _ in pairs)
    problems.extend(
        Problem(f"query.{name}", f"given {count} times; expected at most once")
        for name, count in sorted(counts.items())
        if count > 1
    )
    return problems


def _field_problems(where: str, pairs: list[tuple[str, str]]) -> list[Problem]:
    """Control characters in the names and values of a query or a form."""
    problems = []
    for name, value in pairs:
        if LINE_FORBIDDEN.search(name):
            problems.append(Problem(where, "a name " + _control_message(name, LINE_FORBIDDEN)))
        elif LINE_FORBIDDEN.search(value):
            problems.append(Problem(f"{where}.{name}", _control_message(value, LINE_FORBIDDEN)))
    return problems


def _control_message(text: str, forbidden: re.Pattern[str]) -> str:
    found = forbidden.search(text)
    code = ord(found.group()) if found else 0
    return (
        f"holds the control character U+{code:04X} at position {found.start() if found else 0};"
        " expected printable text"
    )


# -- body -------------------------------------------------------------------------------------


def _checked_body(scope: Scope, raw: bytes) -> tuple[CheckedBody, list[Problem]]:
    media = media_type(scope)
    if media == "application/x-www-form-urlencoded":
        pairs = parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)
        return CheckedBody(raw, NOT_JSON), _field_problems("body", pairs)
    if not raw or not (media == "" or media == "application/json" or media.endswith("+json")):
        return CheckedBody(raw, NOT_JSON), []
    try:
        document, plain = _parse_plain(raw)
        if plain:
            return CheckedBody(raw, document), []
        pairs = json.loads(
            raw,
            object_pairs_hook=_Object,
            parse_constant=_no_constant,
            parse_float=_finite_float,
        )
    except _NotJson as error:
        return CheckedBody(raw, NOT_JSON), [Problem("body", str(error))]
    except (ValueError, RecursionError):
        return CheckedBody(raw, NOT_JSON), []  # the app names the syntax error
    # The app is handed the cheap parse: it equals the pairs' document whenever nothing is
    # refused (no key came twice), and a refused body never reaches the app.
    problems = list(_value_problems(pairs, "body", None))
    return CheckedBody(raw, document), problems


# What in the raw bytes may hide a refused value: an escape (\u, \b, \f), DEL, a C1
# control in UTF-8, a NUL byte (also any UTF-16 or UTF-32 body), a run of 10 digits (an
# integer that may not fit 32 bits). A body with none of them holds no refused text or
# integer: JSON forbids raw control characters in strings.
_SUSPECT = re.compile(rb"\\[ubf]|[\x00\x7f]|\xc2[\x80-\x9f]|[0-9]{10}")


def _parse_plain(raw: bytes) -> tuple[Any, bool]:
    """The document parsed the cheap way (dicts built by the parser), and whether that is
    enough: no key twice and nothing ``_SUSPECT`` (else the caller walks it to name what
    is wrong). Most requests, a charge first, take this path."""
    twice: list[bool] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        found = dict(items)
        if len(found) != len(items):
            twice.append(True)
        return found

    document = json.loads(
        raw, object_pairs_hook=pairs, parse_constant=_no_constant, parse_float=_finite_float
    )
    return document, not twice and _SUSPECT.search(raw) is None


class _NotJson(ValueError):
    """A literal json.loads accepts that JSON does not have."""


class _Object(list[tuple[str, Any]]):
    """A JSON object as its pairs, in order, duplicates kept (refused by the walk)."""


def _no_constant(name: str) -> Any:
    raise _NotJson(f"{name} is not a JSON number; expected a finite number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotJson(f"the number {text[:40]} is too large; expected a finite number")
    return value


def _value_problems(value: Any, path: str, key: str | None) -> Iterator[Problem]:
    """What the storage cannot hold in ``value``, depth first in document order. A loop over
    an explicit stack, not recursion: a document nested a thousand deep is walked like any
    other (the rule reader then names its own depth limit) instead of overflowing."""
    stack: list[Problem | tuple[Any, str, str | None]] = [(value, path, key)]
    while stack:
        top = stack.pop()
        if isinstance(top, Problem):
            yield top
            continue
        node, where, name = top
        stack.extend(reversed(list(_children(node, where, name))))
        if isinstance(node, str) and TEXT_FORBIDDEN.search(node):
            yield Problem(where, _control_message(node, TEXT_FORBIDDEN))
        elif isinstance(node, int) and not isinstance(node, bool):
            low, high = INT32 if name in NARROW_INTEGER_KEYS else INT64
            if not low <= node <= high:
                shown = str(node) if len(str(node)) <= 40 else str(node)[:37] + "..."
                yield Problem(where, f"{shown} is out of range; expected from {low} to {high}")


def _children(
    node: Any, path: str, key: str | None
) -> Iterator[Problem | tuple[Any, str, str | None]]:
    """An object's key problems and members, or a list's items, in document order."""
    if isinstance(node, _Object):
        seen: set[str] = set()
        for name, item in node:
            where = join_path(path, name)
            if TEXT_FORBIDDEN.search(name):
                yield Problem(path, "a key " + _control_message(name, TEXT_FORBIDDEN))
            elif name in seen:
                yield Problem(where, "given twice in one object; expected once")
            seen.add(name)
            yield (item, where, name)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield (item, join_path(path, index), key)


async def _refuse(scope: Scope, send: Send, problems: list[Problem]) -> None:
    count = len(problems)
    detail = (
        "1 field of the request is not valid."
        if count == 1
        else (f"{count} fields of the request are not valid.")
    )
    response = problem_response(
        Request(scope),
        status=422,
        code="validation",
        title="The request is not valid",
        detail=detail,
        problems=problems,
    )
    await response(scope, _no_receive, send)


async def _no_receive() -> Message:  # a response never reads the request
    raise RuntimeError("a response does not receive")
