"""A member's pages, under ``/membre``: the credit spendable now, the history, the month's
statement in plain sentences, the till card, the change of consent code and the download of
their own data. A member only ever sees their own household (the signed-in person's
``subject_id``); anything else is the 404 page.

The statement's steps come from the engine (app.engine.explain). Most of them are worded
here in the member's language; the others keep the engine's own sentence (French or
English). A fixed amount under a ``max`` is a minimum (a floor), under a ``min`` a cap:
they are named so, never "fixed amount".
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import segno
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from app.db.session import read_only, unit_of_work
from app.engine.explain import Step, format_param, render_step
from app.engine.period import Period
from app.services import arrears, people, views
from app.services import errors as svc
from app.services.auditor import statement_proofs
from app.services.people import Person
from app.services.tokens import Role
from app.services.views import Movement, Statement
from app.web import i18n
from app.web.formats import euros, moment, month
from app.web.i18n import N_, _
from app.web.pages import (
    FormErrors,
    PageNotFound,
    engine_of,
    form_of,
    now,
    redirect,
    render,
    signed_in,
)
from app.web.routes.public import lock_message

router = APIRouter(include_in_schema=False)
FormDep = Annotated[FormData, Depends(form_of)]
MemberDep = Annotated[Person, Depends(signed_in(Role.MEMBER))]
PARIS = ZoneInfo("Europe/Paris")
MINUS = "\u2212"


def household_of(person: Person) -> str:
    if not person.subject_id:
        raise PageNotFound()
    return person.subject_id


def today() -> date:
    """The fund's day (Paris): credit expires at the end of a month in Paris."""
    return now().astimezone(PARIS).date()


def signed(cents: int) -> str:
    """``+100,00 €`` / ``−42,50 €`` (a true minus sign)."""
    return ("+" if cents > 0 else MINUS if cents < 0 else "") + euros(abs(cents))


# --- Home -----------------------------------------------------------------------------------


@router.get("/membre")
def home(request: Request, person: MemberDep) -> Response:
    day = today()
    with read_only(engine_of(request)) as session:
        wallet = views.wallet(session, household_of(person), day)
        dues = arrears.owed_by_month(session, household_of(person), Period(day.year, day.month))
    context = {"wallet": wallet, "dues": dues}
    return render(request, "member/home.html", context, title=_("Mon crédit"))


# --- History --------------------------------------------------------------------------------

CATEGORY_WORDS = {
    "food": N_("alimentation"),
    "hygiene": N_("hygiène"),
    "fruits_vegetables": N_("fruits et légumes"),
}


def category_words(category: str | None) -> str:
    if not category:
        return ""
    known = CATEGORY_WORDS.get(category)
    return _(known) if known else category.replace("_", " ")


def movement_words(item: Movement) -> str:
    """One movement in plain words, without its amount."""
    merchant = item.merchant_name
    what = category_words(item.category)
    if item.kind == "credit":
        return _("Crédit de {mois}").format(mois=month(item.period))
    if item.kind == "purchase":
        text = (
            _("Achat chez {commercant}").format(commercant=merchant)
            if merchant
            else _("Achat chez un commerçant conventionné")
        )
        return f"{text} ({what})" if what else text
    if item.kind == "refund":
        text = (
            _("Remboursement par {commercant}").format(commercant=merchant)
            if merchant
            else _("Remboursement par un commerçant conventionné")
        )
        return f"{text} ({what})" if what else text
    if item.kind == "expiry":
        return _("Crédit expiré (non dépensé à temps)")
    if item.kind == "contribution":
        return _("Cotisation de {mois}").format(mois=month(item.period))
    if item.kind == "payment":
        return _("Paiement reçu")
    if item.kind == "reversal":
        return _("Correction par le bureau de la caisse")
    return _("Autre mouvement")


def movement_amount(item: Movement) -> str:
    if item.on_credit:
        return signed(item.amount_cents)
    if item.amount_cents >= 0:
        return _("{montant} à payer").format(montant=euros(item.amount_cents))
    return _("{montant} payé").format(montant=euros(-item.amount_cents))


