"""The operator's pages for people's accesses: the list, a new access (member: choose the
household; merchant: choose the merchant; or someone of the team), the one-time activation
code with its link and, for a member, a printable card (QR code of the link and the till
card number); a new code for a forgotten secret or a lock; revocation.

The activation code exists only in the answer to the POST that made it (the database keeps
its hash): the page says so, and can be printed."""

from __future__ import annotations

from typing import Any

import segno
from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup

from app.db.session import read_only, unit_of_work
from app.db.tables_people import PersonAccess
from app.services import errors as svc
from app.services import office, people
from app.web.i18n import _
from app.web.pages import PageNotFound, engine_of, now, redirect, render, text_of
from app.web.routes.operator_common import (
    GENERIC_REFUSAL,
    FormDep,
    OperatorDep,
    errors_of,
    key_of,
    new_key,
)

router = APIRouter(include_in_schema=False)

ROLES = ("member", "merchant", "committee", "operator", "auditor")
ACCESS_MESSAGES = {
    "role": _("Choisissez le rôle de la personne."),
    "household_id": _("Choisissez le foyer du membre."),
    "merchant_id": _("Choisissez le commerce."),
    "display_name": _("Indiquez le nom de la personne (120 caractères au plus)."),
}


def role_names() -> dict[str, str]:
    return {
        "member": _("Membre (un foyer)"),
        "merchant": _("Commerçant"),
        "committee": _("Comité"),
        "operator": _("Bureau de la caisse"),
        "auditor": _("Auditeur"),
        "researcher": _("Recherche (indicateurs seulement)"),
    }


def _list_context(request: Request, values: dict[str, str]) -> dict[str, Any]:
    with read_only(engine_of(request)) as session:
        accesses = office.access_list(session, now())
        households = office.household_list(session)
        merchants = office.merchant_choices(session)
    names = role_names()
    return {
        "accesses": accesses,
        "roles": [(role, names[role]) for role in ROLES],
        "role_names": names,
        "households": [
            (h["household_id"], f"{h['full_name'] or _('(sans nom)')} — {h['household_id']}")
            for h in households
        ],
        "merchants": [(m, f"{name} — {m}") for m, name in merchants],
        "values": values,
        "key": new_key(),
    }


@router.get("/operateur/acces")
def access_list(request: Request, person: OperatorDep, foyer: str = "", fait: str = "") -> Response:
    values = {"role": "member", "household_id": foyer[:80]} if foyer else {}
    context = _list_context(request, values) | {"done": fait}
    return render(request, "operator/accesses.html", context, title=_("Accès"))


def _code_page(
    request: Request, new: people.NewAccess, row: PersonAccess, card: str | None
) -> Response:
    link = f"{str(request.base_url).rstrip('/')}/activer?code={new.activation_code}"
    qr = None
    if row.role == "member":
        svg = segno.make(link, error="m").svg_inline(
            scale=4, title=_("Code QR du lien d'activation"), svgclass="qr-code"
        )
        qr = Markup(svg)  # segno's own SVG: no script, no inline style (CSP)
    context = {
        "access": row,
        "code": new.activation_code,
        "expires_at": new.expires_at,
        "link": link,
        "qr": qr,
        "card_number": card,
        "role_names": role_names(),
    }
    return render(request, "operator/access_code.html", context, title=_("Code d'activation"))


@router.post("/operateur/acces")
def create_access(request: Request, person: OperatorDep, form: FormDep) -> Response:
    role = text_of(form, "role")
    subject = text_of(form, "household_id") if role == "member" else text_of(form, "merchant_id")
    values = {
        name: text_of(form, name)
        for name in ("role", "household_id", "merchant_id", "display_name")
    }
    try:
        with unit_of_work(engine_of(request)) as session:
            new, row = office.open_access(
                session,
                role,
                subject or None,
                values["display_name"],
                now(),
                key_of(form, person),
            )
            card = office.card_for(session, row)
    except svc.ServiceError as refusal:
        context = _list_context(request, values) | {
            "errors": errors_of(refusal, ACCESS_MESSAGES, GENERIC_REFUSAL),
            "done": "",
        }
        return render(request, "operator/accesses.html", context, status=422, title=_("Accès"))
    return _code_page(request, new, row, card)


@router.post("/operateur/acces/{access_id}/nouveau-code")
def reset_access(request: Request, person: OperatorDep, form: FormDep, access_id: str) -> Response:
    del form  # checked: a new code only from this office's own page
    try:
        with unit_of_work(engine_of(request)) as session:
            new, row = office.reset_access(session, access_id, now())
            card = office.card_for(session, row)
    except svc.NotFound:
        raise PageNotFound() from None
    except svc.ServiceError:
        return redirect("/operateur/acces?fait=revoque-deja")
    return _code_page(request, new, row, card)


@router.post("/operateur/acces/{access_id}/revoquer")
def revoke_access(request: Request, person: OperatorDep, form: FormDep, access_id: str) -> Response:
    del form
    try:
        with unit_of_work(engine_of(request)) as session:
            people.revoke_access(session, access_id, now())
    except svc.NotFound:
        raise PageNotFound() from None
    return redirect("/operateur/acces?fait=revoque")
