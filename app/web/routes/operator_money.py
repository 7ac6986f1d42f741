"""The operator's page for money received: a member's contribution payment (choose the
household, amount, method, day) and a funder's subsidy or donation."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.db.session import read_only, unit_of_work
from app.services import errors as svc
from app.services import office
from app.web.formats import parse_cents
from app.web.i18n import _
from app.web.pages import FormErrors, engine_of, now, redirect, render, text_of
from app.web.routes.operator_common import (
    GENERIC_REFUSAL,
    FormDep,
    OperatorDep,
    day_input,
    errors_of,
    new_key,
    parse_day,
    writes,
)

router = APIRouter(include_in_schema=False)

PAYMENT_MESSAGES = {
    "household_id": _("Choisissez le foyer qui a payé."),
    "amount": _("Indiquez un montant en euros plus grand que zéro, par exemple 20,00."),
    "method": _("Choisissez comment le membre a payé."),
    "received_on": _(
        "Indiquez le jour où l'argent a été reçu, par exemple 07/12/2026 ; pas un jour à venir."
    ),
}
FUNDING_MESSAGES = {
    "funder": _("Indiquez le nom du financeur, par exemple Ville de Loos-en-Gohelle."),
    "kind": _("Choisissez subvention ou don."),
    "amount": _("Indiquez un montant en euros plus grand que zéro, par exemple 400,00."),
    "received_on": _(
        "Indiquez le jour où l'argent a été reçu, par exemple 07/12/2026 ; pas un jour à venir."
    ),
}
CLOSED = _("Ce jour tombe dans un mois clôturé : choisissez un jour d'un mois ouvert.")


def _context(
    request: Request, values: dict[str, str], errors: FormErrors, done: str
) -> dict[str, Any]:
    with read_only(engine_of(request)) as session:
        households = office.household_list(session)
        funders = office.funders(session)
    today = day_input(now().date())
    return {
        "households": [
            (h["household_id"], f"{h['full_name'] or _('(sans nom)')} — {h['household_id']}")
            for h in households
        ],
        "methods": [
            ("transfer", _("Virement")),
            ("cash", _("Espèces")),
            ("direct_debit", _("Prélèvement")),
        ],
        "kinds": [("subsidy", _("Subvention")), ("donation", _("Don"))],
        "funders": funders,
        "values": {"received_on": today, "funding_received_on": today} | values,
        "errors": errors,
        "done": done,
        "payment_key": new_key(),
        "funding_key": new_key(),
    }


@router.get("/operateur/paiements")
def payments_page(request: Request, person: OperatorDep, fait: str = "") -> Response:
    context = _context(request, {}, FormErrors(), fait)
    return render(request, "operator/payments.html", context, title=_("Paiements et financements"))


def _refused(refusal: svc.ServiceError, messages: dict[str, str], prefix: str) -> FormErrors:
    """French messages on the form's own fields (the funding form's amount, day and
    reference fields carry ``prefix``)."""
    if isinstance(refusal, svc.MonthClosed):
        refusal = svc.invalid("received_on", "closed month")
        messages = messages | {"received_on": CLOSED}
    errors = FormErrors()
    for field, message in errors_of(refusal, messages, GENERIC_REFUSAL).items():
        prefixed = field in ("amount", "received_on", "reference")
        errors.add(prefix + field if prefixed else field, message)
    return errors


@router.post("/operateur/paiements/cotisation")
def record_payment(request: Request, person: OperatorDep, form: FormDep) -> Response:
    names = ("household_id", "amount", "method", "received_on", "reference")
    values = {name: text_of(form, name) for name in names}
    amount = parse_cents(values["amount"])
    received = parse_day(values["received_on"])
    try:
        with unit_of_work(engine_of(request)) as session:
            office.record_payment(
                session,
                values["household_id"],
                amount,
                values["method"],
                values["reference"],
                received,
                **writes(form, person),
            )
    except svc.ServiceError as refusal:
        errors = _refused(refusal, PAYMENT_MESSAGES, "")
        context = _context(request, values, errors, "")
        return render(
            request,
            "operator/payments.html",
            context,
            status=422,
            title=_("Paiements et financements"),
        )
    return redirect("/operateur/paiements?fait=cotisation")


@router.post("/operateur/paiements/financement")
def record_funding(request: Request, person: OperatorDep, form: FormDep) -> Response:
    names = ("funder", "kind", "funding_amount", "funding_received_on", "funding_reference")
    values = {name: text_of(form, name) for name in names}
    amount = parse_cents(values["funding_amount"])
    received = parse_day(values["funding_received_on"])
    try:
        with unit_of_work(engine_of(request)) as session:
            office.record_funding(
                session,
                values["funder"],
                values["kind"],
                amount,
                values["funding_reference"],
                received,
                **writes(form, person),
            )
    except svc.ServiceError as refusal:
        errors = _refused(refusal, FUNDING_MESSAGES, "funding_")
        context = _context(request, values, errors, "")
        return render(
            request,
            "operator/payments.html",
            context,
            status=422,
            title=_("Paiements et financements"),
        )
    return redirect("/operateur/paiements?fait=financement")