@router.get("/membre/historique")
def history(request: Request, person: MemberDep) -> Response:
    with read_only(engine_of(request)) as session:
        movements = views.movements(session, household_of(person))
    lines = [
        {
            "when": moment(item.recorded_at) if item.recorded_at else month(item.period),
            "words": movement_words(item),
            "amount": movement_amount(item),
            "on_credit": item.on_credit,
            "up": item.amount_cents > 0,
        }
        for item in movements
    ]
    return render(request, "member/history.html", {"lines": lines}, title=_("Mon historique"))


# --- Statement ------------------------------------------------------------------------------


def _money(cents: Any) -> str:
    return euros(int(cents)) if isinstance(cents, int) else format_param("x_cents", cents, _lang())


def _lang() -> str:
    return "en" if i18n.language() == "en" else "fr"


def _param(item: Step, name: str) -> Any:
    try:
        return item.param(name)
    except KeyError:
        return None


def _parent(clause: str) -> str:
    """``contribution.formula.of[1]`` -> ``contribution.formula``."""
    head, found, _rest = clause.rpartition(".of[")
    return head if found else ""


def _bound_kind(item: Step, steps: Sequence[Step]) -> str | None:
    """``"floor"`` for a fixed amount that is an operand of a max, ``"cap"`` of a min."""
    parent = _parent(item.clause)
    for other in steps:
        if other.clause == parent and other.code in ("max", "min"):
            return "floor" if other.code == "max" else "cap"
    return None


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text else text


ROUNDING_UNITS = {
    1: N_("au centime près"),
    10: N_("aux 10 centimes près"),
    100: N_("à l'euro près"),
}
ROUNDING_MODES = {
    "down": N_("vers le bas"),
    "up": N_("vers le haut"),
    "half_up": N_("au plus proche"),
    "half_even": N_("au plus proche"),
}


def _rounding_words(item: Step) -> str:
    unit = _param(item, "unit_cents")
    unit_words = (
        _(ROUNDING_UNITS[unit])
        if unit in ROUNDING_UNITS
        else _("au pas de {pas}").format(pas=euros(int(unit or 0)))
    )
    mode = _(ROUNDING_MODES.get(str(_param(item, "mode")), N_("au plus proche")))
    result = int(_param(item, "result_cents") or 0)
    if str(_param(item, "exact")) == str(result):
        return _("Le montant tombe juste, sans arrondi : {montant}.").format(montant=euros(result))
    return _("Montant arrondi une seule fois, {pas} ({sens}) : {montant}.").format(
        pas=unit_words, sens=mode, montant=euros(result)
    )


def _bound_words(item: Step, steps: Sequence[Step]) -> str | None:
    """Words for a fixed amount that is a floor or a cap, and for the max/min choosing."""
    if item.code == "fixed":
        kind = _bound_kind(item, steps)
        amount = euros(int(_param(item, "amount_cents") or 0))
        if kind == "floor":
            return _("Minimum (plancher) : {montant}.").format(montant=amount)
        if kind == "cap":
            return _("Plafond : {montant}.").format(montant=amount)
        return None
    bounds = [s for s in steps if s.code == "fixed" and _parent(s.clause) == item.clause]
    if not bounds:
        return None
    result = _param(item, "result_cents")
    bound = _param(bounds[0], "amount_cents")
    if item.code == "max":
        if result == bound:
            return _(
                "Le calcul donne moins que le minimum : le plancher de {montant} s'applique."
            ).format(montant=_money(result))
        return _("Le calcul dépasse le minimum : {montant} est retenu.").format(
            montant=_money(result)
        )
    if result == bound:
        return _("Le calcul dépasse le plafond : le plafond de {montant} s'applique.").format(
            montant=_money(result)
        )
    return _("Le calcul reste sous le plafond : {montant} est retenu.").format(
        montant=_money(result)
    )


