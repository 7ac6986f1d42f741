"""The operator's pages (the fund's office): the desk, and households: the list, enrolment,
one household's facts from a month, and a member's till consent code.

Each route parses its form, calls ONE service (app.services.office), renders. A refused
form comes back on the same page with every field's problem in French and the answers
kept; nothing is written."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from app.db.session import read_only, unit_of_work
from app.engine.period import Period
from app.services import arrears, office
from app.services import errors as svc
from app.web.formats import cents_for_input, month, parse_cents
from app.web.i18n import _
from app.web.pages import FormErrors, PageNotFound, engine_of, now, redirect, render, text_of
from app.web.routes.operator_common import (
    GENERIC_REFUSAL,
    FormDep,
    OperatorDep,
    day_input,
    errors_of,
    month_choices,
    new_key,
    parse_day,
    shift_month,
    this_month,
    writes,
)

router = APIRouter(include_in_schema=False)
PERSON_ROWS = 8
_BIRTH_PATH = re.compile(r"^births\[(\d+)\]$")

FACTS_MESSAGES = {
    "full_name": _("Indiquez le nom et le prénom du titulaire du compte."),
    "from_period": _("Choisissez le premier mois."),
    "income": _("Indiquez les ressources mensuelles du foyer en euros, par exemple 1 234,56."),
    "births": _("Indiquez la date de naissance d'au moins une personne, par exemple 17/05/1980."),
    "consent_code": _("Le code de consentement est fait de 4 à 12 chiffres."),
    "consent_code_again": _("Les deux codes ne sont pas identiques."),
}
BIRTH_MESSAGE = _("Cette date de naissance n'est pas possible : écrivez-la comme 17/05/1980.")
CLOSED_MONTH = _("Ce mois est clos : choisissez un mois encore ouvert.")


@dataclass
class FactsRead:
    """A facts form as read: the typed values, the texts to put back, the problems of
    reading, and the person row each birth date given came from."""

    facts: office.FactsForm
    values: dict[str, str] = field(default_factory=dict)
    errors: FormErrors = field(default_factory=FormErrors)
    rows: list[int] = field(default_factory=list)


def read_facts(form: FormData) -> FactsRead:
    values = {name: text_of(form, name) for name in ("from_period", "income")}
    errors = FormErrors()
    income = parse_cents(values["income"]) if values["income"] else None
    if values["income"] and income is None:
        errors.add("income", _(FACTS_MESSAGES["income"]))
    births, rows = [], []
    for row in range(1, PERSON_ROWS + 1):
        typed = values[f"birth_{row}"] = text_of(form, f"birth_{row}")
        born = parse_day(typed) if typed else None
        if typed and born is None:
            errors.add(f"birth_{row}", _(BIRTH_MESSAGE))
        elif born is not None:
            births.append(born)
            rows.append(row)
    facts = office.FactsForm(values["from_period"], income, tuple(births))
    return FactsRead(facts, values, errors, rows)


def facts_errors(read: FactsRead, refusal: svc.ServiceError) -> FormErrors:
    """The problems of reading first, then the service's, each on its own field (a birth
    date's on its own row)."""
    errors = read.errors
    for problem in refusal.problems:
        found = _BIRTH_PATH.match(problem.path)
        if found:
            errors.add(f"birth_{read.rows[int(found.group(1))]}", _(BIRTH_MESSAGE))
        elif problem.path == "births":
            errors.add("birth_1", _(FACTS_MESSAGES["births"]))
        elif isinstance(refusal, svc.MonthClosed):
            errors.add("from_period", _(CLOSED_MONTH))
        elif problem.path in FACTS_MESSAGES:
            errors.add(problem.path, _(FACTS_MESSAGES[problem.path]))
        else:  # not about one field of the form (e.g. a conflict with the books)
            errors.add("erreurs", _(GENERIC_REFUSAL))
    if not errors:
        errors.add("erreurs", _(GENERIC_REFUSAL))
    return errors


def facts_values(facts: dict[str, Any] | None) -> dict[str, str]:
    """A household's facts as the form's values (to change them from a later month)."""
    values = {"from_period": this_month()}
    if facts is None:
        return values
    if facts["income_cents"] is not None:
        values["income"] = cents_for_input(int(facts["income_cents"]))
    for row, person in enumerate(facts["persons"], start=1):
        if person["birth_on"] and row <= PERSON_ROWS:
            values[f"birth_{row}"] = day_input(date.fromisoformat(person["birth_on"]))
    return values


def form_context(values: dict[str, str], errors: FormErrors | None = None) -> dict[str, Any]:
    return {
        "values": values,
        "errors": errors or FormErrors(),
        "months": [(period, month(period)) for period in month_choices()],
        "rows": range(1, PERSON_ROWS + 1),
        "key": new_key(),
    }


# --- The desk -----------------------------------------------------------------------------


