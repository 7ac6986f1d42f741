"""Tax receipts' pages: the operator sees a year's receipts, issues those not issued yet and
downloads each PDF; a member downloads the receipts whose donor they are (another's, or an
unknown number, is the 404 page). The receipts' facts are app.services.receipts'; the donors'
identities and the settings are set from the API or the command line."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from app.services import errors as svc
from app.services.people import Person
from app.services.receipts import issue
from app.services.tokens import Role
from app.web.i18n import N_, _
from app.web.pages import PageNotFound, engine_of, now, redirect, render, signed_in, text_of
from app.web.routes.operator_common import FormDep, OperatorDep, new_key

router = APIRouter(include_in_schema=False)
MemberDep = Annotated[Person, Depends(signed_in(Role.MEMBER))]

MESSAGES = {
    "settings": N_(
        "Les informations de l'association pour les reçus manquent : "
        "un opérateur les donne d'abord (commande « caisse receipts settings »)."
    ),
    "refused": N_("Les reçus n'ont pas été émis : rien n'a été enregistré."),
}


def _year(text: str) -> int:
    """The year asked for, else last year (receipts are issued after the year of the gifts)."""
    if text.isdigit() and len(text) == 4 and 2000 <= int(text) <= 9999:
        return int(text)
    return now().year - 1


def _pdf(document: bytes, receipt_id: str) -> Response:
    disposition = f'attachment; filename="{issue.file_name(receipt_id)}"'
    return Response(
        document, media_type="application/pdf", headers={"Content-Disposition": disposition}
    )


@router.get("/operateur/recus")
def year_page(
    request: Request, person: OperatorDep, annee: str = "", emis: str = "", erreur: str = ""
) -> Response:
    year = _year(annee)
    context = {
        "year": year,
        "receipts": issue.receipts_of_year(engine_of(request), year),
        "issued": int(emis) if emis.isdigit() and len(emis) <= 6 else None,
        "problem": _(MESSAGES[erreur]) if erreur in MESSAGES else "",
        "key": new_key(),
    }
    return render(request, "receipts/year.html", context, title=_("Reçus fiscaux"))


@router.post("/operateur/recus")
def issue_page(request: Request, person: OperatorDep, form: FormDep) -> Response:
    year = _year(text_of(form, "annee"))
    moment = now()
    try:
        outcome = issue.issue_year(
            engine_of(request), year, moment.date(), actor=person.principal.actor, now=moment
        )
    except svc.Conflict:
        return redirect(f"/operateur/recus?annee={year}&erreur=settings")
    except svc.ServiceError:
        return redirect(f"/operateur/recus?annee={year}&erreur=refused")
    return redirect(f"/operateur/recus?annee={year}&emis={len(outcome.issued)}")


@router.get("/operateur/recus/{receipt_id}.pdf")
def operator_pdf(request: Request, person: OperatorDep, receipt_id: str) -> Response:
    try:
        return _pdf(issue.pdf_of(engine_of(request), receipt_id), receipt_id)
    except (svc.NotFound, svc.InvalidRequest, svc.Gone) as missing:
        raise PageNotFound() from missing


@router.get("/membre/recus")
def member_page(request: Request, person: MemberDep) -> Response:
    household = person.subject_id or ""
    found = issue.receipts_of_household(engine_of(request), household) if household else []
    return render(
        request, "receipts/member.html", {"receipts": found}, title=_("Mes reçus fiscaux")
    )


@router.get("/membre/recus/{receipt_id}.pdf")
def member_pdf(request: Request, person: MemberDep, receipt_id: str) -> Response:
    try:
        document = issue.pdf_of(engine_of(request), receipt_id, person.subject_id or "")
    except (svc.NotFound, svc.InvalidRequest, svc.Gone) as missing:
        raise PageNotFound() from missing
    return _pdf(document, receipt_id)