def step_words(item: Step, steps: Sequence[Step], section: str) -> str:
    """One step of the explanation as a plain sentence in the request's language."""
    code = item.code
    if code in ("fixed", "max", "min"):
        worded = _bound_words(item, steps)
        if worded is not None:
            return worded
    if code == "rounding":
        return _rounding_words(item)
    if code == "proportional":
        base = _lower_first(str(_param(item, f"base_{_lang()}") or _param(item, "base_fr")))
        rate = format_param("contribution_rate", _param(item, "contribution_rate"), _lang())
        template = (
            _("Votre cotisation est de {taux} de {base} ({montant}) : {resultat}.")
            if section == "contribution"
            else _("Votre crédit est de {taux} de {base} ({montant}) : {resultat}.")
        )
        return template.format(
            taux=rate,
            base=base,
            montant=_money(_param(item, "base_cents")),
            resultat=_money(_param(item, "result_cents")),
        )
    if code == "credit.base_plus_extra":
        extra = int(_param(item, "extra_persons") or 0)
        if extra == 0:
            return _(
                "{base} pour un foyer d'une personne : votre crédit est de {resultat}."
            ).format(
                base=_money(_param(item, "base_cents")),
                resultat=_money(_param(item, "result_cents")),
            )
        return i18n.ngettext(
            "{base} pour la première personne, plus {extra} pour {n} autre personne :"
            " votre crédit est de {resultat}.",
            "{base} pour la première personne, plus {extra} pour chacune des {n} autres"
            " personnes : votre crédit est de {resultat}.",
            extra,
        ).format(
            base=_money(_param(item, "base_cents")),
            extra=_money(_param(item, "per_extra_person_cents")),
            n=extra,
            resultat=_money(_param(item, "result_cents")),
        )
    return render_step(item, _lang())


INPUT_WORDS = {
    "income_cents": N_("Revenu mensuel déclaré"),
    "persons": N_("Personnes dans le foyer"),
    "chosen_contribution_cents": N_("Cotisation choisie"),
    "engagement_minutes": N_("Temps d'engagement dans le mois"),
}

RATIONING_WORDS = {
    "proportional": N_("Chaque foyer a reçu la même part de son droit."),
    "uniform_cut": N_("Chaque foyer a perdu le même montant, sans descendre sous un plancher."),
    "priority_tiers": N_("Les foyers ont été servis par ordre de priorité."),
    "max_min": N_(
        "Aucun crédit ne dépasse un même plafond ; les plus petits droits ont été servis en entier."
    ),
}


def input_lines(found: Statement) -> list[tuple[str, str]]:
    lines = []
    for name, value in found.inputs:
        if name.startswith("attribute."):
            label = name.removeprefix("attribute.").replace("_", " ")
        else:
            label = _(INPUT_WORDS.get(name, name))
        shown = (
            euros(value)
            if name.endswith("_cents") and isinstance(value, int)
            else format_param(name, value, _lang())
        )
        lines.append((label, shown))
    return lines


def statement_context(found: Statement) -> dict[str, Any]:
    steps = found.contribution_steps
    credit_steps = found.credit_steps
    rationing = found.rationing
    return {
        "found": found,
        "inputs": input_lines(found),
        "contribution_lines": [step_words(s, steps, "contribution") for s in steps],
        "credit_lines": [step_words(s, credit_steps, "credit") for s in credit_steps],
        "rationing_why": _(RATIONING_WORDS.get(rationing.method, ""))
        if rationing is not None and rationing.method in RATIONING_WORDS
        else "",
    }


def _statement_page(request: Request, person: Person, period: str | None) -> Response:
    household = household_of(person)
    with read_only(engine_of(request)) as session:
        months = views.statement_months(session, household)
        since = views.member_since(session, household)
        if period is None:
            period = months[0] if months else str(Period(today().year, today().month))
        found = views.member_statement(session, household, period)
        provable = found is not None and statement_proofs.provable(session, period)
    if period < since and found is None:
        raise PageNotFound()
    context = {
        "period": period,
        "months": months,
        "provable": provable,
        **(statement_context(found) if found is not None else {"found": None}),
    }
    title = _("Mon relevé de {mois}").format(mois=month(period))
    return render(request, "member/statement.html", context, title=title)


@router.get("/membre/releve")
def statement_latest(request: Request, person: MemberDep) -> Response:
    return _statement_page(request, person, None)


@router.get("/membre/releve/{mois}")
def statement_of(request: Request, person: MemberDep, mois: str) -> Response:
    try:
        period = str(Period.parse(mois))
    except ValueError as bad:
        raise PageNotFound() from bad
    if period != mois:
        raise PageNotFound()
    return _statement_page(request, person, period)


