"""``install_web``: the pages' routes, static files, language, security headers and error
pages, added to the application.

- Every page answers in the request's language (app.web.i18n), set around the request.
- Pages carry a strict Content-Security-Policy (our own scripts and styles only, no inline
  script), ``X-Frame-Options: DENY`` and no referrer outside the site.
- Errors on a page are pages, not JSON: 404 (also for what a person may not see), 403 for
  a form that lost its anti-forgery token, 503 when the database cannot answer, 500 for a
  defect (logged). The API's problem documents are untouched: the handlers the API
  installed are kept for every path under ``/v1``, ``/docs`` and ``/openapi.json``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.web import i18n
from app.web.pages import (
    LANG_COOKIE,
    FormExpired,
    PageNotFound,
    SignInNeeded,
    render,
    sign_in_redirect,
)
from app.web.routes import all_routers

logger = logging.getLogger("caisse.web")
STATIC = Path(__file__).parent / "static"
API_PREFIXES = ("/v1", "/docs", "/openapi.json")
CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self';"
    " connect-src 'self'; media-src 'self' blob:; frame-ancestors 'none'; form-action 'self';"
    " base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS = (
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(self), microphone=(), geolocation=()"),
)

Handler = Callable[[Request, Exception], Awaitable[Response]]


def is_page(path: str) -> bool:
    return not path.startswith(API_PREFIXES)


class PageContext:
    """Pure ASGI middleware for page paths: the request's language around the call, and the
    security headers on the answer. API paths pass through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_page(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", ()))
        lang = i18n.negotiate(
            _cookie(headers.get(b"cookie", b""), LANG_COOKIE),
            headers.get(b"accept-language", b"").decode("latin-1"),
        )

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", ()),
                    *SECURITY_HEADERS,
                    (b"content-language", lang.encode()),
                ]
            await send(message)

        with i18n.speaking(lang):
            await self.app(scope, receive, send_with_headers)


def _cookie(header: bytes, name: str) -> str | None:
    for part in header.decode("latin-1").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


def install_web(app: FastAPI) -> None:
    """Add the pages to ``app`` (after the API's routes and handlers were installed)."""
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="web-static")
    for router in all_routers():
        app.include_router(router)
    _install_page_errors(app)
    app.add_middleware(PageContext)


def _install_page_errors(app: FastAPI) -> None:
    api_handlers: dict[Any, Handler] = dict(app.exception_handlers)

    async def sign_in_needed(request: Request, exc: Exception) -> Response:
        return sign_in_redirect(exc.path if isinstance(exc, SignInNeeded) else "/")

    async def not_found(request: Request, _exc: Exception) -> Response:
        return render(request, "error.html", {"kind": "not_found"}, status=404)

    async def form_expired(request: Request, _exc: Exception) -> Response:
        return render(request, "error.html", {"kind": "form_expired"}, status=403)

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, StarletteHTTPException) else 400
        if status in (404, 405):  # a page that does not exist, or not with this method
            return await not_found(request, exc)
        return render(request, "error.html", {"kind": "bad_request"}, status=400)

    async def unavailable(request: Request, exc: Exception) -> Response:
        logger.warning("database unavailable on %s: %s", request.url.path, exc)
        response = render(request, "error.html", {"kind": "unavailable"}, status=503)
        response.headers["Retry-After"] = "5"
        return response

    async def defect(request: Request, exc: Exception) -> Response:
        logger.error("unexpected error on page %s", request.url.path, exc_info=exc)
        return render(request, "error.html", {"kind": "internal"}, status=500)

    def pages_only(kind: Any, page_handler: Handler) -> None:
        """``page_handler`` for pages, the API's own handler (if any) for the API."""
        api_handler = api_handlers.get(kind)

        async def handler(request: Request, exc: Exception) -> Response:
            if api_handler is not None and not is_page(request.url.path):
                return await api_handler(request, exc)
            return await page_handler(request, exc)

        app.add_exception_handler(kind, handler)

    app.add_exception_handler(SignInNeeded, sign_in_needed)
    app.add_exception_handler(PageNotFound, not_found)
    app.add_exception_handler(FormExpired, form_expired)
    pages_only(StarletteHTTPException, http_error)
    for kind in api_handlers:
        if isinstance(kind, type) and kind.__name__ in ("OperationalError", "InterfaceError"):
            # SQLAlchemy's and psycopg's (app.api.errors.DATABASE_UNAVAILABLE): the database
            # is down, or a connection was found closed
            pages_only(kind, unavailable)
    pages_only(Exception, defect)
