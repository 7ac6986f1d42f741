"""Pages anyone may open: the home page, sign-in, activation of an access, sign-out and the
language switch. After sign-in each person lands on their role's home page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from app.db.session import unit_of_work
from app.services import errors as svc
from app.services import people
from app.web import i18n
from app.web.formats import moment
from app.web.i18n import _
from app.web.pages import (
    ANON_COOKIE,
    HOME_OF_ROLE,
    LANG_COOKIE,
    SESSION_COOKIE,
    FormErrors,
    engine_of,
    form_of,
    now,
    person_of,
    redirect,
    render,
    safe_next,
    set_cookie,
    text_of,
)

router = APIRouter(include_in_schema=False)
FormDep = Annotated[FormData, Depends(form_of)]


@router.get("/")
def home(request: Request) -> Response:
    return render(request, "home.html", title=_("Accueil"))


@router.get("/connexion")
def sign_in_page(request: Request, suite: str | None = None) -> Response:
    person = person_of(request)
    if person is not None:
        return redirect(safe_next(suite) or HOME_OF_ROLE[person.role])
    return render(
        request, "sign_in.html", {"suite": safe_next(suite) or ""}, title=_("Se connecter")
    )


def lock_message(refusal: people.SignInLocked) -> str:
    """What a person reads when their access is locked (sign-in, or a form that asks for
    their secret again): until when, and who can unlock it."""
    until = moment(str(refusal.extras.get("locked_until", "")))
    return _(
        "Trop d'essais manqués : vous pourrez réessayer après {heure}."
        " Le bureau de la caisse peut aussi débloquer votre accès."
    ).format(heure=until)


def sign_in_errors(refusal: svc.ServiceError) -> FormErrors:
    errors = FormErrors()
    if isinstance(refusal, people.SignInLocked):
        errors.add("secret", lock_message(refusal))
    else:
        errors.add(
            "login", _("L'identifiant ou le secret ne correspond pas. Vérifiez-les et réessayez.")
        )
    return errors


@router.post("/connexion")
def sign_in(request: Request, form: FormDep) -> Response:
    login, secret = text_of(form, "login"), str(form.get("secret") or "")
    suite = safe_next(text_of(form, "suite"))
    errors = FormErrors()
    if not login:
        errors.add("login", _("Indiquez votre identifiant."))
    if not secret:
        errors.add("secret", _("Indiquez votre secret."))
    cookie, role = "", None
    if not errors:
        with unit_of_work(engine_of(request)) as session:
            outcome = people.sign_in(session, login, secret, now())
            if isinstance(outcome, people.Person):
                cookie, role = people.open_session(session, outcome, now()), outcome.role
            else:
                errors = sign_in_errors(outcome)
    if errors or role is None:
        context = {"errors": errors, "values": {"login": login}, "suite": suite or ""}
        return render(request, "sign_in.html", context, status=422, title=_("Se connecter"))
    response = redirect(suite or HOME_OF_ROLE[role])
    # A new session cookie, never the one the browser came with (no session fixation).
    set_cookie(request, response, SESSION_COOKIE, cookie, max_age=people.SESSION_HOURS * 3600)
    response.delete_cookie(ANON_COOKIE, path="/")
    return response


@router.post("/deconnexion")
def sign_out(request: Request, form: FormDep) -> Response:
    del form  # checked: nobody can sign a person out from another site
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        with unit_of_work(engine_of(request)) as session:
            people.close_session(session, cookie)
    response = redirect("/connexion?au_revoir=1")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/activer")
def activation_page(request: Request, code: str = "") -> Response:
    values = {"code": code[:40]}
    return render(request, "activate.html", {"values": values}, title=_("Activer mon accès"))


ACTIVATION_MESSAGES = {
    "code": _(
        "Ce code d'activation est inconnu, déjà utilisé ou périmé. Demandez-en un nouveau"
        " au bureau de la caisse."
    ),
    "login": _(
        "Choisissez un identifiant de 3 à 40 caractères : lettres sans accent, chiffres,"
        " point, tiret ou @, en commençant par une lettre ou un chiffre."
    ),
    "login_taken": _("Cet identifiant est déjà pris : choisissez-en un autre."),
    "secret": _("Choisissez un secret de 6 caractères au moins (un code de 6 chiffres convient)."),
    "secret_again": _("Les deux secrets ne sont pas identiques."),
}


@router.post("/activer")
def activate(request: Request, form: FormDep) -> Response:
    code, login = text_of(form, "code"), text_of(form, "login")
    secret, again = str(form.get("secret") or ""), str(form.get("secret_again") or "")
    errors = FormErrors()
    person = None
    try:
        with unit_of_work(engine_of(request)) as session:
            person = people.activate(session, code, login, secret, now())
            if secret != again:
                raise svc.invalid("secret_again", "the two secrets differ")
            cookie = people.open_session(session, person, now())
    except svc.InvalidRequest as error:
        for problem in error.problems:
            key = "login_taken" if "taken" in problem.message else problem.path
            errors.add(problem.path, _(ACTIVATION_MESSAGES.get(key, ACTIVATION_MESSAGES["code"])))
        if secret != again:
            errors.add("secret_again", _(ACTIVATION_MESSAGES["secret_again"]))
    if errors or person is None:
        context = {"errors": errors, "values": {"code": code, "login": login}}
        return render(request, "activate.html", context, status=422, title=_("Activer mon accès"))
    response = redirect(HOME_OF_ROLE[person.role])
    set_cookie(request, response, SESSION_COOKIE, cookie, max_age=people.SESSION_HOURS * 3600)
    response.delete_cookie(ANON_COOKIE, path="/")
    return response


@router.get("/langue/{lang}")
def choose_language(request: Request, lang: str, suite: str | None = None) -> Response:
    """Remember the reader's language (a preference, not a write to the fund)."""
    if lang not in i18n.LANGUAGES:
        return render(request, "error.html", {"kind": "not_found"}, status=404)
    response = redirect(safe_next(suite) or "/")
    set_cookie(request, response, LANG_COOKIE, lang, max_age=365 * 24 * 3600)
    return response


@router.get("/compte")
def my_home(request: Request) -> Response:
    person = person_of(request)
    return redirect("/connexion" if person is None else HOME_OF_ROLE[person.role])