@router.get("/operateur")
def desk(request: Request, person: OperatorDep) -> Response:
    current = this_month()
    with read_only(engine_of(request)) as session:
        found = office.desk(session, current)
    context = found | {"period": current, "next_period": shift_month(current, 1)}
    return render(request, "operator/desk.html", context, title=_("Bureau de la caisse"))


# --- Households ---------------------------------------------------------------------------


@router.get("/operateur/foyers")
def household_list(request: Request, person: OperatorDep, q: str = "") -> Response:
    with read_only(engine_of(request)) as session:
        rows = office.household_list(session, q[:80])
    context = {"households": rows, "search": q[:80], "enrolled": None}
    return render(request, "operator/households.html", context, title=_("Foyers"))


@router.get("/operateur/foyers/nouveau")
def enrol_page(request: Request, person: OperatorDep) -> Response:
    context = form_context({"from_period": this_month()})
    return render(request, "operator/enrol.html", context, title=_("Inscrire un foyer"))


@router.post("/operateur/foyers/nouveau")
def enrol(request: Request, person: OperatorDep, form: FormDep) -> Response:
    read = read_facts(form)
    values = read.values | {"full_name": text_of(form, "full_name")}
    code, again = text_of(form, "consent_code"), text_of(form, "consent_code_again")
    enrolment = office.EnrolmentForm(values["full_name"], read.facts, code, again)
    refusal: svc.ServiceError
    if read.errors:  # the form could not be read: nothing is written, every problem is shown
        refusal = svc.InvalidRequest(office.enrolment_problems(enrolment, now().date()))
    else:
        try:
            with unit_of_work(engine_of(request)) as session:
                household_id = office.enrol(session, enrolment, **writes(form, person))
            return redirect(f"/operateur/foyers/{household_id}?inscrit=1")
        except svc.ServiceError as error:
            refusal = error
    context = form_context(values, facts_errors(read, refusal))
    return render(request, "operator/enrol.html", context, status=422, title=_("Inscrire un foyer"))


def _household(request: Request, household_id: str) -> dict[str, Any]:
    try:
        with read_only(engine_of(request)) as session:
            found = office.household(session, household_id)
            this = now().date()
            owed = arrears.owed_by_month(session, household_id, Period(this.year, this.month))
            return found | {"dues": owed}
    except svc.NotFound:
        raise PageNotFound() from None


@router.get("/operateur/foyers/{household_id}")
def household_page(
    request: Request, person: OperatorDep, household_id: str, inscrit: str = "", fait: str = ""
) -> Response:
    found = _household(request, household_id)
    latest = found["facts"][-1] if found["facts"] else None
    context = form_context(facts_values(latest)) | {
        "household": found,
        "enrolled": bool(inscrit),
        "done": fait,
    }
    name = (found["identity"] or {}).get("full_name") or household_id
    return render(request, "operator/household.html", context, title=name)


@router.post("/operateur/foyers/{household_id}/situation")
def change_facts(
    request: Request, person: OperatorDep, form: FormDep, household_id: str
) -> Response:
    found = _household(request, household_id)
    read = read_facts(form)
    refusal: svc.ServiceError
    if read.errors:
        refusal = svc.InvalidRequest(office.facts_problems(read.facts, now().date()))
    else:
        try:
            with unit_of_work(engine_of(request)) as session:
                office.new_facts(session, household_id, read.facts, **writes(form, person))
            return redirect(f"/operateur/foyers/{household_id}?fait=situation")
        except svc.ServiceError as error:
            refusal = error
    context = form_context(read.values, facts_errors(read, refusal))
    context |= {"household": found, "enrolled": False, "done": ""}
    name = (found["identity"] or {}).get("full_name") or household_id
    return render(request, "operator/household.html", context, status=422, title=name)


CODE_MESSAGES = {
    "consent_code": FACTS_MESSAGES["consent_code"],
    "consent_code_again": FACTS_MESSAGES["consent_code_again"],
}


@router.get("/operateur/foyers/{household_id}/code")
def consent_code_page(request: Request, person: OperatorDep, household_id: str) -> Response:
    found = _household(request, household_id)
    context = {"household": found, "key": new_key()}
    return render(
        request, "operator/consent_code.html", context, title=_("Nouveau code de consentement")
    )


@router.post("/operateur/foyers/{household_id}/code")
def change_consent_code(
    request: Request, person: OperatorDep, form: FormDep, household_id: str
) -> Response:
    found = _household(request, household_id)
    code, again = text_of(form, "consent_code"), text_of(form, "consent_code_again")
    try:
        with unit_of_work(engine_of(request)) as session:
            office.change_consent_code(session, household_id, code, again)
    except svc.ServiceError as refusal:
        context = {
            "household": found,
            "key": new_key(),
            "errors": errors_of(refusal, CODE_MESSAGES, GENERIC_REFUSAL),
        }
        return render(
            request,
            "operator/consent_code.html",
            context,
            status=422,
            title=_("Nouveau code de consentement"),
        )
    return redirect(f"/operateur/foyers/{household_id}?fait=code")
