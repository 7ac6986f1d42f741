"""Rendering a page, and who is asking: the plumbing every page route shares.

- ``render``: a Jinja2 template with the request's language, the signed-in person, the
  anti-forgery token and the formatting filters (app.web.formats). A browser without any
  cookie of ours gets an anonymous one, which its forms' token is bound to.
- ``signed_in(*roles)``: the person of the session cookie, else a redirect to the sign-in
  page (which comes back here afterwards); a person of another role gets the same 404 as a
  page that does not exist (pages reveal nothing about what others may do).
- ``form_of``: the posted form, after its anti-forgery token was checked (a forged or
  expired form is refused with 403 and nothing is done).
- ``FormErrors``: the problems of a posted form, in plain words, each tied to its field, for
  the error summary at the top of the page (GOV.UK's pattern).

Cookies are HttpOnly and SameSite=Lax, and Secure unless the site is served on localhost.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData

from app.db.session import read_only
from app.services import people
from app.services.people import Person
from app.services.tokens import Role
from app.web import formats, i18n

SESSION_COOKIE = "caisse_session"
ANON_COOKIE = "caisse_anon"
LANG_COOKIE = "caisse_lang"
CSRF_FIELD = "csrf"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "testserver"})
TEMPLATES = Path(__file__).parent / "templates"

HOME_OF_ROLE = {
    Role.MEMBER: "/membre",
    Role.MERCHANT: "/commercant",
    Role.COMMITTEE: "/comite",
    Role.OPERATOR: "/operateur",
    Role.AUDITOR: "/audit",
    Role.RESEARCHER: "/recherche",
}

environment = Environment(
    loader=FileSystemLoader(str(TEMPLATES)),
    autoescape=select_autoescape(("html", "svg")),
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.install_gettext_callables(  # type: ignore[attr-defined]
    i18n.gettext, i18n.ngettext, newstyle=True
)
environment.filters.update(
    euros=formats.euros,
    day=formats.day,
    moment=formats.moment,
    month=formats.month,
    cents_input=formats.cents_for_input,
)


class SignInNeeded(Exception):
    """The page needs a signed-in person (answered by a redirect to the sign-in page)."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


class PageNotFound(Exception):
    """Answered by the 404 page (also what a person of another role sees)."""


class FormExpired(Exception):
    """A posted form without this browser's anti-forgery token (answered with 403)."""


def now() -> datetime:
    """The clock lives at the edge (the engine never reads one)."""
    return datetime.now(UTC)


def engine_of(request: Request) -> Any:
    return request.app.state.db_engine


def person_of(request: Request) -> Person | None:
    """The signed-in person, read once per request."""
    if "caisse_person" in request.scope:
        cached: Person | None = request.scope["caisse_person"]
        return cached
    cookie = request.cookies.get(SESSION_COOKIE, "")
    person = None
    if cookie:
        with read_only(engine_of(request)) as session:
            person = people.session_person(session, cookie, now())
    request.scope["caisse_person"] = person
    return person


def signed_in(*roles: Role) -> Callable[[Request], Person]:
    """A dependency: the signed-in person of one of ``roles`` (see the module docstring)."""

    def dependency(request: Request) -> Person:
        person = person_of(request)
        if person is None:
            raise SignInNeeded(request.url.path)
        if person.role not in roles:
            raise PageNotFound()
        return person

    return dependency


def is_local(request: Request) -> bool:
    return (request.url.hostname or "") in LOCAL_HOSTS and request.url.scheme != "https"


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=not is_local(request),
        path="/",
    )


def _csrf_base(request: Request) -> str:
    """The cookie the request's forms are bound to: the session's, else the anonymous
    one (made for this response when the browser has none)."""
    cookie = request.cookies.get(SESSION_COOKIE) or request.cookies.get(ANON_COOKIE)
    if not cookie:
        cookie = request.scope.get("caisse_new_anon") or secrets.token_urlsafe(32)
        request.scope["caisse_new_anon"] = cookie
    return str(cookie)


def csrf_token(request: Request) -> str:
    if "caisse_fresh_session" in request.scope:  # just signed in: the new session's token
        return people.session_token(str(request.scope["caisse_fresh_session"]))
    return people.session_token(_csrf_base(request))


async def form_of(request: Request) -> FormData:
    """The posted form, once its anti-forgery token matches this browser's cookie."""
    form = await request.form()
    token = form.get(CSRF_FIELD)
    cookie = request.cookies.get(SESSION_COOKIE) or request.cookies.get(ANON_COOKIE) or ""
    if not isinstance(token, str) or not people.token_matches(cookie, token):
        raise FormExpired()
    return form


def text_of(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


@dataclass
class FormErrors:
    """The problems of a posted form: field id -> message, in the order found."""

    messages: dict[str, str] = field(default_factory=dict)

    def add(self, field_id: str, message: str) -> None:
        self.messages.setdefault(field_id, message)

    def __bool__(self) -> bool:
        return bool(self.messages)

    def items(self) -> Iterable[tuple[str, str]]:
        return self.messages.items()

    def get(self, field_id: str) -> str | None:
        return self.messages.get(field_id)


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
    title: str = "",
) -> HTMLResponse:
    """The page ``template`` for this request (see the module docstring)."""
    values = {
        "request": request,
        "person": person_of(request),
        "lang": i18n.language(),
        "csrf": csrf_token(request),
        "csrf_field": CSRF_FIELD,
        "errors": FormErrors(),
        "values": {},
        "title": title,
        "home_of_role": HOME_OF_ROLE,
        "path": request.url.path,
        **(context or {}),
    }
    html = environment.get_template(template).render(values)
    response = HTMLResponse(html, status_code=status)
    fresh = request.scope.get("caisse_new_anon")
    if fresh:
        set_cookie(request, response, ANON_COOKIE, str(fresh), max_age=24 * 3600)
    return response


def redirect(path: str) -> RedirectResponse:
    """After a successful POST: see the result with a GET (a reload posts nothing again)."""
    return RedirectResponse(path, status_code=303)


def sign_in_redirect(path: str) -> RedirectResponse:
    return redirect(f"/connexion?suite={quote(path)}")


def safe_next(path: str | None) -> str | None:
    """A path to come back to after sign-in: only a path of this site."""
    if path and path.startswith("/") and not path.startswith("//") and "\\" not in path:
        return path
    return None


PageHandler = Callable[[Request], Awaitable[Response]]
