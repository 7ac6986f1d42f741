"""One error model: every failure is an RFC 9457 problem (``application/problem+json``).

- ``ServiceError`` subclasses (app.services.errors) -> their status (404, 409, 422, 401,
  403), with the problems they carry;
- engine errors (``RuleSetInvalid``, ``InvalidInput``) -> 422 with the engine's paths;
- request validation (pydantic) -> 422 naming each field path, the value and what was
  expected;
- routing errors (unknown path, wrong method) -> their status as problems;
- a busy or unreachable database -> 503 (retry later);
- anything else -> 500 without internals (logged on the server).

A failed request writes nothing: the request's unit of work rolls back before the
response is rendered (app.api.deps.get_session).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.api.rule_lines import line_of_problem
from app.engine.problems import EngineError, InvalidInput, Problem, RuleSetInvalid, join_path
from app.i18n import from_english, negotiate
from app.services import errors as service_errors

PROBLEM_MEDIA_TYPE = "application/problem+json"
UNREADABLE_BODY = "There was an error parsing the body"  # FastAPI's 400 for undecodable bodies
TYPE_PREFIX = "urn:caisse:problem:"

logger = logging.getLogger("caisse.api")

# The database cannot answer now: through SQLAlchemy, or a read on the event loop
# (app.db.async_reads, psycopg's own errors, its pool's timeout included), or the charge
# writer (app.services.writes.charge_link raises psycopg's error for it). An interface error is a
# connection found closed (lost under a pipeline that SQLAlchemy does not watch).
DATABASE_UNAVAILABLE = (
    OperationalError,
    InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)

# Statuses of the service errors; the most specific class in the MRO wins.
SERVICE_STATUS: dict[type[service_errors.ServiceError], int] = {
    service_errors.ServiceError: 400,
    service_errors.Unauthenticated: 401,
    service_errors.Forbidden: 403,
    service_errors.NotFound: 404,
    service_errors.Gone: 410,
    service_errors.Conflict: 409,
    service_errors.InvalidRequest: 422,
}


class ProblemResponse(JSONResponse):
    """A JSON response with the problem-details media type."""

    media_type = PROBLEM_MEDIA_TYPE


def problem_response(
    request: Request,
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    problems: Sequence[Problem] = (),
    extras: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> ProblemResponse:
    """Render one problem in the caller's language (``request_language``); ``extras``
    become extension members (never overriding ours)."""
    lang = request_language(request)
    body: dict[str, Any] = dict(extras or {})
    body.update(
        type=TYPE_PREFIX + code,
        title=from_english(lang, title),
        status=status,
        detail=from_english(lang, detail),
        instance=request.url.path,
        errors=[_located(request, problem, lang) for problem in problems],
    )
    spoken = {**dict(headers or {}), "Content-Language": lang}
    return ProblemResponse(body, status_code=status, headers=spoken)


def request_language(request: Request) -> str:
    """The language of the API's words for this caller: the first of French or English in
    its ``Accept-Language``, French by default (app.i18n.negotiate, as the pages)."""
    return negotiate(None, request.headers.get("accept-language"))


def problem_text(problem: Problem, lang: str) -> str:
    """A problem's message in ``lang``: by its code (engine problems), else its English
    text through the catalogue of English-written texts (app/locale/fr)."""
    return problem.text(lang) if problem.code else from_english(lang, problem.message)


def _located(request: Request, problem: Problem, lang: str) -> dict[str, Any]:
    """The problem as a member of ``errors``, in ``lang``, with the ``line`` of a rule
    body's key when the request carried one (app.api.rule_yaml)."""
    found: dict[str, Any] = {"path": problem.path, "message": problem_text(problem, lang)}
    line = line_of_problem(request, problem.path)
    if line is not None:
        found["line"] = line
    return found


def service_status(error: service_errors.ServiceError) -> int:
    for cls in type(error).__mro__:
        if cls in SERVICE_STATUS:
            return SERVICE_STATUS[cls]
    return 400


