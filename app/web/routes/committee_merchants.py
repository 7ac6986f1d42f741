"""The committee's merchants page: the approved merchants (categories, rates, validity,
suspension), approving one (a new one by its name, or one already known, chosen from the
list), suspending one and setting its kind (producer, shop, épicerie solidaire, market: how
the indicators group spending). Each form calls ONE service (app.services.committee_merchants;
the kind: app.services.research.merchant_kinds, as PUT /v1/merchants/{id}/kind does); a
refused form comes back with every problem in words and the answers kept."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from app.db.session import read_only, unit_of_work
from app.engine.indicators import DEFAULT_MERCHANT_KIND, MERCHANT_KINDS
from app.services import committee_merchants as book
from app.services import errors as svc
from app.services.research import merchant_kinds
from app.web.i18n import N_, _, language
from app.web.labels import category_name, merchant_kind_name
from app.web.pages import FormErrors, engine_of, now, redirect, render, text_of
from app.web.routes.committee import Committee, FormDep, new_key, scoped_key

router = APIRouter(include_in_schema=False)
PAGE = "/comite/commercants"

STATE_NAMES = {
    "active": N_("agréé"),
    "suspended": N_("suspendu"),
    "suspension_planned": N_("suspension prévue"),
    "not_yet": N_("pas encore valable"),
    "expired": N_("agrément terminé"),
}
APPROVE_MESSAGES = {
    ("commercant", "unknown"): N_("Ce commerçant n'est pas dans la liste : choisissez-en un."),
    ("nom", "required"): N_("Choisissez un commerçant de la liste ou écrivez le nom d'un nouveau."),
    ("nom", "name"): N_(
        "Écrivez le nom du commerce en lettres (120 caractères au plus, sur une ligne)."
    ),
    ("nom", "exists"): (
        N_(
            "Un commerçant de ce nom est déjà agréé : choisissez-le dans la liste pour changer"
            " son agrément."
        )
    ),
    ("categories", "required"): N_("Cochez au moins une catégorie de produits."),
    ("debut", "date"): N_("Indiquez le premier jour de l'agrément, par exemple 01/01/2027."),
}
RATE_MESSAGE = N_(
    "Écrivez la part payée avec le crédit en pourcentage, de 1 à 100, par exemple 50 %."
)
SUSPEND_MESSAGES = {
    ("merchant_id", "unknown"): N_("Choisissez le commerçant à suspendre dans la liste."),
    ("motif", "required"): N_("Écrivez le motif de la suspension."),
    ("motif", "long"): N_("Le motif tient en 500 caractères au plus."),
    ("depuis", "date"): N_("Indiquez le premier jour de la suspension, par exemple 15/01/2027."),
}
KIND_MESSAGES = {
    "commercant-type": N_("Choisissez le commerçant dans la liste."),
    "type": N_(
        "Choisissez le type du commerçant : producteur, commerce, épicerie solidaire ou marché."
    ),
}
REPLAYED = "Ce formulaire a déjà servi : rechargez la page et recommencez."


def percent_text(percent: str) -> str:
    return (percent.replace(".", ",") if language() == "fr" else percent) + "\u00a0%"


def page(
    request: Request,
    context: Mapping[str, Any] | None = None,
    *,
    status: int = 200,
) -> Response:
    today = now().date()
    with read_only(engine_of(request)) as session:
        found = book.merchants_view(session, today)
        kinds = merchant_kinds.kinds(session)
    categories = found["categories"]
    values: dict[str, Any] = {"debut": today.isoformat(), "depuis": today.isoformat()}
    values |= {f"taux-{c}": "100 %" if c == "food" else "" for c in categories}
    found |= {
        "category_name": category_name,
        "kind_name": merchant_kind_name,
        "kinds": MERCHANT_KINDS,
        "kind_of": lambda merchant_id: kinds.get(merchant_id, DEFAULT_MERCHANT_KIND),
        "percent_text": percent_text,
        "states": {k: _(v) for k, v in STATE_NAMES.items()},
        "key": new_key(),
        "values": values,
        "ticked": {"food"},
    }
    given = dict(context or {})
    found["values"] = values | given.pop("values", {})
    found |= given
    return render(request, "committee/merchants.html", found, status=status, title=_("Commerçants"))


@router.get(PAGE)
def merchants_page(request: Request, person: Committee) -> Response:
    return page(request, {"done": request.query_params.get("fait", "")})


def _approval(form: FormData) -> tuple[book.Approval, set[str], dict[str, str]]:
    ticked = {str(v) for v in form.getlist("categorie")}
    percents = {c: text_of(form, f"taux-{c}") for c in sorted(ticked) if len(c) <= 40}
    typed = {
        str(k): text_of(form, str(k))
        for k in form
        if str(k).startswith("taux-") or k in ("nom", "debut", "commercant")
    }
    approval = book.Approval(
        merchant_id=text_of(form, "commercant"),
        new_name=text_of(form, "nom"),
        percents=percents,
        valid_from=text_of(form, "debut"),
    )
    return approval, ticked, typed


def approval_errors(refusal: svc.ServiceError) -> FormErrors:
    errors = FormErrors()
    if isinstance(refusal, svc.IdempotencyConflict):
        errors.add("nom", _(REPLAYED))
        return errors
    for problem in refusal.problems:
        if problem.path.startswith("taux-"):
            errors.add(problem.path, _(RATE_MESSAGE))
        else:
            message = APPROVE_MESSAGES.get((problem.path, problem.message), REPLAYED)
            errors.add(problem.path, _(message))
    return errors


@router.post(f"{PAGE}/agreer")
def approve(request: Request, person: Committee, form: FormDep) -> Response:
    approval, ticked, typed = _approval(form)
    key = text_of(form, "cle") or new_key()
    try:
        with unit_of_work(engine_of(request)) as session:
            book.approve(
                session,
                approval,
                actor=person.principal.actor,
                idempotency_key=scoped_key(person, key),
                now=now(),
            )
    except (svc.InvalidRequest, svc.Conflict) as refusal:
        context = {"errors": approval_errors(refusal), "values": typed, "ticked": ticked}
        return page(request, context | {"key": key}, status=422)
    return redirect(f"{PAGE}?fait=agree")


def suspension_errors(refusal: svc.ServiceError) -> FormErrors:
    errors = FormErrors()
    if isinstance(refusal, svc.NotFound):
        errors.add(N_("suspendu"), _(SUSPEND_MESSAGES[("merchant_id", "unknown")]))
    for problem in refusal.problems if isinstance(refusal, svc.InvalidRequest) else ():
        message = SUSPEND_MESSAGES.get((problem.path, problem.message), REPLAYED)
        errors.add(problem.path, _(message))
    if not errors:
        errors.add("motif", _(REPLAYED))
    return errors


@router.post(f"{PAGE}/suspendre")
def suspend(request: Request, person: Committee, form: FormDep) -> Response:
    merchant_id = text_of(form, N_("suspendu"))
    reason, from_text = text_of(form, "motif"), text_of(form, "depuis")
    key = text_of(form, "cle") or new_key()
    try:
        with unit_of_work(engine_of(request)) as session:
            book.suspend(
                session,
                merchant_id,
                reason,
                from_text,
                actor=person.principal.actor,
                idempotency_key=scoped_key(person, key),
                now=now(),
            )
    except (svc.InvalidRequest, svc.Conflict, svc.NotFound) as refusal:
        values = {"motif": reason, "depuis": from_text, N_("suspendu"): merchant_id}
        context = {"errors": suspension_errors(refusal), "values": values}
        return page(request, context | {"key": key}, status=422)
    return redirect(f"{PAGE}?fait=suspendu")


@router.post(f"{PAGE}/type")
def set_kind(request: Request, person: Committee, form: FormDep) -> Response:
    """The merchant's kind, as the API's PUT /v1/merchants/{id}/kind sets it (not money:
    kept beside the books, not journalled; choosing the kind it has changes nothing)."""
    merchant_id, kind = text_of(form, "commercant-type"), text_of(form, "type")
    try:
        with unit_of_work(engine_of(request)) as session:
            merchant_kinds.set_kind(session, merchant_id, kind, now())
    except (svc.InvalidRequest, svc.NotFound) as refusal:
        errors = FormErrors()
        field_id = "commercant-type" if isinstance(refusal, svc.NotFound) else "type"
        errors.add(field_id, _(KIND_MESSAGES[field_id]))
        values = {"commercant-type": merchant_id, "type": kind}
        return page(request, {"errors": errors, "values": values}, status=422)
    return redirect(f"{PAGE}?fait=type")
