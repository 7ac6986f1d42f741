"""The operator's month desk: what running a month would book (and whether it would ration,
to what share of entitlements), then run it, expire the credit due, close it, seal it.

Every action is a POST form carrying a key made when the page was rendered: a double click
does it once. A run that would ration needs a box ticked that names the percentage; the
run's figures are then read back from what it recorded (``/lancement?cle=...``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from app.db.session import read_only, unit_of_work
from app.engine.period import Period
from app.services import errors as svc
from app.services import month_desk
from app.services.people import Person
from app.web.formats import month as month_name
from app.web.i18n import _
from app.web.pages import FormErrors, PageNotFound, engine_of, redirect, render, text_of
from app.web.routes.operator_common import (
    KEY_FIELD,
    FormDep,
    OperatorDep,
    new_key,
    scoped,
    shift_month,
    this_month,
    writes,
)

router = APIRouter(include_in_schema=False)


def _period(text: str) -> str:
    try:
        return str(Period.parse(text))
    except ValueError:
        raise PageNotFound() from None


def kind_names() -> dict[str, str]:
    return {
        "contribution": _("Cotisations appelées"),
        "credit": _("Crédits versés"),
        "payment": _("Paiements reçus des membres"),
        "funding": _("Subventions et dons"),
        "purchase": _("Achats chez les commerçants"),
        "refund": _("Remboursements"),
        "settlement": _("Règlements aux commerçants"),
        "expiry": _("Crédit expiré"),
        "reversal": _("Corrections"),
    }


def _page(
    request: Request, period: str, errors: FormErrors | None = None, done: str = ""
) -> Response:
    with read_only(engine_of(request)) as session:
        view = month_desk.month_view(session, period)
    context: dict[str, Any] = {
        "month": view,
        "period": period,
        "previous_period": shift_month(period, -1),
        "next_period": shift_month(period, 1),
        "key": new_key(),
        "done": done,
        "errors": errors or FormErrors(),
        "kind_names": kind_names(),
    }
    title = _("Le mois de {mois}").format(mois=month_name(period))
    return render(
        request, "operator/month.html", context, status=422 if errors else 200, title=title
    )


@router.get("/operateur/mois")
def month_home(request: Request, person: OperatorDep) -> Response:
    return redirect(f"/operateur/mois/{this_month()}")


@router.get("/operateur/mois/{period}")
def month_page(request: Request, person: OperatorDep, period: str, fait: str = "") -> Response:
    return _page(request, _period(period), done=fait)


def refusal_errors(refusal: svc.ServiceError, target: str) -> FormErrors:
    """French words for a refusal of a month action, on the action's button."""
    errors = FormErrors()
    if isinstance(refusal, month_desk.RationingNotConfirmed):
        percent = f"{refusal.extras.get('percent')} %"
        message = _(
            "Les moyens de la caisse ne suffisent pas : cochez la case pour confirmer que chaque"
            " foyer recevra {pourcentage} de son crédit."
        ).format(pourcentage=percent)
        errors.add("confirm", message)
    elif isinstance(refusal, month_desk.MonthNeverRun):
        errors.add(target, _("Ce mois n'a jamais été lancé : lancez-le avant de le clôturer."))
    elif isinstance(refusal, month_desk.EarlierMonthOpen):
        earlier = month_name(str(refusal.extras.get("earlier", "")))
        errors.add(
            target,
            _("Le mois de {mois} est encore ouvert : clôturez-le d'abord.").format(mois=earlier),
        )
    elif isinstance(refusal, month_desk.MonthNotClosedYet):
        errors.add(target, _("Seul un mois clôturé peut être scellé : clôturez-le d'abord."))
    elif isinstance(refusal, svc.MonthClosed):
        errors.add(target, _("Ce mois est déjà clôturé : rien n'a été fait."))
    elif isinstance(refusal, svc.IdempotencyConflict):
        errors.add(target, _("Ce formulaire a déjà servi : rechargez la page et recommencez."))
    elif isinstance(refusal, svc.Conflict) and target == "lancer":
        errors.add(
            target,
            _("Aucun barème adopté ne s'applique à ce mois, ou les comptes refusent le lancement."),
        )
    else:
        errors.add(target, _("La caisse a refusé cette demande ; rien n'a été enregistré."))
    return errors


@router.post("/operateur/mois/{period}/lancer")
def run_month(request: Request, person: OperatorDep, form: FormDep, period: str) -> Response:
    month = _period(period)
    typed = text_of(form, "confirm")
    confirmed = int(typed) if typed.isdigit() and len(typed) <= 3 else None
    try:
        with unit_of_work(engine_of(request)) as session:
            result = month_desk.run(session, month, confirmed, **writes(form, person))
    except svc.ServiceError as refusal:
        return _page(request, month, refusal_errors(refusal, "lancer"))
    if not result["seqs"]:  # nobody left to credit: nothing was recorded under the key
        return redirect(f"/operateur/mois/{month}?fait=rien")
    return redirect(f"/operateur/mois/{month}/lancement?{KEY_FIELD}={text_of(form, KEY_FIELD)}")


@router.get("/operateur/mois/{period}/lancement")
def run_result(request: Request, person: OperatorDep, period: str, cle: str = "") -> Response:
    month = _period(period)
    try:
        key = scoped(cle, person)
        with read_only(engine_of(request)) as session:
            result = month_desk.run_result(session, month, key)
    except svc.NotFound:
        raise PageNotFound() from None
    title = _("Le mois de {mois} est lancé").format(mois=month_name(month))
    return render(
        request, "operator/run_result.html", {"result": result, "period": month}, title=title
    )


def _action(request: Request, person: Person, form: FormData, period: str, action: str) -> Response:
    month = _period(period)
    service = {
        "clore": month_desk.close,
        "sceller": month_desk.seal_month,
        "expirer": month_desk.expire,
    }[action]
    try:
        with unit_of_work(engine_of(request)) as session:
            service(session, month, **writes(form, person))
    except svc.ServiceError as refusal:
        return _page(request, month, refusal_errors(refusal, action))
    return redirect(f"/operateur/mois/{month}?fait={action}")


@router.post("/operateur/mois/{period}/clore")
def close_month(request: Request, person: OperatorDep, form: FormDep, period: str) -> Response:
    return _action(request, person, form, period, "clore")


@router.post("/operateur/mois/{period}/sceller")
def seal_month(request: Request, person: OperatorDep, form: FormDep, period: str) -> Response:
    return _action(request, person, form, period, "sceller")


@router.post("/operateur/mois/{period}/expirer")
def expire_credit(request: Request, person: OperatorDep, form: FormDep, period: str) -> Response:
    return _action(request, person, form, period, "expirer")