async def on_service_error(request: Request, exc: Exception) -> ProblemResponse:
    if not isinstance(exc, service_errors.ServiceError):
        return await on_unexpected(request, exc)
    status = service_status(exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return problem_response(
        request,
        status=status,
        code=exc.code,
        title=exc.title,
        detail=_service_detail(exc, request_language(request)),
        problems=exc.problems,
        extras=exc.extras,
        headers=headers,
    )


def _service_detail(exc: service_errors.ServiceError, lang: str) -> str:
    """The detail in ``lang``: a detail that only repeats the problems' messages (a books
    refusal: ``"; ".join`` of them) is said with each problem's own text, codes included."""
    if exc.problems and exc.detail == "; ".join(p.message for p in exc.problems):
        return "; ".join(problem_text(p, lang) for p in exc.problems)
    return exc.detail


async def on_engine_error(request: Request, exc: Exception) -> ProblemResponse:
    if not isinstance(exc, EngineError):
        return await on_unexpected(request, exc)
    if isinstance(exc, RuleSetInvalid):
        code, title = "invalid-rules", "The rule document is not valid"
    elif isinstance(exc, InvalidInput):
        code, title = "invalid-input", "The input is not valid"
    else:
        code, title = "engine-refused", "The engine refused the input"
    return problem_response(
        request,
        status=422,
        code=code,
        title=title,
        detail=_count_sentence(len(exc.problems), "problem", "was found"),
        problems=exc.problems,
    )


async def on_validation_error(request: Request, exc: Exception) -> ProblemResponse:
    if not isinstance(exc, RequestValidationError):
        return await on_unexpected(request, exc)
    problems = [validation_problem(error) for error in exc.errors()]
    return problem_response(
        request,
        status=422,
        code="validation",
        title="The request is not valid",
        detail=_count_sentence(len(problems), "field", "of the request is not valid"),
        problems=problems,
    )


async def on_http_error(request: Request, exc: Exception) -> ProblemResponse:
    if not isinstance(exc, StarletteHTTPException):
        return await on_unexpected(request, exc)
    phrase = HTTPStatus(exc.status_code).phrase
    detail = exc.detail if isinstance(exc.detail, str) else phrase
    if exc.status_code == 400 and detail == UNREADABLE_BODY:
        # A body that is not even text (e.g. not UTF-8) is a malformed request like any other.
        return problem_response(
            request,
            status=422,
            code="validation",
            title="The request is not valid",
            detail="1 field of the request is not valid.",
            problems=[
                Problem("body", "the body is not valid JSON (it cannot be read as UTF-8 text)")
            ],
        )
    if exc.status_code == 404 and detail == phrase:
        detail = f"There is no endpoint at {request.url.path}; see /docs."
    return problem_response(
        request,
        status=exc.status_code,
        code=phrase.lower().replace(" ", "-"),
        title=phrase,
        detail=detail,
        headers=exc.headers,
    )


async def on_database_unavailable(request: Request, exc: Exception) -> ProblemResponse:
    logger.warning("database unavailable on %s: %s", request.url.path, exc)
    return problem_response(
        request,
        status=503,
        code="database-unavailable",
        title="The database is busy or unreachable",
        detail="Nothing was written. Retry in a moment.",
        headers={"Retry-After": "1"},
    )


async def on_unexpected(request: Request, exc: Exception) -> ProblemResponse:
    logger.exception("unexpected error on %s %s", request.method, request.url.path)
    return problem_response(
        request,
        status=500,
        code="internal",
        title="Internal error",
        detail="An unexpected error occurred and was logged. Nothing was written.",
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers so that every error leaves as a problem document."""
    app.add_exception_handler(service_errors.ServiceError, on_service_error)
    app.add_exception_handler(EngineError, on_engine_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    for unavailable in DATABASE_UNAVAILABLE:
        app.add_exception_handler(unavailable, on_database_unavailable)
    app.add_exception_handler(Exception, on_unexpected)


def validation_problem(error: Mapping[str, Any]) -> Problem:
    """A pydantic error as a path (``body.households[0].income_cents``) and a message."""
    path = ""
    for part in error.get("loc", ()):
        path = join_path(path, part if isinstance(part, int) else str(part))
    return Problem(path or "body", _validation_message(error))


def _validation_message(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "missing":
        return "this field is required"
    if kind == "extra_forbidden":
        return "unknown field: remove it or check its spelling"
    if kind == "json_invalid":
        reason = (error.get("ctx") or {}).get("error", "malformed JSON")
        return f"the body is not valid JSON ({reason})"
    message = str(error.get("msg", "invalid value"))
    return f"{message} (got {_show(error.get('input'))})"


def _show(value: Any) -> str:
    text = repr(value)
    if isinstance(value, float):
        text += " (a JSON number with a fraction)"
    return text if len(text) <= 80 else text[:77] + "..."


def _count_sentence(count: int, noun: str, rest: str) -> str:
    if count == 1:
        return f"1 {noun} {rest}."
    rest = rest.replace(" is ", " are ").replace(" was ", " were ")
    if rest.startswith("was "):
        rest = "were " + rest[4:]
    return f"{count} {noun}s {rest}."


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Route ``responses=`` entries for the problems an endpoint may return (besides
    401/403/503, declared automatically from its dependencies)."""
    return {status: {"description": RESPONSE_TEXT[status]} for status in statuses}


RESPONSE_TEXT: dict[int, str] = {
    404: "Not found, or not visible with this token (the two are indistinguishable).",
    409: "Conflicts with the state of the fund; nothing was written.",
    422: "The request is malformed; `errors` names each offending field path.",
}