@router.get("/membre/releve/{mois}/preuve")
def statement_proof(request: Request, person: MemberDep, mois: str) -> Response:
    """The month statement's inclusion proof (app.audit.inclusion), as a file to keep and to
    check offline with ``caisse verify-proof``; the 404 page until the month is sealed."""
    household = household_of(person)
    try:
        period = str(Period.parse(mois))
        if period != mois:
            raise ValueError(mois)
        proof = statement_proofs.statement_proof(engine_of(request), household, period)
    except (ValueError, svc.NotFound) as missing:
        raise PageNotFound() from missing
    body = json.dumps(proof, ensure_ascii=False, indent=2, sort_keys=True)
    return Response(
        body.encode(),
        media_type="application/json; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="preuve-releve-{period}.json"',
            "Cache-Control": "no-store",
        },
    )


# --- Card -----------------------------------------------------------------------------------


def card_groups(number: str) -> str:
    """``1234567890`` -> ``123 456 789 0`` (read aloud and typed in groups)."""
    return " ".join(number[i : i + 3] for i in range(0, len(number), 3))


@router.get("/membre/carte")
def card(request: Request, person: MemberDep) -> Response:
    with read_only(engine_of(request)) as session:
        number = people.card_of(session, household_of(person))
    qr = segno.make(number, error="m").svg_data_uri(scale=6, border=4) if number else ""
    context = {"number": number, "grouped": card_groups(number or ""), "qr": qr}
    return render(request, "member/card.html", context, title=_("Ma carte"))


# --- Consent code ---------------------------------------------------------------------------

CODE_MESSAGES = {
    "code": N_("Choisissez un code de 4 à 12 chiffres, sans lettres ni espaces."),
    "code_again": N_("Les deux codes ne sont pas identiques. Tapez le même code deux fois."),
    "secret": N_("Ce secret ne correspond pas. Tapez le secret avec lequel vous vous connectez."),
}


@router.get("/membre/code")
def code_page(request: Request, person: MemberDep) -> Response:
    household_of(person)
    return render(request, "member/code.html", title=_("Changer mon code de caisse"))


def _code_errors(refusal: svc.ServiceError) -> FormErrors:
    errors = FormErrors()
    if isinstance(refusal, people.SignInLocked):
        errors.add("secret", lock_message(refusal))
    elif isinstance(refusal, people.SignInRefused):
        errors.add("secret", _(CODE_MESSAGES["secret"]))
    else:
        for problem in refusal.problems:
            errors.add(problem.path, _(CODE_MESSAGES.get(problem.path, CODE_MESSAGES["code"])))
    return errors


@router.post("/membre/code")
def change_code(request: Request, person: MemberDep, form: FormDep) -> Response:
    household_of(person)
    secret = str(form.get("secret") or "")
    code = str(form.get("code") or "").strip()
    again = str(form.get("code_again") or "").strip()
    errors = FormErrors()
    if not secret:
        errors.add("secret", _("Tapez votre secret de connexion."))
    if not errors:
        try:
            with unit_of_work(engine_of(request)) as session:
                refusal = people.change_consent_code(
                    session, person.access_id, secret, code, again, now()
                )
            if refusal is not None:
                errors = _code_errors(refusal)
        except svc.InvalidRequest as invalid:
            errors = _code_errors(invalid)
    if errors:
        return render(
            request,
            "member/code.html",
            {"errors": errors},
            status=422,
            title=_("Changer mon code de caisse"),
        )
    return redirect("/membre/code/change")


@router.get("/membre/code/change")
def code_changed(request: Request, person: MemberDep) -> Response:
    household_of(person)
    return render(request, "member/code_done.html", title=_("Code de caisse changé"))


# --- My data --------------------------------------------------------------------------------


@router.get("/membre/donnees")
def data_page(request: Request, person: MemberDep) -> Response:
    household_of(person)
    return render(request, "member/data.html", title=_("Mes données"))


@router.get("/membre/donnees/telecharger")
def data_download(request: Request, person: MemberDep) -> Response:
    household = household_of(person)
    with read_only(engine_of(request)) as session:
        exported = views.member_export(session, household)
    body = json.dumps(exported, ensure_ascii=False, indent=2, sort_keys=True)
    name = f"mes-donnees-caisse-{today().isoformat()}.json"
    return Response(
        body.encode(),
        media_type="application/json; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
